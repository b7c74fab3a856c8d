"""C3D export (Mokka, OpenSim, MATLAB): EMG analog channels plus the force plate, one file per EMG recording.

C3D carries one analog rate, so the trial's plate recordings are resampled onto the EMG sample times by
linear interpolation on the session clock (each recording's ``start_offset_s`` aligns them; before the first
and after the last plate sample the edge value is held). The file says so in GLUTELAB:RESAMPLING. A plate
recording of a trial without EMG is written alone at its own rate. Values are physical units, float32.
"""

from __future__ import annotations

from pathlib import Path

import ezc3d
import numpy as np
from sqlalchemy.orm import Session

from clinic.atomic_file import atomic_path
from clinic.records.models import Recording
from clinic.records.store import load_physical

MAX_FRAMES = 65535


def export_recording_c3d(s: Session, recording_id: int, path: str | Path,
                         plate_ids: list[int] | None = None) -> Path:
    rec, values = load_physical(s, recording_id)
    rate = rec.sample_rate_hz
    n = values.shape[0]
    labels = [str(c) for c in rec.channel_names]
    units = [rec.units] * len(labels)
    columns = [values.astype(np.float64)]
    notes = []
    t = rec.start_offset_s + np.arange(n) / rate
    for pid in plate_ids or []:
        plate, force = load_physical(s, pid)
        tp = plate.start_offset_s + np.arange(force.shape[0]) / plate.sample_rate_hz
        if force.shape[0] == 0:
            continue
        columns.append(np.column_stack([np.interp(t, tp, force[:, c]) for c in range(force.shape[1])]))
        labels += [f"{c}" for c in plate.channel_names]
        units += [plate.units] * force.shape[1]
        notes.append(f"recording {plate.id} ({', '.join(map(str, plate.channel_names))}): linear interpolation "
                     f"from {plate.sample_rate_hz:g} Hz to {rate:g} Hz on the session clock (plate starts at "
                     f"{plate.start_offset_s:+.4f} s, EMG at {rec.start_offset_s:+.4f} s); edge values held")
    data = np.concatenate(columns, axis=1) if columns else np.zeros((n, 0))
    # The header counts frames in 16 bits: long recordings carry several analog samples per (empty) point
    # frame, and the last frame is padded with the last sample (GLUTELAB:SAMPLES has the true count).
    per_frame = max(1, -(-n // MAX_FRAMES))
    n_frames = max(1, -(-n // per_frame))
    if n_frames * per_frame > n:
        tail = data[-1:] if n else np.zeros((1, data.shape[1]))
        data = np.concatenate([data, np.repeat(tail, n_frames * per_frame - n, axis=0)])
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [rate / per_frame]
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [rate]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = labels
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = units
    c3d["data"]["points"] = np.zeros((4, 0, n_frames))
    c3d["data"]["analogs"] = data.T[np.newaxis, :, :]
    c3d.add_parameter("GLUTELAB", "RECORDING", [str(rec.id)])
    c3d.add_parameter("GLUTELAB", "SAMPLES", [str(n)])
    c3d.add_parameter("GLUTELAB", "SIMULATED", ["yes" if rec.simulated else "no"])
    c3d.add_parameter("GLUTELAB", "RESAMPLING", ["; ".join(notes) or "none: every channel at its own rate"])
    path = Path(path)
    with atomic_path(path) as tmp:
        c3d.write(str(tmp))
    return path


def c3d_groups(recordings: list[Recording]) -> list[tuple[int, list[int]]]:
    """(main recording, plates resampled into it): each EMG recording with all plates of its trial."""
    emg = [r.id for r in recordings if r.kind == "emg"]
    plates = [r.id for r in recordings if r.kind != "emg"]
    if emg:
        return [(e, plates) for e in emg]
    return [(p, []) for p in plates]
