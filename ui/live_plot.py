"""Live multichannel plot: one trace per channel, min/max decimated to ~1 bin per pixel, updated incrementally.

Painting, not setData, is the cost (engineering.md, section 2), and at 60 frames/s every fixed per-frame cost
counts (docs/live.md, "Measured costs"):

- ``PeakBins`` keeps a min and a max per horizontal pixel column of the window, the columns aligned to the
  stream's own sample index, so a frame reduces only the samples that arrived since the last one (plus the
  newest, still filling column) instead of the whole window;
- each trace is a ``Trace``: a 1 px cosmetic polyline filled in place from numpy and drawn with one
  ``drawPolyline`` (no pyqtgraph data pipeline: bounds, finite checks and path building cost more than the
  drawing), which also draws its lane's label as static text; the axes are cached as pixmaps; the onset
  marker item is hidden while there is none and only moved, not rebuilt, from frame to frame.

A plot may show some of the ring's channels (left and right side by side are two plots on one ring), in
another unit (``transform``, e.g. envelope microvolts -> %MVC), with onset markers (one scatter item for all).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
import pyqtgraph.functions as fn
from PySide6 import QtCore, QtGui, QtWidgets

from devices.ring import SampleRing


class PeakBins:
    """A min and a max per bin of ``per`` samples over a ring's newest ``window_n`` samples, kept up to date.

    Bin ``k`` holds the stream's samples ``[k * per, (k + 1) * per)``, so a completed bin never changes and is
    reduced once; each ``update`` reduces only the rows that arrived since. The newest, incomplete bin is
    reduced every time (it shows the newest sample). fmin/fmax skip NaN (lost packets): an all-NaN bin stays
    NaN, which draws as a gap. ``transform`` maps the selected columns (rows x columns) to what is shown.
    """

    def __init__(self, window_n: int, columns: Sequence[int] | None = None,
                 transform: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self.window_n = window_n
        self.columns = list(columns) if columns is not None else None
        self.transform = transform
        self._ring: SampleRing | None = None
        self._per = 0
        self._next: int | None = None  # first bin not reduced yet; the cache holds [_next - n_bins, _next)
        self._from = 0  # first bin with samples (the ring's oldest when the cache was started)
        self._lo = self._hi = self._out = np.empty((0, 0))
        self._xbase = np.empty(0, dtype=np.int64)

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        if self.columns is not None and len(self.columns) != rows.shape[1]:
            rows = rows[:, self.columns]
        return self.transform(rows) if self.transform is not None else rows

    def _reset(self, ring: SampleRing, per: int, channels: int) -> None:
        self._ring, self._per, self._next = ring, per, None
        n_bins = math.ceil(self.window_n / per) + 1
        self._lo = np.full((n_bins, channels), np.nan)
        self._hi = np.full((n_bins, channels), np.nan)
        self._out = np.empty((2 * n_bins + 2, channels))
        self._xbase = np.repeat(np.arange(n_bins) * per, 2) + np.tile([0, per - 1], n_bins)

    def update(self, ring: SampleRing, bins: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Points for ~``bins`` pixel columns: (stream sample index of each point, values (points x channels),
        the stream index one past the newest sample). Two points per bin, its min then its max."""
        per = max(1, math.ceil(self.window_n / max(1, bins)))
        total = ring.total
        if ring is not self._ring or per != self._per or (self._next or 0) * per > total:  # new ring/width
            self._reset(ring, per, self._lo.shape[1] or 1)
        n_bins = self._lo.shape[0]
        done = total // per  # bins complete by now
        start = max(done - n_bins, 0) if self._next is None else max(self._next, done - n_bins)
        rows, first = ring.since(start * per)
        rows = self._rows(rows)
        if rows.shape[1] != self._lo.shape[1]:  # the channel count, once the first rows tell it
            self._reset(ring, per, rows.shape[1])
        if self._next is None:
            self._from = first // per
        offset = first - start * per  # > 0 only if the ring no longer holds the oldest bins wanted
        new = done - start
        if new > 0:
            block = np.full((new * per, rows.shape[1]), np.nan)
            head = rows[:max(0, new * per - offset)]
            block[offset:offset + len(head)] = head
            blocks = block.reshape(new, per, -1)
            shift = n_bins if self._next is None else min(done - self._next, n_bins)
            for cache, reduce in ((self._lo, np.fmin), (self._hi, np.fmax)):
                cache[:n_bins - shift] = cache[shift:]
                cache[n_bins - new:] = reduce.reduce(blocks, axis=1)
        self._next = done
        out = self._out
        out[0:2 * n_bins:2], out[1:2 * n_bins:2] = self._lo, self._hi
        x = (done - n_bins) * per + self._xbase
        tail = rows[max(0, done * per - first):]
        n = 2 * n_bins
        if len(tail):
            out[n], out[n + 1] = np.fmin.reduce(tail, axis=0), np.fmax.reduce(tail, axis=0)
            x = np.concatenate([x, [done * per, total - 1]])
            n += 2
        skip = 2 * max(0, self._from - (done - n_bins))  # bins before the first sample: nothing to draw
        return x[skip:].astype(np.float64), out[skip:n], total


