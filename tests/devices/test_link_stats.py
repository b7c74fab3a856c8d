"""Link statistics over a real pty: samples/s, frames, samples, and zero loss on a clean link."""

from __future__ import annotations

import numpy as np
import pytest

from devices.device import Device
from devices.simulator.firmware import GluteLabFirmware, LoopingSource
from devices.simulator.pty_server import PtyServer
from devices.types import DeviceInfo, SampleBlock

from .conftest import wait_for

INFO = DeviceInfo(kind="plate", model="Test Plate-4", serial="P-1", firmware="1", protocol="glutelab",
                  sample_rate_hz=1000.0, channel_names=("fl", "fr", "bl", "br"), units="N", scale=(0.01,) * 4,
                  offset=(8000.0,) * 4, simulated=True, plate_width_mm=400.0, plate_length_mm=600.0)


def test_clean_link_statistics_are_exact_and_rate_is_measured() -> None:
    counts = np.arange(40000, dtype=np.int32).reshape(-1, 4)
    speed = 3.0
    with PtyServer(GluteLabFirmware(INFO, LoopingSource(counts), samples_per_frame=10), speed=speed) as server, \
            Device(server.path) as dev:
        assert dev.info == INFO  # the device-info reply round-trips
        blocks: list[SampleBlock] = []
        dev.subscribe(blocks.append)
        dev.start()
        dev.start()  # a second start is a no-op (two readers would split the bytes: losses below)
        # > 2 s of stream at 3000 samples/s: the newest rate window is past the start-up latency
        wait_for(lambda: dev.stats.samples_per_s > 0 and dev.stats.samples > 7000, timeout_s=30,
                 what="a rate figure")
        rate = dev.stats.samples_per_s
        dev.stop()
        stats = dev.stats
    assert rate == pytest.approx(INFO.sample_rate_hz * speed, rel=0.25)
    assert stats.samples == sum(b.n_samples for b in blocks) == stats.frames_ok * 10
    assert stats.packets_lost == 0 and stats.bytes_discarded == 0 and stats.crc_failures == 0
    assert stats.bytes_received == stats.frames_ok * (7 + 8 + 10 * 4 * 4 + 2)
    d = stats.as_dict()
    assert d["crc_failures"] == 0 and d["samples"] == stats.samples
    assert blocks[0].first_index == 0
    assert all(b.first_index == a.end_index for a, b in zip(blocks, blocks[1:]))  # contiguous, no gaps


def test_start_stop_restart_and_clean_close() -> None:
    import threading

    counts = np.arange(40000, dtype=np.int32).reshape(-1, 4)
    states: list[str] = []
    with PtyServer(GluteLabFirmware(INFO, LoopingSource(counts), samples_per_frame=10), speed=3.0) as server:
        dev = Device(server.path)
        dev.on_state(lambda state, _msg: states.append(state))
        dev.open()
        for _ in range(2):
            dev.start()
            wait_for(lambda: dev.stats.samples >= 300, what="samples")
            dev.stop()
        assert dev.ring is not None and dev.ring.total >= 600
        dev.close()
        assert dev.state == "closed" and dev._port is None
    assert not [t for t in threading.enumerate() if t.name.startswith("reader-")]
    assert states == ["open", "streaming", "stopped", "streaming", "stopped", "closed"]
