"""The plate at a glance: total load over the window, the left/right split with its asymmetry index, and
the centre of pressure as a short XY trail."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from devices.ring import SampleRing
from ui.coaching.readout import Readout
from ui.live_plot import PeakBins, Trace, lane_height, quiet_axes, view_rect

#: the centre-of-pressure plot's width at most (it takes the panel's height)
COP_MAX_WIDTH_PX = 240


def _total_load(cells: np.ndarray) -> np.ndarray:
    return cells.sum(axis=1, keepdims=True)


class PlatePanel(QtWidgets.QWidget):
    def __init__(self, ring: SampleRing, rate_hz: float, width_mm: float, length_mm: float, window_s: float,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.ring, self.rate_hz, self.window_s = ring, rate_hz, window_s
        self.total = pg.PlotWidget(background="w")
        self.total.setMenuEnabled(False)
        self.total.setMouseEnabled(x=False, y=False)
        self.total.hideButtons()
        self.total.setLabel("left", "total load", units="N")
        self.total.setLabel("bottom", "time (now = 0)", units="s")
        self.total.setXRange(-window_s, 0.0, padding=0)
        self.total.disableAutoRange()
        quiet_axes(self.total)
        self.total_curve = Trace(pg.mkPen("#2e4057", width=1))
        self.total.addItem(self.total_curve, ignoreBounds=True)
        self._bins = PeakBins(int(window_s * rate_hz), transform=_total_load)
        self._top = 0.0
        self._trail = np.zeros((0, 2))
        self.cop = pg.PlotWidget(background="w")
        self.cop.setMenuEnabled(False)
        self.cop.setMouseEnabled(x=False, y=False)
        self.cop.hideButtons()
        self.cop.setXRange(-width_mm / 2, width_mm / 2, padding=0.05)
        self.cop.setYRange(-length_mm / 2, length_mm / 2, padding=0.05)
        self.cop.setLabel("bottom", "x (right +)", units="mm")
        self.cop.setLabel("left", "y (front +)", units="mm")
        for axis in ("bottom", "left"):  # millimetres stay millimetres (no "kmm" from pyqtgraph's SI prefixes)
            self.cop.getAxis(axis).enableAutoSIPrefix(False)
        # a small plot beside the split, fixed to the plate's own extent (a locked aspect stretched the range to
        # the widget's shape: thousands of mm across a wide, short plot)
        self.cop.setMaximumWidth(COP_MAX_WIDTH_PX)
        self.cop.disableAutoRange()
        self.cop.setToolTip("centre of pressure on the plate, the last seconds")
        self.cop_curve = self.cop.plot(pen=pg.mkPen("#d1495b", width=1))
        self.split = QtWidgets.QLabel("", objectName="loadSplit")
        font = self.split.font()
        font.setPixelSize(22)
        self.split.setFont(font)
        self.split.setWordWrap(True)
        side = QtWidgets.QHBoxLayout()
        side.addWidget(self.split, stretch=1)
        side.addWidget(self.cop)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.total, stretch=3)
        layout.addLayout(side, stretch=2)

    def refresh(self, readout: Readout) -> None:
        x, y, end = self._bins.update(self.ring, max(50, self.total.width()))
        if y.shape[0] >= 2:
            self.total_curve.setData((x - end) / self.rate_hz, y[:, 0])  # now = 0: the axes keep their range
            top = lane_height(self._top, float(np.nanmax(y)) * 1.1 if np.isfinite(y).any() else 0.0)
            if top != self._top:
                self._top = top
                self.total.setYRange(0.0, top, padding=0)
                self.total_curve.set_bounds(view_rect(self.total))
        trail = readout.cop_trail_mm
        if not np.array_equal(trail, self._trail):  # a still trail costs no repaint
            self._trail = trail
            if len(trail):
                self.cop_curve.setData(trail[:, 0], trail[:, 1])
            else:
                self.cop_curve.setData([], [])
        if readout.left_share is None:
            self.split.setText("load split: no load")
        else:
            si = readout.load_asymmetry
            self.split.setText(f"left {100 * readout.left_share:.0f} % | right {100 * (1 - readout.left_share):.0f} %"
                               + (f"  (asymmetry {si:+.0f} %)" if si is not None else "")
                               + (f"\ntotal {readout.total_n:.0f} N" if readout.total_n is not None else ""))
