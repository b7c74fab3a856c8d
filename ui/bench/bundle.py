"""Start time of the installed bundle: from launch to the painted sign-in screen (offscreen, warm).

``bundle_start_s``: the median of 3 launches of ``<bundle> --quit-after 0`` on a data dir that already has a
user (so the sign-in screen is what gets painted), after one warm-up launch; each measured from this process's
clock just before the launch to the paint time the bundle prints.

Which bundle: the running one when this is the bundle itself; else ``GLUTELAB_BUNDLE``; else
``dist/glutelab/glutelab`` of this checkout. Without one the suite reports ``bundle_error`` and the others go on.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAUNCHES = 3
TIMEOUT_S = 120
_PAINTED = re.compile(r"first screen painted at ([0-9.]+)")


def find_bundle() -> Path | None:
    if getattr(sys, "frozen", False):
        return Path(sys.executable)
    named = os.environ.get("GLUTELAB_BUNDLE")
    if named:
        return Path(named)
    exe = "glutelab.exe" if sys.platform == "win32" else "glutelab"
    built = Path(__file__).resolve().parents[2] / "dist" / "glutelab" / exe
    return built if built.exists() else None


def _launch(bundle: Path, data_dir: str, env: dict[str, str]) -> float:
    started = time.time()
    done = subprocess.run([str(bundle), "--data-dir", data_dir, "--quit-after", "0"], env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    found = _PAINTED.search(done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"the window did not report a painted screen (exit {done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()[-300:]}")
    return float(found.group(1)) - started


def start_times(bundle: Path, launches: int = LAUNCHES) -> list[float]:
    """Seconds from launch to the painted sign-in screen, for each of ``launches`` warm starts."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GLUTELAB_PASSWORD="Bench-start-Tangerine-42")
    env.pop("GLUTELAB_DATABASE_URL", None)
    with tempfile.TemporaryDirectory(prefix="glutelab-bench-start-") as data_dir:
        made = subprocess.run([str(bundle), "--data-dir", data_dir, "db", "init-admin", "--username", "bench"],
                              env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
        if made.returncode != 0:
            raise RuntimeError(f"could not prepare a signed-up data dir: {made.stderr.strip()[-300:]}")
        _launch(bundle, data_dir, env)  # warm-up: file cache, font cache
        return [_launch(bundle, data_dir, env) for _ in range(launches)]


def run(quick: bool) -> dict[str, object]:
    bundle = find_bundle()
    if bundle is None or not bundle.exists():
        return {"bundle_error": "no bundle: build one with installer/build.sh (or set GLUTELAB_BUNDLE)"}
    try:
        times = start_times(bundle, 1 if quick else LAUNCHES)
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        return {"bundle_error": f"{bundle}: {exc}"}
    return {"bundle_start_s": round(statistics.median(times), 2), "bundle_path": str(bundle)}
