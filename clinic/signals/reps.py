"""Rep segmentation from the force plate: start of lift, hold, end of lowering (5 SD / 175 ms logic)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal


@dataclass
class Rep:
    number: int
    movement_start_s: float
    hold_start_s: float
    hold_end_s: float
    lower_end_s: float

    @property
    def hold_s(self) -> float:
        return self.hold_end_s - self.hold_start_s


def segment_reps(total_force_n: np.ndarray, rate_hz: float, min_rep_s: float = 1.0) -> list[Rep]:
    """Reps as runs of raised load; movement start/end where the load leaves/returns to the resting band."""
    f = np.asarray(total_force_n, dtype=np.float64)
    if len(f) < rate_hz or not np.all(np.isfinite(f)):
        return []
    sos = signal.butter(2, min(10.0, 0.45 * rate_hz), fs=rate_hz, output="sos")
    f = signal.sosfiltfilt(sos, f)
    base, top = np.percentile(f, 10), np.percentile(f, 95)
    span = top - base
    if span <= 0:
        return []
    rest = f[f < base + 0.1 * span]
    rest_sd = float(rest.std()) if len(rest) > 10 else 0.0
    low = base + max(5 * rest_sd, 0.03 * span)
    d = np.diff((f > base + 0.5 * span).astype(np.int8), prepend=0, append=0)
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    reps: list[Rep] = []
    below = f < low
    for a, b in zip(starts, ends):
        if (b - a) / rate_hz < min_rep_s:
            continue
        prior = np.flatnonzero(below[:a])
        after = np.flatnonzero(below[b:])
        if not len(prior) or not len(after):
            continue
        move = int(prior[-1])
        lower_end = int(b + after[0])
        plateau = float(np.median(f[a:b]))
        near = np.flatnonzero(f[a:b] >= plateau - 0.05 * (plateau - base))
        hold_start, hold_end = a + int(near[0]), a + int(near[-1])
        reps.append(Rep(len(reps) + 1, move / rate_hz, hold_start / rate_hz, hold_end / rate_hz,
                        lower_end / rate_hz))
    return reps
