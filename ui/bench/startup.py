"""Start-up speed: ``glutelab --help`` and the window's first painted sign-in screen, each a median of five
fresh processes (what a clinician waits for; imports dominate both)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 5
CLI = [sys.executable, "-m", "ui.cli"]


def cli_help_s(runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([*CLI, "--help"], check=True, capture_output=True, timeout=60)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def window_start_s(runs: int = RUNS) -> float:
    """Process start to the first paint of the sign-in screen (offscreen), on a data dir with one user."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GLUTELAB_PASSWORD="bench-admin-password")
    with tempfile.TemporaryDirectory(prefix="glutelab-bench-start-") as data_dir:
        subprocess.run([*CLI, "db", "init-admin", "--data-dir", data_dir], check=True, capture_output=True,
                       env=env, timeout=120)
        times = []
        for i in range(runs + 1):  # the first run warms the disk cache and is not counted
            t0 = time.time()
            out = subprocess.run([*CLI, "--data-dir", data_dir, "--quit-after", "0"], check=True,
                                 capture_output=True, text=True, env=env, timeout=120).stdout
            painted = [float(line.split()[-1]) for line in out.splitlines()
                       if line.startswith("first screen painted at")]
            if not painted:
                raise RuntimeError(f"the window did not report its first paint: {out!r}")
            if i:
                times.append(painted[0] - t0)
    return statistics.median(times)


def run(quick: bool) -> dict[str, object]:
    try:
        return {"cli_help_s": round(cli_help_s(), 3), "window_start_s": round(window_start_s(), 3)}
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        return {"startup_error": str(exc)}
