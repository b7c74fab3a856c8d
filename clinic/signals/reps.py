"""Rep segmentation: from the force plate (5 SD / 175 ms logic of the primer) or, without a plate, from the
EMG envelopes.

Bridges (feet plate): each rep is a lift from the lying baseline, a hold and a lowering. The movement starts
where the total load leaves the baseline by more than 5 SD for at least 175 ms (moved back 30 ms); the hold is
where the load is within ``hold_band`` (2 %) of its hold level; the lowering ends where the load is back within
5 SD of the baseline for 175 ms.

Bench sit-down (feet + seat plates, cells ``feet_*`` and ``seat_*``): see ``clinic.signals.plate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: the hold is where the load is within this share of the lift of its hold level (simulator: the same)
HOLD_BAND = 0.02


@dataclass
class Rep:
    number: int
    movement_start_s: float
    hold_start_s: float
    hold_end_s: float
    lower_end_s: float
    source: str = "plate"  # "plate" or "emg" (approximate, no plate)

    @property
    def hold_s(self) -> float:
        return self.hold_end_s - self.hold_start_s


def smooth_force(force_n: np.ndarray, rate_hz: float, cutoff_hz: float = 10.0) -> np.ndarray:
    """Zero-lag low-pass (2nd-order Butterworth, ``cutoff_hz``) along time; unchanged if the rate is too low."""
    f = np.asarray(force_n, dtype=np.float64)
    if rate_hz <= 2.5 * cutoff_hz or f.shape[0] < 16:
        return f
    from scipy import signal  # loaded with the first filter, not with the live hold tracker (start-up)

    sos = signal.butter(2, cutoff_hz, fs=rate_hz, output="sos")
    return signal.sosfiltfilt(sos, f, axis=0)


def quiet_sd(f: np.ndarray, rate_hz: float, window_s: float = 0.5) -> float:
    """Noise SD of a force signal: the 20th percentile of the SDs of ``window_s`` windows (quiet stretches)."""
    n = max(4, int(window_s * rate_hz))
    m = len(f) // n
    if m < 1:
        return float(np.std(f))
    return float(np.percentile(f[:m * n].reshape(m, n).std(axis=1), 20))


def sustained_runs(mask: np.ndarray, min_len: int) -> tuple[np.ndarray, np.ndarray]:
    """True runs of at least ``min_len`` samples."""
    from clinic.signals.onsets import runs  # with scipy, on first use (not with the live hold tracker)

    s, e = runs(np.asarray(mask, dtype=bool))
    keep = (e - s) >= min_len
    return s[keep], e[keep]


def segment_reps(total_force_n: np.ndarray, rate_hz: float, min_rep_s: float = 1.0,
                 hold_band: float = HOLD_BAND, k_sd: float = 5.0, sustain_ms: float = 175.0,
                 move_back_ms: float = 30.0, refine_start: bool = True) -> list[Rep]:
    """Reps of a bridge-type exercise from the total load under the feet, see the module docstring.

    Parameters
    ----------
    total_force_n : total vertical load per sample, newtons.
    rate_hz : plate sample rate.
    min_rep_s : shortest lift counted as a rep.
    hold_band : the hold is where the load is within this share of the lift of its hold level.
    k_sd, sustain_ms, move_back_ms : the primer's 5 SD / 175 ms / 30 ms movement-start rule.
    refine_start : then move the start back to where the load last was within 2 SD of the baseline (the
        5 SD point is late on a slow lift); without it, the primer's rule as is.

    Returns
    -------
    Complete reps (lift, hold and lowering inside the recording), numbered from 1.
    """
    f = np.asarray(total_force_n, dtype=np.float64)
    if len(f) < rate_hz or not np.all(np.isfinite(f)):
        return []
    f = smooth_force(f, rate_hz)
    base, top = np.percentile(f, [10, 95])  # one partition for both
    span = top - base
    if span <= 0:
        return []
    rest_sd = quiet_sd(f, rate_hz)
    # 5 SD of the resting load; at least 1 % of the lift when the SD is implausibly small (smoothed data)
    low = base + max(k_sd * rest_sd, 0.01 * span)
    sustain = max(1, int(round(sustain_ms / 1000.0 * rate_hz)))
    back = int(round(move_back_ms / 1000.0 * rate_hz))
    starts, ends = sustained_runs(f > base + 0.5 * span, int(min_rep_s * rate_hz))
    above_s, above_e = sustained_runs(f > low, sustain)
    reps: list[Rep] = []
    for a, b in zip(starts, ends):
        k = np.searchsorted(above_s, a, side="right") - 1
        if k < 0 or above_e[k] < b:
            continue
        move, lower_end = max(0, int(above_s[k]) - back), int(above_e[k])
        if refine_start:
            # back to where the load last was within 2 SD of the baseline (at most 0.5 s)
            lo = max(0, int(above_s[k]) - int(0.5 * rate_hz))
            quiet = np.flatnonzero(f[lo:above_s[k]] <= base + 2 * rest_sd)
            if len(quiet):
                move = lo + int(quiet[-1])
        if lower_end >= len(f) - 1:
            continue  # still lifted when the recording stops: not a complete rep
        plateau = float(np.median(f[a:b]))
        near = np.flatnonzero(f[a:b] >= plateau - hold_band * (plateau - base))
        if not len(near):
            continue
        hold_start, hold_end = a + int(near[0]), a + int(near[-1])
        reps.append(Rep(len(reps) + 1, move / rate_hz, hold_start / rate_hz, hold_end / rate_hz,
                        lower_end / rate_hz))
    return reps


def segment_reps_from_envelopes(envelopes: np.ndarray, rate_hz: float, min_rep_s: float = 1.0,
                                merge_gap_s: float = 0.5) -> list[Rep]:
    """Approximate reps from amplitude envelopes (channels x samples) when no plate is connected.

    Each channel is scaled by its 95th percentile and the channels are averaged; a rep is a run above 30 % of
    that combined activity lasting ``min_rep_s`` (gaps < ``merge_gap_s`` bridged), its hold where the activity
    is within 20 % of the run's median. Movement start is the run start (the onsets then give the order).
    """
    env = np.asarray(envelopes, dtype=np.float64)
    if env.ndim != 2 or env.shape[1] < rate_hz * min_rep_s:
        return []
    scale = np.percentile(env, 95, axis=1, keepdims=True)
    scale[scale <= 0] = 1.0
    act = (env / scale).mean(axis=0)
    from clinic.signals.onsets import runs

    s, e = runs(act > 0.3)
    if len(s):
        gap_ok = (s[1:] - e[:-1]) >= merge_gap_s * rate_hz
        s = np.concatenate([s[:1], s[1:][gap_ok]])
        e = np.concatenate([e[:-1][gap_ok], e[-1:]])
    reps: list[Rep] = []
    for a, b in zip(s, e):
        if (b - a) < min_rep_s * rate_hz or b >= len(act):
            continue
        level = float(np.median(act[a:b]))
        near = np.flatnonzero(act[a:b] >= 0.8 * level)
        reps.append(Rep(len(reps) + 1, a / rate_hz, (a + int(near[0])) / rate_hz, (a + int(near[-1])) / rate_hz,
                        b / rate_hz, source="emg"))
    return reps
