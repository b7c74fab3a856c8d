"""Notice the first time a widget is painted: launch-to-painted-screen is the start time a clinician feels.

`glutelab --quit-after 0` prints the wall-clock time of the first painted screen and quits, so a launcher (the
bench's ``bundle`` suite, installer/build.sh) can time a start from its own clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6 import QtCore, QtWidgets


class FirstPaint(QtCore.QObject):
    """Calls ``then(wall_time)`` once, after ``widget``'s first paint event has been handled."""

    def __init__(self, widget: QtWidgets.QWidget, then: Callable[[float], None]) -> None:
        super().__init__(widget)
        self._then = then
        self._done = False
        widget.installEventFilter(self)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        if not self._done and event.type() == QtCore.QEvent.Type.Paint:
            self._done = True
            stamp = time.time()
            # report after this paint has been delivered, not from inside it
            QtCore.QTimer.singleShot(0, lambda: self._then(stamp))
        return False
