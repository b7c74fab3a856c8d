"""Analyse a stored trial: load its EMG and plate recordings, put them on one clock, normalise by that day's
calibration, run the analysis, and (``analyze_and_store``) keep the results with the trial.

A calibration belongs to one day's session (decisions.md): a session without its own calibration is analysed
in microvolts, and the result says so, naming the last calibration it did not reuse.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.records.models import Calibration, Trial
from clinic.records.models import Session as VisitSession
from clinic.records.results import save_trial_results
from clinic.records.security import Actor
from clinic.records.store import CorruptRecording, load_physical
from clinic.signals.analysis import analyze_trial
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.onsets import OnsetSettings


def session_mvc(visit: VisitSession) -> dict[str, float]:
    """The MVC reference per muscle (``glute_max_left`` ...) of this session's own calibration; the latest
    calibration of a muscle wins (a repeated MVC replaces the earlier one)."""
    return {c.muscle: c.mvc_uv for c in visit.calibrations if c.mvc_uv}


def calibration_note(s: Session, visit: VisitSession) -> str | None:
    """Why this session's amplitudes are not in %MVC, when an earlier day's calibration exists."""
    if session_mvc(visit):
        return None
    earlier = s.scalar(select(Calibration).join(VisitSession)
                       .where(VisitSession.episode_id == visit.episode_id, VisitSession.id != visit.id,
                              VisitSession.started_at < visit.started_at, Calibration.mvc_uv.is_not(None))
                       .order_by(VisitSession.started_at.desc()).limit(1))
    if earlier is None:
        return None
    day = earlier.session.started_at.astimezone().date()
    return (f"this session has no calibration of its own; the last one (session {earlier.session_id}, {day}) is "
            "not reused because the electrodes are placed anew each day: amplitudes are in microvolts")


def analyze_stored_trial(s: Session, trial: Trial, conditioning: ConditioningSettings,
                         settings: OnsetSettings) -> dict[str, Any]:
    """The trial's analysis with these filter and detector settings; a damaged recording gives a result with an
    ``error`` saying why, not an exception."""
    emg = plate = None
    for rec in trial.recordings:
        try:
            r, values = load_physical(s, rec.id)
        except (CorruptRecording, ValueError) as exc:  # ValueError: chunk sizes that do not match the recording
            return {"trial_id": trial.id, "error": f"recording {rec.id} cannot be read: {exc}",
                    "recording_ids": [r.id for r in trial.recordings]}
        if r.kind == "emg" and emg is None:
            emg = (r, values)
        elif r.kind == "plate" and plate is None:
            plate = (r, values)
    if emg is None:
        return {"trial_id": trial.id, "error": "this trial has no EMG recording"}
    rec, values = emg
    force = plate_rate = cells = None
    if plate is not None:
        prec, pvalues = plate
        cells = list(prec.channel_names)
        # shift the plate onto the EMG clock: sample 0 of each was taken at its start_offset_s
        shift = int(round((rec.start_offset_s - prec.start_offset_s) * prec.sample_rate_hz))
        force = pvalues[shift:] if shift >= 0 else np.vstack([np.repeat(pvalues[:1], -shift, 0), pvalues])
        plate_rate = prec.sample_rate_hz
    visit = trial.session
    mvc = session_mvc(visit)
    result: dict[str, Any] = analyze_trial(
        values, rec.sample_rate_hz, rec.channel_names, side=trial.side if trial.side in ("left", "right") else "left",
        force_cells_n=force, plate_rate_hz=plate_rate, settings=settings, plate_cells=cells, exercise=trial.exercise,
        conditioning=conditioning, mvc=mvc or None, hold_target_s=trial.hold_target_s)
    note = calibration_note(s, visit)
    if note:
        result.setdefault("notes", []).append(note)
    result.update(trial_id=trial.id, session_id=visit.id, exercise=trial.exercise, side=trial.side,
                  simulated=any(r.simulated for r in trial.recordings),
                  recording_ids=[r.id for r in trial.recordings],
                  channel_map=dict(rec.channel_map or {}),
                  calibration={"session_id": visit.id, "muscles": sorted(mvc)} if mvc else None)
    return result


def analyze_and_store(s: Session, actor: Actor, trial: Trial, conditioning: ConditioningSettings,
                      settings: OnsetSettings) -> dict[str, Any]:
    """Analyse and keep the result as a new, current analysis version of the trial (the recorder, the demo, the
    self-test and re-analysis share this); the result then names it under ``analysis_version``."""
    analysis = analyze_stored_trial(s, trial, conditioning, settings)
    if "error" not in analysis:
        version = save_trial_results(s, actor, trial, analysis)
        analysis["analysis_version"] = {"id": version.id, "number": version.number}
    return analysis
