"""Live multichannel plot: one pyqtgraph curve per channel, min/max decimated to ~1 bin per pixel.

Painting, not setData, is the cost (engineering.md, section 2): every frame the visible window is reduced
to a min and a max per horizontal pixel across all channels at once, so a curve never has more than
~2 x width points, and pens stay 1 px cosmetic.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from devices.ring import SampleRing


def minmax_decimate(y: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce (samples x channels) to 2*bins points per channel keeping each bin's min and max.

    Returns x positions (sample offsets, float) and the decimated values (2*bins x channels).
    """
    n = y.shape[0]
    if n <= 2 * bins or bins <= 0:
        return np.arange(n, dtype=np.float64), y
    per = n // bins
    usable = per * bins
    start = n - usable
    blocks = y[start:].reshape(bins, per, y.shape[1])
    with warnings.catch_warnings():  # an all-NaN bin (lost packets) stays NaN and draws as a gap
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(blocks, axis=1), np.nanmax(blocks, axis=1)
    out = np.empty((2 * bins, y.shape[1]), dtype=y.dtype)
    out[0::2], out[1::2] = lo, hi
    x = start + np.repeat(np.arange(bins) * per, 2) + np.tile([0, per - 1], bins)
    return x.astype(np.float64), out


class LivePlot(QtWidgets.QWidget):
    """Stacked traces of a ring buffer's newest ``window_s`` seconds; the owner's GUI timer calls ``refresh``."""

    frame_drawn = QtCore.Signal()

    def __init__(self, ring: SampleRing, rate_hz: float, channel_names: list[str] | tuple[str, ...],
                 units: str, window_s: float = 10.0, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.ring = ring
        self.rate_hz = rate_hz
        self.window_s = window_s
        self.frames = 0
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "time", units="s")
        self.plot.getPlotItem().getAxis("left").setStyle(showValues=False)
        palette = ["#1b6ca8", "#d1495b", "#66a182", "#2e4057", "#edae49", "#8d6a9f", "#00798c", "#6c757d"]
        self.curves = [self.plot.plot(pen=pg.mkPen(palette[i % len(palette)], width=1), name=name)
                       for i, name in enumerate(channel_names)]
        self._labels = []
        for i, name in enumerate(channel_names):
            label = pg.TextItem(f"{name.replace('_', ' ')} ({units})", color=palette[i % len(palette)],
                                anchor=(0, 0))
            self.plot.addItem(label)
            self._labels.append(label)
        self._spacing = 1.0
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.plot.viewport().installEventFilter(self)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QtCore.QEvent.Type.Paint:
            self.frames += 1
            self.frame_drawn.emit()
        return False

    def refresh(self) -> None:
        n = int(self.window_s * self.rate_hz)
        data, first = self.ring.latest(n)
        if data.shape[0] < 2:
            return
        bins = max(50, self.plot.width())
        x, y = minmax_decimate(data, bins)
        finite = y[np.isfinite(y)]
        spread = float(np.percentile(np.abs(finite), 99.5)) if finite.size else 1.0
        self._spacing = max(self._spacing * 0.98, 2.2 * spread, 1e-6)
        t = (first + x) / self.rate_hz
        for c, curve in enumerate(self.curves):
            offset = -c * self._spacing
            curve.setData(t, y[:, c] + offset, connect="finite", skipFiniteCheck=False)
            self._labels[c].setPos(float(t[-1]) - self.window_s, offset + 0.5 * self._spacing)
        self.plot.setXRange(float(t[-1]) - self.window_s, float(t[-1]), padding=0)
        self.plot.setYRange(-(len(self.curves) - 0.5) * self._spacing, 0.5 * self._spacing, padding=0)
