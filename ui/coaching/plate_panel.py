"""The plate at a glance: total load over the window, the left/right split with its asymmetry index, and
the centre of pressure as a short XY trail."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from devices.ring import SampleRing
from ui.coaching.readout import Readout
from ui.live_plot import lane_height, minmax_decimate


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
        self.total_curve = self.total.plot(pen=pg.mkPen("#2e4057", width=1))
        self._top = 0.0
        self._trail = np.zeros((0, 2))
        self.cop = pg.PlotWidget(background="w")
        self.cop.setMenuEnabled(False)
        self.cop.setMouseEnabled(x=False, y=False)
        self.cop.hideButtons()
        self.cop.setAspectLocked(True)
        self.cop.setXRange(-width_mm / 2, width_mm / 2, padding=0.05)
        self.cop.setYRange(-length_mm / 2, length_mm / 2, padding=0.05)
        self.cop.setLabel("bottom", "centre of pressure x (right +)", units="mm")
        self.cop.setLabel("left", "y (front +)", units="mm")
        self.cop_curve = self.cop.plot(pen=pg.mkPen("#d1495b", width=1))
        self.split = QtWidgets.QLabel("", objectName="loadSplit")
        font = self.split.font()
        font.setPixelSize(22)
        self.split.setFont(font)
        side = QtWidgets.QVBoxLayout()
        side.addWidget(self.split)
        side.addWidget(self.cop, stretch=1)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.total, stretch=3)
        layout.addLayout(side, stretch=2)

    def refresh(self, readout: Readout) -> None:
        data, first = self.ring.latest(int(self.window_s * self.rate_hz))
        if data.shape[0] >= 2:
            x, y = minmax_decimate(data.sum(axis=1, keepdims=True), max(50, self.total.width()))
            t = (first + x - data.shape[0]) / self.rate_hz  # now = 0: the axes keep their range
            self.total_curve.setData(t, y[:, 0], connect="finite")
            top = lane_height(self._top, float(np.nanmax(y)) * 1.1 if np.isfinite(y).any() else 0.0)
            if top != self._top:
                self._top = top
                self.total.setYRange(0.0, top, padding=0)
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
