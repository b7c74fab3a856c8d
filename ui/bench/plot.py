"""Live view cost: the coaching traces (6 EMG channels at 2 kHz as left/right columns, the plate's 4 cells at
1 kHz as its total load) over a 10 s window, offscreen at 1280x800, every frame painted for real.

- ``plot_ms_per_frame`` / ``plot_fps``: median CPU time of refresh + a forced synchronous repaint of the
  whole view (CPU, not wall time: the machines are shared, and a wait for a core is not the view's cost).
- ``plot_vs_pyqtgraph_peak``: the same curves fed every point with pyqtgraph's own
  ``setDownsampling(auto=True, method="peak")`` + ``setClipToView(True)``, per frame, over ours.
- ``plot_cpu_pct_60fps``: % of one core (process CPU time / wall time) while the view runs on its 60 Hz frame
  pacer for ``cpu_s`` seconds with new samples arriving every frame (the machine is shared: one run, a median
  of per-second figures).
- ``plot_vs_naive``: plain ``setData`` of every point over ours (the earlier figure, kept for continuity).
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from ui.bench import median_cpu_time

EMG_RATE, PLATE_RATE, WINDOW_S = 2000.0, 1000.0, 10.0


def run(quick: bool) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    from clinic.signals.conditioning import ConditioningSettings, condition, linear_envelope
    from devices.ring import SampleRing
    from devices.simulator.physiology import build_scenario
    from ui.coaching.pacing import FramePacer
    from ui.coaching.plate_panel import PlatePanel
    from ui.coaching.readout import Readout
    from ui.live_plot import LivePlot

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rng = np.random.default_rng(0)
    scenario = build_scenario("typical", reps=3, seed=0)  # ~33 s: envelopes and plate as the view shows them
    env_uv = linear_envelope(condition(scenario.emg_uv, EMG_RATE, ConditioningSettings(mains_hz=50.0)), EMG_RATE)
    names = list(scenario.emg_channels)
    emg = SampleRing(int(EMG_RATE * 30), 6)
    plate = SampleRing(int(PLATE_RATE * 30), 4)
    feed = {"emg": 0, "plate": 0}

    def stream(seconds: float) -> None:
        """The next ``seconds`` of the scenario into the rings (looping)."""
        for key, ring, rate, data in (("emg", emg, EMG_RATE, env_uv), ("plate", plate, PLATE_RATE, scenario.force_n)):
            n = int(round(seconds * rate))
            idx = (feed[key] + np.arange(n)) % data.shape[0]
            ring.write(data[idx])
            feed[key] += n

    stream(WINDOW_S)
    view = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(view)
    columns = QtWidgets.QHBoxLayout()
    plots = [LivePlot(emg, EMG_RATE, names, "uV envelope", window_s=WINDOW_S, channels=cols)
             for cols in ([0, 1, 2], [3, 4, 5])]
    for p in plots:
        columns.addWidget(p)
    layout.addLayout(columns, stretch=3)
    panel = PlatePanel(plate, PLATE_RATE, 400.0, 600.0, WINDOW_S)
    layout.addWidget(panel, stretch=1)
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    readout = Readout(names, {}, {}, {}, cop_trail_mm=rng.standard_normal((60, 2)) * 20)
    frames = 30 if quick else 120

    viewports = [*(p.plot.viewport() for p in plots), panel.total.viewport(), panel.cop.viewport()]

    def paint() -> None:
        for v in viewports:
            v.repaint()  # synchronous: the scene is rendered now

    def ours() -> None:
        for p in plots:
            p.refresh()
        panel.refresh(readout)
        paint()

    def pyqtgraph_peak() -> None:
        data, first = emg.latest(int(WINDOW_S * EMG_RATE))
        t = (first + np.arange(len(data))) / EMG_RATE
        for p, cols in zip(plots, ([0, 1, 2], [3, 4, 5])):
            for k, (curve, c) in enumerate(zip(p.curves, cols)):
                curve.setData(t, data[:, c] - k * 200.0)
            p.plot.setXRange(float(t[0]), float(t[-1]), padding=0)
        pdata, pfirst = plate.latest(int(WINDOW_S * PLATE_RATE))
        panel.total_curve.setData((pfirst + np.arange(len(pdata))) / PLATE_RATE, pdata.sum(axis=1))
        paint()

    def naive_setup(peak: bool) -> None:
        for curve in [*(c for p in plots for c in p.curves), panel.total_curve]:
            curve.setDownsampling(ds=1, auto=peak, method="peak")
            curve.setClipToView(peak)

    fast = median_cpu_time(ours, frames)
    naive_setup(peak=True)
    peak = median_cpu_time(pyqtgraph_peak, frames)
    naive_setup(peak=False)
    naive = median_cpu_time(pyqtgraph_peak, frames)
    for p in plots:  # back to ours for the CPU run
        p.refresh()

    # CPU at 60 frames/s: the real pacer, new samples every frame
    cpu_s = 3.0 if quick else 10.0
    per_second: list[float] = []
    state = {"frames": 0}

    def frame() -> None:
        stream(1.0 / 60.0)
        for p in plots:
            p.refresh()
        panel.refresh(readout)
        state["frames"] += 1

    pacer = FramePacer(view, frame, max_fps=60.0)
    pacer.timer.start()
    marks = [(time.perf_counter(), time.process_time(), state["frames"])]

    def sample() -> None:
        marks.append((time.perf_counter(), time.process_time(), state["frames"]))
        per_second.append(100.0 * (marks[-1][1] - marks[-2][1]) / (marks[-1][0] - marks[-2][0]))

    sampler = QtCore.QTimer()
    sampler.timeout.connect(sample)
    sampler.start(1000)
    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(int(cpu_s * 1000) + 50, loop.quit)
    loop.exec()  # an idle event loop: the only work is the paced frames
    sampler.stop()
    wall = marks[-1][0] - marks[0][0]
    pacer.timer.stop()
    view.close()
    return {"plot_ms_per_frame": round(fast * 1000, 2), "plot_fps": round(1.0 / fast, 1),
            "plot_vs_pyqtgraph_peak": round(peak / fast, 2),
            "plot_cpu_pct_60fps": round(statistics.median(per_second), 1) if per_second else None,
            "plot_cpu_fps": round((marks[-1][2] - marks[0][2]) / wall, 1),
            "plot_naive_ms_per_frame": round(naive * 1000, 2), "plot_vs_naive": round(naive / fast, 2)}
