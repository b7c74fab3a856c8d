"""Migrations on both backends: a database created by revision 0001 with data in it upgrades to head with
nothing lost; a PostgreSQL schema at another revision makes a workstation refuse to start."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from clinic.records import db as records_db
from clinic.records.db import SchemaMismatch, current_revision, head_revision, prepare, upgrade

ROWS_0001 = [
    "INSERT INTO users (id, username, display_name, role, password_hash, active, created_at) VALUES "
    "(1, 'physio', 'Physio', 'physiotherapist', '$argon2id$x', true, '2026-01-01 08:00:00')",
    "INSERT INTO patients (id, mrn, family_name, given_name, birth_date, sex, contact, consent_given, consent_at, "
    "body_mass_kg, created_at, family_name_fold, given_name_fold, version) VALUES (1, 'OLD1', 'Öld', 'Ann', "
    "'1950-04-03', 'female', 'tel 1', true, '2026-01-01 08:00:00', 71.5, '2026-01-01 08:00:00', 'old', 'ann', 4)",
    "INSERT INTO episodes (id, patient_id, reason, start_date, goals, status, discharge_date, discharge_summary, "
    "version) VALUES (1, 1, 'LBP', '2026-01-05', 'bridge', 'active', NULL, '', 1)",
    "INSERT INTO sessions (id, episode_id, clinician_id, started_at, pain_score, notes, body_mass_kg, version) "
    "VALUES (1, 1, 1, '2026-01-12 09:30:00', 6, 'first visit', 70.9, 2)",
    "INSERT INTO trials (id, session_id, exercise, side, sets, reps, hold_target_s, summary) VALUES "
    "(1, 1, 'glute_bridge', 'left', 1, 8, 6.0, '{\"ok\": true}')",
    "INSERT INTO rep_results (id, trial_id, rep, glute_first, glute_lead_hamstrings_ms, glute_lead_erector_ms, "
    "glute_pct_mvc, hold_s, metrics) VALUES (1, 1, 1, true, 42.5, 12.0, 33.3, 5.9, '{}')",
    "INSERT INTO recordings (id, trial_id, kind, device, sample_rate_hz, channel_names, scale, \"offset\", units, "
    "simulated, status, started_at, start_offset_s, n_samples, workstation, heartbeat_at) VALUES (1, 1, 'emg', "
    "'{}', 1000.0, '[\"a\"]', '[0.1]', '[0.0]', 'uV', false, 'complete', '2026-01-12 09:31:00', 0.0, 3, 'ws1', "
    "NULL)",
    "INSERT INTO recording_chunks (id, recording_id, seq, first_sample, n_samples, dtype, codec, data, sha256) "
    "VALUES (1, 1, 0, 0, 3, '<i2', 'delta-zlib', BLOB, 'abc')",
    "INSERT INTO audit_events (id, at, username, action, entity, entity_id, detail, workstation) VALUES "
    "(1, '2026-01-12 09:31:00', 'physio', 'create', 'patient', '1', '', 'ws1')",
]

CHECK = {
    "patients": "SELECT mrn, family_name, birth_date, body_mass_kg, version FROM patients",
    "episodes": "SELECT reason, goals, status FROM episodes",
    "sessions": "SELECT pain_score, notes, body_mass_kg, version FROM sessions",
    "trials": "SELECT exercise, reps, hold_target_s FROM trials",
    "rep_results": "SELECT glute_first, glute_lead_hamstrings_ms, glute_pct_mvc FROM rep_results",
    "recordings": "SELECT kind, status, n_samples, workstation FROM recordings",
    "recording_chunks": "SELECT seq, n_samples, data, sha256 FROM recording_chunks",
    "audit_events": "SELECT username, action, entity FROM audit_events",
    "users": "SELECT username, role FROM users",
}


def test_upgrade_from_0001_keeps_every_row(db_url):
    engine = records_db.make_engine(db_url)
    try:
        upgrade(engine, "0001")
        assert current_revision(engine) == "0001"
        blob = "X'00ff10'" if engine.dialect.name == "sqlite" else "'\\x00ff10'::bytea"
        with engine.begin() as conn:
            for stmt in ROWS_0001:
                conn.execute(text(stmt.replace("BLOB", blob)))
            before = {t: [tuple(r) for r in conn.execute(text(q))] for t, q in CHECK.items()}
        assert all(before.values())
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            after = {t: [tuple(r) for r in conn.execute(text(q))] for t, q in CHECK.items()}
            assert "calibrations" in inspect(conn).get_table_names()
            idx = {i["name"] for i in inspect(conn).get_indexes("patients")}
            assert "ix_patients_name_search" in idx
        assert after == before
        assert after["recording_chunks"][0][2] == b"\x00\xff\x10"
        if engine.dialect.name == "sqlite":  # a copy of the old database was taken before migrating
            path = Path(engine.url.database)
            assert path.with_suffix(f".before-{head_revision()}.sqlite3").exists()
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:  # triggers survived
            conn.execute(text("DELETE FROM audit_events"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgres_workstation_refuses_a_schema_of_another_revision(db_url):
    engine = records_db.make_engine(db_url)
    try:
        upgrade(engine, "0001")
        with pytest.raises(SchemaMismatch, match=r"revision 0001.*needs 00\d\d.*glutelab db upgrade"):
            prepare(engine)
        assert current_revision(engine) == "0001"  # nothing migrated behind the administrator's back
        upgrade(engine)
        prepare(engine)  # same revision: starts
    finally:
        engine.dispose()


def test_sqlite_migrates_itself_at_start(tmp_path):
    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        upgrade(engine, "0001")
        prepare(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


ROWS_0005_MORE = [  # a second trial analysed to a summary without reps, a third never analysed
    "INSERT INTO trials (id, session_id, exercise, side, sets, reps, hold_target_s, summary) VALUES "
    "(2, 1, 'cook_hip_lift', 'left', 1, 8, 6.0, '{\"reps\": 0}')",
    "INSERT INTO trials (id, session_id, exercise, side, sets, reps, hold_target_s, summary) VALUES "
    "(3, 1, 'cook_hip_lift', 'right', 1, 8, 6.0, '{}')",
    "INSERT INTO rep_results (id, trial_id, rep, glute_first, glute_lead_hamstrings_ms, glute_lead_erector_ms, "
    "glute_pct_mvc, hold_s, metrics) VALUES (2, 1, 2, false, -12.5, NULL, 20.0, 6.1, '{\"rep\": 2}')",
]


def test_upgrade_from_0005_keeps_results_as_current_version_1(db_url):
    """Results stored before analysis versions (summary on the trial, rows per rep) become version 1 of their
    trial, current, and every reader still sees them; a trial never analysed gets no version."""
    from sqlalchemy.orm import Session

    from clinic.records.models import Trial
    from clinic.records.queries import weekly_progress
    from clinic.records.security import SYSTEM

    engine = records_db.make_engine(db_url)
    try:
        upgrade(engine, "0005")
        blob = "X'00ff10'" if engine.dialect.name == "sqlite" else "'\\x00ff10'::bytea"
        with engine.begin() as conn:
            for stmt in ROWS_0001 + ROWS_0005_MORE:
                if not stmt.startswith("INSERT INTO audit_events"):  # append-only and chained since 0003
                    conn.execute(text(stmt.replace("BLOB", blob)))
            reps_before = conn.execute(text("SELECT id, trial_id, rep, glute_first, glute_lead_hamstrings_ms, "
                                            "glute_lead_erector_ms, glute_pct_mvc, hold_s FROM rep_results "
                                            "ORDER BY id")).all()
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, trial_id, rep, glute_first, glute_lead_hamstrings_ms, "
                                     "glute_lead_erector_ms, glute_pct_mvc, hold_s FROM rep_results "
                                     "ORDER BY id")).all() == reps_before
            assert "summary" not in {c["name"] for c in inspect(conn).get_columns("trials")}
        with Session(engine) as s:
            trials = {t.id: t for t in s.query(Trial)}
            assert [(a.number, a.is_current, a.created_by) for a in trials[1].analyses] == [
                (1, True, "migration 0006")]
            assert trials[1].summary == {"ok": True} and trials[2].summary == {"reps": 0}
            assert [r.rep for r in trials[1].rep_results] == [1, 2]
            assert trials[1].rep_results[1].metrics == {"rep": 2}
            assert trials[2].analyses[0].reps == [] and trials[3].analyses == []
            assert {t.version for t in trials.values()} == {1}
            assert trials[1].analyses[0].method == {} and trials[1].analyses[0].calibration is None
            week = weekly_progress(s, SYSTEM, 1)[0]
            assert (week.reps, week.glute_first_share, week.mean_glute_pct_mvc) == (2, 0.5, pytest.approx(26.65))
            s.rollback()
        for bad in ("INSERT INTO rep_results (trial_id, analysis_id, rep, metrics) VALUES (1, 1, 0, '{}')",
                    "INSERT INTO trials (session_id, exercise, side, sets, reps, hold_target_s) VALUES "
                    "(1, 'cook_hip_lift', 'left', 0, 8, 6.0)",
                    "INSERT INTO rep_results (trial_id, analysis_id, rep, metrics) VALUES (1, NULL, 3, '{}')"):
            with pytest.raises(Exception, match="(?i)constraint|null"), engine.begin() as conn:
                conn.execute(text(bad))  # the constraints survived the table rebuilds
    finally:
        engine.dispose()


ROWS_0006 = [stmt for stmt in ROWS_0001[:4]] + [  # users, patients, episodes, sessions as 0001 had them
    "INSERT INTO sessions (id, episode_id, clinician_id, started_at, pain_score, notes, body_mass_kg, version) "
    "VALUES (2, 1, 1, '2026-01-19 09:30:00', 5, 'second visit', 70.5, 1)",
]


def test_upgrade_from_0006_keeps_episodes_and_adds_the_baseline_mark(db_url):
    """0007 adds the clinician's baseline and the goals' outcome to episodes: the rows stay as they were (no
    baseline marked, no goal judged), ids are still never reused, and erasing the marked session clears it."""
    engine = records_db.make_engine(db_url)
    try:
        upgrade(engine, "0006")
        with engine.begin() as conn:
            for stmt in ROWS_0006:
                conn.execute(text(stmt))
            before = {t: [tuple(r) for r in conn.execute(text(CHECK[t]))] for t in ("episodes", "sessions")}
        upgrade(engine)
        assert current_revision(engine) == head_revision() == "0007"
        with engine.begin() as conn:
            assert {t: [tuple(r) for r in conn.execute(text(CHECK[t]))] for t in before} == before
            rows = conn.execute(text("SELECT baseline_session_id, goal_outcomes, version FROM episodes")).all()
            assert [(r[0], r[2]) for r in rows] == [(None, 1)]
            assert rows[0][1] in ([], "[]")
            if engine.dialect.name == "sqlite":  # the rebuilt table kept AUTOINCREMENT (revision 0003)
                ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'episodes'")).scalar_one()
                assert "AUTOINCREMENT" in ddl
            conn.execute(text("UPDATE episodes SET baseline_session_id = 2"))
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM sessions WHERE id = 2"))
            assert conn.execute(text("SELECT baseline_session_id FROM episodes")).scalar_one() is None
        with pytest.raises(Exception, match="(?i)foreign key"), engine.begin() as conn:
            conn.execute(text("UPDATE episodes SET baseline_session_id = 99"))
    finally:
        engine.dispose()
