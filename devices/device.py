"""One interface for every device (open, start, stop, close, info, stats), like BrainFlow's board API.

A ``Device`` owns a port, a protocol driver and a reader thread. Decoded blocks go into a ring buffer of
physical values (for the live view) and to subscribers (for the recorder), each without blocking the other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import serial

from devices.errors import DeviceError, PortError
from devices.protocols import registry
from devices.ring import SampleRing
from devices.transport.reader import SerialReader
from devices.types import DeviceInfo, LinkStats, SampleBlock


class Device:
    def __init__(self, port: str, protocol: str = "glutelab", baudrate: int | None = None,
                 ring_seconds: float = 30.0, stream_id: str = "", **driver_options: object) -> None:
        self.port_name = port
        self.driver = registry.driver(protocol, **driver_options)
        self.baudrate = baudrate or self.driver.default_baudrate
        self.ring_seconds = ring_seconds
        self.stream_id = stream_id or protocol
        self.info: DeviceInfo | None = None
        self.ring: SampleRing | None = None
        self.state = "closed"
        self._port: serial.SerialBase | None = None
        self._reader: SerialReader | None = None
        self._sinks: list[Callable[[SampleBlock], None]] = []
        self._state_sinks: list[Callable[[str, str], None]] = []
        self._lock = threading.Lock()
        self._stats = LinkStats()

    # -- wiring -----------------------------------------------------------------------------------
    def subscribe(self, sink: Callable[[SampleBlock], None]) -> None:
        with self._lock:
            self._sinks.append(sink)

    def unsubscribe(self, sink: Callable[[SampleBlock], None]) -> None:
        with self._lock:
            if sink in self._sinks:
                self._sinks.remove(sink)

    def on_state(self, sink: Callable[[str, str], None]) -> None:
        self._state_sinks.append(sink)

    def off_state(self, sink: Callable[[str, str], None]) -> None:
        if sink in self._state_sinks:
            self._state_sinks.remove(sink)

    @property
    def stats(self) -> LinkStats:
        reader = self._reader  # read once: stop() on another thread may clear it between check and use
        return reader.stats if reader is not None else self._stats

    # -- lifecycle --------------------------------------------------------------------------------
    def _open_port(self) -> serial.SerialBase:
        try:
            return serial.serial_for_url(self.port_name, baudrate=self.baudrate, timeout=0.05)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortError(self.port_name, str(exc)) from exc

    def open(self, handshake_timeout_s: float | None = None) -> DeviceInfo:
        """Open the port and shake hands; ``PortError`` / ``HandshakeError`` say what went wrong and where."""
        if self._port is not None and self._port.is_open:
            raise DeviceError(f"{self.port_name} is already open; close it before opening it again")
        self._port = self._open_port()
        try:
            if handshake_timeout_s is None:
                self.info = self.driver.handshake(self._port)
            else:
                self.info = self.driver.handshake(self._port, timeout_s=handshake_timeout_s)
        except (serial.SerialException, OSError) as exc:
            self._port.close()
            raise PortError(self.port_name, str(exc)) from exc
        except BaseException:  # DeviceError, or a driver bug: never leave the port open behind it
            self._port.close()
            raise
        capacity = max(1, int(self.ring_seconds * self.info.sample_rate_hz))
        self.ring = SampleRing(capacity, self.info.n_channels)
        self._set_state("open", f"{self.info.model} ({self.info.serial}) on {self.port_name}")
        return self.info

    def start(self) -> None:
        if self._port is None or self.info is None:
            raise DeviceError(f"{self.port_name}: open the device before starting it")
        if self._reader is not None:  # already streaming: a second reader would split the bytes between two
            return
        decoder = self.driver.decoder(self.stream_id)
        self._reader = SerialReader(self._port, decoder, self._publish, self._set_state,
                                    reopen=self._reopen)
        self.driver.start(self._port)
        self._reader.start()

    def _reopen(self) -> serial.SerialBase:
        port = serial.serial_for_url(self.port_name, baudrate=self.baudrate, timeout=0.05)
        try:
            self.driver.start(port)
        except BaseException:  # the reader retries with a fresh port; do not leak this one
            port.close()
            raise
        self._port = port
        return port

    def stop(self) -> None:
        if self._reader is not None:
            self._reader.stop()
            self._stats = self._reader.stats
            self._reader = None
        if self._port is not None and self._port.is_open:
            try:
                self.driver.stop(self._port)
            except (serial.SerialException, OSError):
                pass

    def close(self) -> None:
        self.stop()
        if self._port is not None:
            self._port.close()
            self._port = None
        self._set_state("closed", f"{self.port_name} closed")

    def __enter__(self) -> Device:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reader thread callbacks --------------------------------------------------------------------
    def _publish(self, block: SampleBlock) -> None:
        assert self.info is not None and self.ring is not None
        self.ring.write(self.info.to_physical(block.counts), block.first_index)
        with self._lock:
            sinks = list(self._sinks)
        for sink in sinks:
            sink(block)

    def _set_state(self, state: str, message: str) -> None:
        self.state = state
        for sink in list(self._state_sinks):
            sink(state, message)
