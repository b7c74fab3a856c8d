"""EDF+ / BDF+ export of one recording (EDFbrowser, MNE, MATLAB open it).

EDF stores 16-bit samples and BDF 24-bit ones. We write the device's raw counts as the digital values and
set the physical range from the device scale, so the file is lossless: EDF+ when every count fits in 16
bits (one digital step = one count, below the amplifier noise), BDF+ otherwise (24-bit ADCs, load cells).
The last data record is padded with the last sample; an annotation marks where the recording really ends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyedflib
from sqlalchemy.orm import Session

from clinic.atomic_file import atomic_path
from clinic.records.models import Recording
from clinic.records.store import load_segments

EDF_RANGE = (-32768, 32767)
BDF_RANGE = (-8388608, 8388607)


def _fit8(value: float) -> float:
    """The value as EDF's 8-character header field will hold it (so the writer does not round it again)."""
    for decimals in range(6, -1, -1):
        text = f"{value:.{decimals}f}"
        if len(text) <= 8:
            return float(text)
    raise ValueError(f"physical limit {value} does not fit an EDF header")


def _exact_limit(edge: int, inner: int, offset: float, scale: float) -> tuple[int, float]:
    """A digital limit between ``edge`` and ``inner`` (at most 5000 counts in) whose physical value the
    8-character header holds almost exactly, so the header gain reproduces every count (EDF's precision trap:
    "-1006.75" cannot carry the 0.00012 N of one load-cell count)."""
    step = 1 if inner >= edge else -1
    cand = np.arange(edge, edge + step * min(abs(inner - edge) + 1, 5001), step, dtype=np.int64)
    values = (cand - offset) * scale
    rounded = np.array([_fit8(v) for v in values])
    best = int(np.argmin(np.abs(rounded - values)))
    return int(cand[best]), float(rounded[best])


def export_recording_edf(s: Session, recording_id: int, path: str | Path, patient_code: str = "X") -> Path:
    rec = s.get(Recording, recording_id)
    if rec is None:
        raise KeyError(f"no recording {recording_id}")
    rate = rec.sample_rate_hz
    counts, holes = _on_time_base(load_segments(s, recording_id), rec)
    if abs(rate - round(rate)) > 1e-9:
        raise ValueError(f"EDF needs a whole number of samples per second; recording {rec.id} has {rate} Hz")
    lo_hi = (counts.min(initial=0), counts.max(initial=0))
    bdf = not (EDF_RANGE[0] <= lo_hi[0] and lo_hi[1] <= EDF_RANGE[1])
    dmin, dmax = BDF_RANGE if bdf else EDF_RANGE
    if bdf and not (dmin <= lo_hi[0] and lo_hi[1] <= dmax):
        raise ValueError(f"recording {rec.id} has counts beyond 24 bits; EDF/BDF cannot hold them losslessly")
    path = Path(path).with_suffix(".bdf" if bdf else ".edf")
    with atomic_path(path) as tmp:
        _write(tmp, rec, counts, holes, bdf, patient_code)
    return path


def _on_time_base(segments: list[tuple[int, np.ndarray]],
                  rec: Recording) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Counts on the recording's time base (EDF+C has no holes: a gap's rows hold the count of 0 physical
    units and an annotation says no signal was recorded there) and the gaps as (first row, rows)."""
    n_ch = len(rec.channel_names)
    end = segments[-1][0] + len(segments[-1][1]) if segments else 0
    zero = np.round(np.asarray(rec.offset, dtype=np.float64)).astype(np.int64)
    counts = np.tile(zero, (end, 1)) if end else np.zeros((0, n_ch), np.int64)
    holes, cursor = [], 0
    for first, part in segments:
        if first > cursor:
            holes.append((cursor, first - cursor))
        counts[first:first + len(part)] = part
        cursor = first + len(part)
    return counts, holes


def _write(path: Path, rec: Recording, counts: np.ndarray, holes: list[tuple[int, int]], bdf: bool,
           patient_code: str) -> None:
    rate = rec.sample_rate_hz
    n, n_ch = counts.shape
    dmin, dmax = BDF_RANGE if bdf else EDF_RANGE
    per_record = int(round(rate))
    padded = -(-max(n, 1) // per_record) * per_record
    if padded > n:
        tail = counts[-1:] if n else np.zeros((1, n_ch), np.int64)
        counts = np.concatenate([counts, np.repeat(tail, padded - n, axis=0)])
    writer = pyedflib.EdfWriter(str(path), n_ch, file_type=pyedflib.FILETYPE_BDFPLUS if bdf
                                else pyedflib.FILETYPE_EDFPLUS)
    try:
        headers = []
        for c, name in enumerate(rec.channel_names):
            scale, offset = float(rec.scale[c]), float(rec.offset[c])
            lo, hi = int(counts[:, c].min(initial=0)), int(counts[:, c].max(initial=0))
            dlo, pmin = _exact_limit(dmin, lo, offset, scale)
            dhi, pmax = _exact_limit(dmax, hi, offset, scale)
            headers.append({"label": str(name)[:16], "dimension": rec.units[:8], "sample_frequency": per_record,
                            "physical_min": pmin, "physical_max": pmax, "digital_min": dlo, "digital_max": dhi,
                            "transducer": f"{rec.kind} counts", "prefilter": ""})
        writer.setSignalHeaders(headers)
        writer.setPatientCode(patient_code[:40])
        device = rec.device or {}
        equipment = f"{device.get('model', '')} {device.get('serial', '')}".strip().replace(" ", "_")
        writer.setEquipment(equipment[:40] or "GluteLab")
        writer.setRecordingAdditional(f"GluteLab_rec_{rec.id}{'_SIMULATED' if rec.simulated else ''}"[:40])
        # UTC, as every GluteLab time; whole seconds: EDFlib shifts annotations by a sub-second start, which
        # would move the gap marks off the samples they describe
        writer.setStartdatetime(rec.started_at.replace(tzinfo=None, microsecond=0))
        writer.writeSamples([np.ascontiguousarray(counts[:, c], dtype=np.int32) for c in range(n_ch)],
                            digital=True)
        writer.writeAnnotation(n / rate, -1, "end of recording (later samples are padding)")
        for first, rows in holes:
            writer.writeAnnotation(first / rate, rows / rate, "gap: no signal recorded (lost link)")
        if rec.simulated:
            writer.writeAnnotation(0, -1, "SIMULATED recording")
    finally:
        writer.close()
