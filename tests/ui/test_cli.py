"""The command line end to end: every subcommand has --help, selftest runs the whole chain, bad input
gives one clear line and no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ui.cli import COMMANDS, main


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(command: str, capsys) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: glutelab" in out and "not implemented" not in out.lower()


def test_selftest_runs_the_whole_chain(tmp_path) -> None:  # noqa: ANN001
    env = dict(os.environ, GLUTELAB_DATA_DIR=str(tmp_path / "unused"))
    proc = subprocess.run([sys.executable, "-m", "ui.cli", "selftest", "--keep", str(tmp_path / "st"),
                           "--speed", "8"], capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ok"] is True
    assert (tmp_path / "st" / "reports" / "selftest-report.pdf").read_bytes().startswith(b"%PDF")
    assert len(result["recording_ids"]) == 2


def test_patient_commands_require_sign_in(tmp_path, capsys) -> None:  # noqa: ANN001
    code = main(["report", "--session", "1", "--data-dir", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "--user" in err and "Traceback" not in err


def test_wrong_password_is_refused_and_audited(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("GLUTELAB_PASSWORD", "admin-password-1")
    assert main(["db", "init-admin", "--data-dir", str(tmp_path)]) == 0
    monkeypatch.setenv("GLUTELAB_PASSWORD", "wrong-password")
    assert main(["report", "--session", "1", "--user", "admin", "--data-dir", str(tmp_path)]) == 2
    assert "wrong password" in capsys.readouterr().err
    from sqlalchemy import select

    from clinic.records import db
    from clinic.records.models import AuditEvent

    engine = db.make_engine(f"sqlite:///{tmp_path / 'glutelab.sqlite3'}")
    with db.session_factory(engine)() as s:
        assert "sign_in_failed" in s.scalars(select(AuditEvent.action)).all()
    engine.dispose()


def test_data_dir_moves_database_and_logs(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("GLUTELAB_DATA_DIR", str(tmp_path / "via-env"))
    monkeypatch.setenv("GLUTELAB_PASSWORD", "admin-password-1")
    assert main(["db", "init-admin"]) == 0
    assert (tmp_path / "via-env" / "glutelab.sqlite3").exists()
    assert (tmp_path / "via-env" / "logs").is_dir()


def test_administrator_adds_a_physiotherapist_who_can_sign_in(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.setenv("GLUTELAB_PASSWORD", "admin-password-1")
    assert main(["db", "init-admin", "--data-dir", str(tmp_path)]) == 0
    monkeypatch.setenv("GLUTELAB_NEW_PASSWORD", "physio-password-1")
    assert main(["db", "add-user", "--username", "kim", "--role", "physiotherapist", "--user", "admin",
                 "--data-dir", str(tmp_path)]) == 0
    # a physiotherapist may not add users
    monkeypatch.setenv("GLUTELAB_PASSWORD", "physio-password-1")
    assert main(["db", "add-user", "--username", "eve", "--user", "kim", "--data-dir", str(tmp_path)]) == 2
    assert "may not admin" in capsys.readouterr().err


def test_record_stores_both_streams_and_their_analysis(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """`glutelab record` from the simulator's ptys into the database, signed in, then analysed and kept."""
    import datetime as dt

    from sqlalchemy import select

    from clinic.records import db
    from clinic.records.models import Recording, Trial
    from clinic.records.patients import create_patient
    from clinic.records.security import SYSTEM
    from devices.simulator.rig import SimulatedRig

    monkeypatch.setenv("GLUTELAB_PASSWORD", "admin-password-1")
    assert main(["db", "init-admin", "--data-dir", str(tmp_path)]) == 0
    engine = db.make_engine(f"sqlite:///{tmp_path / 'glutelab.sqlite3'}")
    factory = db.session_factory(engine)
    with db.unit_of_work(factory) as s:
        create_patient(s, SYSTEM, "REC-1", "Record", "Robin", dt.date(1980, 2, 2))
    capsys.readouterr()
    with SimulatedRig(speed=4.0, profile="healthy", reps=2, rest_s=1.5, seed=5) as rig:
        code = main(["record", "--emg", rig.emg_path, "--plate", f"{rig.plate_path}:glutelab",
                     "--seconds", str(rig.scenario.duration_s), "--patient", "REC-1",
                     "--user", "admin", "--data-dir", str(tmp_path)])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, out
    assert len(out["recording_ids"]) == 2 and out["errors"] == []
    assert out["summary"]["reps"] >= 2
    with factory() as s:
        kinds = {r.kind: r.status for r in s.scalars(select(Recording))}
        assert kinds == {"emg": "complete", "plate": "complete"}
        trial = s.get(Trial, out["trial_id"])
        assert len(trial.rep_results) == out["summary"]["reps"]
    engine.dispose()


