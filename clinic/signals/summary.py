"""Summaries: per trial (over reps), per session (over trials) and across the sessions of an episode.

Values are summarised by their median, spread (interquartile range) and count; shares (e.g. reps with the
glute first) as a fraction 0-1. Nothing here judges a value against a norm: the clinician sets the targets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

#: per-rep numbers summarised over reps (dotted paths into the rep dict)
REP_NUMBERS = (
    "glute_lead_hamstrings_ms", "glute_lead_erector_spinae_ms", "hold_ms",
    "glute_hamstring_ratio", "lumbar_glute_ratio",
    "hold_amplitude.glute_max.mean_pct_mvc", "hold_amplitude.hamstrings.mean_pct_mvc",
    "hold_amplitude.erector_spinae.mean_pct_mvc",
    "hold_amplitude.glute_max.mean_uv", "hold_amplitude.hamstrings.mean_uv",
    "hold_amplitude.erector_spinae.mean_uv",
    "plate.left_pct", "plate.sway.path_length_mm", "plate.sway.mean_velocity_mm_s", "plate.sway.rms_mm",
    "plate.sway.ellipse95_area_mm2",
    "landing.descent_ms", "landing.peak_seat_force_bw", "landing.loading_rate_bw_s",
    "landing.velocity_at_contact_m_s", "landing.braking_impulse_n_s",
)
#: headline numbers compared across the sessions of an episode
TREND_KEYS = ("glute_first_share", "glute_lead_hamstrings_ms_median", "glute_lead_erector_spinae_ms_median",
              "hold_ms_median", "hold_amplitude.glute_max.mean_pct_mvc_median", "glute_hamstring_ratio_median",
              "lumbar_glute_ratio_median", "landing.descent_ms_median", "landing.peak_seat_force_bw_median",
              "landing.loading_rate_bw_s_median")


def dig(d: Mapping[str, object], path: str) -> object:
    """``d["a"]["b"]`` for ``"a.b"``; None when any step is missing."""
    cur: object = d
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def describe(values: Iterable[object]) -> dict[str, float | int | None]:
    """Median, interquartile range, min, max and count of the numeric values (None and NaN skipped)."""
    v = np.array([float(x) for x in values if isinstance(x, int | float) and not isinstance(x, bool)
                  and np.isfinite(x)])
    if not len(v):
        return {"median": None, "iqr": None, "min": None, "max": None, "n": 0}
    q1, q3 = np.percentile(v, [25, 75])
    return {"median": round(float(np.median(v)), 4), "iqr": round(float(q3 - q1), 4),
            "min": round(float(v.min()), 4), "max": round(float(v.max()), 4), "n": int(len(v))}


def rep_summary(reps: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """Summary over reps: count, share with the glute first, and median/spread of each per-rep number.

    Flat keys: ``<number>_median`` and ``<number>_iqr`` for the numbers the reports plot, plus a ``spread``
    object with the full description of each.
    """
    firsts = [bool(r["glute_first"]) for r in reps if r.get("glute_first") is not None]  # unknown: skipped
    out: dict[str, object] = {
        "reps": len(reps),
        "glute_first_share": round(sum(firsts) / len(firsts), 4) if firsts else None,
        "reps_with_order": len(firsts),
        "hold_reached_share": (round(sum(bool(r.get("hold_reached")) for r in reps) / len(reps), 4)
                               if reps else None),
    }
    spread: dict[str, object] = {}
    for key in REP_NUMBERS:
        d = describe(dig(r, key) for r in reps)
        if d["n"]:
            spread[key] = d
            out[f"{key}_median"] = d["median"]
            out[f"{key}_iqr"] = d["iqr"]
    for key in ("glute_lead_hamstrings_ms_median", "glute_lead_erector_spinae_ms_median", "hold_ms_median"):
        out.setdefault(key, None)
    out["spread"] = spread
    return out


def session_summary(trials: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """Summary of a session: the reps of all its trials pooled, per exercise and overall."""
    by_ex: dict[str, list[Mapping[str, object]]] = {}
    all_reps: list[Mapping[str, object]] = []
    for t in trials:
        reps = [r for r in t.get("reps", []) if isinstance(r, Mapping)]  # type: ignore[union-attr]
        by_ex.setdefault(str(t.get("exercise") or "unknown"), []).extend(reps)
        all_reps.extend(reps)
    return {"trials": len(trials), **rep_summary(all_reps),
            "by_exercise": {ex: rep_summary(r) for ex, r in by_ex.items()}}


def compare_sessions(summaries: Sequence[Mapping[str, object]],
                     keys: Sequence[str] = TREND_KEYS) -> dict[str, object]:
    """Compare the sessions of an episode: per key, the series by week, change first -> last, slope per week.

    ``summaries`` are per-session summaries (``session_summary`` or ``rep_summary`` output) each with a
    ``week`` number (int or float); they may come in any order. Returns ``{"weeks": [...], "metrics": {key:
    {"values": [...], "change": last - first, "slope_per_week": least-squares slope or None}}}``.
    """
    ordered = sorted(summaries, key=lambda s: float(s.get("week", 0) or 0))  # type: ignore[arg-type]
    weeks = [s.get("week") for s in ordered]
    metrics: dict[str, object] = {}
    for key in keys:
        values = [dig(s, key) if "." in key and dig(s, key) is not None else s.get(key) for s in ordered]
        pts = [(float(w), float(v)) for w, v in zip(weeks, values)  # type: ignore[arg-type]
               if isinstance(v, int | float) and not isinstance(v, bool) and w is not None]
        change = round(pts[-1][1] - pts[0][1], 4) if len(pts) >= 2 else None
        slope = None
        if len(pts) >= 2 and len({w for w, _ in pts}) >= 2:
            slope = round(float(np.polyfit([w for w, _ in pts], [v for _, v in pts], 1)[0]), 4)
        metrics[key] = {"values": values, "change": change, "slope_per_week": slope}
    return {"weeks": weeks, "sessions": len(ordered), "metrics": metrics}
