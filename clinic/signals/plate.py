"""Force-plate metrics: load split, centre-of-pressure sway during a hold, and the bench sit-down test.

Methods follow the primer (section "Force plate"): body weight from 1 s of quiet standing, start of descent
where the total force stays below BW - 5 SD for >= 175 ms (moved back 30 ms), centre-of-mass velocity by
integrating (F - BW) / m, seat contact where the seat force exceeds 20 N for >= 15 ms, sway after a 10 Hz
zero-lag low-pass. Where the plate rate is too low for a metric, the metric is ``None`` and a note says why.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from clinic.signals.reps import Rep, smooth_force, sustained_runs

GRAVITY = 9.81
#: plate rates needed (Hz): landing impact peak and loading rate; descent timing; sway
MIN_RATE_LANDING_HZ = 1000.0
MIN_RATE_LANDING_COARSE_HZ = 200.0
MIN_RATE_TIMING_HZ = 50.0
MIN_RATE_SWAY_HZ = 25.0


def row_sums(f: np.ndarray) -> np.ndarray:
    """``f.sum(axis=1)`` of samples x cells, column by column: numpy adds fewer than 8 values in order, so
    the sums are the same, at a third of the cost of a reduction over a short axis (hundreds of thousands
    of rows)."""
    if not 0 < f.shape[1] < 8:
        return f.sum(axis=1)
    out = f[:, 0].copy()
    for j in range(1, f.shape[1]):
        out += f[:, j]
    return out


def cell_positions_mm(cells: Sequence[str], width_mm: float = 400.0,
                      length_mm: float = 600.0) -> np.ndarray:
    """x (right +) and y (front +) of each load cell from its name (``front_left`` ... ``back_right``)."""
    pos = []
    for name in cells:
        n = name.lower()
        x = width_mm / 2 if "right" in n else -width_mm / 2 if "left" in n else 0.0
        y = length_mm / 2 if "front" in n else -length_mm / 2 if "back" in n else 0.0
        pos.append((x, y))
    return np.asarray(pos, dtype=np.float64)


def centre_of_pressure(cells_n: np.ndarray, positions_mm: np.ndarray, min_load_n: float = 20.0) -> np.ndarray:
    """COP (samples x 2, mm) from the cell forces; NaN where the plate carries less than ``min_load_n``."""
    f = np.asarray(cells_n, dtype=np.float64)
    total = row_sums(f)
    cop = np.zeros((f.shape[0], 2))
    for j in range(f.shape[1]):  # a few cells: column sums beat a tall matrix product here
        cop[:, 0] += f[:, j] * positions_mm[j, 0]
        cop[:, 1] += f[:, j] * positions_mm[j, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        cop /= total[:, None]
    cop[total < min_load_n] = np.nan
    return cop


def left_share(cells_n: np.ndarray, cells: Sequence[str]) -> np.ndarray:
    """%L = F_left / (F_left + F_right) per sample (0-1)."""
    f = np.asarray(cells_n, dtype=np.float64)
    left = np.array(["left" in c.lower() for c in cells])
    right = np.array(["right" in c.lower() for c in cells])
    fl, fr = row_sums(f[:, left]), row_sums(f[:, right])
    with np.errstate(invalid="ignore", divide="ignore"):
        return fl / (fl + fr)


def sway(cop_mm: np.ndarray, rate_hz: float, smoothed: bool = False) -> dict[str, float | None | str]:
    """Sway of a COP trace (after a 10 Hz zero-lag low-pass): path length, mean velocity, RMS, 95 % ellipse.

    ``smoothed``: the trace is already low-passed (``PlateTraces`` does it once for the whole recording).
    """
    if rate_hz < MIN_RATE_SWAY_HZ:
        return {"note": f"plate at {rate_hz:g} Hz: sway needs >= {MIN_RATE_SWAY_HZ:g} Hz"}
    c = np.asarray(cop_mm, dtype=np.float64)
    c = c[np.all(np.isfinite(c), axis=1)]
    if len(c) < max(8, int(0.5 * rate_hz)):
        return {"note": "hold too short for sway (< 0.5 s)"}
    if not smoothed:
        c = smooth_force(c, rate_hz, 10.0)
    d = c - c.mean(axis=0)
    steps = np.linalg.norm(np.diff(c, axis=0), axis=1)
    path = float(steps.sum())
    dur = len(c) / rate_hz
    cov = np.cov(d.T)
    lam = np.clip(np.linalg.eigvalsh(cov), 0.0, None)
    return {
        "path_length_mm": round(path, 2),
        "mean_velocity_mm_s": round(path / dur, 2),
        "rms_mm": round(float(np.sqrt(np.mean(np.sum(d * d, axis=1)))), 3),
        "ellipse95_area_mm2": round(float(np.pi * 5.991 * np.sqrt(lam[0] * lam[1])), 2),
    }


class PlateTraces:
    """Whole-recording plate traces computed once: total load, left share, COP (10 Hz zero-lag low-pass)."""

    def __init__(self, cells_n: np.ndarray, cells: Sequence[str], rate_hz: float, width_mm: float = 400.0,
                 length_mm: float = 600.0) -> None:
        f = np.asarray(cells_n, dtype=np.float64)
        self.rate_hz = rate_hz
        self.length_mm = length_mm
        self.total = row_sums(f)
        self.left = left_share(f, cells)
        cop = centre_of_pressure(f, cell_positions_mm(cells, width_mm, length_mm))
        ok = np.all(np.isfinite(cop), axis=1)
        if ok.all() and rate_hz >= MIN_RATE_SWAY_HZ:
            cop = smooth_force(cop, rate_hz, 10.0)
        self.cop = cop
        self.cop_smoothed = bool(ok.all())


def hold_plate_metrics(cells_n: np.ndarray, cells: Sequence[str], rate_hz: float, rep: Rep,
                       width_mm: float = 400.0, length_mm: float = 600.0,
                       traces: PlateTraces | None = None) -> dict[str, object]:
    """Mean load, left/right split (%L) and COP sway over a rep's hold."""
    tr = traces or PlateTraces(cells_n, cells, rate_hz, width_mm, length_mm)
    a, b = int(rep.hold_start_s * rate_hz), int(rep.hold_end_s * rate_hz)
    if b - a < 2:
        return {"note": "no hold on the plate"}
    share = tr.left[a:b]
    cop = tr.cop[a:b]
    heel = None
    if np.any(np.isfinite(cop[:, 1])):
        # COP as % of the plate length from its back edge (the heel end when the foot points forward)
        heel = round(float(np.nanmean(cop[:, 1]) / tr.length_mm * 100.0 + 50.0), 1)
    return {
        "mean_load_n": round(float(tr.total[a:b].mean()), 1),
        "left_pct": round(float(np.nanmean(share)) * 100.0, 1) if np.any(np.isfinite(share)) else None,
        "cop_from_back_pct": heel,
        "sway": sway(cop, rate_hz, smoothed=tr.cop_smoothed),
    }


