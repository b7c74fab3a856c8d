"""`glutelab bench` figures: each capability adds one module with ``run(quick) -> dict`` to ``SUITES``.

Every figure is measured in the run that prints it; comparisons are ratios measured side by side in the
same process; times are medians of repeats (the machines are shared and noisy).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

SUITES = ("decode", "dsp", "db", "plot", "latency", "verdict", "report", "startup", "bundle")


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` over ``repeats`` runs (after one warm-up run)."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def median_cpu_time(fn: Callable[[], object], repeats: int) -> float:
    """Median process CPU time of ``fn`` over ``repeats`` runs (after one warm-up run): on a shared, loaded
    machine wall time also counts the waits for a core, CPU time only the work."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)
