"""The one worker abstraction: results, errors and progress arrive on the GUI thread; a cancelled job's result
is dropped and the job can see the request."""

from __future__ import annotations

import threading
import time

from ui.worker import TaskState, Workers


def test_results_errors_and_progress_arrive_on_the_gui_thread(qtbot) -> None:  # noqa: ANN001
    workers = Workers()
    gui = threading.get_ident()
    seen: list[tuple[str, object, int]] = []

    def job(n: int, task: TaskState) -> int:
        for k in range(n):
            task.progress((k + 1) / n, f"step {k + 1}")
        return threading.get_ident()

    workers.submit(job, 3, on_done=lambda r: seen.append(("done", r != gui, threading.get_ident())),
                   on_progress=lambda f, m: seen.append(("progress", m, threading.get_ident())))
    workers.submit(lambda: 1 / 0, on_error=lambda e: seen.append(("error", type(e).__name__, threading.get_ident())))
    qtbot.waitUntil(lambda: workers.busy == 0 and len(seen) == 5, timeout=10000)
    assert all(ident == gui for _, _, ident in seen)
    assert [v for kind, v, _ in seen if kind == "progress"] == ["step 1", "step 2", "step 3"]
    assert ("done", True, gui) in seen and ("error", "ZeroDivisionError", gui) in seen


def test_a_cancelled_job_sees_it_and_its_result_is_dropped(qtbot) -> None:  # noqa: ANN001
    workers = Workers()
    seen: list[object] = []
    started = threading.Event()

    def slow(task: TaskState) -> str:
        started.set()
        while not task.cancelled:
            time.sleep(0.01)
        return "stopped early"

    job = workers.submit(slow, on_done=seen.append)
    assert started.wait(10)
    job.cancel()
    qtbot.waitUntil(lambda: workers.busy == 0, timeout=10000)
    assert seen == []
    assert workers.wait(5000)
