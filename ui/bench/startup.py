"""Start-up speed: ``glutelab --help``, the window's first painted sign-in screen, and ``glutelab --demo``'s
first painted screen with nothing cached (the first demo ever) and with the demo cache filled; each a median
of fresh processes (what a clinician waits for; imports dominate all of them). Target for the demo: < 5 s."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def _painted_after(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from launching ``cmd`` (with ``--quit-after 0``) to its first painted screen."""
    t0 = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, timeout=180).stdout
    painted = [float(line.split()[-1]) for line in out.splitlines() if line.startswith("first screen painted at")]
    if not painted:
        raise RuntimeError(f"the window did not report its first paint: {out!r}")
    return painted[0] - t0


def demo_start_s(runs: int = RUNS) -> dict[str, float]:
    """``glutelab --demo`` to its first painted screen: cold (an empty demo cache every run: the users are
    created, the patients would be seeded in the background after the paint) and warm (the cached demo
    database and live-rig scenario, as every start after the first)."""
    from clinic.settings import Settings
    from ui.demo import demo_cache_path

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("GLUTELAB_DATABASE_URL", None)
    cmd = [*CLI, "--demo", "--quit-after", "0"]
    with tempfile.TemporaryDirectory(prefix="glutelab-bench-demo-") as tmp:
        cold = []
        for i in range(runs):
            cold.append(_painted_after(cmd, dict(env, GLUTELAB_DEMO_CACHE=str(Path(tmp) / f"empty-{i}"))))
        data = Path(tmp) / "data"  # the demo database, built once as the first --demo start keeps it
        subprocess.run([*CLI, "demo", "--data-dir", str(data)], check=True, capture_output=True, env=env,
                       timeout=600)
        cache = Path(tmp) / "cache" / "demo"
        cache.mkdir(parents=True)
        name = demo_cache_path(Settings().conditioning).name  # the name the window looks for (default settings)
        shutil.copyfile(data / "glutelab.sqlite3", cache / name)
        shutil.copyfile(data / "audit.key", (cache / name).with_suffix(".key"))
        warm_env = dict(env, GLUTELAB_DEMO_CACHE=str(cache.parent))
        subprocess.run([*CLI, "--demo", "--quit-after", "3"], check=True, capture_output=True, env=warm_env,
                       timeout=180)  # not counted: caches the live rig's scenario, as a first demo does
        warm = [_painted_after(cmd, warm_env) for _ in range(runs)]
    return {"demo_start_cold_s": statistics.median(cold), "demo_start_warm_s": statistics.median(warm)}


def run(quick: bool) -> dict[str, object]:
    try:
        figures: dict[str, object] = {"cli_help_s": round(cli_help_s(), 3),
                                      "window_start_s": round(window_start_s(), 3)}
        figures.update({k: round(v, 3) for k, v in demo_start_s(2 if quick else RUNS).items()})
        return figures
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        return {"startup_error": str(exc)}
