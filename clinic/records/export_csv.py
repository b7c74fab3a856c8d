"""Readable CSV export of a recording: a time column in seconds, then one column per channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from clinic.records.store import load_physical


def export_recording_csv(s: Session, recording_id: int, path: str | Path) -> Path:
    rec, values = load_physical(s, recording_id)
    t = np.arange(values.shape[0]) / rec.sample_rate_hz
    header = ",".join(["time"] + [str(c) for c in rec.channel_names])
    comments = (f"# GluteLab recording {rec.id}, {rec.kind}, {rec.sample_rate_hz:g} Hz, units {rec.units}"
                + (", SIMULATED" if rec.simulated else "") + "\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(comments)
        fh.write(header + "\n")
        np.savetxt(fh, np.column_stack([t, values]), delimiter=",", fmt="%.9g")
    return path
