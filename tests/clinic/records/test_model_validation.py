"""The model on both backends: validation at the boundary with clear messages, and database constraints that
reject the same bad rows when the validation is bypassed; derived weeks; calibration; models == migrations."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from clinic.records.calibration import add_calibration
from clinic.records.db import unit_of_work
from clinic.records.editing import update_episode, update_patient, update_session
from clinic.records.models import Base, Calibration, Episode
from clinic.records.patients import (
    ValidationError,
    create_episode,
    create_patient,
    create_session,
    create_trial,
)
from clinic.records.queries import open_episode, weekly_progress
from clinic.records.results import save_trial_results
from clinic.records.security import SYSTEM

UTC = dt.UTC


def _patient(s, mrn="V1"):  # noqa: ANN001, ANN202
    return create_patient(s, SYSTEM, mrn, "Valid", "Val", dt.date(1980, 1, 2), "female", "tel 123", True)


def test_models_match_the_migrations(db):
    engine, _ = db
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mrn": " "}, "MRN must not be empty"),
    ({"family_name": ""}, "family name must not be empty"),
    ({"given_name": "x" * 101}, "given name is longer than 100"),
    ({"birth_date": dt.date(1850, 1, 1)}, "not a plausible date"),
    ({"birth_date": "1980-13-01"}, "must be a date"),
    ({"sex": "f"}, "sex must be one of"),
    ({"contact": "x" * 501}, "contact is longer"),
])
def test_patient_fields_are_validated_with_clear_messages(db, kwargs, message):
    _, factory = db
    args = {"mrn": "P1", "family_name": "Doe", "given_name": "Jo", "birth_date": dt.date(1980, 1, 1),
            "sex": "other"} | kwargs
    with unit_of_work(factory) as s, pytest.raises(ValidationError, match=message):
        create_patient(s, SYSTEM, **args)


def test_session_episode_and_trial_validation(db):
    _, factory = db
    with unit_of_work(factory) as s:
        p = _patient(s)
        assert p.consent_given and p.consent_at is not None
        with pytest.raises(ValidationError, match="referral reason must not be empty"):
            create_episode(s, SYSTEM, p, " ", dt.date(2026, 1, 5))
        with pytest.raises(ValidationError, match="episode start must be a date"):
            create_episode(s, SYSTEM, p, "LBP", "2026-01-05")  # type: ignore[arg-type]
        ep = create_episode(s, SYSTEM, p, "LBP", dt.date(2026, 1, 5))
        for pain in (11, -1, 3.5, True):
            with pytest.raises(ValidationError, match="pain score must be a whole number from 0 to 10"):
                create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 6, 9, tzinfo=UTC), pain_score=pain)
        with pytest.raises(ValidationError, match="notes are longer than 20000"):
            create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 6, 9, tzinfo=UTC), notes="n" * 20001)
        with pytest.raises(ValidationError, match="time zone"):
            create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 6, 9))
        with pytest.raises(ValidationError, match="before its episode"):
            create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 4, 9, tzinfo=UTC))
        visit = create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 12, 9, tzinfo=UTC), pain_score=4)
        with pytest.raises(ValidationError, match="reps must be"):
            create_trial(s, SYSTEM, visit, "glute_bridge", "left", reps=0)
        with pytest.raises(ValidationError, match="exercise must be one of"):
            create_trial(s, SYSTEM, visit, "squat", "left")
        with pytest.raises(ValidationError, match="before the episode start"):
            update_episode(s, SYSTEM, ep, status="discharged", discharge_date=dt.date(2026, 1, 1))
        with pytest.raises(ValidationError, match="MVC .* must be above"):
            add_calibration(s, SYSTEM, visit, "glute_max_left", 5.0, 4.0)
        for mass in (5.0, 401, float("nan"), "heavy", True):
            with pytest.raises(ValidationError, match="body mass must be 10 to 400 kg"):
                update_session(s, SYSTEM, visit, body_mass_kg=mass)
            with pytest.raises(ValidationError, match="body mass must be 10 to 400 kg"):
                update_patient(s, SYSTEM, p, body_mass_kg=mass)
        assert update_session(s, SYSTEM, visit, body_mass_kg="72.5").body_mass_kg == 72.5
        assert update_session(s, SYSTEM, visit, body_mass_kg=None).body_mass_kg is None


def test_weeks_are_derived_from_the_episode_start_and_progress_is_per_week(db):
    _, factory = db
    with unit_of_work(factory) as s:
        ep = create_episode(s, SYSTEM, _patient(s), "LBP", dt.date(2026, 1, 5))
        days = [0, 6, 7, 13, 14, 30]
        for i, day in enumerate(days):
            visit = create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 5, 10, tzinfo=UTC) + dt.timedelta(days=day),
                                   pain_score=i)
            trial = create_trial(s, SYSTEM, visit, "glute_bridge", "left")
            save_trial_results(s, SYSTEM, trial, {"reps": [
                {"rep": rep, "glute_first": rep == 1, "hold_amplitude": {"glute_max": {"mean_pct_mvc": 10.0 * (i + 1)}}}
                for rep in (1, 2)]})
        add_calibration(s, SYSTEM, visit, "glute_max_left", 3.0, 250.0, "ch1", {"ch1": "glute_max_left"},
                        {"model": "GluteLab amp", "serial": "S1"})
        ep_id = ep.id
    with unit_of_work(factory) as s:
        ep = open_episode(s, SYSTEM, ep_id)
        assert [v.week for v in ep.sessions] == [1, 1, 2, 2, 3, 5]
        weeks = weekly_progress(s, SYSTEM, ep_id)
        assert [w.week for w in weeks] == [1, 2, 3, 5]
        assert weeks[0].sessions == 2 and weeks[0].reps == 4 and weeks[0].glute_first_share == 0.5
        assert weeks[0].mean_glute_pct_mvc == pytest.approx(15.0)
        assert weeks[0].mean_pain == pytest.approx(0.5)
        cal = s.query(Calibration).one()
        assert cal.mvc_uv == 250.0 and cal.electrode_map == {"ch1": "glute_max_left"}
        assert cal.device["serial"] == "S1"


BAD_ROWS = [
    ("duplicate MRN", "INSERT INTO patients (mrn, family_name, given_name, birth_date, sex, contact, consent_given,"
     " created_at, family_name_fold, given_name_fold, version) VALUES ('OK1', 'B', 'C', '1980-01-01', 'male', '',"
     " false, '2026-01-01 00:00:00', 'b', 'c', 1)"),
    ("empty family name", "INSERT INTO patients VALUES_P('X2', ' ', 'C', '1980-01-01', 'male')"),
    ("empty given name", "INSERT INTO patients VALUES_P('X3', 'B', '', '1980-01-01', 'male')"),
    ("empty MRN", "INSERT INTO patients VALUES_P('  ', 'B', 'C', '1980-01-01', 'male')"),
    ("bad sex", "INSERT INTO patients VALUES_P('X4', 'B', 'C', '1980-01-01', 'x')"),
    ("old birth date", "INSERT INTO patients VALUES_P('X5', 'B', 'C', '1800-01-01', 'male')"),
    ("pain 11", "UPDATE sessions SET pain_score = 11"),
    ("pain -1", "UPDATE sessions SET pain_score = -1"),
    ("oversize notes", "UPDATE sessions SET notes = REPEAT_NOTES"),
    ("discharge before start", "UPDATE episodes SET discharge_date = '2020-01-01'"),
    ("bad episode status", "UPDATE episodes SET status = 'lost'"),
    ("zero reps", "UPDATE trials SET reps = 0"),
    ("bad side", "UPDATE trials SET side = 'up'"),
    ("bad role", "INSERT INTO users (username, display_name, role, password_hash, active, created_at) "
     "VALUES ('u', 'u', 'god', 'x', true, '2026-01-01 00:00:00')"),
    ("negative MVC", "INSERT INTO calibrations (session_id, muscle, channel, baseline_uv, mvc_uv, electrode_map,"
     " device, created_at) VALUES (SID, 'glute_max_left', '', 1.0, -5.0, '{}', '{}', '2026-01-01 00:00:00')"),
]


def test_the_database_rejects_bad_rows_that_bypass_the_validation(db):
    engine, factory = db
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "OK1", "Good", "Row", dt.date(1980, 1, 1))
        ep = create_episode(s, SYSTEM, p, "LBP", dt.date(2026, 1, 5))
        visit = create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 6, 9, tzinfo=UTC))
        create_trial(s, SYSTEM, visit, "glute_bridge", "left")
        sid = visit.id
    notes = "repeat('n', 20001)" if engine.dialect.name == "postgresql" else "printf('%.*c', 20001, 'n')"
    for what, sql in BAD_ROWS:
        _assert_rejected(engine, what, sql, notes, sid)
    with unit_of_work(factory) as s:
        assert s.get(Episode, ep.id).status == "active"


def _assert_rejected(engine, what: str, sql: str, notes: str, sid: int) -> None:  # noqa: ANN001
    sql = (sql.replace("VALUES_P(", "(mrn, family_name, given_name, birth_date, sex, contact, consent_given, "
                       "created_at, family_name_fold, given_name_fold, version) VALUES (")
           .replace("'male')", "'male', '', false, '2026-01-01 00:00:00', 'b', 'c', 1)")
           .replace("'x')", "'x', '', false, '2026-01-01 00:00:00', 'b', 'c', 1)")
           .replace("REPEAT_NOTES", notes).replace("SID", str(sid)))
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    except IntegrityError:
        return
    pytest.fail(f"the database accepted a row with {what}")


def test_episode_weeks_follow_the_clinics_local_calendar(monkeypatch) -> None:  # noqa: ANN001
    """00:30 on the episode's first day in a UTC+2 clinic is 22:30 UTC the day before: still week 1."""
    import datetime as dt
    import time

    from clinic.records.models import Episode

    monkeypatch.setenv("TZ", "Etc/GMT-2")  # POSIX sign: this is UTC+2
    time.tzset()
    try:
        ep = Episode(reason="LBP", start_date=dt.date(2026, 3, 2))
        just_after_midnight = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)
        assert ep.week_of(just_after_midnight) == 1
        assert ep.week_of(dt.datetime(2026, 3, 8, 21, 59, tzinfo=dt.UTC)) == 1  # Sunday 23:59 local
        assert ep.week_of(dt.datetime(2026, 3, 8, 22, 0, tzinfo=dt.UTC)) == 2  # Monday 00:00 local
    finally:
        monkeypatch.undo()
        time.tzset()
