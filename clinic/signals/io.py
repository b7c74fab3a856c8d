"""Reading signals from files for `glutelab analyze FILE`: CSV (header row, time column or a given rate)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class SignalFileError(ValueError):
    """A file that cannot be analysed; the message says why and what would fix it."""


@dataclass
class LoadedSignals:
    data: np.ndarray  # samples x channels
    rate_hz: float
    channel_names: list[str]
    source: str


def load_csv(path: str | Path, rate_hz: float | None = None) -> LoadedSignals:
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError) as exc:
        raise SignalFileError(f"cannot read {path}: {exc}") from exc
    if not header:
        raise SignalFileError(f"{path} is empty; expected a header row naming the channels")
    names = [h.strip() for h in header]
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise SignalFileError(f"{path}: a row is not numeric ({exc})") from exc
    if data.shape[1] != len(names):
        raise SignalFileError(f"{path}: header names {len(names)} columns but rows have {data.shape[1]}")
    lower = [n.lower() for n in names]
    if "time" in lower:
        t = data[:, lower.index("time")]
        data = np.delete(data, lower.index("time"), axis=1)
        del names[lower.index("time")]
        dt = np.diff(t)
        if len(t) < 2 or not np.all(np.isfinite(t)) or np.any(dt <= 0):
            raise SignalFileError(f"{path}: the time column is not strictly increasing; fix it or drop it and "
                                  "give --rate")
        file_rate = 1.0 / float(np.median(dt))
        if rate_hz is None:
            rate_hz = file_rate
    elif rate_hz is None:
        raise SignalFileError(f"{path} has no 'time' column: give the sample rate with --rate HZ")
    if rate_hz <= 0:
        raise SignalFileError("the sample rate must be positive")
    if not names:
        raise SignalFileError(f"{path} has no signal columns")
    return LoadedSignals(data.astype(np.float32), float(rate_hz), names, str(path))
