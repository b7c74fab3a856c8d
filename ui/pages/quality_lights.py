"""A light per EMG channel from clinic's quality verdicts (flat/off, mains, clipping, motion, noise), on the
last seconds of the stream; the verdicts are computed on a worker every couple of seconds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6 import QtCore, QtWidgets

from clinic.signals.conditioning import ConditioningSettings

VERDICT_ORDER = ("good", "check", "bad")
COLOURS = {"good": "#2e7d32", "check": "#f9a825", "bad": "#c62828", "waiting": "#9e9e9e"}


def lights(raw_uv: np.ndarray, rate_hz: float, names: Sequence[str],
           conditioning: ConditioningSettings) -> list[tuple[str, str, str]]:
    """(channel, verdict, what to fix) per channel; the amplifier's sample rate is not an electrode problem
    and does not colour the light. Runs on a worker (the quality checks load scipy there, not at start-up)."""
    from clinic.signals.quality import channel_quality

    out = []
    for q in channel_quality(raw_uv, rate_hz, names, conditioning=conditioning):
        found: list[tuple[str, str]] = []  # (verdict, word)
        if q.flat:
            found.append(("bad", "flat/off"))
        if q.clipped_share > 0.001:
            found.append(("bad" if q.clipped_share > 0.01 else "check", "clipping"))
        if q.mains_ratio is not None and q.mains_ratio > 1:
            found.append(("bad" if q.mains_ratio > 100 else "check", "mains"))
        motion = [r for r in q.reasons if "motion" in r]
        if motion:
            found.append(("bad" if "fix the cable" in motion[0] else "check", "motion"))
        if q.rest_rms_uv is not None and q.rest_rms_uv > 10 and not q.flat:
            found.append(("bad" if q.rest_rms_uv > 25 else "check", "noisy"))
        verdict = max((v for v, _ in found), key=VERDICT_ORDER.index, default="good")
        words = [w for _, w in found]
        out.append((q.name, verdict, ", ".join(words) or "ok"))
    return out


class QualityLights(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qualityLights")
        self._layout = QtWidgets.QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.labels: dict[str, tuple[QtWidgets.QLabel, QtWidgets.QLabel]] = {}
        self.verdicts: dict[str, str] = {}

    def set_channels(self, names: Sequence[str]) -> None:
        for dot, text in self.labels.values():
            dot.deleteLater()
            text.deleteLater()
        self.labels.clear()
        self.verdicts.clear()
        for row, name in enumerate(names):
            dot, text = QtWidgets.QLabel("\u25cf"), QtWidgets.QLabel(f"{name}: waiting for the stream")
            dot.setObjectName(f"light_{name}")
            self._layout.addWidget(dot, row // 2, 2 * (row % 2))
            self._layout.addWidget(text, row // 2, 2 * (row % 2) + 1)
            self.labels[name] = (dot, text)
            self._paint(name, "waiting", "waiting for the stream")

    def show_lights(self, verdicts: list[tuple[str, str, str]]) -> None:
        for name, verdict, words in verdicts:
            if name in self.labels:
                self._paint(name, verdict, words)

    def _paint(self, name: str, verdict: str, words: str) -> None:
        dot, text = self.labels[name]
        self.verdicts[name] = verdict
        dot.setStyleSheet(f"color: {COLOURS[verdict]}; font-size: 16px")
        dot.setToolTip(verdict)
        text.setText(f"{name}: {words}")
        text.setToolTip(words)


class QualityPoller(QtCore.QObject):
    """Every ``interval_ms``: the last ``seconds`` of a device ring -> ``lights`` on a worker -> the widget."""

    def __init__(self, widget: QualityLights, workers, conditioning: ConditioningSettings,  # noqa: ANN001
                 interval_ms: int = 2000, seconds: float = 4.0) -> None:
        super().__init__(widget)
        self.widget, self.workers, self.conditioning = widget, workers, conditioning
        self.seconds = seconds
        self.device = None
        self.names: list[str] = []
        self._pending = False
        self.timer = QtCore.QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self._tick)

    def watch(self, device, names: Sequence[str]) -> None:  # noqa: ANN001 - a runner device (ring + info)
        self.device, self.names = device, list(names)
        self.widget.set_channels(self.names)
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.device = None

    def _tick(self) -> None:
        dev = self.device
        if dev is None or dev.ring is None or dev.info is None or self._pending or not self.widget.isVisible():
            return
        rate = dev.info.sample_rate_hz
        rows, _ = dev.ring.latest(int(self.seconds * rate))
        if rows.shape[0] < rate:  # under a second in: nothing to judge yet
            return
        self._pending = True
        self.workers.submit(lights, rows, rate, self.names, self.conditioning, on_done=self._show,
                            on_error=lambda exc: self._show([]), name="signal quality")

    def _show(self, verdicts: list[tuple[str, str, str]]) -> None:
        self._pending = False
        self.widget.show_lights(verdicts)
