"""Verdict latency: from the end of a rep's onset window (its hold start, as the offline analysis of the whole
trial places it) to the verdict shown on the clinician's panel (``verdict_latency_ms``, p95).

The simulator's trials (three profiles) are fed to ``LiveVerdicts`` one 60 Hz display frame at a time on a
virtual clock, as the runner's poll feeds it. A rep's latency is the signal time from its hold start to the end
of the frame that produced its verdict (the wait for the plate to show the hold) plus the wall time of that
frame's work: the detector over the 25 s buffer, then ``VerdictPanel.show_verdict`` and a synchronous repaint.
The runner runs the detector in a worker thread, which adds at most one poll interval; the machine is shared,
so the figure is the p95 of one run and ``verdict_compute_ms`` is a median.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np


def run(quick: bool) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    from clinic.signals.analysis import analyze_trial
    from clinic.signals.conditioning import ConditioningSettings
    from clinic.signals.live_verdict import LiveVerdicts
    from devices.simulator.physiology import build_scenario
    from ui.coaching.verdict_panel import VerdictPanel

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    conditioning = ConditioningSettings(mains_hz=50.0)
    panel = VerdictPanel()
    panel.resize(1000, 300)
    panel.show()
    app.processEvents()
    latencies: list[float] = []
    compute: list[float] = []
    for profile in ("healthy", "typical", "amnesic"):
        for seed in (0,) if quick else (0, 1):
            sc = build_scenario(profile, reps=4, seed=seed)
            offline = analyze_trial(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, side=sc.side,
                                    force_cells_n=sc.force_n, plate_rate_hz=sc.plate_rate_hz,
                                    plate_cells=sc.plate_cells, conditioning=conditioning, exercise=sc.exercise)
            hold_starts = [float(r["hold_start_s"]) for r in offline["reps"]]  # type: ignore[index, union-attr]
            live = LiveVerdicts(sc.emg_rate_hz, sc.emg_channels, sc.side, conditioning=conditioning,
                                hold_target_s=6.0, plate_rate_hz=sc.plate_rate_hz)
            n_plate = int(round(sc.plate_rate_hz / 60.0))
            n_emg = int(round(n_plate * sc.emg_rate_hz / sc.plate_rate_hz))
            for k in range(sc.force_n.shape[0] // n_plate + 1):
                start = time.perf_counter()
                live.feed_plate(sc.force_n[k * n_plate:(k + 1) * n_plate], k * n_plate)
                new = live.feed_emg(sc.emg_uv[k * n_emg:(k + 1) * n_emg], k * n_emg)
                for v in new:
                    panel.show_verdict(v)
                    panel.repaint()
                if not new:
                    continue
                work = time.perf_counter() - start
                compute.append(work)
                frame_end_s = (k + 1) * n_plate / sc.plate_rate_hz
                for v in new:
                    near = [h for h in hold_starts if abs(h - v.hold_start_s) < 0.5]
                    if near:
                        latencies.append(frame_end_s - near[0] + work)
    panel.close()
    if not latencies:
        raise RuntimeError("no verdict matched a rep of the offline analysis")
    return {"verdict_latency_ms": round(float(np.percentile(latencies, 95)) * 1000.0, 1),
            "verdict_compute_ms": round(statistics.median(compute) * 1000.0, 1), "verdict_reps": len(latencies)}