def loading_rate(seat_n: np.ndarray, rate_hz: float) -> float:
    """Mean slope (N/s) of the seat force between 20 % and 80 % of its peak, on the way up to the peak."""
    w = np.asarray(seat_n, dtype=np.float64)
    k = int(np.argmax(w))
    peak = w[k]
    if peak <= 0 or k == 0:
        return 0.0
    rise = w[:k + 1]
    i20 = int(np.argmax(rise >= 0.2 * peak))
    i80 = int(np.argmax(rise >= 0.8 * peak))
    return float(0.6 * peak / max((i80 - i20) / rate_hz, 1.0 / rate_hz))


def sit_down_reps(cells_n: np.ndarray, cells: Sequence[str], rate_hz: float,
                  body_mass_kg: float | None = None, seat_contact_n: float = 20.0,
                  contact_ms: float = 15.0) -> tuple[list[Rep], list[dict[str, object]]]:
    """Reps and landing metrics of the bench sit-down test (feet + seat plates).

    Returns the reps (movement start = start of descent, hold = seated, lower end = standing again) and one
    dict of metrics per rep.
    """
    f = np.asarray(cells_n, dtype=np.float64)
    seat_cols = np.array(["seat" in c.lower() for c in cells])
    if not seat_cols.any():
        return [], []
    seat_raw = row_sums(f[:, seat_cols])
    total_raw = row_sums(f)
    total = smooth_force(total_raw, rate_hz, 50.0)
    contact_len = max(1, int(round(contact_ms / 1000.0 * rate_hz)))
    on_s, on_e = sustained_runs(seat_raw > seat_contact_n, contact_len)
    reps: list[Rep] = []
    metrics: list[dict[str, object]] = []
    prev_end = 0
    for a, b in zip(on_s, on_e):
        if b - a < 0.5 * rate_hz:
            continue  # brushing the bench is not sitting
        m, rep = _one_sit_down(total, seat_raw, rate_hz, int(prev_end), int(a), int(b), body_mass_kg)
        prev_end = b
        if rep is None:
            continue
        rep.number = len(reps) + 1
        reps.append(rep)
        metrics.append(m)
    return reps, metrics


