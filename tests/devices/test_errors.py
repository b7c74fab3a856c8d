"""Clear errors through Device.open(): wrong port, and a device that answers garbage, nothing, or another protocol."""

from __future__ import annotations

import numpy as np
import pytest

from devices.device import Device
from devices.errors import HandshakeError, PortError
from devices.simulator.cyton_firmware import CytonFirmware
from devices.simulator.firmware import GluteLabFirmware, LoopingSource
from devices.simulator.pty_server import PtyServer
from devices.types import DeviceInfo


class _Babbler:
    """A device at the wrong baud rate: every byte the host sends comes back as line noise."""

    info = DeviceInfo(kind="emg", model="?", serial="?", firmware="?", protocol="?", sample_rate_hz=100.0,
                      channel_names=("x",), units="?", scale=(1.0,))
    streaming = False

    def on_host_bytes(self, data: bytes) -> bytes:
        return bytes((b * 37 + 11) & 0xFF for b in data) * 8

    def stream_frames(self, n_samples: int) -> list[bytes]:
        return []


class _Mute(_Babbler):
    def on_host_bytes(self, data: bytes) -> bytes:
        return b""


def test_a_port_that_does_not_exist_names_the_port(tmp_path) -> None:  # noqa: ANN001
    missing = str(tmp_path / "ttyUSB9")
    with pytest.raises(PortError) as exc:
        Device(missing).open()
    assert missing in str(exc.value) and "--list-ports" in str(exc.value)


@pytest.mark.parametrize("protocol", ["glutelab", "cyton"])
def test_garbage_answer_names_port_expected_seen_and_what_to_do(protocol: str) -> None:
    # the garbage must arrive before the handshake gives up: generous for a loaded CI machine
    with PtyServer(_Babbler()) as server, pytest.raises(HandshakeError) as exc:
        Device(server.path, protocol).open(handshake_timeout_s=3.0)
    msg = str(exc.value)
    assert server.path in msg and "expected" in msg and "baud" in msg
    assert exc.value.seen != "nothing"


@pytest.mark.parametrize("protocol", ["glutelab", "cyton"])
def test_silent_device_says_it_got_nothing(protocol: str) -> None:
    with PtyServer(_Mute()) as server, pytest.raises(HandshakeError) as exc:
        Device(server.path, protocol).open(handshake_timeout_s=0.5)
    assert server.path in str(exc.value) and exc.value.seen.startswith("nothing")


def test_cyton_port_opened_as_glutelab_and_the_reverse() -> None:
    cyton = CytonFirmware(LoopingSource(np.zeros((10, 8), np.int32)))
    with PtyServer(cyton) as server, pytest.raises(HandshakeError) as exc:
        Device(server.path, "glutelab").open(handshake_timeout_s=0.5)
    assert "GluteLab device-info" in exc.value.expected
    info = DeviceInfo(kind="emg", model="GluteLab EMG-1", serial="1", firmware="1", protocol="glutelab",
                      sample_rate_hz=1000.0, channel_names=("a",), units="uV", scale=(0.1,))
    glutelab = GluteLabFirmware(info, LoopingSource(np.zeros((10, 1), np.int16)))
    with PtyServer(glutelab) as server, pytest.raises(HandshakeError) as exc:
        Device(server.path, "cyton").open(handshake_timeout_s=0.5)
    assert "OpenBCI banner" in exc.value.expected and "Cyton dongle" in str(exc.value)


def test_unknown_protocol_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="cyton, glutelab"):
        Device("/dev/null", "modbus")


def test_a_failing_handshake_closes_the_port(monkeypatch) -> None:  # noqa: ANN001
    dev = Device("loop://", "glutelab")

    def broken(port, timeout_s=2.0):  # noqa: ANN001, ANN202
        raise RuntimeError("driver bug")

    monkeypatch.setattr(dev.driver, "handshake", broken)
    with pytest.raises(RuntimeError, match="driver bug"):
        dev.open()
    assert dev._port is not None and not dev._port.is_open


def test_a_device_cannot_be_opened_twice(sim_rig) -> None:  # noqa: ANN001
    import pytest

    from devices.device import Device
    from devices.errors import DeviceError

    dev = Device(sim_rig.emg_path)
    dev.open()
    try:
        with pytest.raises(DeviceError, match="already open"):
            dev.open()
    finally:
        dev.close()


def test_a_failing_simulator_reports_its_error() -> None:
    import time

    from devices.simulator.firmware import GluteLabFirmware, LoopingSource
    from devices.simulator.physiology import build_scenario
    from devices.simulator.pty_server import PtyServer
    from devices.simulator.rigs import emg_counts, emg_info

    class Broken(GluteLabFirmware):
        def on_host_bytes(self, data: bytes) -> bytes:
            raise RuntimeError("firmware bug")

    sc = build_scenario(reps=1, seed=0)
    server = PtyServer(Broken(emg_info(sc), LoopingSource(emg_counts(sc)))).start()
    try:
        with open(server.path, "wb", buffering=0) as port:
            port.write(b"\xa5\x5a\x01\x00\x00\x00\x00\x00\x00")
            deadline = time.monotonic() + 20
            while not server.error and time.monotonic() < deadline:
                time.sleep(0.05)
        assert "firmware bug" in server.error
    finally:
        server.stop()
