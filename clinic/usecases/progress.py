"""Progress of an episode session by session, from the stored per-rep results: the measures the clinician
reviews, a bootstrap 95 % CI over reps for the glute lead and the glute-first share, change against the
patient's own baseline, left/right asymmetry and the progression advice.

Stored results are read in ONE place, ``load_episode_reps``: when analyses get versions, only it changes (to
the trial's current version). Everything else works on what it returns.

"Changed since baseline" is claimed only when the session's CI and the baseline's CI do not overlap; anything
else is "no clear change yet". No value is judged against a population norm (domain.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from clinic.protocol.exercises import exercise_name, stage_index
from clinic.protocol.progression import Advice, ProgressionThresholds, StageEvidence, advise
from clinic.records.audit import record_event
from clinic.records.editing import mark_baseline
from clinic.records.models import Episode, Patient, Recording, RepResult, TrialAnalysis
from clinic.records.models import Session as VisitSession
from clinic.records.security import Actor
from clinic.signals.summary import dig

CI_LEVEL = 0.95
N_RESAMPLES = 2000
CI_METHOD = f"percentile bootstrap over reps ({N_RESAMPLES} resamples, scipy.stats.bootstrap), 95 % CI"
CHANGED = "changed since baseline"
BASELINE_MARKED = "marked by the clinician"
BASELINE_CHOSEN = "chosen for this comparison, not stored"
BASELINE_FIRST = "the first session with results"
NO_CLEAR_CHANGE = "no clear change yet"
MUSCLES = ("glute_max", "hamstrings", "erector_spinae")
#: the measures with a CI, compared with the baseline
CI_MEASURES = ("glute_lead_hamstrings_ms", "glute_first_share")


@dataclass(frozen=True)
class RepRow:
    """One stored rep of one trial (its metrics dict as the analysis wrote it)."""

    trial_id: int
    exercise: str
    side: str
    hold_target_s: float
    metrics: dict[str, Any]


@dataclass
class SessionReps:
    session_id: int
    started_at: dt.datetime
    week: int
    pain_score: int | None
    notes: str
    has_mvc: bool
    simulated: bool
    exercises: list[str]
    reps: list[RepRow] = field(default_factory=list)


def load_episode_reps(s: Session, episode_id: int) -> list[SessionReps]:
    """Every session of the episode (time order) with its stored rep results, of each trial's current analysis
    version: the single read of results."""
    ep = s.get(Episode, episode_id)
    if ep is None:
        raise KeyError(f"no episode {episode_id}")
    visits = s.scalars(select(VisitSession).where(VisitSession.episode_id == episode_id)
                       .options(selectinload(VisitSession.trials), selectinload(VisitSession.calibrations))
                       .order_by(VisitSession.started_at)).all()
    trial_ids = [t.id for v in visits for t in v.trials]
    rows = s.execute(select(RepResult.trial_id, RepResult.metrics)
                     .join(TrialAnalysis, TrialAnalysis.id == RepResult.analysis_id)
                     .where(RepResult.trial_id.in_(trial_ids), TrialAnalysis.is_current.is_(True))
                     .order_by(RepResult.trial_id, RepResult.rep)).all() if trial_ids else []  # the current version
    simulated = set(s.scalars(select(Recording.trial_id).where(Recording.trial_id.in_(trial_ids),
                                                               Recording.simulated.is_(True)))) if trial_ids else set()
    by_trial: dict[int, list[dict[str, Any]]] = {}
    for trial_id, metrics in rows:
        by_trial.setdefault(trial_id, []).append(dict(metrics or {}))
    out = []
    for v in visits:
        sr = SessionReps(v.id, v.started_at, ep.week_of(v.started_at), v.pain_score, v.notes or "",
                         any(c.mvc_uv for c in v.calibrations), any(t.id in simulated for t in v.trials),
                         list(dict.fromkeys(t.exercise for t in v.trials)))
        for t in v.trials:
            sr.reps += [RepRow(t.id, t.exercise, t.side, t.hold_target_s, m) for m in by_trial.get(t.id, [])]
        out.append(sr)
    return out


@dataclass(frozen=True)
class Estimate:
    """A statistic over reps with its bootstrap CI (None when there are too few reps)."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    iqr: float | None = None  # spread over reps, for the medians

    def separated_from(self, other: Estimate) -> bool:
        if None in (self.low, self.high, other.low, other.high):
            return False
        return self.low > other.high or self.high < other.low  # type: ignore[operator]


def _numbers(values: Iterable[object]) -> np.ndarray:
    return np.array([float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)
                     and np.isfinite(v)])