class Trace(QtWidgets.QGraphicsItem):
    """One channel's decimated points as a 1 px cosmetic polyline, filled in place from numpy, and its lane's
    label (drawn by the trace itself: a text item of its own cost as much to repaint as the trace).

    Its bounding rect is the plot's view (``set_bounds`` when the view's range changes; the view box clips
    what lies outside), so new data costs no geometry change. A trace with gaps (NaN) is drawn as a path
    broken at them.
    """

    def __init__(self, pen: QtGui.QPen, label: str = "") -> None:
        super().__init__()
        self.pen = pen
        self.pen.setCosmetic(True)
        self.label = QtGui.QStaticText(label)
        self._label_at = QtCore.QPointF()
        self._poly = QtGui.QPolygonF()
        self._path: QtGui.QPainterPath | None = None
        self._x = self._y = np.empty(0)
        self._bounds = QtCore.QRectF()

    def setData(self, x: np.ndarray, y: np.ndarray) -> None:  # noqa: N802 - pyqtgraph's name, as its curves
        """Show points ``x``, ``y`` (kept; the item does not copy them)."""
        self._x, self._y = x, y
        if np.isfinite(y).all():
            self._path = None
            if self._poly.size() != len(x):
                self._poly = fn.create_qpolygonf(len(x))
            xy = fn.ndarray_from_qpolygonf(self._poly)
            xy[:, 0], xy[:, 1] = x, y
        else:
            self._path = fn.arrayToQPath(x, y, connect="finite")
        self.update()

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802 - pyqtgraph's name
        return self._x, self._y

    def set_bounds(self, view: QtCore.QRectF, label_at: QtCore.QPointF | None = None) -> None:
        """The data rect the plot shows (x, y, width, height in data units), and where the label's top left
        corner goes (in data units)."""
        if label_at is not None and label_at != self._label_at:
            self._label_at = QtCore.QPointF(label_at)
            self.update()
        if view != self._bounds:
            self.prepareGeometryChange()
            self._bounds = QtCore.QRectF(view)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt API
        return self._bounds

    def paint(self, painter: QtGui.QPainter, option: object, widget: object = None) -> None:
        painter.setPen(self.pen)
        if self._path is not None:
            painter.drawPath(self._path)
        elif self._poly.size():
            painter.drawPolyline(self._poly)
        if self.label.text():
            at = painter.transform().map(self._label_at)
            painter.resetTransform()  # the text in pixels, whatever the scale
            painter.drawStaticText(at + QtCore.QPointF(4.0, 2.0), self.label)


class _PaintedPlotWidget(pg.PlotWidget):
    """A plot widget that says when a frame has been painted (after, not before: a latency measured to it
    includes the painting)."""

    painted = QtCore.Signal()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt API
        super().paintEvent(event)
        self.painted.emit()


