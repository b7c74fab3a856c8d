"""Keep every analysis of a trial as a version: its settings, summary and one row per rep; one is current.

Re-analysing with another detector, mains frequency or threshold adds a version and never overwrites one, so
the clinician can compare them. The newest version becomes current (the clinician asked for it); picking
another is an audited change guarded by the trial's optimistic version number. Every reader (weekly
progress, reports, exports, replay) uses the current version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.records.audit import record_event
from clinic.records.editing import ConflictError, save
from clinic.records.models import RepResult, Trial, TrialAnalysis
from clinic.records.security import Actor


def code_version() -> str:
    """The installed GluteLab package's version: which code produced an analysis."""
    try:
        return metadata.version("glutelab")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _json_safe(value: Any) -> Any:
    """Plain JSON types only (numpy scalars and arrays become Python values, NaN and infinities None), so every
    backend stores the same thing: PostgreSQL's JSON type rejects NaN."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def save_trial_results(s: Session, actor: Actor, trial: Trial, analysis: dict[str, Any]) -> TrialAnalysis:
    """Store ``analysis`` (from ``clinic.signals.analysis``) as a new version of ``trial``'s analysis and make it
    current; earlier versions stay as they were."""
    actor.require("record")
    number = (s.scalar(select(func.max(TrialAnalysis.number)).where(TrialAnalysis.trial_id == trial.id)) or 0) + 1
    for earlier in trial.analyses:
        earlier.is_current = False
    s.flush()  # the one-current-per-trial index must see the old one cleared before the new one arrives
    conditioning = _json_safe(analysis.get("conditioning") or {})
    version = TrialAnalysis(
        trial_id=trial.id, number=number, is_current=True, method=_json_safe(analysis.get("method") or {}),
        conditioning=conditioning, mains_hz=conditioning.get("mains_hz"),
        calibration=_json_safe(analysis.get("calibration")), code_version=code_version(),
        created_by=actor.username, summary=_json_safe(analysis.get("summary") or {}),
        notes=_json_safe(list(analysis.get("notes") or [])))
    trial.analyses.append(version)
    reps = analysis.get("reps") or []
    for rep in map(_json_safe, reps):
        glute = (rep.get("hold_amplitude") or {}).get("glute_max") or {}
        hold_ms = rep.get("hold_ms")
        version.reps.append(RepResult(
            trial_id=trial.id, rep=int(rep["rep"]), glute_first=rep.get("glute_first"),
            glute_lead_hamstrings_ms=rep.get("glute_lead_hamstrings_ms"),
            glute_lead_erector_ms=rep.get("glute_lead_erector_spinae_ms"), glute_pct_mvc=glute.get("mean_pct_mvc"),
            hold_s=None if hold_ms is None else hold_ms / 1000.0, metrics=rep))
    trial.version += 1  # a concurrent pick of the current version on another workstation now conflicts
    save(s, f"Trial {trial.id}")
    record_event(s, actor.username, "change", "trial", trial.id,
                 f"analysis version {number} stored ({version.method.get('method', '?')}, "
                 f"mains {version.mains_hz}): {len(reps)} reps; now current")
    return version


def list_analyses(s: Session, actor: Actor, trial: Trial) -> list[TrialAnalysis]:
    """Every version of ``trial``'s analysis, oldest first."""
    actor.require("read")
    record_event(s, actor.username, "read", "trial", trial.id, "analysis versions")
    return list(trial.analyses)


def set_current_analysis(s: Session, actor: Actor, trial: Trial, analysis_id: int,
                         expected_version: int) -> TrialAnalysis:
    """Make version ``analysis_id`` the one every reader uses. ``expected_version`` is ``trial.version`` as the
    clinician saw it: if another workstation stored or picked a version since, ``ConflictError``."""
    actor.require("change")
    chosen = next((a for a in trial.analyses if a.id == analysis_id), None)
    if chosen is None:
        raise KeyError(f"trial {trial.id} has no analysis version {analysis_id}")
    if trial.version != expected_version:
        raise ConflictError(f"Trial {trial.id}'s analyses were changed by another workstation since you opened "
                            "them. Nothing was changed: reload them and pick again.")
    before = trial.current_analysis
    for a in trial.analyses:
        a.is_current = False
    s.flush()
    chosen.is_current = True
    trial.version += 1
    save(s, f"Trial {trial.id}")
    record_event(s, actor.username, "change", "trial", trial.id,
                 f"current analysis version {before.number if before else '-'} -> {chosen.number}")
    return chosen


@dataclass(frozen=True)
class RepComparison:
    """One rep in two analyses (None where that analysis found no such rep)."""

    rep: int
    a: RepResult | None
    b: RepResult | None


def compare_analyses(a: TrialAnalysis, b: TrialAnalysis) -> list[RepComparison]:
    """Two versions side by side, per rep number (a rep only one of them found shows the other as None)."""
    by_a = {r.rep: r for r in a.reps}
    by_b = {r.rep: r for r in b.reps}
    return [RepComparison(n, by_a.get(n), by_b.get(n)) for n in sorted(by_a.keys() | by_b.keys())]
