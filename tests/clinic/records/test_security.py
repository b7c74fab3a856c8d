"""Security on both backends: Argon2 hashes, roles enforced in clinic/ (not only the UI), the audit trail of
read/create/change/export/erase, right to erasure without personal data left in the audit; idle-lock setting."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from sqlalchemy import func, select

from clinic import settings
from clinic.records.audit import record_event
from clinic.records.calibration import add_calibration
from clinic.records.db import unit_of_work
from clinic.records.editing import update_patient
from clinic.records.erasure import erase_patient
from clinic.records.models import (
    AuditEvent,
    Calibration,
    Episode,
    Patient,
    Recording,
    RecordingChunk,
    Trial,
    User,
)
from clinic.records.models import Session as VisitSession
from clinic.records.patients import (
    create_episode,
    create_patient,
    create_session,
    create_trial,
    find_patient_by_mrn,
    get_patient,
    start_trial,
)
from clinic.records.security import PERMISSIONS, Actor, AuthError, authenticate, create_first_admin, create_user
from clinic.records.store import RecordingWriter
from devices.types import SampleBlock

from .conftest import EMG_INFO, PRODUCTION_HASHER

PW = "correct horse battery"


@pytest.fixture
def users(db):  # noqa: ANN001, ANN201
    _, factory = db
    with unit_of_work(factory) as s:
        admin = Actor.of(create_first_admin(s, "admin", PW))
        for name, role in (("physio", "physiotherapist"), ("desk", "viewer")):
            create_user(s, name, PW, role, by=admin)
    with unit_of_work(factory) as s:
        return {name: authenticate(s, name, PW) for name in ("admin", "physio", "desk")}


def test_passwords_are_argon2id_hashes_and_sign_in_is_audited(db, users):
    _, factory = db
    with unit_of_work(factory) as s:
        hashes = s.scalars(select(User.password_hash)).all()
        assert all(h.startswith("$argon2id$") and PW not in h for h in hashes)
        with pytest.raises(AuthError, match="unknown user name or wrong password"):
            authenticate(s, "physio", "wrong password")
        with pytest.raises(ValueError, match="at least 10"):
            create_user(s, "short", "1234", "viewer", by=users["admin"])
        with pytest.raises(AuthError, match="physio \\(physiotherapist\\) may not admin"):
            create_user(s, "x", PW, "viewer", by=users["physio"])
    with unit_of_work(factory) as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.entity == "user")).all()
    assert actions.count("sign_in") == 3 and actions.count("sign_in_failed") == 1


def test_production_password_hashing_costs_are_modern():
    """OWASP's Argon2id floor is 19 MiB memory with 2 passes; argon2-cffi's defaults are above it."""
    assert PRODUCTION_HASHER.type.name == "ID"
    assert PRODUCTION_HASHER.memory_cost >= 19 * 1024 and PRODUCTION_HASHER.time_cost >= 2
    assert PRODUCTION_HASHER.hash("x" * 10).startswith("$argon2id$")


def test_role_checks_live_in_clinic(db, users):
    _, factory = db
    desk, physio = users["desk"], users["physio"]
    assert PERMISSIONS["viewer"] == frozenset({"read"})
    with unit_of_work(factory) as s:
        p = create_patient(s, physio, "S1", "Secure", "Sam", dt.date(1990, 2, 2))
        visit = create_session(s, physio, create_episode(s, physio, p, "LBP", dt.date(2026, 1, 5)),
                               dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC))
        assert get_patient(s, desk, p.id).mrn == "S1"  # a viewer may read
        for call in (lambda: create_patient(s, desk, "S2", "No", "Way", dt.date(1990, 1, 1)),
                     lambda: create_trial(s, desk, visit, "glute_bridge", "left"),
                     lambda: start_trial(s, desk, p, "glute_bridge", "left"),
                     lambda: update_patient(s, desk, p, contact="x"),
                     lambda: add_calibration(s, desk, visit, "glute_max_left", 2.0),
                     lambda: erase_patient(s, desk, p.id)):
            with pytest.raises(AuthError, match="desk \\(viewer\\) may not"):
                call()
        with pytest.raises(AuthError, match="physio \\(physiotherapist\\) may not erase"):
            erase_patient(s, physio, p.id)
        users["physio"].require("export")
        with pytest.raises(AuthError, match="may not backup"):
            physio.require("backup")
        users["admin"].require("backup")


def test_audit_trail_records_who_did_what(db, users):
    _, factory = db
    physio = users["physio"]
    with unit_of_work(factory) as s:
        p = create_patient(s, physio, "A1", "Audit", "Ada", dt.date(1990, 2, 2))
    with unit_of_work(factory) as s:
        p = find_patient_by_mrn(s, users["desk"], "A1")
        update_patient(s, physio, p, contact="new phone")
        record_event(s, physio.username, "print", "session_report", 1)
    with unit_of_work(factory) as s:
        rows = s.execute(select(AuditEvent.username, AuditEvent.action, AuditEvent.entity)
                         .where(AuditEvent.entity != "user").order_by(AuditEvent.id)).all()
    assert rows == [("physio", "create", "patient"), ("desk", "read", "patient"),
                    ("physio", "change", "patient"), ("physio", "print", "session_report")]


def test_administrator_erases_a_patient_and_all_their_data(db, users):
    _, factory = db
    admin, physio = users["admin"], users["physio"]
    with unit_of_work(factory) as s:
        keep = create_patient(s, physio, "K1", "Keep", "Kim", dt.date(1980, 1, 1))
        start_trial(s, physio, keep, "glute_bridge", "left")
        gone = create_patient(s, physio, "E1", "Erasable", "Eve", dt.date(1980, 1, 1), contact="eve@example.org")
        trial = start_trial(s, physio, gone, "glute_bridge", "left")
        add_calibration(s, physio, trial.session, "glute_max_left", 2.0, 300.0)
        gone_id, trial_id = gone.id, trial.id
    writer = RecordingWriter(factory, trial_id, EMG_INFO)
    writer.add(SampleBlock(np.zeros((1000, 2), np.int32), 0, 0.0))
    writer.close()
    with unit_of_work(factory) as s:
        assert erase_patient(s, admin, gone_id) == 1
    with unit_of_work(factory) as s:
        assert s.get(Patient, gone_id) is None
        assert s.scalar(select(func.count(Patient.id))) == 1
        for model in (Episode, VisitSession, Trial):
            assert s.scalar(select(func.count(model.id))) == 1  # only the kept patient's
        for model in (Recording, RecordingChunk, Calibration):
            assert s.scalar(select(func.count(model.id))) == 0
        erase = s.execute(select(AuditEvent).where(AuditEvent.action == "erase")).scalar_one()
        assert (erase.username, erase.entity, erase.entity_id) == ("admin", "patient", str(gone_id))
        trail = json.dumps([[e.username, e.action, e.entity, e.entity_id, e.detail]
                            for e in s.scalars(select(AuditEvent))])
    for personal in ("Erasable", "Eve", "E1", "eve@example.org", "1980"):
        assert personal not in trail


def test_idle_lock_and_other_settings_live_in_the_data_dir(tmp_path):
    path = tmp_path / "settings.json"
    assert settings.load(path).idle_lock_minutes == 5.0  # default without a file
    settings.update(path, idle_lock_minutes=2, mains_hz=60)
    loaded = settings.load(path)
    assert (loaded.idle_lock_minutes, loaded.mains_hz, loaded.idle_lock_seconds) == (2, 60, 120.0)
    with pytest.raises(settings.SettingsError, match="idle_lock_minutes must be 0 \\(never\\) to 240"):
        settings.update(path, idle_lock_minutes=-1)
    with pytest.raises(settings.SettingsError, match="mains_hz must be 50 or 60"):
        settings.update(path, mains_hz=55)
    for bad in (None, "soon", float("nan"), True):  # a clear message, never a TypeError from deep inside
        with pytest.raises(settings.SettingsError, match="idle_lock_minutes must be 0"):
            settings.update(path, idle_lock_minutes=bad)
    assert settings.load(path).idle_lock_minutes == 2
    path.write_text(json.dumps({"idle_lock_minutes": 10, "mains_hz": 42, "future_key": [1]}))
    loaded = settings.load(path)  # a bad value falls back alone; unknown keys survive a save
    assert (loaded.idle_lock_minutes, loaded.mains_hz) == (10, 50)
    settings.save(path, loaded)
    assert json.loads(path.read_text())["future_key"] == [1]
    path.write_text("{not json")
    assert settings.load(path).idle_lock_minutes == 5.0
    assert settings.load(path).idle_lock_seconds == 300.0
    assert settings.Settings(idle_lock_minutes=0).idle_lock_seconds is None


def test_audit_names_the_same_workstation_that_owns_its_recordings(db, users, monkeypatch):
    from clinic.records.store import RecordingWriter

    from .conftest import EMG_INFO, make_trial

    _, factory = db
    monkeypatch.setenv("GLUTELAB_WORKSTATION", "ws-audit-7")
    writer = RecordingWriter(factory, make_trial(factory, "WS1"), EMG_INFO)
    writer.close()
    with unit_of_work(factory) as s:
        record_event(s, users["physio"].username, "print", "session_report", 1)
    with unit_of_work(factory) as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last.workstation == "ws-audit-7" == writer.workstation


def test_backup_and_restore_refuse_non_administrators_in_clinic(tmp_path) -> None:  # noqa: ANN001
    """The role check lives in clinic/, not only in the command line."""
    import pytest

    from clinic.records import db as records_db
    from clinic.records.backup import backup, restore
    from clinic.records.security import Actor

    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    records_db.upgrade(engine)
    physio = Actor(5, "kim", "physiotherapist")
    with pytest.raises(PermissionError, match="may not backup"):
        backup(engine, tmp_path / "b.sqlite3", physio)
    with pytest.raises(PermissionError, match="may not backup"):
        restore(engine, tmp_path / "b.sqlite3", physio)
    assert not (tmp_path / "b.sqlite3").exists()
    engine.dispose()
