"""The clinic's mains frequency (settings.json ``mains_hz``) reaches the notch at every entry point: the
window with its demo data, record, analyze FILE and --session, report and selftest. Each runs as a user runs
it, in a process whose notch design (scipy.signal.iirnotch) is watched; a 60 Hz clinic must never get 50."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from clinic import settings

SPY = """
import atexit, json, sys
import scipy.signal as ss
seen, original = set(), ss.iirnotch
def spy(w0, *args, **kwargs):
    seen.add(float(w0))
    return original(w0, *args, **kwargs)
ss.iirnotch = spy
atexit.register(lambda: print("NOTCHES " + json.dumps(sorted(seen)), flush=True))
from ui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def glutelab(*args: str, data_dir: Path, timeout: float = 180) -> tuple[int, list[float], str]:
    """Run a command with the notch watched; returns (exit code, mains frequencies notched, stdout)."""
    env = dict(os.environ, GLUTELAB_PASSWORD="admin-password-1", QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", SPY, *args, "--data-dir", str(data_dir)], capture_output=True,
                          text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    line = [x for x in proc.stdout.splitlines() if x.startswith("NOTCHES ")]
    assert line, proc.stdout + proc.stderr
    return proc.returncode, json.loads(line[-1][8:]), proc.stdout + proc.stderr


@pytest.fixture
def clinic60(tmp_path: Path) -> Path:
    d = tmp_path / "clinic60"
    d.mkdir()
    settings.update(d / "settings.json", mains_hz=60)
    code, _, out = glutelab("db", "init-admin", data_dir=d)
    assert code == 0, out
    code, _, out = glutelab("patient", "add", "--mrn", "HZ-60", "--family", "Mains", "--given", "Mo",
                            "--birth-date", "1980-01-01", "--user", "admin", data_dir=d)
    assert code == 0, out
    return d


def test_analyze_file_uses_the_clinics_mains(clinic60: Path, tmp_path: Path) -> None:
    from devices.simulator.physiology import build_scenario

    sc = build_scenario("healthy", reps=1, emg_rate_hz=1000.0, mains_hz=60.0, seed=3)
    path = tmp_path / "trial.csv"
    t = np.arange(sc.emg_uv.shape[0]) / sc.emg_rate_hz
    np.savetxt(path, np.column_stack([t, sc.emg_uv]), delimiter=",", header="time," + ",".join(sc.emg_channels),
               comments="", fmt="%.6f")
    code, notches, out = glutelab("analyze", str(path), "--json", data_dir=clinic60)
    assert code == 0, out
    assert notches == [60.0]


def test_record_analyze_session_and_report_use_the_clinics_mains(clinic60: Path) -> None:
    from devices.simulator.rig import SimulatedRig

    with SimulatedRig(speed=10.0, reps=1, rest_s=1.0, seed=4, mains_hz=60.0) as rig:
        code, notches, out = glutelab("record", "--patient", "HZ-60", "--emg", rig.emg_path, "--plate",
                                      rig.plate_path, "--seconds", str(rig.scenario.duration_s), "--user", "admin",
                                      data_dir=clinic60)
    assert code == 0, out
    assert notches == [60.0]  # the live envelopes and the stored analysis
    session = json.loads([x for x in out.splitlines() if x.startswith("{")][-1])["session_id"]
    code, notches, out = glutelab("analyze", "--session", str(session), "--json", "--user", "admin",
                                  data_dir=clinic60)
    assert code == 0, out
    assert notches == [60.0]
    code, notches, out = glutelab("report", "--session", str(session), "--user", "admin", data_dir=clinic60)
    assert code == 0, out
    assert notches in ([], [60.0])  # the report prints the stored (60 Hz) results; it never notches 50


def test_the_window_and_its_demo_data_use_the_clinics_mains(tmp_path: Path) -> None:
    d = tmp_path / "demo60"
    d.mkdir()
    settings.update(d / "settings.json", mains_hz=60)
    code, notches, out = glutelab("--demo", "--quit-after", "3", data_dir=d)
    assert code == 0, out
    assert notches == [60.0]


def test_selftest_reads_the_settings_or_takes_mains(tmp_path: Path) -> None:
    code, notches, out = glutelab("selftest", "--keep", str(tmp_path / "st"), "--mains", "60", "--speed", "8",
                                  data_dir=tmp_path / "unused")
    assert code == 0, out
    assert notches == [60.0]
