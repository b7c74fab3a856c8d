"""One trial's analysis: onsets per channel, reps from the plate, per-rep firing order and glute lead.

Everything the live view, the recorder, the review screen and the reports show comes from here, as plain
JSON-able dicts (times in seconds from the start of the recording, ``_s``; durations ``_ms``).
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from clinic.signals.onsets import ChannelOnsets, OnsetSettings, detect_onsets
from clinic.signals.reps import Rep, segment_reps

MUSCLES = ("glute_max", "hamstrings", "erector_spinae")


def _onset_near(ch: ChannelOnsets, t0: float, t1: float) -> float | None:
    for b in ch.bursts:
        if t0 <= b.onset_s <= t1:
            return b.onset_s
    return None


def rep_metrics(rep: Rep, onsets: dict[str, ChannelOnsets], side: str) -> dict[str, object]:
    """Onsets relative to movement start, firing order and glute lead (ms, negative = glute late)."""
    window = (rep.movement_start_s - 0.6, rep.hold_start_s + 0.3)
    rel: dict[str, float | None] = {}
    for muscle in MUSCLES:
        ch = onsets.get(f"{muscle}_{side}")
        t = _onset_near(ch, *window) if ch else None
        rel[muscle] = None if t is None else (t - rep.movement_start_s) * 1000.0
    fired = sorted((v, k) for k, v in rel.items() if v is not None)
    glute = rel["glute_max"]

    def lead(other: str) -> float | None:
        o = rel[other]
        if glute is None or o is None:
            return None
        return o - glute

    return {
        "rep": rep.number,
        "movement_start_s": rep.movement_start_s,
        "hold_start_s": rep.hold_start_s,
        "hold_end_s": rep.hold_end_s,
        "lower_end_s": rep.lower_end_s,
        "hold_ms": rep.hold_s * 1000.0,
        "onset_rel_movement_ms": rel,
        "firing_order": [k for _, k in fired],
        "glute_first": bool(fired) and fired[0][1] == "glute_max",
        "glute_lead_hamstrings_ms": lead("hamstrings"),
        "glute_lead_erector_spinae_ms": lead("erector_spinae"),
    }


def analyze_trial(emg: np.ndarray, emg_rate_hz: float, channel_names: list[str] | tuple[str, ...],
                  side: str = "left", force_cells_n: np.ndarray | None = None,
                  plate_rate_hz: float | None = None,
                  settings: OnsetSettings = OnsetSettings()) -> dict[str, object]:
    onsets = detect_onsets(emg, emg_rate_hz, channel_names, settings)
    by_name = {c.name: c for c in onsets}
    reps: list[Rep] = []
    if force_cells_n is not None and plate_rate_hz:
        reps = segment_reps(np.asarray(force_cells_n).sum(axis=1), plate_rate_hz)
    per_rep = [rep_metrics(r, by_name, side) for r in reps]
    firsts = [r["glute_first"] for r in per_rep]
    leads = [r["glute_lead_hamstrings_ms"] for r in per_rep if r["glute_lead_hamstrings_ms"] is not None]
    return {
        "method": settings.as_dict(),
        "sample_rate_hz": emg_rate_hz,
        "duration_s": emg.shape[0] / emg_rate_hz,
        "channels": {c.name: {"bursts": [asdict(b) for b in c.bursts], "baseline_mean": c.baseline_mean,
                              "baseline_sd": c.baseline_sd, "threshold": c.threshold} for c in onsets},
        "reps": per_rep,
        "summary": {
            "reps": len(per_rep),
            "glute_first_share": (sum(firsts) / len(firsts)) if firsts else None,
            "glute_lead_hamstrings_ms_median": float(np.median(leads)) if leads else None,
            "hold_ms_median": float(np.median([r["hold_ms"] for r in per_rep])) if per_rep else None,
        },
    }
