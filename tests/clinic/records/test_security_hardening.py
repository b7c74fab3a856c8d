"""Issue 20, as an outsider with a shell on the workstation would try it, on SQLite and the real PostgreSQL:
init-admin for anyone, guessable sign-in, a rewritable audit trail, reused ids, leaky backups and exports,
anyone exporting anyone. Each test here failed on the code before the fix."""

from __future__ import annotations

import csv
import datetime as dt
import os
import stat
import threading
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select, text

from clinic.records import audit, security
from clinic.records import db as records_db
from clinic.records.access import require_release
from clinic.records.audit import audit_key, record_event, verify_chain
from clinic.records.db import unit_of_work
from clinic.records.erasure import erase_patient
from clinic.records.export_csv import export_recording_csv
from clinic.records.exports import export_patient, export_session
from clinic.records.models import AuditEvent, Patient, User
from clinic.records.patients import create_patient, start_trial
from clinic.records.security import (
    Actor,
    AuthError,
    WeakPassword,
    authenticate,
    create_first_admin,
    create_user,
    unlock_user,
)
from clinic.records.store import RecordingWriter
from clinic.settings import Settings
from clinic.signals.conditioning import ConditioningSettings
from devices.types import DeviceInfo, SampleBlock
from ui.cli import main

MAINS_50 = ConditioningSettings(mains_hz=50.0)

PW = "otter cobalt meadow 41"
NEW_PW = "violet kayak drum 27"


@pytest.fixture
def staff(db):  # noqa: ANN001, ANN201
    """An administrator (the first user), two physiotherapists and a viewer."""
    _, factory = db
    with unit_of_work(factory) as s:
        admin = Actor.of(create_first_admin(s, "admin", PW))
        made = {name: Actor.of(create_user(s, name, PW, role, by=admin))
                for name, role in (("kim", "physiotherapist"), ("lou", "physiotherapist"), ("desk", "viewer"))}
    return {"admin": admin, **made}


