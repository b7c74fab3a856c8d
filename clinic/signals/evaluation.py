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


class LabelError(ValueError):
    """A label file that cannot be used (missing keys, wrong shapes); the message says what is wrong."""


def _intervals(value: object, what: str) -> list[tuple[float, float]]:
    try:
        out = [(float(a), float(b)) for a, b in value]  # type: ignore[union-attr, misc]
    except (TypeError, ValueError) as exc:
        raise LabelError(f"{what} must be a list of [start, end] pairs in seconds") from exc
    if any(b < a for a, b in out):
        raise LabelError(f"{what}: an interval ends before it starts")
    return out


def channel_labels(channel: Mapping[str, object], name: str) -> dict[str, list]:
    """One channel's labels checked: ``bursts``, ``onset_windows`` (one per burst), ``scored`` (one bool per
    burst, default all true) and ``quiet`` (default none)."""
    if "bursts" not in channel or "onset_windows" not in channel:
        raise LabelError(f"channel {name!r} needs 'bursts' and 'onset_windows'")
    bursts = _intervals(channel["bursts"], f"{name}: bursts")
    windows = _intervals(channel["onset_windows"], f"{name}: onset_windows")
    if len(windows) != len(bursts):
        raise LabelError(f"{name}: {len(bursts)} bursts but {len(windows)} onset windows")
    scored = channel.get("scored", [True] * len(bursts))
    if not isinstance(scored, list) or len(scored) != len(bursts):
        raise LabelError(f"{name}: 'scored' needs one true/false per burst")
    return {"bursts": bursts, "onset_windows": windows, "scored": [bool(s) for s in scored],
            "quiet": _intervals(channel.get("quiet", []), f"{name}: quiet")}


def match_windows(windows: Sequence[tuple[float, float]], onsets_s: Sequence[float]) -> list[int | None]:
    """One-to-one matching of detected onsets to onset windows: per window the index of its onset or None.

    Windows in order of their end each take the earliest unused onset inside them, which matches as many
    windows as any assignment can (intervals against points).
    """
    found = sorted(range(len(onsets_s)), key=lambda j: onsets_s[j])
    used: set[int] = set()
    out: list[int | None] = [None] * len(windows)
    for w in sorted(range(len(windows)), key=lambda k: windows[k][1]):
        a, b = windows[w]
        for j in found:
            if j not in used and a <= onsets_s[j] <= b:
                used.add(j)
                out[w] = j
                break
    return out


def _quantiles(errors: Sequence[float]) -> dict[str, float | None]:
    if not len(errors):
        return {"p5": None, "p25": None, "median": None, "p75": None, "p95": None, "median_abs": None}
    e = np.asarray(errors, dtype=float)
    q = np.percentile(e, [5, 25, 50, 75, 95])
    return {"p5": round(float(q[0]), 1), "p25": round(float(q[1]), 1), "median": round(float(q[2]), 1),
            "p75": round(float(q[3]), 1), "p95": round(float(q[4]), 1),
            "median_abs": round(float(np.median(np.abs(e))), 1)}


def score_labelled_channel(labels: Mapping[str, list], onsets_s: Sequence[float]) -> dict[str, object]:
    """Detected onsets of one channel against its labels (``channel_labels``).

    ``detected``: scored bursts whose onset window holds a detection (one to one); ``in_rest``: detections
    inside a labelled quiet stretch; ``unmatched``: detections matched to no onset window (scored or not);
    ``errors_ms``: detection - window centre of the matched scored bursts.
    """
    windows, scored, quiet = labels["onset_windows"], labels["scored"], labels["quiet"]
    match = match_windows(windows, onsets_s)
    errors = [(onsets_s[j] - (a + b) / 2) * 1000.0 for (a, b), j, s in zip(windows, match, scored)
              if s and j is not None]
    n_scored = sum(scored)
    detected = sum(1 for j, s in zip(match, scored) if s and j is not None)
    matched = {j for j in match if j is not None}
    return {
        "bursts": len(windows), "scored": n_scored, "detected": detected,
        "detection_rate": round(detected / n_scored, 4) if n_scored else None,
        "onsets": len(onsets_s),
        "in_rest": sum(1 for t in onsets_s if any(a <= t <= b for a, b in quiet)),
        "unmatched": len(onsets_s) - len(matched),
        "errors_ms": [round(e, 1) for e in errors],
        "error_ms": _quantiles(errors),
    }


def combine_scores(scores: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """Totals over channels or files: counts added, the detection rate and error quantiles recomputed."""
    keys = ("bursts", "scored", "detected", "onsets", "in_rest", "unmatched")
    tot: dict[str, object] = {k: int(sum(int(s[k]) for s in scores)) for k in keys}  # type: ignore[call-overload]
    errors = [e for s in scores for e in s["errors_ms"]]  # type: ignore[attr-defined]
    scored = int(tot["scored"])  # type: ignore[call-overload]
    tot["detection_rate"] = round(int(tot["detected"]) / scored, 4) if scored else None  # type: ignore[call-overload]
    tot["unmatched_per_burst"] = round(int(tot["unmatched"]) / int(tot["bursts"]), 3) if tot["bursts"] else None  # type: ignore[call-overload]
    tot["errors_ms"] = errors
    tot["error_ms"] = _quantiles(errors)
    return tot
