"""Analysis results are kept per rep and feed the weekly progress query; a re-analysis adds a version and the
progress follows the current one."""

from __future__ import annotations

import datetime as dt

from clinic.records.db import unit_of_work
from clinic.records.models import RepResult, Trial
from clinic.records.patients import create_episode, create_patient, create_session, create_trial
from clinic.records.queries import weekly_progress
from clinic.records.results import save_trial_results
from clinic.records.security import SYSTEM


def _analysis(firsts: list[bool]) -> dict:
    return {"summary": {"reps": len(firsts)},
            "reps": [{"rep": i + 1, "glute_first": f, "glute_lead_hamstrings_ms": 30.0 if f else -40.0,
                      "glute_lead_erector_spinae_ms": None, "hold_ms": 6000.0,
                      "hold_amplitude": {"glute_max": {"mean_pct_mvc": 25.0}}} for i, f in enumerate(firsts)]}


def test_saved_results_feed_weekly_progress_and_a_reanalysis_is_a_new_current_version(db) -> None:  # noqa: ANN001
    _, factory = db
    start = dt.date(2026, 1, 5)
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "RES-1", "Result", "Rae", dt.date(1970, 1, 1))
        ep = create_episode(s, SYSTEM, p, "LBP", start)
        week1 = create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC))
        week3 = create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 20, 9, tzinfo=dt.UTC))
        t1 = create_trial(s, SYSTEM, week1, "cook_hip_lift", "left")
        t3 = create_trial(s, SYSTEM, week3, "cook_hip_lift", "left")
        save_trial_results(s, SYSTEM, t1, _analysis([False, False, True, False]))
        save_trial_results(s, SYSTEM, t3, _analysis([True, True, True, False]))
        ep_id, t1_id = ep.id, t1.id
    with unit_of_work(factory) as s:
        weeks = {w.week: w for w in weekly_progress(s, SYSTEM, ep_id)}
        assert weeks[1].glute_first_share == 0.25 and weeks[3].glute_first_share == 0.75
        assert weeks[1].mean_glute_pct_mvc == 25.0
        save_trial_results(s, SYSTEM, s.get(Trial, t1_id), _analysis([True, True]))
    with unit_of_work(factory) as s:
        assert s.query(RepResult).filter_by(trial_id=t1_id).count() == 4 + 2  # the first version is kept
        assert [(a.number, a.is_current, len(a.reps)) for a in s.get(Trial, t1_id).analyses] == [
            (1, False, 4), (2, True, 2)]
        assert {w.week: w.reps for w in weekly_progress(s, SYSTEM, ep_id)} == {1: 2, 3: 4}


def test_non_finite_metrics_are_stored_as_null_on_every_backend(db) -> None:  # noqa: ANN001
    """PostgreSQL's JSON type rejects NaN; an analysis with a NaN or infinite metric must still be kept."""
    import numpy as np

    _, factory = db
    analysis = _analysis([True])
    analysis["summary"]["glute_lead_hamstrings_ms_median"] = float("nan")
    analysis["reps"][0]["glute_lead_hamstrings_ms"] = np.float64("nan")
    analysis["reps"][0]["extra"] = [np.float32("inf"), np.int64(3), np.array([1.5, np.nan])]
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "RES-NAN", "Result", "Nan", dt.date(1970, 1, 1))
        ep = create_episode(s, SYSTEM, p, "LBP", dt.date(2026, 1, 5))
        trial = create_trial(s, SYSTEM, create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC)),
                             "cook_hip_lift", "left")
        assert len(save_trial_results(s, SYSTEM, trial, analysis).reps) == 1
        trial_id = trial.id
    with unit_of_work(factory) as s:
        trial = s.get(Trial, trial_id)
        assert trial.summary["glute_lead_hamstrings_ms_median"] is None
        row = s.query(RepResult).filter_by(trial_id=trial_id).one()
        assert row.glute_lead_hamstrings_ms is None
        assert row.metrics["glute_lead_hamstrings_ms"] is None
        assert row.metrics["extra"] == [None, 3, [1.5, None]]


def test_two_workstations_storing_at_once_never_lose_or_overwrite_a_version(db) -> None:  # noqa: ANN001
    """Workstation B stores an analysis while A's is not yet committed: B waits, then either adds the next
    version (SQLite serialises writers) or is told to reload (PostgreSQL sees the trial's version moved);
    never two current versions, never a version lost."""
    import threading
    import time

    from clinic.records.editing import ConflictError

    _, factory = db
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "RES-CC", "Result", "Concurrent", dt.date(1970, 1, 1))
        ep = create_episode(s, SYSTEM, p, "LBP", dt.date(2026, 1, 5))
        trial = create_trial(s, SYSTEM, create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC)),
                             "cook_hip_lift", "left")
        save_trial_results(s, SYSTEM, trial, _analysis([True]))
        trial_id = trial.id
    a_stored = threading.Event()
    outcome: dict[str, str] = {}

    def store(name: str, firsts: list[bool], hold_open: bool) -> None:
        if not hold_open:
            a_stored.wait(10)
        try:
            with unit_of_work(factory) as s:
                save_trial_results(s, SYSTEM, s.get(Trial, trial_id), _analysis(firsts))
                if hold_open:
                    a_stored.set()
                    time.sleep(0.5)  # B now tries while A's transaction is still open
            outcome[name] = "stored"
        except ConflictError:
            outcome[name] = "conflict"
        finally:
            a_stored.set()

    threads = [threading.Thread(target=store, args=("A", [False, False], True)),
               threading.Thread(target=store, args=("B", [True, True, True], False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcome["A"] == "stored" and outcome["B"] in ("stored", "conflict")
    with unit_of_work(factory) as s:
        versions = [(a.number, a.is_current, len(a.reps)) for a in s.get(Trial, trial_id).analyses]
    if outcome["B"] == "stored":
        assert versions == [(1, False, 1), (2, False, 2), (3, True, 3)]
    else:
        assert versions == [(1, False, 1), (2, True, 2)]
