"""A large ring that fills as the hold goes on, green once the target hold time is reached."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

RING_GREY = QtGui.QColor("#d0d4d9")
RING_FILL = QtGui.QColor("#1b6ca8")
RING_DONE = QtGui.QColor("#2a9d4b")


class HoldRing(QtWidgets.QWidget):
    def __init__(self, text_px: int, parent: QtWidgets.QWidget | None = None) -> None:
        """``text_px``: pixel size of the seconds in the middle (>= 48 on the patient's screen)."""
        super().__init__(parent)
        self.text_px = text_px
        self.held_s = 0.0
        self.target_s = 0.0
        self.setMinimumSize(4 * text_px, 4 * text_px)

    @property
    def fraction(self) -> float:
        return 0.0 if self.target_s <= 0 else min(1.0, self.held_s / self.target_s)

    @property
    def reached(self) -> bool:
        return self.target_s > 0 and self.held_s >= self.target_s

    def set_progress(self, held_s: float, target_s: float) -> None:
        if (round(held_s, 1), target_s) != (round(self.held_s, 1), self.target_s):
            self.held_s, self.target_s = held_s, target_s
            self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt API
        side = min(self.width(), self.height())
        pen_w = max(6, side // 12)
        rect = QtCore.QRectF((self.width() - side) / 2 + pen_w, (self.height() - side) / 2 + pen_w,
                             side - 2 * pen_w, side - 2 * pen_w)
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.setPen(QtGui.QPen(RING_GREY, pen_w))
        p.drawEllipse(rect)
        pen = QtGui.QPen(RING_DONE if self.reached else RING_FILL, pen_w)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.drawArc(rect, 90 * 16, -int(360 * 16 * self.fraction))
        font = p.font()
        font.setPixelSize(self.text_px)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QtGui.QColor("#222222"))
        p.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, f"{self.held_s:.1f} s")
        p.end()
