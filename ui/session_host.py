"""The window's hold on one clinic session: a ``SessionRunner`` polled by a GUI timer, its state changes as a
Qt signal, and its blocking steps (device handshakes, database writes, recorder joins, analysis) on workers.

While a blocking step runs the timer does not poll, so the runner is never used from two threads at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6 import QtCore

from clinic.usecases.runner import DeviceFactory, SessionRunner, State
from ui.pages.env import WindowEnv
from ui.worker import Task


class SessionHost(QtCore.QObject):
    state_changed = QtCore.Signal(str, str)  # State value, message (queued from any thread)
    polled = QtCore.Signal()

    def __init__(self, env: WindowEnv, spool_dir: Path, device_factory: DeviceFactory,
                 workstation: str | None = None, poll_ms: int = 40, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.env = env
        self.spool_dir = spool_dir
        self.device_factory = device_factory
        self.workstation = workstation
        self.runner: SessionRunner | None = None
        self.patient_id: int | None = None
        self.busy = False
        self.timer = QtCore.QTimer(self, interval=poll_ms)
        self.timer.timeout.connect(self._poll)

    @property
    def state(self) -> State:
        return self.runner.state if self.runner is not None else State.IDLE

    @property
    def recording(self) -> bool:
        return self.state in (State.RECORDING, State.PAUSED)

    def new_runner(self, patient_id: int) -> SessionRunner:
        """A fresh runner for ``patient_id`` (the previous one must be closed)."""
        assert self.env.actor is not None
        if self.runner is not None and self.runner.state != State.IDLE:
            raise RuntimeError("close the current session first")
        self.runner = SessionRunner(self.env.factory, self.env.actor, conditioning=self.env.conditioning,
                                    spool_dir=self.spool_dir, clock=self.env.clock,
                                    device_factory=self.device_factory, workstation=self.workstation)
        self.runner.add_listener(lambda state, message: self.state_changed.emit(state.value, message))
        self.patient_id = patient_id
        self.timer.start()
        return self.runner

    def run(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None,
            on_progress: Callable[[float, str], None] | None = None, exclusive: bool = True) -> Task:
        """``fn(*args)`` (a runner method) on a worker; ``exclusive`` stops polling until it is done."""
        if exclusive:
            self.busy = True

        def finish(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
            def deliver(value: Any) -> None:
                if exclusive:
                    self.busy = False
                if callback is not None:
                    callback(value)
            return deliver

        return self.env.workers.submit(fn, *args, on_done=finish(on_done), on_error=finish(on_error),
                                       on_progress=on_progress, name=getattr(fn, "__name__", "session step"))

    def _poll(self) -> None:
        if self.busy or self.runner is None or self.runner.state == State.IDLE:
            return
        self.runner.poll()
        self.polled.emit()

    def close(self, on_done: Callable[[Any], None] | None = None) -> None:
        """Close the session on a worker (a running recording is stopped and kept; device threads joined)."""
        self.timer.stop()
        runner = self.runner
        if runner is None:
            if on_done is not None:
                on_done(None)
            return
        self.run(runner.close, on_done=on_done, on_error=on_done)
