"""Write a report's PDF in a child process when the caller is a worker thread of a GUI.

Why: reportlab allocates tens of thousands of objects per report, which sets off Python's full (generation 2)
garbage collection. That pass holds the GIL for the whole heap of the process - 0.25 s in a window with the
progress review open, more in a long-running one - so the GUI thread froze while a worker built a PDF. It is a
single C call that cannot be split; in a child process the allocations (and their collections) are the
child's. The caller gathers the data from the database and audits in-process; only the writing moves.

On the main thread (the command line, the bench, the self-test) the PDF is written in-process: there is no GUI
to keep responsive and a child would cost its start-up. One child is started (spawn, never fork: fork would
copy Qt's threads' locks) on the first report and kept for the next; it dies with the application.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar

from clinic.reports.layout import ReportFrame

T = TypeVar("T")
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
        return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def write_report(writer: Callable[[Path, T, ReportFrame], Path], path: str | Path, data: T,
                 frame: ReportFrame) -> Path:
    """``writer(path, data, frame)`` (a module-level function, the data picklable): in a child process when
    called off the main thread, else here. A child that died (killed, out of memory) is replaced and this one
    report is written in-process, so printing still works."""
    path = Path(path)
    if threading.current_thread() is threading.main_thread():
        return writer(path, data, frame)
    pool = _executor()
    try:
        return pool.submit(writer, path, data, frame).result()
    except BrokenProcessPool:
        _discard(pool)
        return writer(path, data, frame)
