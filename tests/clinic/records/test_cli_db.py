"""The command line (`ui.cli.main`): db init-admin/upgrade/backup/restore/recover and export, signed in
through GLUTELAB_PASSWORD; refusals print one clear line and exit 2."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic.records import db as records_db
from clinic.records.db import unit_of_work
from clinic.records.models import AuditEvent, Patient, User
from clinic.records.patients import create_patient, start_trial
from clinic.records.security import SYSTEM, Actor, create_user
from clinic.records.store import RecordingWriter
from devices.types import SampleBlock
from ui.cli import main

from .conftest import EMG_INFO, noise_counts

PW = "admin password 1"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("GLUTELAB_PASSWORD", PW)
    monkeypatch.delenv("GLUTELAB_DATABASE_URL", raising=False)
    d = tmp_path / "data"
    assert main(["db", "init-admin", "--data-dir", str(d)]) == 0
    return d


def _factory(d):  # noqa: ANN001, ANN202
    engine = records_db.make_engine(f"sqlite:///{d / 'glutelab.sqlite3'}")
    return engine, records_db.session_factory(engine)


def _add_patient(d, mrn: str) -> int:  # noqa: ANN001
    engine, factory = _factory(d)
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, mrn, "Cli", "Carl", dt.date(1970, 1, 1))
        trial = start_trial(s, SYSTEM, p, "glute_bridge", "left")
        ids = trial.session_id, trial.id
    w = RecordingWriter(factory, ids[1], EMG_INFO)
    w.add(SampleBlock(noise_counts(1500), 0, 0.0))
    w.close()
    engine.dispose()
    return ids[0]


def _count_patients(d) -> int:  # noqa: ANN001
    engine, factory = _factory(d)
    with unit_of_work(factory) as s:
        n = s.scalar(select(func.count(Patient.id)))
    engine.dispose()
    return n


def test_backup_and_restore_round_trip(data_dir, tmp_path, capsys):
    _add_patient(data_dir, "B1")
    backup = tmp_path / "backups" / "clinic.sqlite3"
    backup.parent.mkdir()
    assert main(["db", "backup", str(backup), "--user", "admin", "--data-dir", str(data_dir)]) == 0
    _add_patient(data_dir, "B2")
    assert _count_patients(data_dir) == 2
    assert main(["db", "restore", str(backup), "--user", "admin", "--data-dir", str(data_dir)]) == 0
    assert "previous database kept" in capsys.readouterr().out
    assert _count_patients(data_dir) == 1
    assert len(list(data_dir.glob("glutelab.before-restore-*.sqlite3"))) == 1
    engine, factory = _factory(data_dir)
    with unit_of_work(factory) as s:
        assert "restore" in s.scalars(select(AuditEvent.action)).all()
    engine.dispose()


def test_restore_refuses_foreign_or_damaged_files(data_dir, tmp_path, capsys):
    _add_patient(data_dir, "R1")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"definitely not a database" * 100)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    good = tmp_path / "good.sqlite3"
    assert main(["db", "backup", str(good), "--user", "admin", "--data-dir", str(data_dir)]) == 0
    damaged = tmp_path / "damaged.sqlite3"
    raw = bytearray(good.read_bytes())
    page = 4096
    raw[page * 3: page * 3 + 200] = b"\xde\xad" * 100  # overwrite part of a b-tree page
    damaged.write_bytes(bytes(raw))
    capsys.readouterr()
    for path, words in ((junk, "not an SQLite database"), (other, "no GluteLab tables"),
                        (damaged, "damaged"), (tmp_path / "missing.sqlite3", "no backup file")):
        assert main(["db", "restore", str(path), "--user", "admin", "--data-dir", str(data_dir)]) == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err, err
    assert _count_patients(data_dir) == 1  # the live database is untouched


def test_backup_needs_an_administrator(data_dir, capsys, tmp_path):
    engine, factory = _factory(data_dir)
    with unit_of_work(factory) as s:
        admin = Actor.of(s.scalars(select(User).where(User.username == "admin")).one())
        create_user(s, "physio", PW, "physiotherapist", by=admin)
    engine.dispose()
    assert main(["db", "backup", str(tmp_path / "b.sqlite3"), "--user", "physio", "--data-dir", str(data_dir)]) == 2
    assert "may not backup" in capsys.readouterr().err


def test_export_command_writes_files_and_fhir(data_dir, tmp_path, capsys):
    sid = _add_patient(data_dir, "X1")
    out = tmp_path / "out"
    capsys.readouterr()
    for fmt, suffix in (("csv", ".csv"), ("edf", ".edf"), ("c3d", ".c3d")):
        assert main(["export", "--session", str(sid), "--format", fmt, "--user", "admin", "--out-dir", str(out),
                     "--reason", "audit sample",
                     "--data-dir", str(data_dir)]) == 0
        files = json.loads(capsys.readouterr().out)["files"]
        assert len(files) == 1 and files[0].endswith(suffix)
    assert main(["export", "--patient", "X1", "--format", "fhir", "--user", "admin", "--out-dir", str(out),
                     "--reason", "audit sample",
                 "--data-dir", str(data_dir)]) == 0
    (fhir,) = json.loads(capsys.readouterr().out)["files"]
    assert json.loads(Path(fhir).read_text())["resourceType"] == "Bundle"
    assert main(["export", "--session", "999", "--user", "admin", "--data-dir", str(data_dir)]) == 2
    assert "no session 999" in capsys.readouterr().err


def test_db_upgrade_and_recover_commands(data_dir, capsys):
    assert main(["db", "upgrade", "--data-dir", str(data_dir)]) == 0
    assert f"schema revision {records_db.head_revision()}" in capsys.readouterr().out
    assert main(["db", "recover", "--user", "admin", "--data-dir", str(data_dir)]) == 0
    assert "recovered recordings: none" in capsys.readouterr().out


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgres_backup_restore_and_refusal_at_another_revision(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GLUTELAB_PASSWORD", PW)
    base = ["--data-dir", str(tmp_path / "d"), "--database-url", db_url]
    engine = records_db.make_engine(db_url)
    records_db.upgrade(engine, "0001")
    assert main(["export", "--session", "1", "--user", "admin", *base]) == 2
    assert "glutelab db upgrade" in capsys.readouterr().err  # refuses to start at another revision
    assert main(["db", "upgrade", *base]) == 0
    assert main(["db", "init-admin", *base]) == 0
    factory = records_db.session_factory(engine)
    with unit_of_work(factory) as s:
        create_patient(s, SYSTEM, "PG1", "Dump", "Dora", dt.date(1970, 1, 1))
    dump = tmp_path / "clinic.pgdump"
    assert main(["db", "backup", str(dump), "--user", "admin", *base]) == 0
    with unit_of_work(factory) as s:
        create_patient(s, SYSTEM, "PG2", "Later", "Lou", dt.date(1970, 1, 1))
    engine.dispose()
    bogus = tmp_path / "bogus.pgdump"
    bogus.write_bytes(b"nope")
    assert main(["db", "restore", str(bogus), "--user", "admin", *base]) == 2
    assert "not a GluteLab pg_dump backup" in capsys.readouterr().err
    assert main(["db", "restore", str(dump), "--user", "admin", *base]) == 0
    with unit_of_work(factory) as s:
        assert s.scalars(select(Patient.mrn)).all() == ["PG1"]
    engine.dispose()
