"""Read paths the screens need fast: a patient's episode with all sessions, and per-week progress.

Week N of an episode covers days [7(N-1), 7N) from its start (decisions.md); it is computed here from the
stored UTC times, never stored, so a corrected start date moves every session to the right week.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.orm import Session, selectinload

from clinic.records.audit import record_event
from clinic.records.models import Episode, Patient, RepResult, Trial, TrialAnalysis
from clinic.records.models import Session as VisitSession
from clinic.records.patients import search_patients
from clinic.records.security import Actor


def open_episode(s: Session, actor: Actor, episode_id: int) -> Episode:
    """The episode with its patient and every session (two indexed queries, no lazy loads later)."""
    actor.require("read")
    ep = s.scalar(select(Episode).where(Episode.id == episode_id)
                  .options(selectinload(Episode.sessions), selectinload(Episode.patient)))
    if ep is None:
        raise KeyError(f"no episode {episode_id}")
    record_event(s, actor.username, "read", "episode", episode_id)
    return ep


@dataclass(frozen=True)
class WeekProgress:
    week: int
    sessions: int
    reps: int
    glute_first_share: float | None  # share of reps where the glute fired first
    mean_glute_pct_mvc: float | None
    mean_pain: float | None


def weekly_progress(s: Session, actor: Actor, episode_id: int) -> list[WeekProgress]:
    """Per episode week: sessions, reps, how often the glute fired first, mean %MVC and pain (each trial's
    current analysis version only)."""
    actor.require("read")
    ep = s.get(Episode, episode_id)
    if ep is None:
        raise KeyError(f"no episode {episode_id}")
    per_session = s.execute(
        select(VisitSession.id, VisitSession.started_at, VisitSession.pain_score,
               func.count(RepResult.id), func.sum(cast(RepResult.glute_first, Integer)),
               func.count(RepResult.glute_first), func.sum(RepResult.glute_pct_mvc),
               func.count(RepResult.glute_pct_mvc))
        .select_from(VisitSession)
        .outerjoin(Trial, Trial.session_id == VisitSession.id)
        .outerjoin(TrialAnalysis, and_(TrialAnalysis.trial_id == Trial.id, TrialAnalysis.is_current))
        .outerjoin(RepResult, RepResult.analysis_id == TrialAnalysis.id)
        .where(VisitSession.episode_id == episode_id)
        .group_by(VisitSession.id, VisitSession.started_at, VisitSession.pain_score)).all()
    acc: dict[int, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0, 0, 0.0, 0])
    for _sid, started, pain, n_reps, n_first, n_known, pct_sum, n_pct in per_session:
        a = acc[ep.week_of(started)]
        a[0] += 1
        a[1] += n_reps
        a[2] += n_first or 0
        a[3] += n_known
        a[4] += pct_sum or 0.0
        a[5] += n_pct
        if pain is not None:
            a[6] += pain
            a[7] += 1
    record_event(s, actor.username, "read", "episode_progress", episode_id)
    return [WeekProgress(week, int(a[0]), int(a[1]), (a[2] / a[3]) if a[3] else None,
                         (a[4] / a[5]) if a[5] else None, (a[6] / a[7]) if a[7] else None)
            for week, a in sorted(acc.items())]


def find_patients(s: Session, actor: Actor, text: str, limit: int = 50) -> list[Patient]:
    """The patients screen's one search box: a birth date (YYYY-MM-DD), an MRN, or the start of a family name."""
    actor.require("read")
    text = (text or "").strip()
    try:
        born = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        born = None
    if born is not None:
        found = list(s.scalars(select(Patient).where(Patient.birth_date == born)
                               .order_by(Patient.family_name_fold, Patient.given_name_fold).limit(limit)))
        record_event(s, actor.username, "search", "patient", "", f"birth date: {len(found)} results")
        return found
    by_mrn = list(s.scalars(select(Patient).where(Patient.mrn == text))) if text else []
    by_name = search_patients(s, actor, text, limit)
    return by_mrn + [p for p in by_name if p not in by_mrn]


@dataclass(frozen=True)
class SessionRow:
    session_id: int
    started_at: dt.datetime
    week: int
    pain_score: int | None
    notes: str
    trials: int
    reps: int
    glute_first_share: float | None
    mean_glute_pct_mvc: float | None


def episode_sessions(s: Session, actor: Actor, episode_id: int) -> list[SessionRow]:
    """Every session of an episode with its pain, notes and what its stored reps say (one grouped query)."""
    ep = open_episode(s, actor, episode_id)
    stats = {row[0]: row[1:] for row in s.execute(
        select(Trial.session_id, func.count(func.distinct(Trial.id)), func.count(RepResult.id),
               func.sum(cast(RepResult.glute_first, Integer)), func.count(RepResult.glute_first),
               func.avg(RepResult.glute_pct_mvc))
        .select_from(Trial).outerjoin(RepResult, RepResult.trial_id == Trial.id)
        .join(VisitSession, VisitSession.id == Trial.session_id)
        .where(VisitSession.episode_id == episode_id, Trial.exercise.not_in(("mvc", "rest")))
        .group_by(Trial.session_id))}
    out = []
    for v in sorted(ep.sessions, key=lambda v: v.started_at):
        trials, reps, first, known, pct = stats.get(v.id, (0, 0, 0, 0, None))
        out.append(SessionRow(v.id, v.started_at, ep.week_of(v.started_at), v.pain_score, v.notes or "",
                              int(trials), int(reps), (first or 0) / known if known else None,
                              None if pct is None else float(pct)))
    return out
