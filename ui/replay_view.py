"""Replay view: a stored trial in the live plot, with transport controls and the per-rep verdicts.

The plot is the live view's own ``LivePlot`` fed by ``clinic.usecases.replay`` sources (the device
interface), so a replay looks exactly like the live recording did. The stored current analysis is drawn on
the traces: each rep's hold phase as a shaded band and each muscle's onset as a vertical line. Loading reads
the database and checks every chunk, so it runs in a worker thread (``ReplayLoader``); the GUI timer only
advances the virtual clock (copying a few ms of samples) and paints.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets
from sqlalchemy.orm import Session, sessionmaker

from clinic.records.db import unit_of_work
from clinic.records.security import Actor
from clinic.usecases.replay import MAX_SPEED, MIN_SPEED, ReplayData, ReplayError, ReplayPlayer, load_replay
from ui.live_plot import LivePlot
from ui.worker import Workers

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
ONSET_PENS = {"glute_max": "#1b6ca8", "hamstrings": "#d1495b", "erector_spinae": "#edae49"}
SLIDER_STEPS_PER_S = 10


class ReplayLoader(QtCore.QObject):
    """Loads a stored trial for replay off the GUI thread; emits ``loaded(ReplayData)`` or ``failed(str)``."""

    loaded = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, factory: sessionmaker[Session], actor: Actor, workers: Workers | None = None,
                 parent: QtCore.QObject | None = None) -> None:
        """``workers``: the window's worker pool; a loader on its own (``glutelab replay``) gets one."""
        super().__init__(parent)
        self.factory = factory
        self.actor = actor
        self.workers = workers if workers is not None else Workers(parent=self)

    def load(self, trial_id: int) -> None:
        def work() -> None:
            try:
                with unit_of_work(self.factory) as s:
                    data = load_replay(s, self.actor, trial_id)
            except (ReplayError, PermissionError) as exc:
                self.failed.emit(str(exc))
            except Exception as exc:  # noqa: BLE001 - a database that went away: say so, keep the window
                self.failed.emit(f"trial {trial_id} could not be loaded: {exc}")
            else:
                self.loaded.emit(data)

        self.workers.submit(work, name=f"replay load {trial_id}")

    def wait(self) -> None:
        """Join the loading job (closing the window, tests)."""
        self.workers.wait()


