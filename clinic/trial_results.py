"""Analyse a stored trial and keep the results with it (recorder, demo, selftest and review share this)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from clinic.records.models import Trial
from clinic.records.results import save_trial_results
from clinic.records.security import Actor
from clinic.signals.conditioning import ConditioningSettings
from clinic.trial_analysis import analyze_stored_trial


def analyze_and_store(s: Session, actor: Actor, trial: Trial,
                      conditioning: ConditioningSettings = ConditioningSettings()) -> dict[str, Any]:
    analysis = analyze_stored_trial(s, trial, conditioning)
    if "error" not in analysis:
        save_trial_results(s, actor, trial, analysis)
    return analysis
