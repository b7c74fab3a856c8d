"""Live multichannel plot: one pyqtgraph curve per channel, min/max decimated to ~1 bin per pixel.

Painting, not setData, is the cost (engineering.md, section 2): every frame the visible window is reduced
to a min and a max per horizontal pixel across all channels at once, so a curve never has more than
~2 x width points, and pens stay 1 px cosmetic. A plot may show some of the ring's channels (left and right
side by side are two plots on one ring), in another unit (``transform``, e.g. envelope microvolts -> %MVC),
with onset markers (one scatter item for all of them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
    # channel-major so each bin is a contiguous run (2-3x faster than reducing the strided middle axis);
    # fmin/fmax skip NaN (lost packets) and give NaN only for an all-NaN bin, which draws as a gap
    blocks = np.ascontiguousarray(y[start:].T).reshape(y.shape[1], bins, per)
    lo, hi = np.fmin.reduce(blocks, axis=2), np.fmax.reduce(blocks, axis=2)
    out = np.empty((2 * bins, y.shape[1]), dtype=y.dtype)
    out[0::2], out[1::2] = lo.T, hi.T
    x = start + np.repeat(np.arange(bins) * per, 2) + np.tile([0, per - 1], bins)
    return x.astype(np.float64), out


class LivePlot(QtWidgets.QWidget):
    """Stacked traces of a ring buffer's newest ``window_s`` seconds; the owner's GUI timer calls ``refresh``."""

    frame_drawn = QtCore.Signal()

    def __init__(self, ring: SampleRing, rate_hz: float, channel_names: list[str] | tuple[str, ...],
                 units: str, window_s: float = 10.0, parent: QtWidgets.QWidget | None = None, *,
                 channels: Sequence[int] | None = None,
                 transform: Callable[[np.ndarray], np.ndarray] | None = None, lane: float | None = None,
                 absolute_time: bool = False) -> None:
        """``channel_names`` name the ring's columns; ``channels`` picks the ones shown (default: all);
        ``transform`` maps the shown columns to ``units``; ``lane``: fixed height of each trace's lane in
        ``units`` (default: follows the signal); ``absolute_time``: the time axis in seconds of the recording
        (a replay, whose marks sit at stored times) instead of "now = 0"."""
        self.absolute_time = absolute_time
        super().__init__(parent)
        self.ring = ring
        self.rate_hz = rate_hz
        self.window_s = window_s
        self.units = units
        self.columns = list(channels) if channels is not None else list(range(len(channel_names)))
        self.transform = transform
        self.frames = 0
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "time" if absolute_time else "time (now = 0)", units="s")
        self.plot.setLabel("left", f"one lane per muscle ({units})")
        self.plot.getPlotItem().getAxis("left").setStyle(showValues=False)
        palette = ["#1b6ca8", "#d1495b", "#66a182", "#2e4057", "#edae49", "#8d6a9f", "#00798c", "#6c757d"]
        shown = [channel_names[c] for c in self.columns]
        self.names = shown
        self.curves = [self.plot.plot(pen=pg.mkPen(palette[i % len(palette)], width=1), name=name)
                       for i, name in enumerate(shown)]
        self._labels = []
        for i, name in enumerate(shown):
            label = pg.TextItem(f"{name.replace('_', ' ')} ({units})", color=palette[i % len(palette)],
                                anchor=(0, 0))
            self.plot.addItem(label)
            self._labels.append(label)
        self._fixed_lane = lane
        self._spacing = lane or 1.0
        self._ranges: tuple[float, float] | None = None
        self._markers: list[tuple[float, int]] = []  # (time s, lane) of onsets
        self._marker_item = pg.ScatterPlotItem(symbol="t1", size=12, pen=None, brush=pg.mkBrush("#222222"))
        self.plot.addItem(self._marker_item)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.plot.viewport().installEventFilter(self)

    def mark_onset(self, t_s: float, name: str) -> None:
        """An onset marker at ``t_s`` (seconds on the ring's sample index) on the lane of ``name``."""
        if name in self.names:
            self._markers.append((t_s, self.names.index(name)))

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
        if len(self.columns) != data.shape[1]:
            data = data[:, self.columns]
        if self.transform is not None:
            data = self.transform(data)
        bins = max(50, self.plot.width())
        x, y = minmax_decimate(data, bins)
        if self._fixed_lane is None:
            finite = y[np.isfinite(y)]
            spread = float(np.percentile(np.abs(finite), 99.5)) if finite.size else 1.0
            self._spacing = lane_height(self._spacing, 2.2 * spread)
        # time runs from -window_s to 0 (now): the axes keep their range, so pyqtgraph does not lay out
        # their ticks again every frame (that was a third of a frame's cost)
        end = (first + data.shape[0]) / self.rate_hz
        origin = 0.0 if self.absolute_time else end
        t = (first + x) / self.rate_hz - origin
        for c, curve in enumerate(self.curves):
            curve.setData(t, y[:, c] - c * self._spacing, connect="finite", skipFiniteCheck=False)
        kept = [(tm, lane) for tm, lane in self._markers if tm >= end - self.window_s]
        if kept:
            mt = np.array([m[0] for m in kept]) - origin
            my = np.array([-m[1] * self._spacing + 0.35 * self._spacing for m in kept])
            self._marker_item.setData(mt, my)
        elif self._markers:
            self._marker_item.clear()  # the last marker scrolled out (nothing to redo while there is none)
        self._markers = kept
        ranges = (self.window_s, self._spacing)
        if self.absolute_time:  # the window moves along the recording: its range follows every frame
            self.plot.setXRange(end - self.window_s, end, padding=0)
            for c, label in enumerate(self._labels):
                label.setPos(end - self.window_s, -c * self._spacing + 0.5 * self._spacing)
        if ranges != self._ranges:  # only when the scale changes: unchanged items cost no repaint
            self._ranges = ranges
            if not self.absolute_time:
                for c, label in enumerate(self._labels):
                    label.setPos(-self.window_s, -c * self._spacing + 0.5 * self._spacing)
                self.plot.setXRange(-self.window_s, 0.0, padding=0)
            self.plot.setYRange(-(len(self.curves) - 0.5) * self._spacing, 0.5 * self._spacing, padding=0)


def lane_height(current: float, needed: float) -> float:
    """A lane height on a 1-2-5 scale: grows at once to fit ``needed``, shrinks only when the signal needs
    under a third of it (so the scale, and the axes, stay put from frame to frame)."""
    if needed <= 0 or not np.isfinite(needed):
        return current
    if needed <= current and needed > current / 3:
        return current
    exp = np.floor(np.log10(needed))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * 10 ** exp >= needed:
            return float(step * 10 ** exp)
    return float(needed)
