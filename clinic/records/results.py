"""Keep a trial's analysis: the summary on the trial and one row per rep, replacing earlier results.

The per-rep rows are what the weekly progress query aggregates (share of reps with the glute first, glute
%MVC during the hold), so a re-analysis with other settings replaces them rather than adding to them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy import delete
from sqlalchemy.orm import Session

from clinic.records.audit import record_event
from clinic.records.models import RepResult, Trial
from clinic.records.security import Actor


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


def save_trial_results(s: Session, actor: Actor, trial: Trial, analysis: dict[str, Any]) -> int:
    """Store ``analysis`` (from ``clinic.signals.analysis``) on ``trial``; returns the number of reps kept."""
    actor.require("record")
    s.execute(delete(RepResult).where(RepResult.trial_id == trial.id))
    s.expire(trial, ["rep_results"])
    trial.summary = _json_safe(analysis.get("summary") or {})
    reps = analysis.get("reps") or []
    for rep in map(_json_safe, reps):
        glute = (rep.get("hold_amplitude") or {}).get("glute_max") or {}
        hold_ms = rep.get("hold_ms")
        s.add(RepResult(trial_id=trial.id, rep=int(rep["rep"]), glute_first=rep.get("glute_first"),
                        glute_lead_hamstrings_ms=rep.get("glute_lead_hamstrings_ms"),
                        glute_lead_erector_ms=rep.get("glute_lead_erector_spinae_ms"),
                        glute_pct_mvc=glute.get("mean_pct_mvc"),
                        hold_s=None if hold_ms is None else hold_ms / 1000.0, metrics=rep))
    record_event(s, actor.username, "change", "trial", trial.id, f"analysis stored: {len(reps)} reps")
    return len(reps)
