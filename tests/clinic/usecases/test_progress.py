"""Progress of an episode from the stored results of the demo patients (simulator + real analysis): the right
"changed since baseline" verdicts, CIs from a named bootstrap, asymmetry, and the progression advice."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from clinic.protocol.progression import ProgressionThresholds, StageEvidence, advise
from clinic.records.db import unit_of_work
from clinic.records.editing import ConflictError
from clinic.records.models import AuditEvent
from clinic.records.models import Session as VisitSession
from clinic.records.patients import ValidationError, find_patient_by_mrn
from clinic.records.security import SYSTEM, Actor, AuthError
from clinic.settings import Settings, SettingsError
from clinic.signals.onsets import OnsetSettings
from clinic.usecases.progress import (
    BASELINE_FIRST,
    BASELINE_MARKED,
    CHANGED,
    CI_METHOD,
    NO_CLEAR_CHANGE,
    episode_progress,
    estimate,
    latest_episode_id,
    mark_episode_baseline,
)

THRESHOLDS = Settings().progression


def progress_of(factory, mrn: str, baseline: int | None = None):  # noqa: ANN001, ANN201
    with factory() as s:
        episode_id = latest_episode_id(s, find_patient_by_mrn(s, SYSTEM, mrn))
        return episode_progress(s, SYSTEM, episode_id, THRESHOLDS, baseline)


def test_verdicts_follow_each_demo_patients_course(demo_copy) -> None:  # noqa: ANN001
    _, factory, _ = demo_copy
    never = progress_of(factory, "DEMO-0003")
    assert [sp.week for sp in never.sessions] == [1, 2, 3, 4, 5, 6]
    assert not any(sp.changed for sp in never.sessions)
    assert {v for sp in never.sessions[1:] for v in sp.verdicts.values()} == {NO_CLEAR_CHANGE}

    early = progress_of(factory, "DEMO-0001")
    assert early.status == "discharged" and len(early.sessions) == 8
    assert early.first_changed_week() in (4, 6)
    assert all(sp.changed for sp in early.sessions if sp.week >= 6)

    fast = progress_of(factory, "DEMO-0002")
    assert fast.first_changed_week() == 3
    assert all(sp.verdicts == {"glute_lead_hamstrings_ms": CHANGED, "glute_first_share": CHANGED}
               for sp in fast.sessions[2:])


def test_measures_cis_and_asymmetry_per_session(demo_copy) -> None:  # noqa: ANN001
    _, factory, _ = demo_copy
    ep = progress_of(factory, "DEMO-0001")
    assert "bootstrap" in ep.ci_method and ep.ci_method == CI_METHOD
    first, last = ep.sessions[0], ep.sessions[-1]
    assert first.reps == last.reps == 16  # 8 a side
    for sp in (first, last):
        lead = sp.glute_lead_hamstrings_ms
        assert lead.low <= lead.value <= lead.high and lead.n == 16
        assert sp.has_mvc and sp.pct_mvc["glute_max"] is not None and sp.glute_hamstring_ratio is not None
        assert set(sp.by_side) == {"left", "right"}
        assert sp.asymmetry["glute_lead_hamstrings_ms"] == pytest.approx(
            sp.by_side["left"]["glute_lead_hamstrings_ms"] - sp.by_side["right"]["glute_lead_hamstrings_ms"])
        assert sp.simulated and sp.exercise == "cook_hip_lift" and sp.plate_left_pct is not None
    assert first.glute_lead_hamstrings_ms.high < 0 < last.glute_lead_hamstrings_ms.low  # glute late -> glute first
    assert first.glute_first_share.value == 0.0 and last.glute_first_share.value == 1.0
    assert last.pct_mvc["glute_max"] > first.pct_mvc["glute_max"]


def test_a_marked_baseline_replaces_the_first_session(demo_copy) -> None:  # noqa: ANN001
    _, factory, _ = demo_copy
    ep = progress_of(factory, "DEMO-0001")
    week6 = ep.sessions[5].session_id
    rebased = progress_of(factory, "DEMO-0001", baseline=week6)
    assert rebased.baseline.week == 6
    assert not any(sp.changed for sp in rebased.sessions if sp.week >= 7)  # healthy vs healthy
    assert rebased.sessions[0].changed  # week 1 differs from the marked baseline
    with factory() as s, pytest.raises(KeyError, match="not in episode"):
        episode_progress(s, SYSTEM, ep.episode_id, THRESHOLDS, baseline_session_id=10_000)


def test_the_clinicians_baseline_is_stored_audited_and_guarded(demo_copy) -> None:  # noqa: ANN001
    """Marking week 6 as the baseline is stored: every later read (screen, reports, CLI) compares with it, so
    the verdicts change; a second workstation that saw the episode before the mark gets a ConflictError; a
    viewer may not mark; each mark is audited."""
    _, factory, _ = demo_copy
    ep = progress_of(factory, "DEMO-0001")
    week6 = ep.sessions[5].session_id
    assert ep.baseline.week == 1 and ep.baseline_source == BASELINE_FIRST
    assert ep.sessions[6].changed  # week 7 against week 1
    with unit_of_work(factory) as s:
        mark_episode_baseline(s, SYSTEM, ep.episode_id, week6, ep.episode_version)
    marked = progress_of(factory, "DEMO-0001")
    assert marked.baseline.week == 6 and marked.baseline_source == BASELINE_MARKED
    assert marked.sessions[5].verdicts == {"glute_lead_hamstrings_ms": "baseline", "glute_first_share": "baseline"}
    assert not marked.sessions[6].changed and marked.sessions[0].changed  # the verdicts follow the mark
    assert marked.episode_version == ep.episode_version + 1

    with unit_of_work(factory) as s, pytest.raises(ConflictError, match="changed by another workstation"):
        mark_episode_baseline(s, SYSTEM, ep.episode_id, None, ep.episode_version)  # saw it before the mark
    assert progress_of(factory, "DEMO-0001").baseline.week == 6  # nothing overwritten
    viewer = Actor(0, "frontdesk", "viewer")
    with unit_of_work(factory) as s, pytest.raises(AuthError, match="may not change"):
        mark_episode_baseline(s, viewer, ep.episode_id, None, marked.episode_version)
    other = progress_of(factory, "DEMO-0002").sessions[0].session_id
    with unit_of_work(factory) as s, pytest.raises(ValidationError, match="not a session of episode"):
        mark_episode_baseline(s, SYSTEM, ep.episode_id, other, marked.episode_version)
    with unit_of_work(factory) as s:
        mark_episode_baseline(s, SYSTEM, ep.episode_id, None, marked.episode_version)  # back to the first
    assert progress_of(factory, "DEMO-0001").baseline.week == 1
    with factory() as s:
        details = s.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "change", AuditEvent.entity == "episode", AuditEvent.entity_id == str(ep.episode_id),
            AuditEvent.detail.like("baseline=%")).order_by(AuditEvent.id)).all()
    assert details == [f"baseline=session {week6}", "baseline=first session"]


def test_advice_names_the_stage_and_its_reasons(demo_copy) -> None:  # noqa: ANN001
    _, factory, _ = demo_copy
    stays = progress_of(factory, "DEMO-0003").advice
    assert stays.action == "stay" and stays.current == "cook_hip_lift"
    assert any("glute first in 0 %" in r and "below the target of 80 %" in r for r in stays.reasons)
    moves = progress_of(factory, "DEMO-0001").advice
    assert moves.action == "progress" and moves.next == "glute_bridge", moves
    assert any("Week 8: glute first in 100 %" in r for r in moves.reasons)


def test_bootstrap_estimate_is_seeded_and_handles_few_or_equal_values() -> None:
    values = list(np.random.default_rng(1).normal(50, 20, 16))
    a, b = estimate(values, np.median, seed=3), estimate(values, np.median, seed=3)
    assert a == b and a.low < a.value < a.high
    assert estimate([], np.median, 1).value is None
    two = estimate([1.0, 2.0, None, float("nan")], np.median, 1)
    assert two.n == 2 and two.low is None  # too few reps for a CI: never "changed"
    same = estimate([1.0] * 8, np.mean, 1)
    assert (same.low, same.high) == (1.0, 1.0)


def test_progression_rules_from_thresholds() -> None:
    t = ProgressionThresholds(glute_first_share=0.8, min_glute_pct_mvc=20, hold_reached_share=0.5, sessions=2)
    good = [StageEvidence(f"Week {w}", "glute_bridge", 0.9, 30.0, 0.75) for w in (1, 2)]
    a = advise(good, t)
    assert (a.action, a.next) == ("progress", "supine_hip_extension") and len(a.reasons) == 6
    assert advise(good[:1], t).action == "stay"  # one session is not enough
    no_mvc = [StageEvidence("Week 3", "glute_bridge", 0.9, None, 0.75)] * 2
    assert any("no MVC" in r for r in advise(no_mvc, t).reasons) and advise(no_mvc, t).action == "stay"
    last = [StageEvidence(f"Week {w}", "one_leg_glute_bridge", 1.0, 50.0, 1.0) for w in (1, 2)]
    assert advise(last, t).action == "complete"
    assert advise([StageEvidence("Week 1", "bench_sit_down", None, None, None)], t).action == "no data"
    stricter = ProgressionThresholds(0.95, 20, 0.5, 2)
    assert advise(good, stricter).action == "stay"


def test_progression_thresholds_are_validated_settings(tmp_path) -> None:  # noqa: ANN001
    from clinic import settings

    s = settings.update(tmp_path / "settings.json", progress_glute_first_share=0.9, clinic_name="Praxis Nord")
    assert settings.load(tmp_path / "settings.json").progression.glute_first_share == 0.9
    assert s.clinic_name == "Praxis Nord"
    for bad in ({"progress_glute_first_share": 1.5}, {"progress_sessions": 0}, {"progress_min_glute_pct_mvc": "x"}):
        with pytest.raises(SettingsError):
            Settings(**bad).validate()


def test_bench_sit_down_control_and_stage_from_a_mixed_session(db, tmp_path) -> None:  # noqa: ANN001
    """A session with a glute bridge and the bench sit-down test (SQLite and PostgreSQL): the stage is the bridge,
    the sit-down figures are shown, and the progress report prints them."""
    import datetime as dt

    from pypdf import PdfReader

    from clinic.records.db import unit_of_work
    from clinic.records.models import Trial
    from clinic.records.patients import create_patient, create_trial, start_trial
    from clinic.usecases.reports import build_progress_report
    from clinic.usecases.trial_analysis import analyze_and_store
    from ui.demo import store_scenario

    _, factory = db
    with unit_of_work(factory) as s:
        patient = create_patient(s, SYSTEM, "SIT-1", "Sitter", "Sam", dt.date(1975, 5, 5))
        when = dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC)
        bridge = start_trial(s, SYSTEM, patient, "glute_bridge", "left", when=when)
        sit = create_trial(s, SYSTEM, bridge.session, "bench_sit_down", "both", reps=3)
        ids, episode_id = (bridge.id, sit.id), bridge.session.episode_id
    store_scenario(factory, ids[0], seed=3, profile="healthy", side="left", calibrate=SYSTEM)
    store_scenario(factory, ids[1], seed=4, profile="amnesic", side="left", exercise="bench_sit_down")
    for trial_id in ids:
        with unit_of_work(factory) as s:
            analysis = analyze_and_store(s, SYSTEM, s.get(Trial, trial_id), Settings().conditioning, OnsetSettings())
            assert "error" not in analysis
    with unit_of_work(factory) as s:
        ep = episode_progress(s, SYSTEM, episode_id, THRESHOLDS)
        pdf = build_progress_report(s, SYSTEM, episode_id, tmp_path / "p.pdf", Settings(mains_hz=50), reason="test")
    (sp,) = ep.sessions
    assert sp.exercise == "glute_bridge" and sp.reps == 3  # the sit-down reps are not bridge reps
    assert sp.sit_down["descent_ms"] > 0 and sp.sit_down["velocity_at_contact_m_s"] < 0
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages)
    assert "Bench sit-down control descent" in text and "Glute Bridge" in text


def test_a_patient_with_a_marked_baseline_can_still_be_erased(db) -> None:  # noqa: ANN001
    """The baseline mark points from the episode at one of its own sessions: erasing the patient (database
    cascades) and erasing the marked session alone (the mark goes back to the first) both work, on both
    backends."""
    import datetime as dt

    from clinic.records.erasure import erase_patient
    from clinic.records.models import Episode, Patient
    from clinic.records.patients import create_episode, create_patient, create_session

    _, factory = db
    with unit_of_work(factory) as s:
        ep = create_episode(s, SYSTEM, create_patient(s, SYSTEM, "E-1", "Erase", "Ed", dt.date(1970, 1, 1)),
                            "Back pain", dt.date(2026, 11, 2))
        first, second = (create_session(s, SYSTEM, ep, dt.datetime(2026, 11, d, 9, tzinfo=dt.UTC)) for d in (3, 10))
        s.flush()
        ep_id, patient_id, first_id, second_id = ep.id, ep.patient_id, first.id, second.id
        mark_episode_baseline(s, SYSTEM, ep_id, second_id, ep.version)
    with unit_of_work(factory) as s:
        s.delete(s.get(VisitSession, second_id))
    with factory() as s:
        assert s.get(Episode, ep_id).baseline_session_id is None
    with unit_of_work(factory) as s:
        mark_episode_baseline(s, SYSTEM, ep_id, first_id, s.get(Episode, ep_id).version)
    with unit_of_work(factory) as s:
        erase_patient(s, SYSTEM, patient_id)
    with factory() as s:
        assert s.get(Patient, patient_id) is None and s.get(Episode, ep_id) is None
