"""Offline analysis speed and onset accuracy, against NeuroKit2 and BioSPPy when they are installed.

Data: the simulator's "typical" profile, 6 channels at 2 kHz with its plate at 1 kHz, about 10 minutes
(``--quick``: about 1 minute), with exact ground-truth onsets.

Figures:

- ``dsp_x_realtime``: the whole offline analysis (``analyze_trial``: conditioning, quality, envelopes, onsets,
  segmentation, per-rep metrics, summary) as a multiple of real time (median of repeats);
- ``dsp_vs_biosppy``: that figure over BioSPPy's Hodges-Bui detector's (run on our band-passed channels,
  25 ms window, k = 3, rest = the first 2 s; its own time only, per second of signal);
- ``dsp_vs_neurokit2``: the same over NeuroKit2's ``emg_process`` (run on a slice of the raw channels, per
  second of signal, because it is slow);
- ``onset_error_ms``: {method: {median, p95, misses, false, true_bursts}} against the truth, on the data each
  method ran on (|error| in ms; a match is within 100 ms).

The peers live in the ``bench`` extra; when one is missing its figures are left out and ``peers_missing``
says which.
"""

from __future__ import annotations

import time

import numpy as np

from clinic.signals.analysis import analyze_trial
from clinic.signals.conditioning import ConditioningSettings, condition_cm
from clinic.signals.evaluation import score_onsets
from devices.simulator.physiology import build_scenario
from ui.bench import median_time


def _score(true: dict[str, list[float]], found: dict[str, list[float]]) -> dict[str, object]:
    s = score_onsets(true, found)
    return {"median": round(s["median"], 2), "p95": round(s["p95"], 2), "misses": s["misses"],
            "false": s["false"], "true_bursts": s["true_bursts"]}


def _truth(sc, channels: list[int], t_end_s: float) -> dict[str, list[float]]:  # noqa: ANN001
    return {sc.emg_channels[c]: [r.onsets_s[sc.emg_channels[c]] for r in sc.truth
                                 if r.onsets_s[sc.emg_channels[c]] < t_end_s - 0.5] for c in channels}


def _biosppy(sc, filtered_cm: np.ndarray) -> tuple[float, dict[str, list[float]]]:  # noqa: ANN001
    from biosppy.signals import emg as bsp_emg

    rate = sc.emg_rate_hz
    size = int(0.025 * rate)
    found: dict[str, list[float]] = {}
    t0 = time.perf_counter()
    outs = [bsp_emg.hodges_bui_onset_detector(signal=filtered_cm[c], rest=[0, int(2 * rate)], sampling_rate=rate,
                                              size=size, threshold=3) for c in range(filtered_cm.shape[0])]
    elapsed = time.perf_counter() - t0
    for c, out in enumerate(outs):
        # it returns every threshold crossing: keep the rising ones (the test function above after them)
        idx = np.asarray(out["onsets"], dtype=int)
        tf = np.asarray(out["processed"])
        k = np.clip(idx - size // 2 + 1, 0, len(tf) - 1)
        found[sc.emg_channels[c]] = list(idx[tf[k] >= 3] / rate)
    return elapsed, found


def _neurokit(sc, channels: list[int], n: int) -> tuple[float, dict[str, list[float]]]:  # noqa: ANN001
    import neurokit2 as nk

    rate = sc.emg_rate_hz
    found: dict[str, list[float]] = {}
    t0 = time.perf_counter()
    for c in channels:
        signals, _ = nk.emg_process(sc.emg_uv[:n, c].astype(np.float64), sampling_rate=int(rate))
        found[sc.emg_channels[c]] = list(np.flatnonzero(signals["EMG_Onsets"].to_numpy()) / rate)
    return time.perf_counter() - t0, found


def run(quick: bool) -> dict[str, object]:
    reps = 6 if quick else 53  # ~11.3 s per rep: ~1 or ~10 minutes
    sc = build_scenario("typical", reps=reps, seed=3)
    duration = sc.duration_s

    conditioning = ConditioningSettings(mains_hz=50.0)  # the simulator's mains (build_scenario's default)

    def ours() -> dict[str, object]:
        return analyze_trial(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, "left", sc.force_n, sc.plate_rate_hz,
                             plate_cells=sc.plate_cells, conditioning=conditioning)

    t = median_time(ours, 3)
    result = ours()
    all_ch = list(range(len(sc.emg_channels)))
    found = {name: [b["onset_s"] for b in ch["bursts"]] for name, ch in result["channels"].items()}
    out: dict[str, object] = {
        "dsp_x_realtime": round(duration / t, 1),
        "dsp_signal_s": round(duration, 1),
        "dsp_data": f"{len(sc.emg_channels)} ch x {duration:.0f} s at {sc.emg_rate_hz:g} Hz + plate at "
                    f"{sc.plate_rate_hz:g} Hz (simulator, typical profile, seed 3)",
        "dsp_reps_found": result["summary"]["reps"],
    }
    errors: dict[str, object] = {"glutelab": _score(_truth(sc, all_ch, duration), found)}
    missing: list[str] = []
    try:
        filtered = condition_cm(sc.emg_uv.T, sc.emg_rate_hz, conditioning)
        t_bsp, found_bsp = _biosppy(sc, filtered)
        out["dsp_vs_biosppy"] = round((duration / t) / (duration / t_bsp), 1)
        out["biosppy_x_realtime"] = round(duration / t_bsp, 1)
        errors["biosppy"] = _score(_truth(sc, all_ch, duration), found_bsp)
    except ImportError:
        missing.append("biosppy")
    try:
        channels = [0] if quick else [0, 1]
        n = int((20.0 if quick else 60.0) * sc.emg_rate_hz)
        t_nk, found_nk = _neurokit(sc, channels, n)
        seconds = len(channels) * n / sc.emg_rate_hz / len(sc.emg_channels)  # 6-channel seconds processed
        out["neurokit2_x_realtime"] = round(seconds / t_nk, 2)
        out["dsp_vs_neurokit2"] = round((duration / t) / (seconds / t_nk), 1)
        out["neurokit2_slice"] = f"{len(channels)} ch x {n / sc.emg_rate_hz:g} s (speed per 6-channel second)"
        errors["neurokit2"] = _score(_truth(sc, channels, n / sc.emg_rate_hz), found_nk)
    except ImportError:
        missing.append("neurokit2")
    out["onset_error_ms"] = errors
    if missing:
        out["peers_missing"] = missing
        out["peers_note"] = "install the bench extra (pip install 'glutelab[bench]') for the peer comparison"
    return out