class ReplayView(QtWidgets.QWidget):
    """Transport, live plot and verdict list of one replayed trial; ``step`` advances it deterministically."""

    def __init__(self, data: ReplayData, window_s: float = 10.0, frame_ms: int = 40,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayView")
        self.data = data
        self.player = ReplayPlayer(data, ring_seconds=max(30.0, window_s))
        for src in self.player.sources.values():
            src.open()
            src.start()
        self.player.pause()  # opens paused at the start: the clinician presses play
        emg = self.player.sources["emg"]
        assert emg.info is not None and emg.ring is not None
        self.emg = emg
        self.plot = LivePlot(emg.ring, emg.info.sample_rate_hz, emg.info.channel_names, emg.info.units,
                             window_s=window_s, absolute_time=True)  # the marks sit at stored times
        self._draw_analysis()

        a = data.analysis
        self.header = QtWidgets.QLabel(
            f"Trial {data.trial_id}: {data.exercise.replace('_', ' ')} ({data.side}); "
            + (f"analysis version {a['number']} ({a['method'] or 'method unknown'}, mains {a['mains_hz'] or '-'} Hz)"
               if a else "never analysed: no reps to show"), objectName="replayHeader")
        self.play_button = QtWidgets.QPushButton("Play", objectName="replayPlay")
        self.play_button.clicked.connect(self.toggle_play)
        self.speed = QtWidgets.QComboBox(objectName="replaySpeed")
        for v in SPEEDS:
            self.speed.addItem(f"{v:g}x", v)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(lambda _i: self.player.set_speed(float(self.speed.currentData())))
        self.scrub = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, objectName="replayScrub")
        self.scrub.setRange(0, int(data.duration_s * SLIDER_STEPS_PER_S))
        self.scrub.sliderMoved.connect(lambda v: self.seek(v / SLIDER_STEPS_PER_S))
        self.position = QtWidgets.QLabel(objectName="replayPosition")
        self.verdicts = QtWidgets.QListWidget(objectName="replayVerdicts")
        self.verdicts.setWordWrap(True)
        for rep in data.reps:
            item = QtWidgets.QListWidgetItem(f"Rep {rep.number}: {rep.verdict}")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, rep.number)
            self.verdicts.addItem(item)
        self.verdicts.itemActivated.connect(lambda item: self.jump_to_rep(item.data(QtCore.Qt.ItemDataRole.UserRole)))
        self.verdicts.itemClicked.connect(lambda item: self.jump_to_rep(item.data(QtCore.Qt.ItemDataRole.UserRole)))

        transport = QtWidgets.QHBoxLayout()
        transport.addWidget(self.play_button)
        transport.addWidget(QtWidgets.QLabel("Speed"))
        transport.addWidget(self.speed)
        transport.addWidget(self.scrub, 1)
        transport.addWidget(self.position)
        side = QtWidgets.QVBoxLayout()
        side.addWidget(QtWidgets.QLabel("Reps (stored analysis) - click to jump"))
        side.addWidget(self.verdicts)
        body = QtWidgets.QHBoxLayout()
        body.addWidget(self.plot, 3)
        body.addLayout(side, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(body, 1)
        layout.addLayout(transport)

        self._clock = QtCore.QElapsedTimer()
        self._timer = QtCore.QTimer(self, interval=frame_ms)
        self._timer.timeout.connect(self._on_frame)
        self._show_position()

    # -- what the drawn traces carry -------------------------------------------------------------
    def _draw_analysis(self) -> None:
        """Hold phases as bands and onsets as lines, at their times on the recording's clock."""
        self.markers: list[pg.GraphicsObject] = []
        for rep in self.data.reps:
            band = pg.LinearRegionItem((rep.hold_start_s, rep.hold_end_s), movable=False,
                                       brush=pg.mkBrush(102, 161, 130, 40), pen=pg.mkPen(None))
            self.markers.append(band)
            for muscle, t in rep.onsets_s.items():
                if t is not None:
                    self.markers.append(pg.InfiniteLine(t, angle=90, movable=False,
                                                        pen=pg.mkPen(ONSET_PENS.get(muscle, "#6c757d"), width=1,
                                                                     style=QtCore.Qt.PenStyle.DashLine)))
        for item in self.markers:
            self.plot.plot.addItem(item)

    # -- transport ------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        if self.player.playing:
            self.player.pause()
            self._timer.stop()
        else:
            self.player.play()
            self._clock.start()
            self._timer.start()
        self._show_position()

    def seek(self, t: float) -> None:
        self.player.seek(t)
        self._repaint()

    def jump_to_rep(self, number: int) -> None:
        self.player.jump_to_rep(number)
        self._repaint()

    def set_speed(self, speed: float) -> None:
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise ValueError(f"speed must be {MIN_SPEED:g} to {MAX_SPEED:g}x")
        self.speed.setCurrentIndex(SPEEDS.index(speed) if speed in SPEEDS else self.speed.currentIndex())
        self.player.set_speed(speed)

    def step(self, wall_s: float) -> None:
        """Advance the replay by ``wall_s`` seconds of wall time (x speed) and repaint: the timer's work,
        callable directly so tests need no wall clock."""
        self.player.advance(wall_s)
        self._repaint()

    def _on_frame(self) -> None:
        self.step(self._clock.restart() / 1000.0)
        if not self.player.playing:
            self._timer.stop()

    def _repaint(self) -> None:
        self.plot.ring = self.emg.ring  # a seek gives the source a fresh ring
        self.plot.refresh()
        self._show_position()

    def _show_position(self) -> None:
        t = self.player.position_s
        self.scrub.blockSignals(True)
        self.scrub.setValue(int(t * SLIDER_STEPS_PER_S))
        self.scrub.blockSignals(False)
        rep, phase = self.player.rep_at()
        self.position.setText(f"{t:5.1f} / {self.player.duration_s:.1f} s"
                              + (f" - rep {rep.number}, {phase}" if rep else ""))
        self.play_button.setText("Pause" if self.player.playing else "Play")
        if rep is not None:
            self.verdicts.setCurrentRow(self.data.reps.index(rep))

    def verdict_lines(self) -> list[str]:
        return [self.verdicts.item(i).text() for i in range(self.verdicts.count())]

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt API
        self.close_sources()
        super().closeEvent(event)  # type: ignore[arg-type]

    def close_sources(self) -> None:
        self._timer.stop()
        for src in self.player.sources.values():
            src.close()
