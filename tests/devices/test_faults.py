"""Faults on demand over real ptys: dropped packets, corrupted bytes, a cable pull and re-plug."""

from __future__ import annotations

import os

import numpy as np
import pytest

from devices.device import Device
from devices.simulator.cyton_firmware import CytonFirmware
from devices.simulator.faults import FaultPlan
from devices.simulator.firmware import GluteLabFirmware, LoopingSource
from devices.simulator.pty_server import PtyServer
from devices.types import DeviceInfo, SampleBlock

from .conftest import wait_for

SPF = 10  # samples per GluteLab frame
INFO = DeviceInfo(kind="emg", model="Test EMG-2", serial="T-1", firmware="1", protocol="glutelab",
                  sample_rate_hz=1000.0, channel_names=("a", "b"), units="uV", scale=(0.1, 0.1), simulated=True)
RAMP = np.stack([np.arange(30000) % 30000, -(np.arange(30000) % 30000)], axis=1).astype(np.int32)


def _glutelab_server(plan: FaultPlan, speed: float = 5.0) -> PtyServer:
    return PtyServer(GluteLabFirmware(INFO, LoopingSource(RAMP), samples_per_frame=SPF), speed=speed, faults=plan)


def _record(dev: Device) -> list[SampleBlock]:
    blocks: list[SampleBlock] = []
    dev.subscribe(blocks.append)
    return blocks


def test_glutelab_drops_are_counted_exactly_as_lost_packets() -> None:
    with _glutelab_server(FaultPlan(drop_rate=0.05, seed=3)) as server, Device(server.path) as dev:
        blocks = _record(dev)
        dev.start()
        wait_for(lambda: dev.stats.packets_lost >= 20, what="20 dropped packets")
        dev.stop()
        dropped = set(server.faults.dropped)
    received = sorted({(b.first_index + j) // SPF for b in blocks for j in range(b.n_samples)})
    first, last = received[0], received[-1]
    assert set(range(first, last + 1)) - set(received) == {d for d in dropped if first < d < last}
    assert dev.stats.packets_lost == len({d for d in dropped if first < d < last})
    for b in blocks:  # the samples that arrived are the right ones
        np.testing.assert_array_equal(b.counts, RAMP[np.arange(b.first_index, b.end_index) % len(RAMP)])
    assert dev.stats.crc_failures == 0


def test_cyton_drops_are_counted_from_the_sample_counter() -> None:
    ramp = (np.arange(256)[:, None] * 8 + np.arange(8)).astype(np.int32)
    plan = FaultPlan(drop_rate=0.05, seed=5)
    with PtyServer(CytonFirmware(LoopingSource(ramp)), speed=10.0, faults=plan) as server, \
            Device(server.path, "cyton") as dev:
        blocks = _record(dev)
        dev.start()
        wait_for(lambda: dev.stats.packets_lost >= 20, what="20 dropped Cyton packets")
        dev.stop()
        dropped = set(server.faults.dropped)
    first_sent = min(set(range(len(dropped) + 1)) - dropped)  # the first packet that was not dropped
    received = [first_sent + b.first_index + j for b in blocks for j in range(b.n_samples)]
    last = received[-1]
    assert set(range(first_sent, last + 1)) - set(received) == {d for d in dropped if first_sent < d < last}
    assert dev.stats.packets_lost == len({d for d in dropped if d < last}) - first_sent
    for b in blocks:
        np.testing.assert_array_equal(b.counts, ramp[(first_sent + np.arange(b.first_index, b.end_index)) % 256])


@pytest.mark.parametrize("protocol", ["glutelab", "cyton"])
def test_corrupted_bytes_are_counted_and_the_stream_resumes(protocol: str) -> None:
    plan = FaultPlan(corrupt_rate=5e-4, seed=11)
    if protocol == "cyton":
        server = PtyServer(CytonFirmware(LoopingSource(RAMP[:256, :1].repeat(8, axis=1))), speed=20.0, faults=plan)
    else:
        server = _glutelab_server(plan)
    with server, Device(server.path, protocol) as dev:
        dev.start()
        damaged = (lambda: dev.stats.crc_failures >= 3) if protocol == "glutelab" else \
            (lambda: dev.stats.bytes_discarded >= 100)
        wait_for(damaged, what="corruption to be detected")
        frames = dev.stats.frames_ok
        wait_for(lambda: dev.stats.frames_ok >= frames + 200, what="the stream to resume")
        dev.stop()
        assert server.faults.corrupted_bytes > 0
        assert dev.stats.bytes_discarded > 0
        assert (dev.stats.crc_failures is None) == (protocol == "cyton")


@pytest.mark.realtime
@pytest.mark.parametrize("protocol", ["glutelab", "cyton"])
def test_cable_pull_keeps_data_and_reconnects_on_the_same_path(protocol: str) -> None:
    plan = FaultPlan(unplug_after_s=0.6, replug_after_s=0.8)
    # real time, and a pull of > 256 packets: the Cyton decoder uses the host clock to count the counter
    # wraps the pull hides
    if protocol == "cyton":
        plan = FaultPlan(unplug_after_s=0.6, replug_after_s=1.2)
        server = PtyServer(CytonFirmware(LoopingSource(RAMP[:, :1].repeat(8, axis=1))), faults=plan)
    else:
        server = _glutelab_server(plan, speed=1.0)
    states: list[str] = []
    blocks: list[SampleBlock] = []
    with server:
        path = server.path
        with Device(path, protocol) as dev:
            dev.on_state(lambda state, _msg: states.append(state))
            dev.subscribe(blocks.append)
            dev.start()
            wait_for(lambda: "disconnected" in states, what="the 'disconnected' state")
            assert dev.ring is not None
            kept = dev.ring.total
            assert kept > 0 and not np.isnan(dev.ring.latest(kept)[0]).any()  # the data so far is kept
            assert not os.path.lexists(path)  # the port vanished, as /dev/ttyUSB0 does
            wait_for(lambda: "reconnected" in states, what="the 'reconnected' state")
            wait_for(lambda: dev.ring.total > kept + 150 and blocks[-1].first_index > kept,
                     what="samples after the re-plug")
            assert dev.stats.reconnects == 1
            assert dev.stats.packets_lost > 0  # the board ran on: the samples of the gap are lost...
            rows, _ = dev.ring.since(kept, 5000)
            assert np.isnan(rows[:, 0]).sum() >= 100  # ...and the ring shows the gap as NaN, on one time base
            dev.stop()
    # every sample, before and after the pull, sits at its true index (the board's own sample number)
    for b in blocks:
        np.testing.assert_array_equal(b.counts[:, 0], RAMP[np.arange(b.first_index, b.end_index) % len(RAMP), 0])
    assert states[0] == "streaming" and states.index("disconnected") < states.index("reconnected")
