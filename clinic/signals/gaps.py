"""Gaps in a recording (lost packets, a pulled cable): rows where every channel is NaN.

A stored recording keeps a gap as a hole on its true time base (``records.store.load_physical`` gives NaN
rows for it). The analysis never filters across a gap: holes of a few lost packets are bridged (only for the
analysis, and said so), longer ones split the trial into parts that are analysed on their own.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: holes up to this long (lost packets) are bridged by straight lines for the analysis only; longer ones
#: (a pulled cable) split the trial
BRIDGE_MAX_S = 0.05
#: ... as long as they add up to no more than this share of the signal (the quality check's limit for
#: missing samples: more means a broken stream, and the channel is reported as such)
MAX_BRIDGED_SHARE = 0.01


class Gap(NamedTuple):
    start: int  # first missing row
    stop: int  # one past the last missing row

    @property
    def n(self) -> int:
        return self.stop - self.start


def find_gaps(x: np.ndarray) -> list[Gap]:
    """Runs of rows of ``x`` (samples x channels) in which every channel is NaN."""
    with np.errstate(over="ignore"):  # huge values may sum to inf: then the full check below decides
        if np.isfinite(np.sum(x)):  # the usual case, in one fast pass (a NaN anywhere makes the sum NaN)
            return []
    missing = np.isnan(x).all(axis=1) if x.ndim == 2 else np.isnan(x)
    if not missing.any():
        return []
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    return [Gap(int(a), int(b)) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]


def bridge(x: np.ndarray, gaps: list[Gap]) -> np.ndarray:
    """A copy of ``x`` with the rows of ``gaps`` drawn as straight lines between their neighbours (the
    nearest row at an end)."""
    out = np.array(x, dtype=np.float32, copy=True)
    n = len(out)
    for g in gaps:
        before = out[g.start - 1] if g.start > 0 else None
        after = out[g.stop] if g.stop < n else None
        if before is None and after is None:
            continue
        before = after if before is None else before
        after = before if after is None else after
        w = (np.arange(1, g.n + 1) / (g.n + 1))[:, None]
        out[g.start:g.stop] = before + (after - before) * w
    return out


def parts_between(n: int, gaps: list[Gap]) -> list[tuple[int, int]]:
    """The (start, stop) row ranges of signal between ``gaps`` (which are in order and do not overlap)."""
    parts, start = [], 0
    for g in gaps:
        if g.start > start:
            parts.append((start, g.start))
        start = g.stop
    if start < n:
        parts.append((start, n))
    return parts
