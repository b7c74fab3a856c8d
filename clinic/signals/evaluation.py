"""Scoring detected onsets against known ones (simulator ground truth or labelled recordings).

Used by the accuracy tests and by ``glutelab bench`` so that both report the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def match_onsets(true_s: Sequence[float], found_s: Sequence[float],
                 tolerance_s: float = 0.1) -> tuple[list[float], int, int]:
    """Greedy one-to-one matching of found onsets to true ones on one channel.

    Returns the signed errors in ms (found - true) of the matched pairs, the number of misses (true onsets
    with no found onset within ``tolerance_s``) and the number of false onsets (found, matched to nothing).
    """
    true = np.sort(np.asarray(true_s, dtype=float))
    found = np.sort(np.asarray(found_s, dtype=float))
    used = np.zeros(len(found), dtype=bool)
    errors: list[float] = []
    misses = 0
    for t in true:
        if not len(found):
            misses += 1
            continue
        d = np.abs(found - t)
        d[used] = np.inf
        j = int(np.argmin(d))
        if d[j] <= tolerance_s:
            used[j] = True
            errors.append((found[j] - t) * 1000.0)
        else:
            misses += 1
    return errors, misses, int((~used).sum())


def score_onsets(true_by_channel: Mapping[str, Sequence[float]], found_by_channel: Mapping[str, Sequence[float]],
                 tolerance_s: float = 0.1) -> dict[str, float | int | list[float]]:
    """Onset error (median and 95th percentile of |error|, ms), misses and false onsets over all channels."""
    errors: list[float] = []
    misses = false = total = 0
    for name, true in true_by_channel.items():
        e, m, f = match_onsets(true, found_by_channel.get(name, []), tolerance_s)
        errors += e
        misses += m
        false += f
        total += len(true)
    a = np.abs(np.asarray(errors))
    return {
        "true_bursts": total,
        "median": float(np.median(a)) if len(a) else float("nan"),
        "p95": float(np.percentile(a, 95)) if len(a) else float("nan"),
        "bias": float(np.median(errors)) if errors else float("nan"),
        "misses": misses,
        "false": false,
        "errors_ms": errors,
    }
