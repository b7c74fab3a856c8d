"""Live plot cost: ms per rendered frame with min/max decimation vs plain setData of every point.

Offscreen, 1280x800, 6 channels x 10 s at 2 kHz; each frame is setData + a forced synchronous repaint,
so the figure is real rendering work, not just queued updates.
"""

from __future__ import annotations

import os

import numpy as np

from ui.bench import median_time


def run(quick: bool) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    from devices.ring import SampleRing
    from ui.live_plot import LivePlot

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rate, channels, window_s = 2000.0, 6, 10.0
    ring = SampleRing(int(rate * 30), channels)
    rng = np.random.default_rng(0)
    ring.write(rng.standard_normal((int(rate * 30), channels)).astype(np.float32) * 50)
    view = LivePlot(ring, rate, [f"ch{i}" for i in range(channels)], "uV", window_s=window_s)
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    frames = 30 if quick else 120

    def decimated() -> None:
        view.refresh()
        view.plot.viewport().repaint()

    def naive() -> None:
        data, first = ring.latest(int(window_s * rate))
        t = (first + np.arange(len(data))) / rate
        for c, curve in enumerate(view.curves):
            curve.setData(t, data[:, c] - c * 200.0)
        view.plot.viewport().repaint()

    fast = median_time(decimated, frames)
    slow = median_time(naive, frames)
    view.close()
    return {"plot_ms_per_frame": round(fast * 1000, 2), "plot_fps": round(1.0 / fast, 1),
            "plot_naive_ms_per_frame": round(slow * 1000, 2), "plot_vs_naive": round(slow / fast, 2)}
