"""Counting reps as they happen, from the plate's total load (or, without a plate, an EMG envelope).

A rep starts when the signal rises above its lying baseline by ``rise`` and ends when it falls back below half
of that rise (hysteresis, so noise at the threshold never counts twice). The baseline is the median of the
first ``baseline_s`` seconds, lowered whenever a later stretch of that length at rest is lower: a count started
while the patient was still lifting (the clinician pressed Start mid-rep) then finds the lying load and counts
the next reps instead of none. This is the session runner's rep counter; the stored analysis segments reps
again, offline, with the primer's 5 SD / 175 ms logic.
"""

from __future__ import annotations

import numpy as np


class LiveRepCounter:
    def __init__(self, rate_hz: float, rise: float, baseline_s: float = 1.0, min_rep_s: float = 0.5) -> None:
        """``rise``: how far above the lying baseline a lift goes (e.g. 60 N of foot load)."""
        self.rate_hz = rate_hz
        self.rise = rise
        self._baseline_n = max(1, int(baseline_s * rate_hz))
        self._min_rep = int(min_rep_s * rate_hz)
        self._head: list[np.ndarray] = []
        self.baseline: float | None = None
        self.reps = 0
        self.up = False
        self._up_since = 0
        self._seen = 0
        self._block: list[float] = []  # the current stretch at rest, for lowering the baseline
        #: sample index (from the first value fed) where each counted rep rose
        self.rep_starts: list[int] = []

    def feed(self, values: np.ndarray) -> int:
        """Feed new values (1-D; NaN for lost samples); returns the rep count so far."""
        x = np.asarray(values, dtype=np.float64).ravel()
        start = self._seen
        self._seen += len(x)
        if self.baseline is None:
            self._head.append(x)
            head = np.concatenate(self._head)
            if len(head) < self._baseline_n:
                return self.reps
            self.baseline = float(np.nanmedian(head[: self._baseline_n]))
            self._head = []
            x = head[self._baseline_n:]
            start = self._seen - len(x)
        high, low = self.baseline + self.rise, self.baseline + 0.5 * self.rise
        for i in np.flatnonzero(np.isfinite(x)):
            v = x[i]
            if not self.up:
                self._block.append(v)
                if len(self._block) >= self._baseline_n:
                    lower = float(np.median(self._block))
                    self._block = []
                    if lower < self.baseline - 0.25 * self.rise:
                        self.baseline = lower
                        high, low = self.baseline + self.rise, self.baseline + 0.5 * self.rise
            if not self.up and v > high:
                self.up, self._up_since = True, start + int(i)
                self._block = []
            elif self.up and v < low:
                self.up = False
                self._block = []
                if start + int(i) - self._up_since >= self._min_rep:
                    self.reps += 1
                    self.rep_starts.append(self._up_since)
        return self.reps

    @property
    def current(self) -> int:
        """The rep in progress (1-based) while the load is up, else the last completed one."""
        return self.reps + 1 if self.up else self.reps