def _cli(db_url: str, tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data"), "--database-url", db_url]


def _actions(factory, **where) -> list[str]:  # noqa: ANN001
    with factory() as s:
        q = select(AuditEvent.action).order_by(AuditEvent.id)
        for column, value in where.items():
            q = q.where(getattr(AuditEvent, column) == value)
        return list(s.scalars(q))


# -- 1. init-admin and who creates users -----------------------------------------------------------------
def test_init_admin_refuses_once_any_user_exists(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GLUTELAB_PASSWORD", PW)
    base = _cli(db_url, tmp_path)
    assert main(["db", "init-admin", *base]) == 0
    assert main(["db", "init-admin", "--username", "evil", *base]) == 2
    assert "already has users" in capsys.readouterr().err
    engine = records_db.make_engine(db_url)
    with records_db.session_factory(engine)() as s:
        assert s.scalars(select(User.username)).all() == ["admin"]
        creator = s.execute(select(AuditEvent.username, AuditEvent.detail).where(AuditEvent.action == "create")).one()
    assert creator == ("admin", "role=administrator; first administrator")  # not "system"
    engine.dispose()


def test_create_user_needs_a_signed_in_administrator_who_keeps_clinical_permissions(db, staff, tmp_path):
    _, factory = db
    with unit_of_work(factory) as s:
        with pytest.raises(TypeError):
            create_user(s, "x", NEW_PW, "viewer")  # type: ignore[call-arg]  # no silent "system" actor
        with pytest.raises(AuthError, match="signed-in administrator"):
            create_user(s, "x", NEW_PW, "viewer", by=security.SYSTEM)
        with pytest.raises(AuthError, match="kim \\(physiotherapist\\) may not admin"):
            create_user(s, "x", NEW_PW, "viewer", by=staff["kim"])
    admin = staff["admin"]
    with unit_of_work(factory) as s:  # an administrator still treats patients, records and prints
        trial = start_trial(s, admin, create_patient(s, admin, "AD1", "Admin", "Treats", dt.date(1970, 1, 1)),
                            "glute_bridge", "left")
        session_id = trial.session_id
    with unit_of_work(factory) as s:
        assert export_session(s, admin, session_id, "csv", tmp_path) == []  # treats: no reason needed


# -- 2. sign-in: dummy hash, back-off, password policy, length limits ------------------------------------
def test_unknown_user_names_cost_an_argon2_verification_too(db, staff, monkeypatch):
    _, factory = db
    calls: list[str] = []
    real = security._hasher

    class Counting:
        time_cost, memory_cost, parallelism = real.time_cost, real.memory_cost, real.parallelism

        def hash(self, password: str) -> str:
            return real.hash(password)

        def verify(self, hashed: str, password: str) -> bool:
            calls.append(password)
            return real.verify(hashed, password)

    monkeypatch.setattr(security, "_hasher", Counting())
    with unit_of_work(factory) as s:
        for name in ("kim", "nobody-here"):
            with pytest.raises(AuthError, match="unknown user name or wrong password"):
                authenticate(s, name, "a wrong guess")
    assert calls == ["a wrong guess", "a wrong guess"]  # one Argon2 verify each: the same work


def test_five_failures_hold_a_name_back_until_time_passes_or_an_administrator_unlocks(db, staff):
    _, factory = db
    t0 = dt.datetime.now(dt.UTC)
    for _ in range(security.FREE_FAILURES):
        with unit_of_work(factory) as s, pytest.raises(AuthError, match="wrong password"):
            authenticate(s, "kim", "a wrong guess", now=t0)
    with unit_of_work(factory) as s, pytest.raises(AuthError, match="too many failed sign-ins"):
        authenticate(s, "kim", PW, now=t0)  # the right password is not even tried while held back
    with unit_of_work(factory) as s:
        assert authenticate(s, "kim", PW, now=t0 + dt.timedelta(seconds=31)).username == "kim"
    for _ in range(security.FREE_FAILURES + 2):  # 7 in a row: 30 s * 2**2 = 2 min
        with unit_of_work(factory) as s, pytest.raises(AuthError):
            authenticate(s, "kim", "a wrong guess", now=t0 + dt.timedelta(minutes=5))
    with unit_of_work(factory) as s, pytest.raises(AuthError, match="too many"):
        authenticate(s, "kim", PW, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=100))
    with unit_of_work(factory) as s:
        with pytest.raises(AuthError, match="may not admin"):
            unlock_user(s, staff["lou"], "kim")
        unlock_user(s, staff["admin"], "kim")
    with unit_of_work(factory) as s:
        assert authenticate(s, "kim", PW).username == "kim"
    actions = _actions(factory, username="kim")
    assert actions.count("sign_in_held_back") == 2 and actions.count("sign_in_failed") == 12
    assert _actions(factory, username="admin")[-1] == "unlock"
    with unit_of_work(factory) as s:  # unknown names are held back the same way (no enumeration by lockout)
        for _ in range(security.FREE_FAILURES):
            with pytest.raises(AuthError, match="wrong password"):
                authenticate(s, "ghost", "a wrong guess", now=t0)
        with pytest.raises(AuthError, match="too many"):
            authenticate(s, "ghost", "a wrong guess", now=t0)


def test_unlock_user_command(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GLUTELAB_PASSWORD", PW)
    base = _cli(db_url, tmp_path)
    assert main(["db", "init-admin", *base]) == 0
    monkeypatch.setenv("GLUTELAB_NEW_PASSWORD", NEW_PW)
    assert main(["db", "add-user", "--username", "kim", "--user", "admin", *base]) == 0
    monkeypatch.setenv("GLUTELAB_PASSWORD", "a wrong guess")
    for _ in range(security.FREE_FAILURES):
        assert main(["db", "verify-audit", "--user", "kim", *base]) == 2
    monkeypatch.setenv("GLUTELAB_PASSWORD", NEW_PW)
    assert main(["db", "verify-audit", "--user", "kim", *base]) == 2
    assert "too many failed sign-ins" in capsys.readouterr().err
    monkeypatch.setenv("GLUTELAB_PASSWORD", PW)
    assert main(["db", "unlock-user", "kim", "--user", "admin", *base]) == 0
    assert main(["db", "unlock-user", "nobody", "--user", "admin", *base]) == 2
    monkeypatch.setenv("GLUTELAB_PASSWORD", NEW_PW)
    assert main(["db", "verify-audit", "--user", "kim", *base]) == 2
    assert "kim (physiotherapist) may not admin" in capsys.readouterr().err  # signed in, then refused


WEAK = ("password", "password" + " " * 8, "        ", "Password123", "qwertyuiop1", "1234567890", "kim-kim-kim-1",
        "x" * (security.PASSWORD_MAX + 1))


def test_weak_passwords_are_refused(db, staff):
    _, factory = db
    for weak in WEAK:
        with unit_of_work(factory) as s, pytest.raises(WeakPassword):
            create_user(s, "newbie", weak, "viewer", by=staff["admin"])
    with unit_of_work(factory) as s:
        create_user(s, "newbie", NEW_PW, "viewer", by=staff["admin"])


def test_lengths_are_checked_before_the_database(db, staff):
    _, factory = db
    huge = "n" * 1_000_000
    for _ in range(3):
        with unit_of_work(factory) as s, pytest.raises(AuthError, match="unknown user name or wrong password"):
            authenticate(s, huge, PW)  # PostgreSQL never sees it: no StringDataRightTruncation
    with unit_of_work(factory) as s, pytest.raises(AuthError):
        authenticate(s, "kim", "p" * 1_000_000)
    with factory() as s:
        stored = s.scalar(select(func.max(func.length(AuditEvent.username))))
        detail = s.scalar(select(func.max(func.length(AuditEvent.detail))))
    assert stored <= security.USERNAME_MAX and detail <= audit.LIMITS["detail"]
    with unit_of_work(factory) as s, pytest.raises(ValueError, match="at most 64"):
        create_user(s, "u" * 65, NEW_PW, "viewer", by=staff["admin"])
    with unit_of_work(factory) as s:  # any audit field is clipped, never a database error
        record_event(s, "x" * 500, "a" * 100, "e" * 100, "i" * 500, "d" * 100_000)


# -- 3. an append-only, chained audit trail --------------------------------------------------------------
def _events(factory, n: int, who: str = "kim") -> None:  # noqa: ANN001
    with unit_of_work(factory) as s:
        for i in range(n):
            record_event(s, who, "read", "patient", i, "")


def test_audit_rows_cannot_be_replaced_truncated_or_added_unchained(db):
    engine, factory = db
    _events(factory, 3)
    with factory() as s:
        first = s.execute(select(AuditEvent.id, AuditEvent.username)).first()
    attacks = ["UPDATE audit_events SET username = 'mallory'", "DELETE FROM audit_events",
               "INSERT INTO audit_events (at, username, action, entity, entity_id, detail, workstation) "
               "VALUES ('2026-01-01 00:00:00', 'mallory', 'read', 'patient', '1', '', 'ws')",
               f"INSERT INTO audit_events (id, at, username, action, entity, entity_id, detail, workstation, "
               f"chain_mac) VALUES ({first.id}, '2026-01-01 00:00:00', 'mallory', 'read', 'x', '', '', '', 'ab')"]
    if engine.dialect.name == "sqlite":
        attacks += [f"REPLACE INTO audit_events (id, at, username, action, entity, entity_id, detail, workstation, "
                    f"chain_mac) VALUES ({first.id}, '2026-01-01 00:00:00', 'mallory', 'read', 'x', '', '', '', "
                    "'ab')",
                    f"INSERT OR REPLACE INTO audit_events SELECT {first.id}, at, 'mallory', action, entity, "
                    "entity_id, detail, workstation, chain_mac FROM audit_events WHERE id = 2"]
    else:
        attacks += ["TRUNCATE audit_events", "TRUNCATE audit_events CASCADE"]
    for sql in attacks:
        with engine.connect() as conn, pytest.raises(sa_exc.DatabaseError, match="append-only"):
            conn.execute(text(sql))
            conn.commit()
    with factory() as s:
        assert s.scalar(select(func.count(AuditEvent.id))) == 3
        assert "mallory" not in s.scalars(select(AuditEvent.username)).all()
        assert verify_chain(s, audit_key(engine)).first_bad_id is None


def _drop_triggers(engine) -> None:  # noqa: ANN001
    """What a database superuser (or anyone with the SQLite file) can still do: the chain must catch it."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for name in ("audit_events_no_update", "audit_events_no_delete", "audit_events_insert_only_new"):
                conn.execute(text(f"DROP TRIGGER {name}"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))


@pytest.mark.parametrize("tamper", ["change", "delete", "insert"])
def test_verify_audit_names_the_first_row_that_does_not_verify(db_url, tmp_path, monkeypatch, capsys, tamper):
    monkeypatch.setenv("GLUTELAB_PASSWORD", PW)
    base = _cli(db_url, tmp_path)
    assert main(["db", "init-admin", *base]) == 0
    engine = records_db.make_engine(db_url)
    factory = records_db.session_factory(engine)
    _events(factory, 5)
    assert main(["db", "verify-audit", "--user", "admin", *base]) == 0
    assert "audit trail verified" in capsys.readouterr().out
    with factory() as s:
        ids = s.scalars(select(AuditEvent.id).where(AuditEvent.username == "kim").order_by(AuditEvent.id)).all()
    _drop_triggers(engine)
    with engine.begin() as conn:
        if tamper == "change":
            conn.execute(text("UPDATE audit_events SET entity_id = '99' WHERE id = :i"), {"i": ids[2]})
            bad = ids[2]
        elif tamper == "delete":
            conn.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": ids[2]})
            bad = ids[3]
        else:  # a forged row with a made-up MAC after the last one
            conn.execute(text("INSERT INTO audit_events (at, username, action, entity, entity_id, detail, "
                              "workstation, chain_mac) SELECT at, 'mallory', action, entity, entity_id, detail, "
                              "workstation, chain_mac FROM audit_events WHERE id = :i"), {"i": ids[1]})
            bad = None
    with factory() as s:
        if bad is None:
            bad = s.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.username == "mallory"))
    engine.dispose()
    assert main(["db", "verify-audit", "--user", "admin", *base]) == 1
    assert f"audit trail BROKEN at row {bad}:" in capsys.readouterr().out


def test_concurrent_writers_keep_one_consistent_chain(db):
    engine, factory = db
    per_thread, threads = 15, 4
    errors: list[BaseException] = []

    def write(who: str) -> None:
        try:
            for i in range(per_thread):
                with unit_of_work(factory) as s:  # one transaction per event, two events in some
                    record_event(s, who, "read", "patient", i)
                    if i % 3 == 0:
                        record_event(s, who, "change", "patient", i)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(f"ws{n}",)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors
    with factory() as s:
        report = verify_chain(s, audit_key(engine))
    assert report.first_bad_id is None and report.checked == threads * (per_thread + 5)


def test_sqlite_audit_key_is_a_private_file_in_the_data_dir(db_url, tmp_path, monkeypatch):
    if not db_url.startswith("sqlite"):  # PostgreSQL: the clinic's secret, from the environment
        monkeypatch.delenv(audit.KEY_ENV)
        engine = records_db.make_engine(db_url)
        records_db.upgrade(engine)
        with pytest.raises(audit.AuditKeyError, match="GLUTELAB_AUDIT_KEY"), unit_of_work(
                records_db.session_factory(engine)) as s:
            record_event(s, "kim", "read", "patient", 1)
        engine.dispose()
        return
    engine = records_db.make_engine(db_url)
    records_db.upgrade(engine)
    _events(records_db.session_factory(engine), 1)
    key_file = tmp_path / "audit.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key_file.read_text())) == 32
    engine.dispose()


def test_upgrade_of_a_database_with_audit_rows_seals_them_into_the_chain(db_url):
    engine = records_db.make_engine(db_url)
    records_db.upgrade(engine, "0002")
    with engine.begin() as conn:
        for i in (1, 2):
            conn.execute(text("INSERT INTO audit_events (id, at, username, action, entity, entity_id, detail, "
                              f"workstation) VALUES ({i}, '2026-01-0{i} 09:00:00', 'old', 'read', 'patient', "
                              "'1', '', 'ws1')"))
        conn.execute(text("INSERT INTO patients (mrn, family_name, given_name, birth_date, sex, contact, "
                          "consent_given, created_at, family_name_fold, given_name_fold, version) VALUES ('P7', "
                          "'Old', 'Ann', '1950-01-01', 'female', '', false, '2026-01-01 08:00:00', 'old', 'ann', 1)"))
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    _events(factory, 2)
    with factory() as s:
        report = verify_chain(s, audit_key(engine))
    assert (report.unchained, report.checked, report.first_bad_id) == (2, 2, None)
    with unit_of_work(factory) as s:  # ids go on after the old ones
        old = s.scalar(select(Patient.id))
        assert create_patient(s, security.SYSTEM, "P8", "New", "Bo", dt.date(1960, 1, 1)).id > old
    _drop_triggers(engine)
    with engine.begin() as conn:  # an unchained row changed after the upgrade: the first chained row says so
        conn.execute(text("UPDATE audit_events SET username = 'mallory' WHERE id = 1"))
    with factory() as s:
        assert verify_chain(s, audit_key(engine)).first_bad_id == 3
    engine.dispose()


# -- 4. ids are never reused -----------------------------------------------------------------------------
def test_an_erased_patients_id_is_never_given_to_another(db, staff):
    _, factory = db
    with unit_of_work(factory) as s:
        create_patient(s, staff["kim"], "K1", "Keep", "Kai", dt.date(1980, 1, 1))
        gone = create_patient(s, staff["kim"], "G1", "Gone", "Gus", dt.date(1980, 1, 1)).id
    with unit_of_work(factory) as s:
        erase_patient(s, staff["admin"], gone)
    with unit_of_work(factory) as s:
        again = create_patient(s, staff["kim"], "N1", "New", "Nia", dt.date(1980, 1, 1)).id
    assert again > gone


# -- 5. backups, restores, file modes, CSV ---------------------------------------------------------------
def test_backup_refuses_anything_but_a_regular_file_path_and_leaves_nothing_behind(db_url, tmp_path, monkeypatch,
                                                                                   capsys):
    monkeypatch.setenv("GLUTELAB_PASSWORD", PW)
    base = _cli(db_url, tmp_path)
    assert main(["db", "init-admin", *base]) == 0
    target = tmp_path / "targets"
    target.mkdir()
    (target / "folder").mkdir()
    os.mkfifo(target / "pipe")
    (target / "link").symlink_to(target / "elsewhere.sqlite3")
    for dest, words in ((target / "folder", "it is a folder"), (target / "pipe", "not a regular file"),
                        (target / "link", "it is a link"), (target / "missing" / "b.db", "does not exist")):
        assert main(["db", "backup", str(dest), "--user", "admin", *base]) == 2
        assert words in capsys.readouterr().err
    assert sorted(p.name for p in target.iterdir()) == ["folder", "link", "pipe"]
    assert list((target / "folder").iterdir()) == []
    assert main(["db", "backup", str(target / "ok.backup"), "--user", "admin", *base]) == 0
    assert stat.S_IMODE((target / "ok.backup").stat().st_mode) == 0o600
    assert sorted(p.name for p in target.iterdir()) == ["folder", "link", "ok.backup", "pipe"]  # no .tmp


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgres_password_goes_by_environment_not_command_line(db_url, tmp_path, monkeypatch):
    from sqlalchemy.engine import make_url

    from clinic.records import backup as backup_module

    url = make_url(db_url).set(password="s3cret-Pw-in-url").render_as_string(hide_password=False)
    engine = records_db.make_engine(url)  # the test server trusts local connections: any password works
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    with unit_of_work(factory) as s:
        admin = Actor.of(create_first_admin(s, "admin", PW))
    seen: list[tuple[list[str], dict[str, str] | None]] = []
    real_run = backup_module.subprocess.run

    def spy(cmd, **kw):  # noqa: ANN001, ANN202
        seen.append((list(cmd), kw.get("env")))
        return real_run(cmd, **kw)

    monkeypatch.setattr(backup_module.subprocess, "run", spy)
    dump = tmp_path / "clinic.pgdump"
    backup_module.backup(engine, dump, admin)
    kept = backup_module.restore(engine, dump, admin)
    kept2 = backup_module.restore(engine, dump, admin)
    assert kept != kept2 and kept.exists() and kept2.exists()  # every restore keeps its own safety copy
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600 == stat.S_IMODE(kept.stat().st_mode)
    assert seen and all("s3cret-Pw-in-url" not in " ".join(cmd) for cmd, _ in seen)
    assert all(env and env["PGPASSWORD"] == "s3cret-Pw-in-url" for cmd, env in seen if "--list" not in cmd)
    engine.dispose()


def test_two_sqlite_restores_keep_two_safety_copies(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GLUTELAB_PASSWORD", PW)
    data = tmp_path / "data"
    base = ["--data-dir", str(data)]
    assert main(["db", "init-admin", *base]) == 0
    dump = tmp_path / "b.sqlite3"
    assert main(["db", "backup", str(dump), "--user", "admin", *base]) == 0
    assert main(["db", "restore", str(dump), "--user", "admin", *base]) == 0
    assert main(["db", "restore", str(dump), "--user", "admin", *base]) == 0
    copies = sorted(data.glob("glutelab.before-restore-*.sqlite3"))
    assert len(copies) == 2
    engine = records_db.make_engine(f"sqlite:///{data / 'glutelab.sqlite3'}")
    with unit_of_work(records_db.session_factory(engine)) as s:
        create_patient(s, security.SYSTEM, "F1", "File", "Mode", dt.date(1980, 1, 1))
    engine.dispose()
    assert main(["export", "--patient", "F1", "--format", "fhir", "--reason", "mode check", "--user", "admin",
                 *base]) == 0
    (exported,) = (data / "exports").iterdir()
    for path in (data / "glutelab.sqlite3", dump, *copies, data / "audit.key", exported):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in ("spool", "logs", "reports", "exports"):
        assert stat.S_IMODE((data / folder).stat().st_mode) == 0o700


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    path = tmp_path / "old.sqlite3"
    path.touch(mode=0o644)
    path.chmod(0o644)
    engine = records_db.make_engine(f"sqlite:///{path}")
    records_db.upgrade(engine)
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


NASTY = ("=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "@SUM(A1)", "-2+3", "a,b", "line\nbreak", 'say "hi"')


def test_csv_text_is_quoted_and_formulas_neutralised_numbers_stay_numbers(db, trial_id, tmp_path):
    _, factory = db
    info = DeviceInfo("emg", "Amp", "1", "1", "glutelab", 1000.0, NASTY, "=1+2,@uV",
                      (0.5,) * len(NASTY))
    w = RecordingWriter(factory, trial_id, info)
    w.add(SampleBlock(np.arange(3 * len(NASTY), dtype=np.int32).reshape(3, -1) - 4, 0, 0.0))
    w.close()
    rec_id = w.recording_id
    with factory() as s:
        path = export_recording_csv(s, rec_id, tmp_path / "r.csv")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows[0]) == 1 and rows[0][0].startswith("# GluteLab")  # the units could not add a cell
    assert rows[1] == ["time", *("'" + n if n[0] in "=+-@" else n for n in NASTY)]
    for row in rows[2:]:
        assert all(not cell.startswith(("=", "+", "@", "'")) for cell in row)
        [float(cell) for cell in row]  # plain numbers
    assert float(rows[2][1]) == -2.0 and len(rows) == 5  # negative numbers are numbers, not neutralised text


# -- 6. who may export and print -------------------------------------------------------------------------
def test_export_needs_a_treating_clinician_or_a_recorded_reason(db, staff, tmp_path):
    _, factory = db
    kim, lou, desk, admin = staff["kim"], staff["lou"], staff["desk"], staff["admin"]
    with unit_of_work(factory) as s:
        trial = start_trial(s, kim, create_patient(s, kim, "EX9", "Export", "Eli", dt.date(1980, 1, 1)),
                            "glute_bridge", "left")
        session_id, patient_id = trial.session_id, trial.session.episode.patient_id
    with unit_of_work(factory) as s:
        assert require_release(s, kim, patient_id, "export", None) == "treating clinician"
        export_patient(s, kim, "EX9", tmp_path)
        for who in (lou, admin):
            with pytest.raises(AuthError, match="not a treating clinician .* give a reason"):
                export_session(s, who, session_id, "csv", tmp_path)
            with pytest.raises(AuthError, match="give a reason"):
                require_release(s, who, patient_id, "print", "   ")
        for purpose in ("export", "print"):
            with pytest.raises(AuthError, match="desk \\(viewer\\) may not"):
                require_release(s, desk, patient_id, purpose, "I have a reason")
        with pytest.raises(ValueError, match="at most 200"):
            require_release(s, lou, patient_id, "export", "r" * 201)
        export_patient(s, lou, "EX9", tmp_path, reason="covering for Kim")
    with factory() as s:
        details = s.execute(select(AuditEvent.username, AuditEvent.detail).where(
            AuditEvent.action == "export", AuditEvent.entity == "patient").order_by(AuditEvent.id)).all()
    assert details == [("kim", "fhir; treating clinician"), ("lou", "fhir; reason: covering for Kim")]


def test_print_needs_a_treating_clinician_or_a_recorded_reason(db, staff, tmp_path):
    from clinic.usecases.reports import build_session_report

    _, factory = db
    with unit_of_work(factory) as s:
        trial = start_trial(s, staff["kim"], create_patient(s, staff["kim"], "PR1", "Print", "Pia",
                                                            dt.date(1980, 1, 1)), "glute_bridge", "left")
        session_id = trial.session_id
    with unit_of_work(factory) as s, pytest.raises(AuthError, match="give a reason"):
        build_session_report(s, staff["lou"], session_id, tmp_path / "r.pdf", Settings(mains_hz=50))
    assert not (tmp_path / "r.pdf").exists()
    with unit_of_work(factory) as s:
        build_session_report(s, staff["lou"], session_id, tmp_path / "r.pdf", Settings(mains_hz=50),
                             reason="second opinion")
    assert _actions(factory, username="lou")[-1] == "print"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_chain_lock_never_deadlocks_with_row_locks(db, staff):
    """One workstation reads then edits a patient while another edits then audits it: the chain lock is
    taken at commit, so the second save is a clear conflict, never a deadlock."""
    from clinic.records.editing import ConflictError, update_patient
    from clinic.records.patients import find_patient_by_mrn

    _, factory = db
    with unit_of_work(factory) as s:
        create_patient(s, staff["kim"], "DL1", "Dead", "Lock", dt.date(1980, 1, 1))
    read_done, edited = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def reader_then_editor() -> None:
        try:
            with unit_of_work(factory) as s:
                p = find_patient_by_mrn(s, staff["kim"], "DL1")  # audited read first
                read_done.set()
                edited.wait(30)
                update_patient(s, staff["kim"], p, contact="from A")  # waits for B's row lock
        except BaseException as exc:  # noqa: BLE001
            outcome["a"] = exc

    def editor() -> None:
        read_done.wait(30)
        with factory() as s, s.begin():
            p = s.scalars(select(Patient).where(Patient.mrn == "DL1")).one()
            update_patient(s, staff["lou"], p, contact="from B")  # row lock, then its audit at commit
            edited.set()
            import time

            time.sleep(0.3)  # A is now blocked on this row
        outcome["b"] = "saved"

    threads = [threading.Thread(target=reader_then_editor), threading.Thread(target=editor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcome["b"] == "saved"
    assert isinstance(outcome.get("a"), ConflictError), outcome.get("a")
    with factory() as s:
        assert verify_chain(s, audit_key(s.get_bind())).first_bad_id is None


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_postgres_workstation_without_the_audit_key_says_so(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(audit.KEY_ENV)
    monkeypatch.setenv("GLUTELAB_PASSWORD", PW)
    assert main(["export", "--session", "1", "--user", "admin", *_cli(db_url, tmp_path)]) == 2
    assert "GLUTELAB_AUDIT_KEY" in capsys.readouterr().err
