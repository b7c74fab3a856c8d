"""Re-analysis keeps versions (SQLite and PostgreSQL): two analyses of one stored trial with different
detectors are both kept through `glutelab analyze --store` and shown side by side (`--compare`), the weekly
progress shows the current one, and picking the other (`--set-current`) changes the progress and is audited;
a stale pick is refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from clinic.records import db as records_db
from clinic.records import security
from clinic.records.db import unit_of_work
from clinic.records.editing import ConflictError
from clinic.records.models import AuditEvent, Trial
from clinic.records.patients import create_episode, create_patient, create_session, create_trial
from clinic.records.queries import weekly_progress
from clinic.records.results import compare_analyses, set_current_analysis
from clinic.records.security import SYSTEM, Actor, create_first_admin
from devices.simulator.physiology import build_scenario
from ui.cli import main
from ui.demo import calibrate_scenario, store_scenario

PHYSIO = ("physio", "physio-pass-1")
SCENARIO = {"seed": 3, "profile": "typical", "side": "left"}


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch):  # noqa: ANN001, ANN201
    """Argon2id with tiny costs: every command signs in (tests/clinic/records checks the production costs)."""
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def stored_session(db_url, monkeypatch, tmp_path):  # noqa: ANN001, ANN201
    """A migrated database with one uncalibrated session holding a stored simulated trial; returns
    (factory, CLI storage arguments, session id, trial id, episode id, physio actor)."""
    engine = records_db.make_engine(db_url)
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    with unit_of_work(factory) as s:
        user = create_first_admin(s, PHYSIO[0], PHYSIO[1])
        physio = Actor(user.id, user.username, user.role)
        patient = create_patient(s, SYSTEM, "VER-1", "Version", "Vera", dt.date(1970, 5, 5))
        episode = create_episode(s, SYSTEM, patient, "LBP", dt.date(2026, 11, 2))
        visit = create_session(s, SYSTEM, episode, dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC))
        trial = create_trial(s, physio, visit, "cook_hip_lift", "left", reps=3)
        ids = visit.id, trial.id, episode.id
    store_scenario(factory, ids[1], **SCENARIO)
    monkeypatch.setenv("GLUTELAB_PASSWORD", PHYSIO[1])
    storage = ["--user", PHYSIO[0], "--data-dir", str(tmp_path / "data"), "--database-url", db_url]
    yield factory, storage, *ids, physio
    engine.dispose()


def _cli(capsys, *args: str) -> dict:  # noqa: ANN001
    capsys.readouterr()
    assert main(["analyze", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_two_detectors_are_both_kept_and_the_current_one_feeds_the_progress(stored_session, capsys) -> None:  # noqa: ANN001
    factory, storage, session_id, trial_id, episode_id, physio = stored_session
    sid = str(session_id)
    first = _cli(capsys, "--session", sid, "--store", "--method", "tkeo", "--mains", "50", *storage)
    assert first["trials"][0]["analysis_version"]["number"] == 1
    assert first["trials"][0]["amplitude_units"] == "uV"  # no calibration yet: no %MVC
    calibrate_scenario(factory, trial_id, build_scenario(SCENARIO["profile"], side="left", reps=3, hold_s=6.0,
                                                         rest_s=2.0, emg_rate_hz=1000.0, plate_rate_hz=100.0,
                                                         seed=SCENARIO["seed"]), physio)
    second = _cli(capsys, "--session", sid, "--store", "--method", "hodges_bui", "--mains", "60", *storage)
    assert second["trials"][0]["analysis_version"]["number"] == 2

    listed = _cli(capsys, "--session", sid, "--versions", *storage)["trials"][0]
    versions = listed["analyses"]
    assert [(v["number"], v["method"], v["mains_hz"], v["current"]) for v in versions] == [
        (1, "tkeo", 50.0, False), (2, "hodges_bui", 60.0, True)]
    assert versions[0]["calibration"] is None and versions[1]["calibration"]["session_id"] == session_id
    assert versions[0]["onset_settings"]["k_sd"] == 3.0 and versions[0]["code_version"]
    assert all(v["created_by"] == "physio" and v["reps"] == 3 for v in versions)

    compared = _cli(capsys, "--session", sid, "--compare", "1", "2", "--trial", str(trial_id), *storage)
    assert [v["method"] for v in compared["versions"]] == ["tkeo", "hodges_bui"]
    assert [(r["rep"], r["a"]["glute_pct_mvc"] is None, r["b"]["glute_pct_mvc"] is None)
            for r in compared["reps"]] == [(1, True, False), (2, True, False), (3, True, False)]
    assert main(["analyze", "--session", sid, "--compare", "1", "2", "--trial", str(trial_id), *storage]) == 0
    assert "rep 1: glute " in capsys.readouterr().out
    with unit_of_work(factory) as s:
        trial = s.get(Trial, trial_id)
        side_by_side = compare_analyses(*trial.analyses)
        assert [c.rep for c in side_by_side] == [1, 2, 3]
        assert all(c.a.glute_pct_mvc is None and c.b.glute_pct_mvc is not None for c in side_by_side)
        assert any(c.a.metrics["onset_s"] != c.b.metrics["onset_s"] for c in side_by_side)  # two detectors
        week = weekly_progress(s, physio, episode_id)[0]
        assert week.reps == 3 and week.mean_glute_pct_mvc is not None  # the current (calibrated) version

    picked = _cli(capsys, "--session", sid, "--set-current", "1", "--trial", str(trial_id), *storage)
    assert [v["current"] for v in picked["trials"][0]["analyses"]] == [True, False]
    with unit_of_work(factory) as s:
        week = weekly_progress(s, physio, episode_id)[0]
        assert week.reps == 3 and week.mean_glute_pct_mvc is None  # version 1 had no %MVC
        assert s.get(Trial, trial_id).summary == s.get(Trial, trial_id).analyses[0].summary
        audit = s.scalars(select(AuditEvent.detail).where(AuditEvent.entity == "trial",
                                                          AuditEvent.action == "change")).all()
        assert "current analysis version 2 -> 1" in audit
        assert sum("stored" in d for d in audit) == 2


def test_a_stale_pick_is_refused_and_changes_nothing(stored_session, capsys) -> None:  # noqa: ANN001
    factory, storage, session_id, trial_id, _, physio = stored_session
    for method in ("tkeo", "hodges_bui"):
        _cli(capsys, "--session", str(session_id), "--store", "--method", method, "--mains", "50", *storage)
    with unit_of_work(factory) as s:
        trial = s.get(Trial, trial_id)
        seen_version, first_id = trial.version, trial.analyses[0].id
    _cli(capsys, "--session", str(session_id), "--set-current", "1", "--trial", str(trial_id), *storage)
    with pytest.raises(ConflictError, match="another workstation"), unit_of_work(factory) as s:
        set_current_analysis(s, physio, s.get(Trial, trial_id), first_id, seen_version)
    assert main(["analyze", "--session", str(session_id), "--set-current", "7", "--trial", str(trial_id),
                 *storage]) == 2
    assert "no analysis version 7" in capsys.readouterr().err
    assert main(["analyze", "--session", str(session_id), "--versions", *storage]) == 0
    text = capsys.readouterr().out
    assert "* version 1: tkeo, mains 50.0 Hz, no calibration, 3 reps" in text and "  version 2: hodges_bui" in text
    assert main(["analyze", "--session", str(session_id), "--versions", "--store", *storage]) == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_patients_page_progress_table_follows_the_current_version(stored_session, capsys, qtbot) -> None:  # noqa: ANN001
    from clinic.records.models import Patient
    from clinic.settings import Settings
    from clinic.signals.conditioning import ConditioningSettings
    from ui.main_window import utc_now
    from ui.pages.env import WindowEnv
    from ui.pages.patient import PatientPage
    from ui.worker import Workers

    factory, storage, session_id, trial_id, _, physio = stored_session
    sid = str(session_id)
    _cli(capsys, "--session", sid, "--store", "--method", "tkeo", "--mains", "50", *storage)
    calibrate_scenario(factory, trial_id, build_scenario(SCENARIO["profile"], side="left", reps=3, hold_s=6.0,
                                                         rest_s=2.0, emg_rate_hz=1000.0, plate_rate_hz=100.0,
                                                         seed=SCENARIO["seed"]), physio)
    _cli(capsys, "--session", sid, "--store", "--method", "hodges_bui", "--mains", "50", *storage)
    workers = Workers()
    env = WindowEnv(factory, workers, utc_now, ConditioningSettings(mains_hz=50.0), Settings(mains_hz=50), physio)
    page = PatientPage(env, None)
    qtbot.addWidget(page)
    with factory() as s:
        patient_id = s.query(Patient.id).scalar()

    def mvc_column() -> str:
        page.show_patient(patient_id)  # loads on a worker, as on the screen
        qtbot.waitUntil(lambda: page.progress.rowCount() == 1, timeout=10000)
        return page.progress.text(0, 4)

    assert mvc_column() not in ("", "-")  # version 2 (calibrated): %MVC
    _cli(capsys, "--session", sid, "--set-current", "1", "--trial", str(trial_id), *storage)
    assert mvc_column() == "-"  # version 1: microvolts, no %MVC
    workers.wait(10000)
