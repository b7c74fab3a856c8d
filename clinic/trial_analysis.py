"""Analyse a stored trial: load its EMG and plate recordings, put them on one clock, run the analysis."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from clinic.records.models import Trial
from clinic.records.store import CorruptRecording, load_physical
from clinic.signals.analysis import analyze_trial
from clinic.signals.conditioning import ConditioningSettings


def analyze_stored_trial(s: Session, trial: Trial,
                         conditioning: ConditioningSettings = ConditioningSettings()) -> dict[str, object]:
    """The trial's analysis; a damaged recording gives a result with an ``error`` saying why, not an exception."""
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
    result = analyze_trial(values, rec.sample_rate_hz, rec.channel_names,
                           side=trial.side if trial.side in ("left", "right") else "left",
                           force_cells_n=force, plate_rate_hz=plate_rate, plate_cells=cells,
                           exercise=trial.exercise, conditioning=conditioning)
    result.update(trial_id=trial.id, exercise=trial.exercise, side=trial.side,
                  simulated=any(r.simulated for r in trial.recordings),
                  recording_ids=[r.id for r in trial.recordings])
    return result
