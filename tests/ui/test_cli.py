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
