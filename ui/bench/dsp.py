"""Offline analysis speed as a multiple of real time (6 channels x 10 min at 2 kHz)."""

from __future__ import annotations

from clinic.signals.analysis import analyze_trial
from devices.simulator.physiology import build_scenario
from ui.bench import median_time


def run(quick: bool) -> dict[str, object]:
    reps = 6 if quick else 60  # 10 s per rep -> 1 or 10 minutes
    sc = build_scenario("typical", reps=reps, seed=3)
    t = median_time(lambda: analyze_trial(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, "left", sc.force_n,
                                          sc.plate_rate_hz), 3)
    return {"dsp_x_realtime": round(sc.duration_s / t, 1), "dsp_signal_s": round(sc.duration_s, 1)}
