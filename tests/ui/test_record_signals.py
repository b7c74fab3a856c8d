"""A stop signal during `glutelab record` flushes, closes and marks the recording, prints one line, and exits
130 (SIGINT) or 143 (SIGTERM): real process, real signal, real pty, real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from clinic.records import db
from clinic.records.models import Recording
from ui.cli import main


@pytest.mark.realtime
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stop_signal_keeps_the_recording_and_marks_it(tmp_path, monkeypatch, sig: int, code: int) -> None:  # noqa: ANN001
    from devices.simulator.rig import SimulatedRig

    monkeypatch.setenv("GLUTELAB_PASSWORD", "admin-password-1")
    assert main(["db", "init-admin", "--data-dir", str(tmp_path)]) == 0
    assert main(["patient", "add", "--mrn", "SIG-1", "--family", "Sig", "--given", "S", "--birth-date",
                 "1970-01-01", "--user", "admin", "--data-dir", str(tmp_path)]) == 0
    env = dict(os.environ, GLUTELAB_PASSWORD="admin-password-1")
    with SimulatedRig(speed=1.0, reps=3, seed=2) as rig:
        proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "record", "--patient", "SIG-1", "--emg",
                                 rig.emg_path, "--seconds", "60", "--user", "admin", "--data-dir", str(tmp_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                stdin=subprocess.DEVNULL)
        engine = db.make_engine(f"sqlite:///{tmp_path / 'glutelab.sqlite3'}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the recording has stored its first chunks
            with db.session_factory(engine)() as s:  # short: every transaction here takes the write lock
                rec = s.scalar(select(Recording))
                if rec is not None and rec.n_samples > 0:
                    break
            time.sleep(0.2)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert err.strip().count("\n") == 0 and signal.Signals(sig).name in err and "Traceback" not in err
    line = json.loads(out.strip().splitlines()[-1])
    with db.session_factory(engine)() as s:
        rec = s.get(Recording, line["recordings"][0]["id"])
        assert rec.status == "interrupted" and rec.n_samples > 0
    engine.dispose()


@pytest.mark.realtime
@pytest.mark.parametrize(("replug_after_s", "seconds", "words"), [(1.5, 4.0, "re-plugged after"),
                                                                   (None, 3.0, "not plugged back in")])
def test_a_pulled_cable_ends_record_with_one_line_and_an_interrupted_recording(
        tmp_path, monkeypatch, capsys, replug_after_s: float | None, seconds: float, words: str) -> None:  # noqa: ANN001
    """Pulled 1.5 s in: record never waits past its planned length plus 10 s, exits 1 with one line that says
    what happened, and keeps what it received, marked interrupted (the gap is an event, not samples)."""
    from devices.simulator.faults import FaultPlan
    from devices.simulator.rig import SimulatedRig

    monkeypatch.setenv("GLUTELAB_PASSWORD", "admin-password-1")
    common = ["--user", "admin", "--data-dir", str(tmp_path)]
    assert main(["db", "init-admin", "--data-dir", str(tmp_path)]) == 0
    assert main(["patient", "add", "--mrn", "PULL-1", "--family", "Pull", "--given", "P", "--birth-date",
                 "1970-01-01", *common]) == 0
    capsys.readouterr()
    plan = FaultPlan(unplug_after_s=1.5, replug_after_s=replug_after_s, seed=3)
    with SimulatedRig(speed=1.0, reps=3, seed=2, faults=plan) as rig:
        t0 = time.monotonic()
        code = main(["record", "--patient", "PULL-1", "--emg", rig.emg_path, "--seconds", str(seconds), *common])
        waited = time.monotonic() - t0
    out, err = capsys.readouterr()
    assert code == 1 and waited < seconds + 10.0 + 5.0, (code, waited)
    assert err.count("the emg cable was pulled at") == 1 and words in err and "Traceback" not in err, err
    line = json.loads(out.strip().splitlines()[-1])
    assert any(words in e for e in line["errors"])
    engine = db.make_engine(f"sqlite:///{tmp_path / 'glutelab.sqlite3'}")
    with db.session_factory(engine)() as s:
        rec = s.get(Recording, line["recordings"][0]["id"])
        assert rec.status == "interrupted" and rec.n_samples > 0
        assert any("cable_pulled" in (e.get("kind"), e.get("cause")) for e in rec.events)
    engine.dispose()
