"""Analyse a stored trial: load its EMG and plate recordings, put them on one clock, normalise by that day's
calibration, run the analysis, and (``analyze_and_store``) keep the results with the trial.

A calibration belongs to one day's session (decisions.md): a session without its own calibration is analysed
in microvolts, and the result says so, naming the last calibration it did not reuse.

A rep the clinician had redone during the trial (a ``rep_redone`` event on the EMG recording, placed on its
samples) is left out of the per-rep results and the summary; its signal stays in the recording, and the result
says which rep it was under ``redone`` and in a note.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.records.models import Calibration, Recording, Trial
from clinic.records.models import Session as VisitSession
from clinic.records.results import save_trial_results
from clinic.records.security import Actor
from clinic.records.store import CorruptRecording, load_physical
from clinic.signals.analysis import analyze_trial
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.onsets import OnsetSettings
from clinic.signals.summary import rep_summary

#: the recording event of a rep the clinician had redone (``SessionRunner.redo_last_rep``)
REP_REDONE = "rep_redone"


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


def redone_spans(rec: Recording) -> list[tuple[int | None, float, float]]:
    """Each rep redone during ``rec``: (its number as counted when it was redone, start s, end s on the
    recording's own time base)."""
    return [(e.get("rep"), float(e["start_s"]), float(e["start_s"]) + float(e["duration_s"]))
            for e in rec.events or [] if e.get("kind") == REP_REDONE]


def _overlap_s(rep: dict[str, Any], start: float, end: float) -> float:
    """Seconds the rep (movement start to the end of its lowering) shares with ``start``..``end``."""
    a = float(rep.get("movement_start_s") or 0.0)
    b = max(float(rep.get("hold_end_s") or a), float(rep.get("lower_end_s") or a))
    return min(b, end) - max(a, start)


def leave_out_redone(result: dict[str, Any], spans: list[tuple[int | None, float, float]]) -> dict[str, Any]:
    """``result`` without the reps the clinician had redone: for each span, the rep found by the analysis that
    overlaps it most is taken out; the rest are numbered again in time order and summarised again. ``redone``
    lists each span with the rep left out (its metrics, or None when no rep overlaps it)."""
    if not spans or result.get("error"):
        return result
    reps = list(result.get("reps") or [])
    redone: list[dict[str, Any]] = []
    notes = list(result.get("notes") or [])
    for counted, start, end in spans:
        overlaps = [(_overlap_s(r, start, end), r) for r in reps]
        best = max(overlaps, key=lambda o: o[0], default=None)
        left_out = best[1] if best is not None and best[0] > 0 else None
        if left_out is not None:
            reps.remove(left_out)
            notes.append(f"rep {counted} was redone at the clinician's request: its signal ({start:.1f}-{end:.1f} s) "
                         "is kept in the recording and left out of the per-rep results")
        else:
            notes.append(f"a rep redone at the clinician's request ({start:.1f}-{end:.1f} s) matches no rep found "
                         "by the analysis: nothing was left out")
        redone.append({"rep": counted, "start_s": round(start, 4), "end_s": round(end, 4), "left_out": left_out})
    reps = [dict(r, rep=k) for k, r in enumerate(reps, start=1)]
    return {**result, "reps": reps, "summary": rep_summary(reps), "notes": notes, "redone": redone}


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
    result = leave_out_redone(result, redone_spans(rec))
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