def _one_sit_down(total: np.ndarray, seat: np.ndarray, rate_hz: float, prev_end: int, contact: int, off: int,
                  body_mass_kg: float | None) -> tuple[dict[str, object], Rep | None]:
    notes: list[str] = []
    # body weight: the steadiest 1 s of standing in the 4 s before the contact (after the previous rep)
    lo = max(prev_end, contact - int(4.0 * rate_hz))
    n1 = int(rate_hz)
    if contact - lo < n1 + int(0.3 * rate_hz):
        return {}, None
    win = total[lo:contact]
    starts = np.arange(0, len(win) - n1, max(1, n1 // 10))
    sds = np.array([win[s:s + n1].std() for s in starts])
    best = int(starts[int(np.argmin(sds))])
    bw = float(win[best:best + n1].mean())
    sd = float(win[best:best + n1].std())
    thr = 5 * sd if sd > 0.001 * bw else 0.025 * bw  # primer: BW - 2.5 % BW when the SD is odd
    if not np.isfinite(bw) or bw <= 0:
        return {}, None
    mass = body_mass_kg or bw / GRAVITY
    sustain = max(1, int(round(0.175 * rate_hz)))
    below_s, _ = sustained_runs(total[lo + best:contact + 1] < bw - thr, sustain)
    if not len(below_s):
        return {}, None
    start = max(lo, lo + best + int(below_s[0]) - int(round(0.03 * rate_hz)))
    # centre-of-mass velocity from the start of descent to the contact (trustworthy only until then)
    acc = (total[start:contact + 1] - bw) / mass
    v = np.cumsum(acc) / rate_hz
    k_min = int(np.argmin(v))
    v_peak, v_contact = float(v[k_min]), float(v[-1])
    # braking: force above BW between the lowest velocity and the contact (30 ms before it: the impact
    # itself is not braking, and the low-pass would smear it backwards)
    braking = total[start + k_min:max(start + k_min + 1, contact - int(0.03 * rate_hz))] - bw
    braking_impulse = float(np.clip(braking, 0.0, None).sum() / rate_hz)
    dv = np.diff(v)
    reversals = int(np.count_nonzero((dv[:-1] > 0) & (dv[1:] <= 0) & (v[1:-1] < -0.05))) if len(dv) > 2 else 0
    # seated: from the contact until the seat starts unloading; standing again when the seat is empty
    seated = seat[contact:off]
    level = float(np.median(seated))
    near = np.flatnonzero(seated >= 0.98 * level)
    hold_end = contact + (int(near[-1]) if len(near) else 0)
    m: dict[str, object] = {
        "body_weight_n": round(bw, 1),
        "descent_start_s": round(start / rate_hz, 4),
        "seat_contact_s": round(contact / rate_hz, 4),
        "descent_ms": round((contact - start) / rate_hz * 1000.0, 1),
        "peak_down_velocity_m_s": round(v_peak, 3),
        "velocity_at_contact_m_s": round(v_contact, 3),
        "contact_to_peak_velocity_ratio": round(v_contact / v_peak, 3) if v_peak < 0 else None,
        "braking_before_contact": bool(np.any(braking > thr)),
        "braking_impulse_n_s": round(braking_impulse, 2),
        "velocity_reversals": reversals,
    }
    if rate_hz < MIN_RATE_TIMING_HZ:
        notes.append(f"plate at {rate_hz:g} Hz: descent timing needs >= {MIN_RATE_TIMING_HZ:g} Hz")
        m["descent_ms"] = None
    if rate_hz < MIN_RATE_LANDING_COARSE_HZ:
        m["peak_seat_force_bw"] = m["loading_rate_bw_s"] = None
        notes.append(f"plate at {rate_hz:g} Hz: the landing impact (peak force, loading rate) needs "
                     f">= {MIN_RATE_LANDING_HZ:g} Hz ({MIN_RATE_LANDING_COARSE_HZ:g} Hz at the very least); "
                     "not computed")
    else:
        w = seat[contact:min(len(seat), contact + int(0.5 * rate_hz))]
        m["peak_seat_force_bw"] = round(float(w.max() / bw), 3)
        m["loading_rate_bw_s"] = round(loading_rate(w, rate_hz) / bw, 2)
        if rate_hz < MIN_RATE_LANDING_HZ:
            notes.append(f"plate at {rate_hz:g} Hz: landing peak and loading rate are coarse "
                         f"(>= {MIN_RATE_LANDING_HZ:g} Hz recommended)")
    m["notes"] = notes
    rep = Rep(0, start / rate_hz, contact / rate_hz, hold_end / rate_hz, off / rate_hz)
    return m, rep
