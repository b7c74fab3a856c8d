"""Readable CSV export of a recording: a time column in seconds, then one column per channel.

Text cells (the header: channel names come from the device) are quoted per RFC 4180 by the csv module, and a
text cell that a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage return) gets
a leading apostrophe (OWASP "CSV injection"). Numbers are written as plain numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from clinic.records.store import load_physical

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(cell: object) -> str:
    """A text cell a spreadsheet shows as text, never evaluates."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _number_rows(t: np.ndarray, values: np.ndarray, chunk: int = 10_000) -> Iterable[list[str]]:
    for start in range(0, len(t), chunk):
        block = np.column_stack([t[start:start + chunk], values[start:start + chunk]])
        yield from ([f"{v:.9g}" for v in row] for row in block.tolist())


def export_recording_csv(s: Session, recording_id: int, path: str | Path) -> Path:
    rec, values = load_physical(s, recording_id)
    t = np.arange(values.shape[0]) / rec.sample_rate_hz
    comment = (f"# GluteLab recording {rec.id}, {rec.kind}, {rec.sample_rate_hz:g} Hz, units {rec.units}"
               + (", SIMULATED" if rec.simulated else ""))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([safe_text(comment)])  # units come from the device too: quoted like any text
        writer.writerow(["time"] + [safe_text(c) for c in rec.channel_names])
        writer.writerows(_number_rows(t, values))
    return path
