"""`glutelab bench --json` measures the live view: the latency and verdict suites print their keys (one number
each), and a suite that fails reports `<suite>_error` while the others still print. Figures are not asserted
(the machine is shared); the targets are checked by hand and written in docs/live.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_live_bench_keys_and_a_failing_suite_reports_its_error() -> None:
    code = ("import sys, ui.bench.plot as p\n"
            "def broken(quick): raise RuntimeError('plot bug')\n"
            "p.run = broken\n"
            "from ui.cli import main\n"
            "sys.exit(main(['bench', '--json', '--quick', '--only', 'plot', 'latency', 'verdict']))\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["plot_error"] == "RuntimeError: plot bug"
    for key in ("latency_p99_ms", "verdict_latency_ms"):
        assert isinstance(result[key], float) and result[key] > 0, result


def test_plot_bench_prints_its_keys() -> None:
    """The plot suite runs ours and pyqtgraph's own peak downsampling on the same widgets (figures by hand)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "ui.cli", "bench", "--json", "--quick", "--only", "plot"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "plot_error" not in result, result
    for key in ("plot_ms_per_frame", "plot_fps", "plot_cpu_pct_60fps", "plot_vs_pyqtgraph_peak"):
        assert isinstance(result[key], float) and result[key] > 0, result
