"""The one way the window runs blocking work: database queries, password hashes, analysis, PDF builds, exports
and thread joins all go through ``Workers.submit`` so the GUI thread only paints and reacts.

The job is a plain function; when it takes a ``task`` keyword it gets a ``TaskState`` to report progress and
to see a cancel request (the idea of Orange's ``ConcurrentWidgetMixin`` and napari's ``thread_worker``: the
job knows nothing of Qt). Results, errors and progress come back on the GUI thread through queued signals of
a relay object that lives there; a cancelled job's result is dropped.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore

log = logging.getLogger(__name__)


class TaskState:
    """What a running job may touch: progress reports and the cancel flag (thread-safe)."""

    def __init__(self, relay: _Relay) -> None:
        self._relay = relay
        self._cancel = threading.Event()

    def progress(self, fraction: float, message: str = "") -> None:
        self._relay.progressed.emit(float(fraction), message)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class _Relay(QtCore.QObject):
    """Lives on the GUI thread: signals emitted from the worker arrive queued at its slots."""

    done = QtCore.Signal(object)
    failed = QtCore.Signal(object)
    progressed = QtCore.Signal(float, str)

    def __init__(self, on_done: Callable[[Any], None] | None, on_error: Callable[[BaseException], None] | None,
                 on_progress: Callable[[float, str], None] | None, finished: Callable[[Task], None]) -> None:
        super().__init__()
        self.on_done, self.on_error, self.on_progress = on_done, on_error, on_progress
        self._finished = finished
        self.task: Task | None = None
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_error)
        self.progressed.connect(self._deliver_progress)

    @QtCore.Slot(object)
    def _deliver_done(self, result: object) -> None:
        assert self.task is not None
        self._finished(self.task)
        if not self.task.state.cancelled and self.on_done is not None:
            self.on_done(result)

    @QtCore.Slot(object)
    def _deliver_error(self, exc: BaseException) -> None:
        assert self.task is not None
        self._finished(self.task)
        if self.task.state.cancelled:
            return
        if self.on_error is not None:
            self.on_error(exc)
        else:
            log.error("a background job failed: %s", exc, exc_info=exc)

    @QtCore.Slot(float, str)
    def _deliver_progress(self, fraction: float, message: str) -> None:
        if self.task is not None and not self.task.state.cancelled and self.on_progress is not None:
            self.on_progress(fraction, message)


class Task(QtCore.QRunnable):
    """One submitted job; ``cancel()`` asks it to stop and drops its result."""

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], relay: _Relay, name: str) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the Workers keep it until its result is delivered
        self.fn, self.args, self.relay, self.name = fn, args, relay, name
        self.state = TaskState(relay)
        try:
            self._wants_state = "task" in inspect.signature(fn).parameters
        except (TypeError, ValueError):
            self._wants_state = False

    def run(self) -> None:
        try:
            result = self.fn(*self.args, task=self.state) if self._wants_state else self.fn(*self.args)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI thread
            self.relay.failed.emit(exc)
            return
        self.relay.done.emit(result)

    def cancel(self) -> None:
        self.state._cancel.set()


class Workers(QtCore.QObject):
    """The window's pool of background jobs; ``busy`` says how many are running (the status bar shows it)."""

    busy_changed = QtCore.Signal(int)

    def __init__(self, max_threads: int = 4, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._running: list[Task] = []

    def submit(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None,
               on_progress: Callable[[float, str], None] | None = None, name: str = "") -> Task:
        relay = _Relay(on_done, on_error, on_progress, self._finished)
        relay.setParent(self)
        task = Task(fn, args, relay, name or getattr(fn, "__name__", "job"))
        relay.task = task
        self._running.append(task)
        self.busy_changed.emit(len(self._running))
        self.pool.start(task)
        return task

    def _finished(self, task: Task) -> None:
        if task in self._running:
            self._running.remove(task)
        task.relay.deleteLater()
        self.busy_changed.emit(len(self._running))

    @property
    def busy(self) -> int:
        return len(self._running)

    def cancel_all(self) -> None:
        for task in list(self._running):
            task.cancel()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Join the pool's threads (only at exit, after ``cancel_all``; never while the window is in use)."""
        return self.pool.waitForDone(timeout_ms)
