"""Serve an emulated firmware on a pseudo-terminal, in real time or at a speed factor.

The host side opens ``path`` with pyserial exactly as it would open /dev/ttyUSB0. ``path`` is a symlink
in a private folder, so that a simulated cable pull can replace the pty behind the same name.

A cable pull (``FaultPlan.unplug_after_s``) closes the pty and removes the symlink, as a vanished
/dev/ttyUSB0 does; the re-plug creates a new pty behind the same path. The board is taken to run on through
the pull (a battery-powered board whose dongle or cable was pulled): its clock and counters keep going, so
the samples of the gap are lost and counted, and the sample indices stay on one time base.
"""

from __future__ import annotations

import logging
import os
import select
import tempfile
import threading
import time
import tty
from pathlib import Path

from devices.simulator.faults import FaultInjector, FaultPlan
from devices.simulator.firmware import Firmware

log = logging.getLogger(__name__)


class PtyServer:
    def __init__(self, firmware: Firmware, speed: float = 1.0, tick_s: float = 0.01,
                 link_path: str | os.PathLike[str] | None = None, faults: FaultPlan | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.firmware = firmware
        self.speed = speed
        self.tick_s = tick_s
        self._own_dir: tempfile.TemporaryDirectory[str] | None = None
        if link_path is None:
            self._own_dir = tempfile.TemporaryDirectory(prefix="glutelab-sim-")
            link_path = Path(self._own_dir.name) / f"tty{firmware.info.kind}"
        self.path = str(link_path)
        self._master = -1
        self._slave = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.samples_sent = 0
        self.error = ""  # set when the serving thread died; `glutelab simulate` reports it and exits
        self.faults = FaultInjector(faults or FaultPlan())
        self.stream_started_at: float | None = None  # time.monotonic() of sample 0 of the current stream
        self.unplugged_at: float | None = None
        self.replugged_at: float | None = None

    def _open_pty(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        tmp = self.path + ".new"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.ttyname(self._slave), tmp)
        os.replace(tmp, self.path)

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = -1

    def start(self) -> PtyServer:
        self._open_pty()
        self._thread = threading.Thread(target=self._run, name=f"pty-{self.firmware.info.kind}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close_pty()
        if os.path.lexists(self.path):
            os.unlink(self.path)
        if self._own_dir is not None:
            self._own_dir.cleanup()

    def __enter__(self) -> PtyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._stop.is_set():
            try:
                n = os.write(self._master, view)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            view = view[n:]

    def _unplug(self) -> None:
        self._close_pty()
        if os.path.lexists(self.path):
            os.unlink(self.path)
        self.unplugged_at = time.monotonic()

    def _cable(self, stream_t0: float | None) -> bool:
        """Apply the cable-pull plan; True while the cable is out."""
        plan = self.faults.plan
        now = time.monotonic()
        if self.unplugged_at is None:
            if plan.unplug_after_s is not None and stream_t0 is not None and now - stream_t0 >= plan.unplug_after_s:
                self._unplug()
                return True
            return False
        if self.replugged_at is None:
            if plan.replug_after_s is not None and now - self.unplugged_at >= plan.replug_after_s:
                self._open_pty()
                self.replugged_at = now
                return False
            return True
        return False

    def _run(self) -> None:
        try:
            self._serve()
        except Exception as exc:  # noqa: BLE001 - a dead simulator must say so, not go quiet
            self.error = f"simulated {self.firmware.info.kind} stopped: {type(exc).__name__}: {exc}"
            log.exception("pty server failed")

    def _serve(self) -> None:
        rate = self.firmware.info.sample_rate_hz
        stream_t0: float | None = None
        while not self._stop.is_set():
            if self._cable(stream_t0):
                time.sleep(self.tick_s)
                if stream_t0 is not None:  # the board runs on: the samples of the gap are lost
                    due = int((time.monotonic() - stream_t0) * self.speed * rate) - self.samples_sent
                    if due > 0:
                        self.firmware.stream_frames(due)
                        self.samples_sent += due
                continue
            ready, _, _ = select.select([self._master], [], [], self.tick_s)
            if ready:
                try:
                    data = os.read(self._master, 4096)
                except OSError:  # includes BlockingIOError; EIO while no host has the port open
                    data = b""
                if data:
                    reply = self.firmware.on_host_bytes(data)
                    if reply:
                        self._write(reply)
            if not self.firmware.streaming:
                stream_t0 = None
                continue
            now = time.monotonic()
            if stream_t0 is None:
                stream_t0, self.samples_sent = now, 0
                self.stream_started_at = now
            due = int((now - stream_t0) * self.speed * rate) - self.samples_sent
            if due > 0:
                self._write(self.faults.apply(self.firmware.stream_frames(due)))
                self.samples_sent += due
