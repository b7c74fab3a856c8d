"""Progression advice: stay on the current exercise or move on to the next, from firing order, activation and
hold quality over the most recent sessions. The thresholds are the clinic's settings (the clinician sets what
counts as the target; domain.md), and every piece of advice carries the numbers it was decided from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clinic.protocol.exercises import PROGRESSION, exercise_name, stage_index


@dataclass(frozen=True)
class ProgressionThresholds:
    glute_first_share: float  # share of reps (0-1) with the glute firing first
    min_glute_pct_mvc: float  # median glute activation during the hold, %MVC
    hold_reached_share: float  # share of reps (0-1) that reached the hold target
    sessions: int  # the last this many sessions at the current exercise must all meet the targets


@dataclass(frozen=True)
class StageEvidence:
    """One session's headline numbers at one exercise (None: not measured, e.g. no MVC that day)."""

    label: str  # e.g. "Week 3"
    exercise: str
    glute_first_share: float | None
    glute_pct_mvc: float | None
    hold_reached_share: float | None


@dataclass(frozen=True)
class Advice:
    action: str  # "stay", "progress", "complete" or "no data"
    current: str | None  # exercise key
    next: str | None
    summary: str
    reasons: tuple[str, ...]


def _pct(v: float) -> str:
    return f"{100 * v:.0f} %"


def _check(e: StageEvidence, t: ProgressionThresholds) -> list[tuple[bool, str]]:
    """(met, reason) per criterion for one session."""
    out: list[tuple[bool, str]] = []
    if e.glute_first_share is None:
        out.append((False, f"{e.label}: firing order not measured"))
    else:
        ok = e.glute_first_share >= t.glute_first_share
        out.append((ok, f"{e.label}: glute first in {_pct(e.glute_first_share)} of reps "
                        f"({'meets' if ok else 'below'} the target of {_pct(t.glute_first_share)})"))
    if e.glute_pct_mvc is None:
        out.append((False, f"{e.label}: glute activation not in %MVC (no MVC calibration that day)"))
    else:
        ok = e.glute_pct_mvc >= t.min_glute_pct_mvc
        out.append((ok, f"{e.label}: glute activation {e.glute_pct_mvc:.0f} %MVC "
                        f"({'meets' if ok else 'below'} the target of {t.min_glute_pct_mvc:.0f} %MVC)"))
    if e.hold_reached_share is None:
        out.append((False, f"{e.label}: hold not measured"))
    else:
        ok = e.hold_reached_share >= t.hold_reached_share
        out.append((ok, f"{e.label}: hold target reached in {_pct(e.hold_reached_share)} of reps "
                        f"({'meets' if ok else 'below'} the target of {_pct(t.hold_reached_share)})"))
    return out


def advise(evidence: Sequence[StageEvidence], t: ProgressionThresholds) -> Advice:
    """Advice from the sessions in time order; only exercises of the progression count."""
    staged = [e for e in evidence if stage_index(e.exercise) is not None]
    if not staged:
        return Advice("no data", None, None, "No progression exercise recorded yet: start with the Cook Hip Lift.",
                      ("no session with a Cook Hip Lift, bridge or hip extension has results",))
    current = max((e.exercise for e in staged[-1:]), key=lambda k: stage_index(k) or 0)
    idx = stage_index(current) or 0
    at_stage = [e for e in staged if e.exercise == current][-t.sessions:]
    name = exercise_name(current)
    if len(at_stage) < t.sessions:
        return Advice("stay", current, None, f"Stay on the {name}.",
                      (f"only {len(at_stage)} session(s) with results at this exercise; the rule looks at the "
                       f"last {t.sessions}",))
    checks = [c for e in at_stage for c in _check(e, t)]
    reasons = tuple(r for _, r in checks)
    if not all(ok for ok, _ in checks):
        unmet = tuple(r for ok, r in checks if not ok)
        return Advice("stay", current, None, f"Stay on the {name}.",
                      unmet + tuple(r for ok, r in checks if ok))
    if idx + 1 >= len(PROGRESSION):
        return Advice("complete", current, None,
                      f"Targets met on the {name}, the last exercise of the progression.", reasons)
    nxt = PROGRESSION[idx + 1]
    return Advice("progress", current, nxt.key, f"Move on from the {name} to the {nxt.name}.", reasons)
