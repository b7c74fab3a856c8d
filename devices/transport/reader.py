"""A serial reader on its own thread: read what is waiting, decode, publish sample blocks.

pyserial's ReaderThread idiom (engineering.md, section 3): ``read(in_waiting or 1)`` with a port timeout,
never a busy poll. Blocks go to subscribers (ring buffer, recorder); state changes go to a callback.
Nothing here touches Qt: the UI turns the callbacks into queued signals.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import serial

from devices.types import DecodeResult, LinkStats, SampleBlock

log = logging.getLogger(__name__)

BlockSink = Callable[[SampleBlock], None]
StateSink = Callable[[str, str], None]  # (state, human message)


class Decoder(Protocol):
    stats: LinkStats

    def feed(self, data: bytes, host_time: float | None = None) -> DecodeResult: ...

    def flush(self, host_time: float | None = None) -> DecodeResult: ...


class SerialReader:
    """Owns an open port while streaming; reports 'streaming', 'disconnected', 'reconnected', 'stopped'."""

    def __init__(self, port: serial.SerialBase, decoder: Decoder, on_block: BlockSink,
                 on_state: StateSink | None = None,
                 reopen: Callable[[], serial.SerialBase] | None = None,
                 reconnect_interval_s: float = 0.25) -> None:
        self.port = port
        self.decoder = decoder
        self.on_block = on_block
        self.on_state = on_state or (lambda state, msg: None)
        self.on_messages: Callable[[list[tuple[int, bytes]]], None] | None = None
        self.reopen = reopen
        self.reconnect_interval_s = reconnect_interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rate_t0 = time.monotonic()
        self._rate_samples = 0

    @property
    def stats(self) -> LinkStats:
        return self.decoder.stats

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"reader-{self.port.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        try:
            self.port.cancel_read()
        except Exception:  # noqa: BLE001 - a vanished port may refuse; we are stopping anyway
            pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        message = f"stopped reading {self.port.port}"
        try:
            self._stream()
        except Exception as exc:  # noqa: BLE001 - a decoder or subscriber bug: say so instead of dying silently
            log.exception("reader of %s failed", self.port.port)
            message = f"stopped reading {self.port.port} after an error: {exc}"
        self.on_state("stopped", message)

    def _stream(self) -> None:
        self.on_state("streaming", f"streaming from {self.port.port}")
        while not self._stop.is_set():
            try:
                data = self.port.read(self.port.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError) as exc:
                if self._stop.is_set():
                    break
                self._handle_disconnect(exc)
                continue
            if data:
                self._publish(self.decoder.feed(data, time.monotonic()))
        if getattr(self.decoder, "holds_packets", False):  # e.g. the Cyton's newest packet, awaiting confirmation
            self._publish(self.decoder.flush(time.monotonic()))

    def _publish(self, result: DecodeResult) -> None:
        for block in result.blocks:
            self.on_block(block)
            self._rate_samples += block.n_samples
        if result.messages and self.on_messages is not None:
            self.on_messages(result.messages)
        now = time.monotonic()
        if now - self._rate_t0 >= 1.0:
            self.stats.samples_per_s = self._rate_samples / (now - self._rate_t0)
            self._rate_t0, self._rate_samples = now, 0

    def _handle_disconnect(self, exc: Exception) -> None:
        name = self.port.port
        self.stats.samples_per_s = 0.0
        self._rate_t0, self._rate_samples = time.monotonic(), 0
        self.on_state("disconnected", f"{name} disconnected ({exc}); the data so far is kept, waiting for it")
        try:
            self.port.close()
        except Exception:  # noqa: BLE001
            pass
        if self.reopen is None:
            self._stop.set()
            return
        while not self._stop.wait(self.reconnect_interval_s):
            try:
                self.port = self.reopen()
            except (serial.SerialException, OSError):
                continue
            self.stats.reconnects += 1
            self.on_state("reconnected", f"{name} is back; streaming again")
            return