def estimate(values: Iterable[object], statistic: Callable[..., Any], seed: int) -> Estimate:
    """``statistic`` of the values with a percentile bootstrap 95 % CI (seeded: the same data gives the same CI)."""
    v = _numbers(values)
    if not len(v):
        return Estimate(None, None, None, 0)
    value = float(statistic(v))
    iqr = float(np.subtract(*np.percentile(v, [75, 25])))
    if len(v) < 3:
        return Estimate(value, None, None, len(v), iqr)
    if np.all(v == v[0]):  # every rep the same: no spread to resample
        return Estimate(value, value, value, len(v), iqr)
    from scipy.stats import bootstrap  # 1-2 s to import: loaded by the first estimate (on a worker), not
    # by importing this module (the progress review page imports it on the GUI thread)

    ci = bootstrap((v,), statistic, confidence_level=CI_LEVEL, n_resamples=N_RESAMPLES, method="percentile",
                   vectorized=True, rng=np.random.default_rng(seed)).confidence_interval
    return Estimate(value, float(ci.low), float(ci.high), len(v), iqr)


def _median(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis)


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis)


def _med(values: Iterable[object]) -> float | None:
    v = _numbers(values)
    return float(np.median(v)) if len(v) else None


def _share(values: Iterable[object]) -> float | None:
    v = [bool(x) for x in values if x is not None]
    return sum(v) / len(v) if v else None


def _hold_s(r: RepRow) -> float | None:
    ms = r.metrics.get("hold_ms")
    return None if ms is None else ms / 1000.0


def _first_shares(reps: Sequence[RepRow]) -> list[float]:
    return [1.0 if r.metrics.get("glute_first") else 0.0 for r in reps if r.metrics.get("firing_order")]


@dataclass
class SessionProgress:
    session_id: int
    week: int
    date: dt.date
    exercise: str | None  # the most advanced progression exercise done (the stage reached)
    reps: int
    glute_lead_hamstrings_ms: Estimate
    glute_lead_erector_ms: Estimate
    glute_first_share: Estimate
    pct_mvc: dict[str, float | None]  # median hold %MVC per muscle
    glute_hamstring_ratio: float | None
    lumbar_glute_ratio: float | None
    hold_median_s: float | None
    hold_target_s: float | None
    hold_reached_share: float | None
    plate_left_pct: float | None  # median load on the left (50 = symmetric)
    sit_down: dict[str, float | None]  # bench sit-down control, when recorded
    pain_score: int | None
    notes: str
    has_mvc: bool
    simulated: bool
    by_side: dict[str, dict[str, float | None]]  # per side: lead, glute-first share, glute %MVC, hold
    asymmetry: dict[str, float | None]  # left minus right of each two-sided measure
    verdicts: dict[str, str] = field(default_factory=dict)  # per CI measure, vs the baseline

    @property
    def label(self) -> str:
        return f"Week {self.week}"

    @property
    def changed(self) -> bool:
        return CHANGED in self.verdicts.values()


def _side_measures(reps: Sequence[RepRow]) -> dict[str, float | None]:
    firsts = _first_shares(reps)
    return {"glute_lead_hamstrings_ms": _med(r.metrics.get("glute_lead_hamstrings_ms") for r in reps),
            "glute_first_share": (sum(firsts) / len(firsts)) if firsts else None,
            "glute_pct_mvc": _med(dig(r.metrics, "hold_amplitude.glute_max.mean_pct_mvc") for r in reps),
            "hold_s": _med(_hold_s(r) for r in reps)}


def session_progress(sr: SessionReps) -> SessionProgress:
    """The measures of one session, over all its reps of progression exercises (both sides pooled)."""
    reps = [r for r in sr.reps if stage_index(r.exercise) is not None]
    staged = [e for e in sr.exercises if stage_index(e) is not None]
    sit = [r for r in sr.reps if r.exercise == "bench_sit_down"]
    seed = sr.session_id
    by_side = {side: _side_measures([r for r in reps if r.side == side]) for side in ("left", "right")
               if any(r.side == side for r in reps)}
    asym: dict[str, float | None] = {}
    if len(by_side) == 2:
        for key in by_side["left"]:
            a, b = by_side["left"][key], by_side["right"][key]
            asym[key] = None if a is None or b is None else a - b
    return SessionProgress(
        session_id=sr.session_id, week=sr.week, date=sr.started_at.astimezone().date(),
        exercise=max(staged, key=lambda k: stage_index(k) or 0) if staged else None, reps=len(reps),
        glute_lead_hamstrings_ms=estimate((r.metrics.get("glute_lead_hamstrings_ms") for r in reps), _median, seed),
        glute_lead_erector_ms=estimate((r.metrics.get("glute_lead_erector_spinae_ms") for r in reps), _median, seed),
        glute_first_share=estimate(_first_shares(reps), _mean, seed),
        pct_mvc={m: _med(dig(r.metrics, f"hold_amplitude.{m}.mean_pct_mvc") for r in reps) for m in MUSCLES},
        glute_hamstring_ratio=_med(r.metrics.get("glute_hamstring_ratio") for r in reps),
        lumbar_glute_ratio=_med(r.metrics.get("lumbar_glute_ratio") for r in reps),
        hold_median_s=_med(_hold_s(r) for r in reps),
        hold_target_s=_med(r.hold_target_s for r in reps),
        hold_reached_share=_share(r.metrics.get("hold_reached") for r in reps),
        plate_left_pct=_med(dig(r.metrics, "plate.left_pct") for r in reps),
        sit_down={"descent_ms": _med(dig(r.metrics, "landing.descent_ms") for r in sit),
                  "velocity_at_contact_m_s": _med(dig(r.metrics, "landing.velocity_at_contact_m_s") for r in sit),
                  "peak_seat_force_bw": _med(dig(r.metrics, "landing.peak_seat_force_bw") for r in sit)}
        if sit else {},
        pain_score=sr.pain_score, notes=sr.notes, has_mvc=sr.has_mvc, simulated=sr.simulated, by_side=by_side,
        asymmetry=asym)


