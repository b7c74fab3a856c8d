"""The patient's screen (second monitor or full screen): one big bar per muscle with its target zone, the
rep count and the hold ring; the glute's bar turns green when the glute fired first in the last rep.
Nothing on it is smaller than ``MIN_PX`` (48 px), so it reads from the table."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6 import QtCore, QtGui, QtWidgets

from clinic.protocol.cues import GLUTE_FIRST
from ui.coaching.hold_ring import HoldRing
from ui.coaching.pacing import FramePacer
from ui.coaching.readout import Readout, RunnerReadout

MIN_PX = 48
BAR = QtGui.QColor("#1b6ca8")
BAR_GOOD = QtGui.QColor("#2a9d4b")
ZONE = QtGui.QColor(42, 157, 75, 60)


def short_name(channel: str) -> str:
    muscle, _, side = channel.rpartition("_")
    words = {"glute_max": "glute", "hamstrings": "hams", "erector_spinae": "back"}
    if side in ("left", "right") and muscle:
        return f"{words.get(muscle, muscle)} {side[0].upper()}"
    return words.get(channel, channel)


class MuscleBars(QtWidgets.QWidget):
    """Vertical bars, one per muscle, on a scale of ``full_scale`` per unit; the target zone is a band."""

    def __init__(self, text_px: int, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.text_px = text_px
        self.values: dict[str, float] = {}
        self.scale: dict[str, float] = {}  # per muscle, the value at the top of the bar
        self.zones: dict[str, tuple[float, float]] = {}
        self.good: set[str] = set()
        self.setMinimumHeight(6 * text_px)

    def set_values(self, values: Mapping[str, float], scale: Mapping[str, float],
                   zones: Mapping[str, tuple[float, float]], good: set[str]) -> None:
        self.values, self.scale, self.zones, self.good = dict(values), dict(scale), dict(zones), set(good)
        self.update()

    def fill(self, name: str) -> float:
        """0-1: how full the muscle's bar is."""
        top = self.scale.get(name) or 1.0
        return max(0.0, min(1.0, self.values.get(name, 0.0) / top))

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt API
        names = list(self.values)
        if not names:
            return
        p = QtGui.QPainter(self)
        font = p.font()
        font.setPixelSize(self.text_px)
        p.setFont(font)
        label_h = int(self.text_px * 1.4)
        slot = self.width() / len(names)
        bar_w = slot * 0.6
        h = self.height() - label_h
        for i, name in enumerate(names):
            x = i * slot + (slot - bar_w) / 2
            top = self.scale.get(name) or 1.0
            if name in self.zones:
                lo, hi = self.zones[name]
                y_hi, y_lo = h * (1 - min(1.0, hi / top)), h * (1 - min(1.0, lo / top))
                p.fillRect(QtCore.QRectF(x - 8, y_hi, bar_w + 16, y_lo - y_hi), ZONE)
            fill = self.fill(name)
            p.fillRect(QtCore.QRectF(x, h * (1 - fill), bar_w, h * fill), BAR_GOOD if name in self.good else BAR)
            p.setPen(QtGui.QColor("#222222"))
            p.drawText(QtCore.QRectF(i * slot, h, slot, label_h), QtCore.Qt.AlignmentFlag.AlignCenter,
                       short_name(name))
        p.end()


class BiofeedbackWindow(QtWidgets.QWidget):
    """A top-level window reading the runner on its own paced frames (so it keeps moving while the
    clinician looks at another page). ``zones``: per muscle, the clinician's target zone in %MVC."""

    def __init__(self, readout: RunnerReadout, zones: Mapping[str, tuple[float, float]], max_fps: float,
                 muscles: list[str] | None = None) -> None:
        super().__init__(None, QtCore.Qt.WindowType.Window)
        self.setWindowTitle("GluteLab - patient view")
        self.readout = readout
        self.zones = dict(zones)
        self.muscles = muscles
        self._peak: dict[str, float] = {}  # uV muscles: the bar's top follows the session's peak
        self.setStyleSheet("background: white; color: #222222")
        self.reps = QtWidgets.QLabel("", objectName="bioReps")
        self.message = QtWidgets.QLabel("", objectName="bioMessage")
        for label in (self.reps, self.message):
            font = label.font()
            font.setPixelSize(MIN_PX + 16)
            font.setBold(True)
            label.setFont(font)
        self.bars = MuscleBars(MIN_PX)
        self.ring = HoldRing(text_px=MIN_PX + 8)
        right = QtWidgets.QVBoxLayout()
        right.addWidget(self.reps)
        right.addWidget(self.ring, stretch=1)
        right.addWidget(self.message)
        layout = QtWidgets.QHBoxLayout(self)
        layout.addWidget(self.bars, stretch=3)
        layout.addLayout(right, stretch=2)
        self.pacer = FramePacer(self, self.refresh, max_fps)

    def show_on(self, screen: QtGui.QScreen | None) -> None:
        """Full screen on ``screen`` (the second monitor), or a normal window when there is none."""
        if screen is not None:
            self.setScreen(screen)
            self.setGeometry(screen.geometry())
            self.showFullScreen()
        else:
            self.resize(1280, 800)
            self.show()

    def refresh(self) -> None:
        self.show_readout(self.readout.read())

    def show_readout(self, r: Readout) -> None:
        names = [n for n in (self.muscles or r.names) if n in r.levels]
        values = {n: r.levels[n] for n in names}
        scale, zones = {}, {}
        for n in names:
            if r.units.get(n) == "%MVC":
                scale[n] = 100.0
                if n in self.zones:
                    zones[n] = self.zones[n]
            else:
                self._peak[n] = max(self._peak.get(n, 1e-6), values[n])
                scale[n] = self._peak[n]
        good = {n for n in names if n.startswith("glute_max")} if (
            r.verdict is not None and r.verdict.verdict == GLUTE_FIRST) else set()
        self.bars.set_values(values, scale, zones, good)
        self.reps.setText(f"rep {r.rep} of {r.target_reps}" if r.target_reps else f"rep {r.rep}")
        self.ring.set_progress(r.held_s, r.hold_target_s)
        self.message.setText("hold!" if 0 < r.held_s < r.hold_target_s else
                             ("well done" if r.hold_target_s and r.held_s >= r.hold_target_s else ""))
