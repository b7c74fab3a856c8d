"""The real application, in a subprocess (one QApplication per process): `glutelab --demo` opens the window
with simulated devices and keeps a live plot moving for > 30 s. This is the soak test that catches an
interpreter abort such as the PySide6 6.12.0 / Python 3.11 none_dealloc crash."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest


@pytest.mark.soak
def test_demo_window_runs_live_plot_for_30_seconds(tmp_path):  # noqa: ANN001
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("GLUTELAB_DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-m", "ui.cli", "--demo", "--quit-after", "32"], env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    frames = int(re.search(r"frames drawn: (\d+)", proc.stdout).group(1))
    assert frames > 30 * 10, f"only {frames} frames drawn in 32 s"
    assert "demo user physio / demo-physio-1" in proc.stdout
