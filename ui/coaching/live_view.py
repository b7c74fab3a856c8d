"""The clinician's live coaching view of a session runner: per-rep verdict with the cue, rep counter and hold
ring on top; envelope traces per muscle (left and right side by side, %MVC once calibrated, else microvolts)
with onset markers; the plate's total load, left/right split and centre-of-pressure trail.

It never polls the runner (the session page's timer does, also while this view is hidden) and paints on its
own paced frames (``FramePacer``: at most ``max_fps``, nothing while hidden). Each frame first brings the
EMG envelope up to date (``LiveEnvelope.update``: it filters only the rows that arrived since whoever called
it last, the runner's poll or this view), so a trace is one frame behind the device, not a poll interval
(40 ms on the session page) plus a frame.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from PySide6 import QtGui, QtWidgets

from clinic.signals.live_hold import PhaseEvent
from clinic.signals.live_verdict import Verdict
from clinic.usecases.runner import SessionRunner
from ui.coaching.biofeedback import BiofeedbackWindow
from ui.coaching.pacing import FramePacer
from ui.coaching.plate_panel import PlatePanel
from ui.coaching.readout import RunnerReadout, percent_mvc
from ui.coaching.sound import CueSounds
from ui.coaching.verdict_panel import VerdictPanel
from ui.live_plot import LivePlot

PCT_LANE = 100.0  # one lane is 100 %MVC high


#: the envelope traces' least height (three lanes a side stay readable)
TRACES_MIN_HEIGHT_PX = 110
#: the plate panel's greatest height (load curve, split and centre of pressure)
PLATE_MAX_HEIGHT_PX = 150


class LiveCoachingView(QtWidgets.QWidget):
    def __init__(self, runner: SessionRunner, *, window_s: float, max_fps: float, sounds: CueSounds,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.window_s = window_s
        self.max_fps = max_fps
        self.sounds = sounds
        self.readout = RunnerReadout(runner)
        self.frames = 0
        self.events: list[tuple[str, Verdict | PhaseEvent]] = []  # what the runner told, in order
        self.verdict_panel = VerdictPanel()
        self.traces = QtWidgets.QWidget()
        self.traces_layout = QtWidgets.QHBoxLayout(self.traces)
        self.traces_layout.setContentsMargins(0, 0, 0, 0)
        self.plots: list[LivePlot] = []
        self.raw = False
        self._units: dict[str, str] = {}
        self.plate_panel: PlatePanel | None = None
        # the muscles' traces keep room for their lanes on a small screen (the verdict's large type and the
        # plate took it all at 1280 x 800); the plate panel is a glance, not the main view
        self.traces.setMinimumHeight(TRACES_MIN_HEIGHT_PX)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.verdict_panel, stretch=2)
        layout.addWidget(self.traces, stretch=4)
        plate = runner.devices.get("plate")
        if plate is not None and plate.ring is not None and plate.info is not None:
            self.plate_panel = PlatePanel(plate.ring, plate.info.sample_rate_hz, plate.info.plate_width_mm or 400.0,
                                          plate.info.plate_length_mm or 600.0, window_s)
            self.plate_panel.setMaximumHeight(PLATE_MAX_HEIGHT_PX)
            layout.addWidget(self.plate_panel, stretch=2)
        self.biofeedback: BiofeedbackWindow | None = None
        self._build_traces()
        runner.add_coaching_listener(self._on_coaching)
        self.pacer = FramePacer(self, self.frame, max_fps)

    # -- traces ---------------------------------------------------------------------------------------
    def _build_traces(self) -> None:
        for plot in self.plots:
            self.traces_layout.removeWidget(plot)
            plot.deleteLater()
        self.plots = []
        env = self.runner.envelopes.get("emg")
        device = self.runner.devices.get("emg")
        names = self.runner.labels()
        self._units = self.readout.units()
        if env is None or not names or device is None or device.ring is None:
            return
        sides = [[i for i, n in enumerate(names) if n.endswith(f"_{s}")] for s in ("left", "right")]
        columns = [c for c in sides if c] if all(sides) else [list(range(len(names)))]
        ok, base, mvc = self.readout.calibration()
        for cols in columns:
            if self.raw:  # on demand: the amplifier's signal as received, in microvolts
                plot = LivePlot(device.ring, env.rate_hz, names, "uV raw", window_s=self.window_s, channels=cols)
                self.traces_layout.addWidget(plot)
                self.plots.append(plot)
                continue
            calibrated = bool(ok[cols].all())
            transform = None
            if calibrated:
                b, m = base[cols], mvc[cols]

                def transform(d: np.ndarray, b: np.ndarray = b, m: np.ndarray = m) -> np.ndarray:
                    return percent_mvc(d, b, m)

            plot = LivePlot(env.ring, env.rate_hz, names, "%MVC" if calibrated else "uV envelope",
                            window_s=self.window_s, channels=cols, transform=transform,
                            lane=PCT_LANE if calibrated else None)
            self.traces_layout.addWidget(plot)
            self.plots.append(plot)

    def set_raw(self, raw: bool) -> None:
        """Show the raw EMG instead of the envelopes (the clinician's "raw" switch)."""
        if raw != self.raw:
            self.raw = raw
            self._build_traces()

    # -- runner news ----------------------------------------------------------------------------------
    def _on_coaching(self, kind: str, event: Verdict | PhaseEvent) -> None:
        self.events.append((kind, event))
        if isinstance(event, Verdict):
            self.verdict_panel.show_verdict(event)
            for muscle, t in event.onset_s.items():
                channel = event.channels.get(muscle)
                if t is not None and channel:
                    for plot in self.plots:
                        plot.mark_onset(t, channel)
        elif kind in ("hold_reached", "hold_end"):
            self.sounds.play(kind)

    # -- frames ---------------------------------------------------------------------------------------
    def frame(self) -> None:
        env = self.runner.envelopes.get("emg")
        if env is not None:
            env.update()
        r = self.readout.read()
        if r.units != self._units:
            self._build_traces()  # calibrated since: the traces change unit
        for plot in self.plots:
            plot.refresh()
        if self.plate_panel is not None:
            self.plate_panel.refresh(r)
        self.verdict_panel.show_reps(r.rep, r.target_reps)
        self.verdict_panel.ring.set_progress(r.held_s, r.hold_target_s)
        self.frames += 1

    def open_biofeedback(self, zones: Mapping[str, tuple[float, float]],
                         screen: QtGui.QScreen | None = None) -> BiofeedbackWindow:
        """The patient's screen (full screen on ``screen``, e.g. ``QGuiApplication.screens()[1]``).
        ``zones``: per muscle channel, the target zone in %MVC the clinician set."""
        if self.biofeedback is None:
            self.biofeedback = BiofeedbackWindow(self.readout, zones, self.max_fps)
        self.biofeedback.show_on(screen)
        return self.biofeedback

    def close_biofeedback(self) -> None:
        if self.biofeedback is not None:
            self.biofeedback.close()
            self.biofeedback.deleteLater()
            self.biofeedback = None
