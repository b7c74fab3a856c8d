"""Frames paced to the display: at most ``max_fps`` per second, and none while the widget is hidden.

Frames beyond the display's refresh are wasted work (issue 17 measured a Live tab at 112 frames/s and 96 % of
a core). The timer runs only between the widget's show and hide events, so a page behind another tab, a
minimised window or a closed patient screen costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6 import QtCore, QtWidgets


class FramePacer(QtCore.QObject):
    def __init__(self, widget: QtWidgets.QWidget, frame: Callable[[], None], max_fps: float) -> None:
        super().__init__(widget)
        self.widget = widget
        self.frame = frame
        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(max(1, math.ceil(1000.0 / max_fps)))  # never more than max_fps
        self.timer.timeout.connect(self._tick)
        widget.installEventFilter(self)
        if widget.isVisible():
            self.timer.start()

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        if obj is getattr(self, "widget", None):  # not while Python tears the pacer down
            if event.type() == QtCore.QEvent.Type.Show:
                self.timer.start()
            elif event.type() == QtCore.QEvent.Type.Hide:
                self.timer.stop()
        return False

    def _tick(self) -> None:
        if self.widget.isVisible():
            self.frame()
