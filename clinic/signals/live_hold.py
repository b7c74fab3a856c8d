"""The phases of a bridge-type rep as they happen, from the plate's total load: lift, hold, lowering.

The offline segmentation (``reps.segment_reps``) needs the whole rep (the hold level is the median of the
hold); live, the hold has started when the load has settled: over the last ``settle_ms`` its causal moving
average moves by less than ``settle_band`` of the lift. The hold start is then placed where the load first
came within ``HOLD_BAND`` (2 %) of the level reached, as offline; the movement start where the load last was
within 2 SD of the lying baseline before it rose. The hold ends where the load leaves the 2 % band for good
(``drop_band`` below the level for ``drop_ms``). Times are seconds on the plate's own sample index.

The lying baseline is the median of the first ``baseline_s``, lowered whenever a later stretch of that length
at rest is lower by a quarter of the lift: a count started while the patient was still lifting (the clinician
pressed Start mid-rep) then finds the lying load and counts the next reps instead of none.

Events: ``lift`` (movement start known), ``hold_start``, ``hold_reached`` (the target hold time is reached,
at the moment it is), ``hold_end``. The hold timer is ``hold_progress``. This is the session runner's one
plate tracker: its rep count and the live verdicts' hold starts come from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clinic.signals.reps import HOLD_BAND


@dataclass(frozen=True)
class PhaseEvent:
    kind: str  # lift | hold_start | hold_reached | hold_end
    rep: int
    at_s: float  # signal time at which it became known
    movement_start_s: float
    hold_start_s: float | None = None
    hold_end_s: float | None = None


class PlateHoldTracker:
    def __init__(self, rate_hz: float, rise_n: float, hold_target_s: float, *, baseline_s: float = 1.0,
                 smooth_ms: float = 40.0, settle_ms: float = 80.0, settle_band: float = 0.02,
                 drop_band: float = 0.06, drop_ms: float = 40.0) -> None:
        """``rise_n``: how far above the lying baseline a lift goes at least (e.g. 60 N of foot load)."""
        self.rate_hz = rate_hz
        self.rise_n = rise_n
        self.hold_target_s = hold_target_s
        self._w = max(1, int(smooth_ms / 1000.0 * rate_hz))
        self._settle = max(2, int(settle_ms / 1000.0 * rate_hz))
        self._drop = max(1, int(drop_ms / 1000.0 * rate_hz))
        self._baseline_n = max(self._w + 1, int(baseline_s * rate_hz))
        self.settle_band = settle_band
        self.drop_band = drop_band
        self._keep = int(4.0 * rate_hz)  # smoothed history: enough to look back over a lift
        self._hist = np.zeros(0)
        self._hist_first = 0  # sample index of _hist[0]
        self._tail = np.zeros(0)  # the last w-1 raw values (the moving average's carried state)
        self.baseline: float | None = None
        self.baseline_sd = 0.0
        self.phase = "rest"
        self.reps = 0
        self.movement_start_s = 0.0
        self.hold_start_s: float | None = None
        self.hold_end_s: float | None = None
        self.level = 0.0
        self._below = 0
        self._reached = False
        self._rest_from: int | None = None  # sample index where the current stretch at rest began
        self.now_s = 0.0

    @property
    def _delay(self) -> float:
        return 0.5 * (self._w - 1)  # the causal moving average lags the load by this many samples

    def hold_progress(self) -> float:
        """Seconds held in the current (or last) rep; 0 before the first hold."""
        if self.hold_start_s is None:
            return 0.0
        end = self.hold_end_s if self.hold_end_s is not None else self.now_s
        return max(0.0, end - self.hold_start_s)

    def feed(self, total_n: np.ndarray, first_index: int) -> list[PhaseEvent]:
        """New total-load samples (NaN: lost, held at the last value) starting at sample ``first_index``."""
        x = np.asarray(total_n, dtype=np.float64).ravel()
        if not len(x):
            return []
        chunk = self._keep // 2
        if len(x) > chunk:  # a late poll brings seconds at once: step through them within the kept history
            return [e for i in range(0, len(x), chunk) for e in self.feed(x[i:i + chunk], first_index + i)]
        if np.isnan(x).any():
            last = self._tail[-1] if len(self._tail) else (float(np.nanmedian(x)) if np.isfinite(x).any() else 0.0)
            x = x.copy()
            for i in np.flatnonzero(np.isnan(x)):
                x[i] = last if i == 0 else x[i - 1]
        joined = np.concatenate([self._tail, x])
        c = np.concatenate([[0.0], np.cumsum(joined)])
        n_tail = len(self._tail)
        # moving mean over up to w values ending at each new sample
        ends = np.arange(n_tail + 1, len(joined) + 1)
        starts = np.maximum(0, ends - self._w)
        smooth = (c[ends] - c[starts]) / (ends - starts)
        self._tail = joined[-(self._w - 1):] if self._w > 1 else np.zeros(0)
        if not len(self._hist):
            self._hist_first = first_index
        elif first_index != self._hist_first + len(self._hist):
            self._hist_first = first_index - len(self._hist)  # a jump (lost packets): keep the history contiguous
        self._hist = np.concatenate([self._hist, smooth])
        if len(self._hist) > self._keep:
            cut = len(self._hist) - self._keep
            self._hist = self._hist[cut:]
            self._hist_first += cut
        events: list[PhaseEvent] = []
        base_off = len(self._hist) - len(smooth)
        for k in range(len(smooth)):
            events.extend(self._step(base_off + k))
        self.now_s = (self._hist_first + len(self._hist)) / self.rate_hz
        if self.phase == "hold" and not self._reached and self.hold_progress() >= self.hold_target_s:
            self._reached = True
            events.append(self._event("hold_reached", self.hold_start_s + self.hold_target_s))  # type: ignore[operator]
        return events

    def _t(self, h: int, centred: bool = True) -> float:
        """Time (s) of history position ``h`` (centred: corrected for the moving average's lag)."""
        return (self._hist_first + h - (self._delay if centred else 0.0)) / self.rate_hz

    def _event(self, kind: str, at_s: float) -> PhaseEvent:
        return PhaseEvent(kind, self.reps, at_s, self.movement_start_s, self.hold_start_s, self.hold_end_s)

    def _step(self, h: int) -> list[PhaseEvent]:
        v = self._hist[h]
        if self.baseline is None:
            if self._hist_first + h + 1 >= self._baseline_n and h + 1 >= self._baseline_n - self._w:
                head = self._hist[max(0, h + 1 - self._baseline_n + self._w):h + 1]
                self.baseline = float(np.median(head))
                self.baseline_sd = float(np.std(head))
            return []
        base = self.baseline
        if self.phase == "rest":
            base = self._lower_baseline(h)
            if v > base + self.rise_n:
                self._rest_from = None
                self.reps += 1
                self.phase = "lift"
                self.hold_start_s = self.hold_end_s = None
                self._reached = False
                quiet_level = base + max(2.0 * self.baseline_sd, 0.01 * self.rise_n)
                lo = max(0, h - int(1.5 * self.rate_hz))
                quiet = np.flatnonzero(self._hist[lo:h] <= quiet_level)
                self.movement_start_s = self._t(lo + int(quiet[-1]) if len(quiet) else lo)
                return [self._event("lift", self._t(h, centred=False))]
            return []
        if self.phase == "lift":
            if h + 1 < self._settle:
                return []
            recent = self._hist[h + 1 - self._settle:h + 1]
            lift = float(recent.mean()) - base
            if lift > self.rise_n and float(np.ptp(recent)) < self.settle_band * lift:
                self.level = float(recent.mean())
                start_h = self._history_index_of(self.movement_start_s)
                near = np.flatnonzero(self._hist[start_h:h + 1] >= self.level - HOLD_BAND * lift)
                self.hold_start_s = self._t(start_h + int(near[0]) if len(near) else h)
                self.phase = "hold"
                self._below = 0
                return [self._event("hold_start", self._t(h, centred=False))]
            if v < base + 0.5 * self.rise_n:
                self.phase = "rest"  # a lift that never settled: not a rep
                self.reps -= 1
            return []
        if self.phase == "hold":
            lift = self.level - base
            if v < self.level - self.drop_band * lift:
                self._below += 1
                if self._below >= self._drop:
                    above = np.flatnonzero(self._hist[:h + 1] >= self.level - HOLD_BAND * lift)
                    self.hold_end_s = self._t(int(above[-1]) if len(above) else h)
                    self.phase = "lower"
                    out = []
                    if not self._reached and self.hold_progress() >= self.hold_target_s:
                        self._reached = True  # the target was passed inside this block of samples
                        out.append(self._event("hold_reached", self.hold_start_s + self.hold_target_s))  # type: ignore[operator]
                    return [*out, self._event("hold_end", self._t(h, centred=False))]
            else:
                self._below = 0
                if v > self.level + HOLD_BAND * lift:
                    self.level = v  # still creeping up: follow the top
            return []
        if self.phase == "lower" and v < base + 0.5 * self.rise_n:
            self.phase = "rest"
        return []

    def _lower_baseline(self, h: int) -> float:
        """Each full ``baseline_s`` at rest: a median lower than the baseline by a quarter of the lift becomes
        the baseline (see the module docstring); returns the baseline to use."""
        assert self.baseline is not None
        at = self._hist_first + h
        if self._rest_from is None or at < self._rest_from:
            self._rest_from = at
        elif at + 1 - self._rest_from >= self._baseline_n and h + 1 >= self._baseline_n:
            block = self._hist[h + 1 - self._baseline_n:h + 1]
            self._rest_from = at + 1
            lower = float(np.median(block))
            if lower < self.baseline - 0.25 * self.rise_n:
                self.baseline, self.baseline_sd = lower, float(np.std(block))
        return self.baseline

    def _history_index_of(self, t_s: float) -> int:
        return int(np.clip(round(t_s * self.rate_hz) - self._hist_first, 0, max(0, len(self._hist) - 1)))
