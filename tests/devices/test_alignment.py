"""Two devices on one time base: the simulated EMG amplifier and force plate, read together in real time.

Each block carries the host time its bytes arrived; sample 0 of a stream is estimated as the minimum over the
first second of ``host_time - samples_so_far / rate`` (as clinic/recorder.py does). The simulator knows when
each stream's sample 0 was really taken, so the alignment error can be measured.
"""

from __future__ import annotations

import pytest

from devices.device import Device
from devices.simulator.rig import SimulatedRig
from devices.types import SampleBlock

from .conftest import wait_for


def sample0_estimate(blocks: list[SampleBlock], rate: float) -> float:
    first = blocks[0].first_index
    return min(b.host_time - (b.end_index - first) / rate for b in blocks if b.end_index - first <= rate)


@pytest.mark.realtime
@pytest.mark.parametrize("emg_protocol", ["glutelab", "cyton"])
def test_emg_and_plate_align_within_5_ms(emg_protocol: str) -> None:
    with SimulatedRig(speed=1.0, emg_protocol=emg_protocol, reps=1, rest_s=1.0, hold_s=1.0, seed=2) as rig:
        devices = {"emg": Device(rig.emg_path, emg_protocol, stream_id="emg"),
                   "plate": Device(rig.plate_path, stream_id="plate")}
        blocks: dict[str, list[SampleBlock]] = {k: [] for k in devices}
        for name, dev in devices.items():
            dev.open()
            dev.subscribe(blocks[name].append)
        try:
            for dev in devices.values():
                dev.start()
            for name, dev in devices.items():
                assert dev.info is not None
                rate = dev.info.sample_rate_hz
                wait_for(lambda d=dev, r=rate: d.stats.samples >= 1.2 * r, what=f"1.2 s of {name}")
        finally:
            for dev in devices.values():
                dev.close()
        errors = {}
        for name, server in (("emg", rig.emg), ("plate", rig.plate)):
            info = devices[name].info
            assert info is not None and server.stream_started_at is not None
            errors[name] = sample0_estimate(blocks[name], info.sample_rate_hz) - server.stream_started_at
    # arrival can only be late: each estimate is at or after the true sample-0 time, by little
    for name, err in errors.items():
        assert -0.001 <= err <= 0.005, f"{name}: sample-0 estimate off by {err * 1000:.2f} ms"
    print({k: round(v * 1000, 3) for k, v in errors.items()}, "ms")
    assert abs(errors["emg"] - errors["plate"]) <= 0.005