class LivePlot(QtWidgets.QWidget):
    """Stacked traces of a ring buffer's newest ``window_s`` seconds; the owner's GUI timer calls ``refresh``.
    ``frame_drawn`` is emitted (and ``frames`` counted) each time a frame has been painted."""

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
        self.plot = _PaintedPlotWidget(background="w")
        self.plot.painted.connect(self._painted)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "time" if absolute_time else "time (now = 0)", units="s")
        self.plot.setLabel("left", f"one lane per muscle ({units})")
        self.plot.getPlotItem().getAxis("left").setStyle(showValues=False)
        quiet_axes(self.plot)
        palette = ["#1b6ca8", "#d1495b", "#66a182", "#2e4057", "#edae49", "#8d6a9f", "#00798c", "#6c757d"]
        shown = [channel_names[c] for c in self.columns]
        self.names = shown
        self.curves = [Trace(pg.mkPen(palette[i % len(palette)], width=1), f"{name.replace('_', ' ')} ({units})")
                       for i, name in enumerate(shown)]
        for curve in self.curves:
            self.plot.addItem(curve, ignoreBounds=True)
        self.plot.disableAutoRange()
        self._bins = PeakBins(int(window_s * rate_hz), self.columns, transform)
        self._fixed_lane = lane
        self._spacing = lane or 1.0
        self._ranges: tuple[float, float] | None = None
        self._markers: list[tuple[float, int]] = []  # (time s, lane) of onsets
        self._markers_shown: tuple[tuple[tuple[float, int], ...], float] = ((), 0.0)
        self._marker_item = pg.ScatterPlotItem(symbol="t1", size=12, pen=None, brush=pg.mkBrush("#222222"))
        self._marker_item.hide()  # an empty scatter item still costs a paint every frame
        self.plot.addItem(self._marker_item)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    @property
    def lane_spacing(self) -> float:
        """The height of one trace's lane, in ``units``."""
        return self._spacing

    def mark_onset(self, t_s: float, name: str) -> None:
        """An onset marker at ``t_s`` (seconds on the ring's sample index) on the lane of ``name``."""
        if name in self.names:
            self._markers.append((t_s, self.names.index(name)))

    def _painted(self) -> None:
        self.frames += 1
        self.frame_drawn.emit()

    def refresh(self) -> None:
        x, y, end_index = self._bins.update(self.ring, max(50, self.plot.width()))
        if y.shape[0] < 2:
            return
        if self._fixed_lane is None:
            self._spacing = lane_height(self._spacing, 2.2 * quantile_abs(y, 0.995))
        # time runs from -window_s to 0 (now): the axes keep their range, so pyqtgraph does not lay out
        # their ticks again every frame (that was a third of a frame's cost)
        end = end_index / self.rate_hz
        origin = 0.0 if self.absolute_time else end
        t = x / self.rate_hz - origin
        for c, curve in enumerate(self.curves):
            curve.setData(t, y[:, c] - c * self._spacing)
        kept = [(tm, lane) for tm, lane in self._markers if tm >= end - self.window_s]
        shown = (tuple(kept), self._spacing)
        if kept and shown != self._markers_shown:  # placed in recording seconds; each frame only moves them
            self._marker_item.setData(np.array([m[0] for m in kept]),
                                      np.array([(0.35 - m[1]) * self._spacing for m in kept]))
            self._marker_item.show()
        elif not kept and self._markers:
            self._marker_item.clear()  # the last marker scrolled out (nothing to redo while there is none)
            self._marker_item.hide()
        self._markers_shown = shown
        if kept:
            self._marker_item.setPos(-origin, 0.0)
        self._markers = kept
        ranges = (self.window_s, self._spacing)
        if self.absolute_time:  # the window moves along the recording: its range follows every frame
            self.plot.setXRange(end - self.window_s, end, padding=0)
        if ranges != self._ranges:  # only when the scale changes: unchanged items cost no repaint
            self._ranges = ranges
            if not self.absolute_time:
                self.plot.setXRange(-self.window_s, 0.0, padding=0)
            self.plot.setYRange(-(len(self.curves) - 0.5) * self._spacing, 0.5 * self._spacing, padding=0)
        view = view_rect(self.plot)
        for c, curve in enumerate(self.curves):  # each label at the top left of its lane
            curve.set_bounds(view, QtCore.QPointF(view.left(), (0.5 - c) * self._spacing))


def quiet_axes(plot: pg.PlotWidget) -> None:
    """Make the axes cheap to repaint: the traces' repaint reaches a pixel into them every frame (Qt rounds a
    changed area out by a pixel), so each axis is kept as a pixmap (redrawn only when it changes) instead of
    replaying its drawing; and no 2 px margin is added to a changed area (it is for antialiased edges; the
    traces are drawn without antialiasing)."""
    for name in ("left", "bottom"):
        plot.getPlotItem().getAxis(name).setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.setOptimizationFlag(QtWidgets.QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)


def view_rect(plot: pg.PlotWidget) -> QtCore.QRectF:
    """The data rect a plot shows: a trace bounded by it repaints the view box and nothing more."""
    return plot.getViewBox().viewRect()


def quantile_abs(y: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``|y|`` over its finite values (1.0 if none): an order statistic by partition,
    several times cheaper than ``np.percentile`` at 60 frames/s."""
    finite = np.abs(y[np.isfinite(y)])
    if not finite.size:
        return 1.0
    k = int(q * (finite.size - 1))
    return float(np.partition(finite, k)[k])


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
