"""Live view cost: the coaching traces (6 EMG channels at 2 kHz as left/right columns, the plate's 4 cells at
1 kHz as its total load) over a 10 s window, offscreen at 1280x800, every frame painted for real.

- ``plot_ms_per_frame`` / ``plot_fps``: median CPU time of 1/60 s of new samples, refresh and a forced
  synchronous repaint of the whole view (CPU, not wall time: the machines are shared, and a wait for a core
  is not the view's cost).
- ``plot_vs_pyqtgraph_peak``: the same widgets, window, lanes and time axis (now = 0) drawn by pyqtgraph's own
  ``PlotDataItem`` curves fed every point with ``setDownsampling(auto=True, method="peak")`` +
  ``setClipToView(True)`` as its docs recommend (and ``skipFiniteCheck=True``: the data are finite), warmed
  up, per frame, over ours.
- ``plot_cpu_pct_60fps``: % of one core (process CPU time / wall time) while the view runs on its 60 Hz frame
  pacer for ``cpu_s`` seconds with new samples arriving every frame (the machine is shared: one run, a median
  of per-second figures).
- ``plot_vs_naive``: the same pyqtgraph curves with plain ``setData`` of every point over ours.
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
        stream(1.0 / 60.0)  # new samples every frame, as live (ours reduces only what is new)
        for p in plots:
            p.refresh()
        panel.refresh(readout)
        paint()

    # pyqtgraph's own curves on the same widgets, shown instead of ours while they are measured
    ours_items = [*(c for p in plots for c in p.curves), panel.total_curve]
    theirs = [[p.plot.plot(pen=c.pen) for c in p.curves] for p in plots]
    theirs_total = panel.total.plot(pen=panel.total_curve.pen)
    theirs_items = [*(c for cs in theirs for c in cs), theirs_total]

    def pyqtgraph_curves(peak: bool) -> None:
        for item in ours_items:
            item.setVisible(False)
        for curve in theirs_items:
            curve.setVisible(True)
            curve.setDownsampling(ds=1, auto=peak, method="peak")
            curve.setClipToView(peak)

    def pyqtgraph_frame() -> None:
        stream(1.0 / 60.0)
        data, _ = emg.latest(int(WINDOW_S * EMG_RATE))
        t = (np.arange(len(data)) - len(data)) / EMG_RATE  # now = 0, as ours: the axes keep their range
        for p, cols, curves in zip(plots, ([0, 1, 2], [3, 4, 5]), theirs):
            for k, (curve, c) in enumerate(zip(curves, cols)):
                curve.setData(t, data[:, c] - k * p.lane_spacing, skipFiniteCheck=True)
        pdata, _ = plate.latest(int(WINDOW_S * PLATE_RATE))
        theirs_total.setData((np.arange(len(pdata)) - len(pdata)) / PLATE_RATE, pdata.sum(axis=1),
                             skipFiniteCheck=True)
        paint()

    fast = median_cpu_time(ours, frames)
    pyqtgraph_curves(peak=True)
    for _ in range(5):  # warm: its downsampling factor follows the view's width once painted
        pyqtgraph_frame()
    peak = median_cpu_time(pyqtgraph_frame, frames)
    pyqtgraph_curves(peak=False)
    naive = median_cpu_time(pyqtgraph_frame, frames)
    for curve in theirs_items:  # back to ours for the CPU run
        curve.setVisible(False)
    for item in ours_items:
        item.setVisible(True)
    for p in plots:
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
