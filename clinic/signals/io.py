"""Reading signals from files for ``glutelab analyze FILE``: CSV, GluteLab CSV exports and EDF/EDF+/BDF.

- CSV: a header row naming the channels; the sample rate from a ``time`` column in seconds, or given.
  Lines starting with ``#`` are comments (GluteLab exports put the recording's description there, e.g.
  ``# GluteLab recording 12, emg, 2000 Hz, units uV``; the rate is taken from it when there is no time
  column).
- EDF/EDF+/BDF (pyedflib): every signal at the most common sample rate is read, in microvolts when its
  physical dimension is a volt unit.

Every problem raises ``SignalFileError`` with a message that says what is wrong and what would fix it.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clinic.channel_map import UNUSED, ChannelMap, ChannelMapError

MIN_RATE_HZ = 100.0
MAX_RATE_HZ = 100_000.0
#: a stated rate (a GluteLab export's comment) and the time column's must agree this well (0.1 %)
RATE_AGREEMENT = 0.001
_UNIT_TO_UV = {"uv": 1.0, "µv": 1.0, "mv": 1000.0, "v": 1e6, "nv": 1e-3}


class SignalFileError(ValueError):
    """A file that cannot be analysed; the message says why and what would fix it."""


@dataclass
class LoadedSignals:
    data: np.ndarray  # samples x channels
    rate_hz: float
    channel_names: list[str]
    source: str
    units: str = "uV"
    time_offset_s: float = 0.0  # the file's first time stamp (times in results count from the file start)
    kind: str = "emg"
    notes: list[str] = field(default_factory=list)


def parse_channel_map(spec: str | None) -> dict[str, str]:
    """``ch1=glute_max_left,ch2=hamstrings_left`` -> {"ch1": "glute_max_left", ...} (``clinic.channel_map``
    checks targets, channels given twice and muscles given to two channels)."""
    try:
        return ChannelMap.parse(spec).as_dict()
    except ChannelMapError as exc:
        raise SignalFileError(f"--map: {exc}") from exc


def apply_channel_map(sig: LoadedSignals, mapping: Mapping[str, str]) -> LoadedSignals:
    """Rename channels; unmapped channels keep their names; a mapped name that is not in the file is an error."""
    missing = [k for k in mapping if k not in sig.channel_names]
    if missing:
        raise SignalFileError(f"--map names {', '.join(missing)}, which the file does not have; its channels are "
                              f"{', '.join(sig.channel_names)}")
    names = [t if t != UNUSED else n for n, t in ((n, mapping.get(n, n)) for n in sig.channel_names)]
    dup = [n for n, c in Counter(names).items() if c > 1]
    if dup:
        raise SignalFileError(f"--map gives two channels the same name: {', '.join(dup)}")
    sig.channel_names = names
    return sig


def load_signals(path: str | Path, rate_hz: float | None = None) -> LoadedSignals:
    """Load a CSV (plain or GluteLab export) or an EDF/EDF+/BDF file, by extension."""
    path = Path(path)
    if not path.exists():
        raise SignalFileError(f"{path} does not exist")
    if path.suffix.lower() in (".edf", ".bdf", ".rec"):
        return load_edf(path)
    return load_csv(path, rate_hz)


def _check_rate(rate_hz: float, path: Path) -> None:
    if not np.isfinite(rate_hz) or rate_hz < MIN_RATE_HZ or rate_hz > MAX_RATE_HZ:
        raise SignalFileError(f"{path}: sample rate {rate_hz:g} Hz is not a plausible EMG rate (expected "
                              f"{MIN_RATE_HZ:g}-{MAX_RATE_HZ:g} Hz; surface EMG needs 1000 Hz or more). If the time "
                              "column is not in seconds, drop it and give --rate")


def load_csv(path: str | Path, rate_hz: float | None = None) -> LoadedSignals:
    path = Path(path)
    comments: list[str] = []
    header: list[str] | None = None
    skip = 0
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line in fh:
                skip += 1
                if line.startswith(("#", '"#')):  # GluteLab exports quote a comment that holds a comma
                    text = next(csv.reader([line]))[0] if line.startswith('"') else line
                    comments.append(text[1:].strip())
                    continue
                if line.strip():
                    header = [h.strip() for h in next(csv.reader([line.strip()]))]
                    break
    except (OSError, UnicodeDecodeError) as exc:
        raise SignalFileError(f"cannot read {path}: {exc}") from exc
    if not header:
        raise SignalFileError(f"{path} is empty; expected a header row naming the channels")
    if all(_is_number(h) for h in header):
        raise SignalFileError(f"{path}: the first row is numbers, not channel names; add a header row "
                              "(e.g. time,glute_max_left,...)")
    names = header
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=skip, comments="#", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise SignalFileError(f"{path}: a row is not numeric or has the wrong number of columns ({exc})") from exc
    if data.size == 0:
        raise SignalFileError(f"{path} has a header but no samples")
    if data.shape[1] != len(names):
        raise SignalFileError(f"{path}: header names {len(names)} columns but rows have {data.shape[1]}")
    kind, comment_rate = _parse_export_comment(comments)
    if kind == "plate":
        raise SignalFileError(f"{path} is a force-plate recording; analyse the EMG recording of the trial (or "
                              "the session with --session)")
    if data.shape[0] < 2:
        raise SignalFileError(f"{path} holds only one sample; a recording needs many (at least a few seconds "
                              "with a resting stretch)")
    lower = [n.lower() for n in names]
    offset = 0.0
    notes: list[str] = []
    if "time" in lower:
        k = lower.index("time")
        t = data[:, k]
        data = np.delete(data, k, axis=1)
        del names[k]
        if not np.all(np.isfinite(t)):
            bad = int(np.argmax(~np.isfinite(t))) + 1 + skip
            raise SignalFileError(f"{path}: the time column has missing values (data line {bad}); fix it or drop "
                                  "it and give --rate")
        if comment_rate is not None and np.any(np.diff(t) <= 0) and _rounded_even(t, comment_rate):
            # an older GluteLab export, its time column rounded to 6 significant digits: the stated rate holds
            return _loaded(path, data, comment_rate, names, kind, float(t[0]), notes)
        file_rate, index = _time_grid(t, path, skip)
        if comment_rate is not None and abs(comment_rate - file_rate) > RATE_AGREEMENT * comment_rate:
            raise SignalFileError(f"{path}: the file's comment states {comment_rate:g} Hz but its time column "
                                  f"steps at {file_rate:.6g} Hz; correct the comment or the time column")
        if rate_hz is not None and abs(rate_hz - file_rate) > 0.01 * file_rate:
            raise SignalFileError(f"{path}: --rate {rate_hz:g} Hz disagrees with the time column ({file_rate:.6g} "
                                  "Hz); drop one of them")
        rate_hz = rate_hz or comment_rate or file_rate
        offset = float(t[0])
        index = np.round((t - offset) * rate_hz).astype(np.int64)
        if np.max(np.abs(t - offset - index / rate_hz)) > 0.25 / rate_hz or np.any(np.diff(index) < 1):
            notes.append("the time column has irregular steps (jitter); samples are taken as evenly spaced at "
                         f"{rate_hz:g} Hz")
        elif index[-1] + 1 > len(t):  # the time column jumps: the samples of a gap are missing, keep the hole
            full = np.full((int(index[-1]) + 1, data.shape[1]), np.nan)
            full[index] = data
            n_gaps = int(np.count_nonzero(np.diff(index) > 1))
            notes.append(f"the time column jumps over {n_gaps} gap(s) ({(len(full) - len(t)) / rate_hz:.3f} s with "
                         "no samples); they are kept as gaps")
            data = full
    elif rate_hz is None:
        if comment_rate is None:
            raise SignalFileError(f"{path} has no 'time' column: give the sample rate with --rate HZ")
        rate_hz = comment_rate
    return _loaded(path, data, float(rate_hz), names, kind, offset, notes)


def _loaded(path: Path, data: np.ndarray, rate_hz: float, names: list[str], kind: str | None, offset: float,
            notes: list[str]) -> LoadedSignals:
    _check_rate(rate_hz, path)
    if not names:
        raise SignalFileError(f"{path} has no signal columns")
    return LoadedSignals(data.astype(np.float32), rate_hz, names, str(path), time_offset_s=offset,
                         kind=kind or "emg", notes=notes)


def _rounded_even(t: np.ndarray, rate_hz: float) -> bool:
    """True if ``t`` is evenly spaced at ``rate_hz`` once its rounding to 6 significant digits is allowed for."""
    expected = t[0] + np.arange(len(t)) / rate_hz
    return bool(np.all(np.abs(t - expected) <= 5e-6 * np.maximum(np.abs(expected), 1e-3) + 0.01 / rate_hz))


def _time_grid(t: np.ndarray, path: Path, skip: int) -> tuple[float, np.ndarray]:
    """The rate a time column steps at (from its whole span, not one rounded step) and each row's sample
    index; a jump over missing samples is a gap, not a change of rate."""
    dt = np.diff(t)
    if np.any(dt <= 0):
        bad = int(np.argmax(dt <= 0)) + 2 + skip
        raise SignalFileError(f"{path}: the time column is not strictly increasing (around data line {bad}); "
                              "fix it or drop it and give --rate")
    step = float(np.median(dt))
    index = np.round((t - t[0]) / step).astype(np.int64)
    rate = float(index[-1]) / float(t[-1] - t[0])
    # 6 significant digits: a column written as 0.001, 0.002 ... means 1000 Hz, not 999.9999999999991
    return float(f"{rate:.6g}"), index


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _parse_export_comment(comments: list[str]) -> tuple[str | None, float | None]:
    """Kind and rate from a GluteLab export comment ('GluteLab recording 12, emg, 2000 Hz, units uV')."""
    for c in comments:
        m = re.match(r"GluteLab recording \S+,\s*(\w+),\s*([0-9.eE+-]+)\s*Hz", c)
        if m:
            return m.group(1), float(m.group(2))
    return None, None


def load_edf(path: str | Path) -> LoadedSignals:
    """EDF/EDF+/BDF via pyedflib: the signals at the most common rate, converted to uV where possible."""
    import pyedflib

    path = Path(path)
    try:
        reader = pyedflib.EdfReader(str(path))
    except OSError as exc:
        raise SignalFileError(f"{path} is not a readable EDF/BDF file ({exc})") from exc
    try:
        n = reader.signals_in_file
        if n == 0:
            raise SignalFileError(f"{path} has no signals")
        rates = [float(reader.getSampleFrequency(i)) for i in range(n)]
        rate = Counter(rates).most_common(1)[0][0]
        notes = []
        keep = [i for i in range(n) if rates[i] == rate]
        if len(keep) < n:
            skipped = [reader.getLabel(i).strip() for i in range(n) if rates[i] != rate]
            notes.append(f"skipped signals at other rates than {rate:g} Hz: {', '.join(skipped)}")
        cols, names, units = [], [], []
        for i in keep:
            x = reader.readSignal(i).astype(np.float64)
            unit = reader.getPhysicalDimension(i).strip()
            factor = _UNIT_TO_UV.get(unit.lower())
            if factor is None:
                notes.append(f"{reader.getLabel(i).strip()}: unit {unit!r} kept as is (not a volt unit)")
                factor = 1.0
            cols.append(x * factor)
            names.append(reader.getLabel(i).strip() or f"ch{i + 1}")
            units.append(unit)
        length = min(len(c) for c in cols)
        data = np.column_stack([c[:length] for c in cols]).astype(np.float32)
    finally:
        reader.close()
    _check_rate(rate, path)
    dup = [k for k, c in Counter(names).items() if c > 1]
    if dup:
        names = [f"{nm}_{i + 1}" if nm in dup else nm for i, nm in enumerate(names)]
    return LoadedSignals(data, rate, names, str(path), units="uV", notes=notes)
