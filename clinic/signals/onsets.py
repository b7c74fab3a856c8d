"""Muscle onset/offset detection, thresholds relative to each channel's resting baseline.

Hodges & Bui (1996): the rectified EMG low-passed at ~50 Hz must exceed baseline mean + k*SD for at least
``min_on_ms``; it ends when it stays below for ``min_off_ms``. The baseline is the quietest stretch of the
recording (or a given resting window), so no threshold is ever a fixed microvolt value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import signal

from clinic.signals.conditioning import ConditioningSettings, condition


@dataclass(frozen=True)
class OnsetSettings:
    method: str = "hodges_bui"
    k_sd: float = 3.0
    lowpass_hz: float = 50.0
    min_on_ms: float = 25.0
    min_off_ms: float = 100.0
    min_burst_ms: float = 150.0
    baseline_window_s: float = 1.0

    def as_dict(self) -> dict[str, float | str]:
        return asdict(self)


@dataclass
class Burst:
    onset_s: float
    offset_s: float
    peak: float


@dataclass
class ChannelOnsets:
    name: str
    bursts: list[Burst] = field(default_factory=list)
    baseline_mean: float = 0.0
    baseline_sd: float = 0.0
    threshold: float = 0.0


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of True runs."""
    d = np.diff(mask.astype(np.int8), prepend=0, append=0)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def quiet_baseline(x: np.ndarray, rate_hz: float, window_s: float) -> tuple[float, float]:
    """Mean and SD of the quietest window (lowest mean) of a 1-D detection signal."""
    n = max(1, int(window_s * rate_hz))
    if len(x) <= n:
        return float(np.mean(x)), float(np.std(x))
    step = max(1, n // 4)
    starts = np.arange(0, len(x) - n, step)
    c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    means = (c[starts + n] - c[starts]) / n
    best = int(starts[np.argmin(means)])
    w = x[best:best + n]
    return float(w.mean()), float(w.std())


def detect_onsets(raw: np.ndarray, rate_hz: float, names: list[str] | tuple[str, ...],
                  settings: OnsetSettings = OnsetSettings(),
                  conditioning: ConditioningSettings = ConditioningSettings()) -> list[ChannelOnsets]:
    """Bursts per channel of raw EMG (samples x channels)."""
    filtered = condition(raw, rate_hz, conditioning)
    sos = signal.butter(2, min(settings.lowpass_hz, 0.45 * rate_hz), fs=rate_hz, output="sos")
    det = signal.sosfiltfilt(sos, np.abs(filtered), axis=0)
    out = []
    min_on = max(1, int(settings.min_on_ms / 1000 * rate_hz))
    min_off = max(1, int(settings.min_off_ms / 1000 * rate_hz))
    min_burst = max(1, int(settings.min_burst_ms / 1000 * rate_hz))
    for c, name in enumerate(names):
        x = det[:, c]
        mean, sd = quiet_baseline(x, rate_hz, settings.baseline_window_s)
        thr = mean + settings.k_sd * sd
        above = x > thr
        starts, ends = _runs(above)
        keep = (ends - starts) >= min_on
        starts, ends = starts[keep], ends[keep]
        bursts: list[Burst] = []
        if len(starts):
            # merge runs separated by gaps shorter than min_off
            merged_s, merged_e = [int(starts[0])], [int(ends[0])]
            for s0, e0 in zip(starts[1:], ends[1:]):
                if s0 - merged_e[-1] < min_off:
                    merged_e[-1] = int(e0)
                else:
                    merged_s.append(int(s0))
                    merged_e.append(int(e0))
            for s0, e0 in zip(merged_s, merged_e):
                if e0 - s0 >= min_burst:
                    bursts.append(Burst(s0 / rate_hz, e0 / rate_hz, float(x[s0:e0].max())))
        out.append(ChannelOnsets(name, bursts, mean, sd, thr))
    return out
