"""Readable CSV export of a recording: a time column in seconds, then one column per channel.

Text cells (the header: channel names come from the device) are quoted per RFC 4180 by the csv module, and a
text cell that a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage return) gets
a leading apostrophe (OWASP "CSV injection"). Numbers are written as plain numbers.

A gap (lost packets, a pulled cable) has no rows: the time column jumps over it, and a comment line lists
the gaps. The time column carries enough decimals to give back the stated rate exactly.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from clinic.atomic_file import atomic_write
from clinic.records.models import Recording
from clinic.records.store import load_segments


def time_format(rate_hz: float) -> str:
    """Decimals enough that every time stamp is within a thousandth of a sample period of the truth."""
    return f"%.{max(3, math.ceil(math.log10(rate_hz)) + 3)}f"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(cell: object) -> str:
    """A text cell a spreadsheet shows as text, never evaluates."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_recording_csv(s: Session, recording_id: int, path: str | Path) -> Path:
    rec = s.get(Recording, recording_id)
    if rec is None:
        raise KeyError(f"no recording {recording_id}")
    segments = load_segments(s, recording_id)
    rate = rec.sample_rate_hz
    scale = np.asarray(rec.scale, dtype=np.float64)
    offset = np.asarray(rec.offset, dtype=np.float64)
    comments = [f"# GluteLab recording {rec.id}, {rec.kind}, {rate:.10g} Hz, units {rec.units}"
                + (", SIMULATED" if rec.simulated else "")]
    holes = [(a_first + len(a), b_first) for (a_first, a), (b_first, _) in zip(segments, segments[1:])]
    if holes:
        comments.append("# gaps (no signal, no rows): " + "; ".join(
            f"{a / rate:.4f} s for {(b - a) / rate:.4f} s" for a, b in holes))
    fmt = [time_format(rate)] + ["%.9g"] * len(rec.channel_names)
    path = Path(path)
    with atomic_write(path) as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow([comments[0]])  # one quoted cell: device text (the units) cannot add a cell
        for comment in comments[1:]:  # our own text
            fh.write(comment + "\n")
        writer.writerow(["time"] + [safe_text(c) for c in rec.channel_names])  # channel names come from the device
        for first, counts in segments:
            t = np.arange(first, first + len(counts)) / rate
            np.savetxt(fh, np.column_stack([t, ((counts - offset) * scale).astype(np.float32)]), delimiter=",",
                       fmt=fmt)
    return path