@pytest.mark.parametrize("args", [["--speed", "0"], ["--rate", "-5"], ["--reps", "-1"],
                                  ["--link-dir", "/nonexistent/glutelab"], ["--truth", "/nonexistent/t.jsonl"]])
def test_simulate_bad_input_is_one_clear_line(args: list[str], capsys) -> None:  # noqa: ANN001
    assert main(["simulate", "--seconds", "0.1", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glutelab: ") and "Traceback" not in err


def test_an_unexpected_error_without_a_log_file_prints_no_traceback() -> None:
    # a subprocess: under pytest the root logger always has a handler, which hides logging's stderr fallback
    code = ("import sys, ui.commands.bench as b\n"
            "def broken(args): raise RuntimeError('bench bug')\n"
            "b.run = broken\n"
            "from ui.cli import main\n"
            "sys.exit(main(['bench']))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "bench bug" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_record_for_an_unknown_patient_is_one_clear_line(tmp_path, capsys, monkeypatch, sim_rig) -> None:  # noqa: ANN001
    monkeypatch.setenv("GLUTELAB_PASSWORD", "admin-password-1")
    assert main(["db", "init-admin", "--data-dir", str(tmp_path)]) == 0
    code = main(["record", "--patient", "NO-SUCH-MRN", "--emg", sim_rig.emg_path, "--seconds", "0.5",
                 "--user", "admin", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "NO-SUCH-MRN" in err and "unexpected" not in err


@pytest.mark.parametrize("url", ["bogus://x", "sqlite:////nonexistent-glutelab-dir/x.sqlite3"])
def test_db_with_an_unusable_database_url_is_one_clear_line(url: str, tmp_path, capsys) -> None:  # noqa: ANN001
    assert main(["db", "upgrade", "--data-dir", str(tmp_path), "--database-url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glutelab: Cannot use the database") and "unexpected" not in err


def test_stored_sessions_are_analysed_with_the_clinics_mains_frequency(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """A 60 Hz clinic (settings.json mains_hz) gets a 60 Hz notch on stored sessions, not the 50 Hz default."""
    import datetime as dt

    from clinic import settings
    from clinic.records import db
    from clinic.records.patients import create_patient, start_trial
    from clinic.records.security import SYSTEM
    from ui.demo import store_scenario

    monkeypatch.setenv("GLUTELAB_PASSWORD", "admin-password-1")
    assert main(["db", "init-admin", "--data-dir", str(tmp_path)]) == 0
    settings.update(tmp_path / "settings.json", mains_hz=60)
    engine = db.make_engine(f"sqlite:///{tmp_path / 'glutelab.sqlite3'}")
    factory = db.session_factory(engine)
    with db.unit_of_work(factory) as s:
        patient = create_patient(s, SYSTEM, "HZ-1", "Mains", "Max", dt.date(1980, 2, 2))
        trial = start_trial(s, SYSTEM, patient, "cook_hip_lift", "left")
        trial_id, session_id = trial.id, trial.session_id
    store_scenario(factory, trial_id, seed=1, profile="healthy", side="left")
    engine.dispose()
    capsys.readouterr()
    assert main(["analyze", "--session", str(session_id), "--json", "--user", "admin",
                 "--data-dir", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["trials"][0]["conditioning"]["mains_hz"] == 60
    assert main(["analyze", "--session", str(session_id), "--json", "--mains", "50", "--user", "admin",
                 "--data-dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["trials"][0]["conditioning"]["mains_hz"] == 50