@dataclass
class EpisodeProgress:
    patient_name: str
    mrn: str
    birth_date: dt.date
    episode_id: int
    reason: str
    goals: str
    status: str
    start_date: dt.date
    discharge_date: dt.date | None
    discharge_summary: str
    sessions: list[SessionProgress]
    baseline_session_id: int | None
    advice: Advice
    thresholds: ProgressionThresholds
    episode_version: int  # what a change of the episode (its baseline mark) is checked against
    baseline_source: str  # why that session: BASELINE_MARKED, BASELINE_CHOSEN or BASELINE_FIRST
    goal_outcomes: list[dict[str, Any]]  # the clinician's verdict per goal at discharge: {"goal", "met"}
    ci_method: str = CI_METHOD

    @property
    def simulated(self) -> bool:
        return any(sp.simulated for sp in self.sessions)

    @property
    def baseline(self) -> SessionProgress | None:
        return next((sp for sp in self.sessions if sp.session_id == self.baseline_session_id), None)

    def first_changed_week(self) -> int | None:
        return next((sp.week for sp in self.sessions if sp.changed), None)


def compare_with_baseline(sessions: list[SessionProgress], baseline_id: int | None) -> None:
    """Set each session's verdict per CI measure: changed only when its CI and the baseline's do not overlap."""
    base = next((sp for sp in sessions if sp.session_id == baseline_id), None)
    for sp in sessions:
        for key in CI_MEASURES:
            est: Estimate = getattr(sp, key)
            if sp is base:
                sp.verdicts[key] = "baseline"
            elif base is None or est.low is None or getattr(base, key).low is None:
                sp.verdicts[key] = "not enough reps for a CI"
            else:
                sp.verdicts[key] = CHANGED if est.separated_from(getattr(base, key)) else NO_CLEAR_CHANGE


def latest_episode_id(s: Session, patient: Patient) -> int | None:
    """The patient's most recent episode (by start date, then id)."""
    return s.scalar(select(Episode.id).where(Episode.patient_id == patient.id)
                    .order_by(Episode.start_date.desc(), Episode.id.desc()).limit(1))


def episode_progress(s: Session, actor: Actor, episode_id: int, thresholds: ProgressionThresholds,
                     baseline_session_id: int | None = None) -> EpisodeProgress:
    """The episode's progress. The baseline: ``baseline_session_id`` when given (a one-off comparison, not
    stored), else the session the clinician marked (``mark_episode_baseline``), else the first session with
    results."""
    actor.require("read")
    ep = s.get(Episode, episode_id)
    if ep is None:
        raise KeyError(f"no episode {episode_id}")
    sessions = [session_progress(sr) for sr in load_episode_reps(s, episode_id)]
    if baseline_session_id is not None and all(sp.session_id != baseline_session_id for sp in sessions):
        raise KeyError(f"session {baseline_session_id} is not in episode {episode_id}")
    source = BASELINE_CHOSEN
    if baseline_session_id is None:
        baseline_session_id, source = ep.baseline_session_id, BASELINE_MARKED
    if baseline_session_id is None:
        baseline_session_id = next((sp.session_id for sp in sessions if sp.reps), None)
        source = BASELINE_FIRST
    compare_with_baseline(sessions, baseline_session_id)
    evidence = [StageEvidence(sp.label, sp.exercise, sp.glute_first_share.value, sp.pct_mvc.get("glute_max"),
                              sp.hold_reached_share) for sp in sessions if sp.exercise and sp.reps]
    record_event(s, actor.username, "read", "episode_progress", episode_id)
    p = ep.patient
    return EpisodeProgress(p.display_name, p.mrn, p.birth_date, ep.id, ep.reason, ep.goals or "", ep.status,
                           ep.start_date, ep.discharge_date, ep.discharge_summary or "", sessions,
                           baseline_session_id, advise(evidence, thresholds), thresholds, ep.version,
                           source,
                           list(ep.goal_outcomes or []))


def mark_episode_baseline(s: Session, actor: Actor, episode_id: int, session_id: int | None,
                          seen_version: int) -> None:
    """Store the clinician's baseline for the episode (None: the first session with results again); a
    ``ConflictError`` when another workstation changed the episode after ``seen_version`` was read."""
    ep = s.get(Episode, episode_id)
    if ep is None:
        raise KeyError(f"no episode {episode_id}")
    mark_baseline(s, actor, ep, session_id, seen_version)


def stage_label(sp: SessionProgress) -> str:
    return exercise_name(sp.exercise) if sp.exercise else "-"
