"""The reader thread never dies silently: a failing decoder or subscriber ends it with a 'stopped' state."""

from __future__ import annotations

import serial

from devices.transport.reader import SerialReader
from devices.types import LinkStats

from .conftest import wait_for


class _BrokenDecoder:
    stats = LinkStats()

    def feed(self, data: bytes, host_time: float | None = None):  # noqa: ANN201
        raise RuntimeError("decoder bug")

    def flush(self, host_time: float | None = None):  # noqa: ANN201
        raise AssertionError("not reached")


def test_a_decoder_error_stops_the_reader_with_a_message() -> None:
    port = serial.serial_for_url("loop://", timeout=0.05)
    states: list[tuple[str, str]] = []
    reader = SerialReader(port, _BrokenDecoder(), lambda block: None, lambda s, m: states.append((s, m)))
    try:
        reader.start()
        port.write(b"x")
        wait_for(lambda: any(s == "stopped" for s, _ in states), timeout_s=30, what="the 'stopped' state")
        assert "decoder bug" in states[-1][1]
    finally:
        reader.stop()
        port.close()
