"""The session screen: choose the exercise and its targets, Start / Pause / Stop / Next exercise, the live
envelopes and rep count, then the per-rep results (analysis on a worker with a progress indicator), and the
session's pain score and notes. A pulled cable shows a banner while the runner is paused; what was received
is kept."""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtWidgets
from sqlalchemy.orm import Session

from clinic.records.editing import update_session
from clinic.records.models import Session as VisitSession
from clinic.records.security import Actor
from clinic.usecases.runner import ExercisePlan, State, TrialOutcome
from ui.live_plot import LivePlot
from ui.models import RowsModel, num
from ui.session_host import SessionHost

#: what the clinician picks -> (exercise, side)
EXERCISES = (("Cook Hip Lift, left", "cook_hip_lift", "left"), ("Cook Hip Lift, right", "cook_hip_lift", "right"),
             ("Glute Bridge", "glute_bridge", "both"), ("Supine Hip Extension", "supine_hip_extension", "both"),
             ("One-Leg Glute Bridge, left", "one_leg_glute_bridge", "left"),
             ("One-Leg Glute Bridge, right", "one_leg_glute_bridge", "right"),
             ("Bench sit-down test", "bench_sit_down", "both"))
REP_COLUMNS = ("Trial", "Rep", "Firing order", "Glute lead over hamstrings (ms)", "Glute lead over lumbar (ms)",
               "Hold (s)", "Glute %MVC", "Plate left share (%)")


def rep_rows(outcome: TrialOutcome) -> list[tuple[Any, ...]]:
    analysis = outcome.analysis or {}
    rows = []
    for rep in analysis.get("reps") or []:
        glute = ((rep.get("hold_amplitude") or {}).get("glute_max") or {})
        hold = rep.get("hold_ms")
        rows.append((outcome.trial_id, rep.get("rep"), " > ".join(rep.get("firing_order") or []) or "-",
                     num(rep.get("glute_lead_hamstrings_ms"), "{:.0f}"),
                     num(rep.get("glute_lead_erector_spinae_ms"), "{:.0f}"),
                     num(None if hold is None else hold / 1000.0), num(glute.get("mean_pct_mvc")),
                     num((rep.get("plate") or {}).get("left_pct"), "{:.0f}")))
    return rows


def save_pain_and_notes(s: Session, actor: Actor, session_id: int, pain: int | None, notes: str) -> int:
    visit = s.get(VisitSession, session_id)
    if visit is None:
        raise KeyError(f"no session {session_id}")
    update_session(s, actor, visit, pain_score=pain, notes=notes)
    return session_id


class SessionPage(QtWidgets.QWidget):
    ended = QtCore.Signal(int)  # patient id: back to the patient

    def __init__(self, host: SessionHost, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.exercise = QtWidgets.QComboBox(objectName="exerciseChoice")
        for label, _, _ in EXERCISES:
            self.exercise.addItem(label)
        self.target_reps = QtWidgets.QSpinBox(objectName="targetReps", minimum=1, maximum=100, value=10)
        self.target_reps.setSuffix(" reps per leg")
        self.hold_target = QtWidgets.QDoubleSpinBox(objectName="holdTarget", minimum=0.0, maximum=60.0, value=6.0,
                                                    singleStep=0.5, decimals=1)
        self.hold_target.setSuffix(" s hold")
        self.start_button = QtWidgets.QPushButton("Start (F5)", objectName="startTrialButton")
        self.pause_button = QtWidgets.QPushButton("Pause (F6)", objectName="pauseTrialButton")
        self.stop_button = QtWidgets.QPushButton("Stop (F8)", objectName="stopTrialButton")
        self.next_button = QtWidgets.QPushButton("Next exercise (F9)", objectName="nextExerciseButton")
        self.start_button.clicked.connect(self.start_trial)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop_trial)
        self.next_button.clicked.connect(self.next_exercise)
        self.banner = QtWidgets.QLabel("", objectName="cableBanner", wordWrap=True,
                                       styleSheet="background: #c62828; color: white; padding: 8px; "
                                                  "font-weight: bold")
        self.banner.hide()
        self.state_label = QtWidgets.QLabel("", objectName="sessionState")
        self.rep_label = QtWidgets.QLabel("", objectName="repCount", styleSheet="font-size: 20px")
        self.analysis_bar = QtWidgets.QProgressBar(objectName="analysisProgress")
        self.analysis_bar.setRange(0, 0)  # busy: the analysis reports no steps
        self.analysis_bar.hide()
        self.plot_box = QtWidgets.QVBoxLayout()
        self.plot: LivePlot | None = None
        self.results = RowsModel(REP_COLUMNS, self)
        self.table = QtWidgets.QTableView(objectName="repResults")
        self.table.setModel(self.results)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.pain = QtWidgets.QSpinBox(objectName="painScore", minimum=-1, maximum=10, value=-1)
        self.pain.setSpecialValueText("not asked")
        self.notes = QtWidgets.QPlainTextEdit(objectName="sessionNotes")
        self.notes.setMaximumHeight(80)
        self.save_button = QtWidgets.QPushButton("Save pain and notes", objectName="saveSessionButton")
        self.save_button.clicked.connect(self.save)
        self.end_button = QtWidgets.QPushButton("End session", objectName="endSessionButton")
        self.end_button.clicked.connect(self.end_session)
        self.message = QtWidgets.QLabel("", objectName="sessionMessage", wordWrap=True)
        self.coach_button = QtWidgets.QPushButton("Coaching screen", objectName="coachingButton")
        self.coach_button.setToolTip("Per-rep verdicts, cues, hold ring and a patient-facing biofeedback window")
        self.coach_button.clicked.connect(self.open_coaching)
        self.coaching = None  # ui.coaching.live_view.LiveCoachingView of this runner, made on first use
        plan = QtWidgets.QHBoxLayout()
        plan.addWidget(QtWidgets.QLabel("Exercise"))
        plan.addWidget(self.exercise, 2)
        plan.addWidget(QtWidgets.QLabel("Target (8-12)"))
        plan.addWidget(self.target_reps)
        plan.addWidget(QtWidgets.QLabel("Hold (5-8 s)"))
        plan.addWidget(self.hold_target)
        controls = QtWidgets.QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.stop_button, self.next_button):
            controls.addWidget(b)
        controls.addWidget(self.rep_label)
        controls.addStretch(1)
        controls.addWidget(self.coach_button)
        end = QtWidgets.QFormLayout()
        end.addRow("Pain (0-10)", self.pain)
        end.addRow("Notes", self.notes)
        end_buttons = QtWidgets.QHBoxLayout()
        end_buttons.addWidget(self.save_button)
        end_buttons.addWidget(self.end_button)
        end_buttons.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(plan)
        layout.addLayout(controls)
        layout.addWidget(self.state_label)
        layout.addLayout(self.plot_box, 2)
        layout.addWidget(self.analysis_bar)
        layout.addWidget(QtWidgets.QLabel("<b>Per rep</b>"))
        layout.addWidget(self.table, 2)
        layout.addLayout(end)
        layout.addLayout(end_buttons)
        layout.addWidget(self.message)
        host.state_changed.connect(self._on_state)
        host.polled.connect(self._refresh_plot)
        self._next_after_analysis = False
        self._plot_key: tuple[tuple[str, ...], float] | None = None
        self._frame = 0
        self._buttons()

    def begin(self) -> None:
        """The runner is ready (calibrated or not): show its envelopes and allow Start."""
        runner = self.host.runner
        assert runner is not None
        env = runner.envelopes.get("emg")
        names = tuple(runner.labels())
        if self.plot is not None and env is not None and self._plot_key == (names, env.rate_hz):
            self.plot.ring = env.ring  # the same channels: re-point the plot (building one costs ~0.2 s)
            self.plot.show()
        else:
            if self.plot is not None:
                self.plot.deleteLater()
                self.plot = None
            if env is not None:
                self.plot = LivePlot(env.ring, env.rate_hz, list(names), "uV envelope")
                self._plot_key = (names, env.rate_hz)
                self.plot_box.addWidget(self.plot)
        self.results.clear()
        self.pain.setValue(-1)
        self.notes.clear()
        self.message.clear()
        self.banner.hide()
        self.state_label.setText(f"Ready: {runner.state.value}")
        self._buttons()

    def plan(self) -> ExercisePlan:
        _, exercise, side = EXERCISES[self.exercise.currentIndex()]
        return ExercisePlan(exercise, side, target_reps=self.target_reps.value(),
                            hold_target_s=self.hold_target.value())

    def start_trial(self) -> None:
        runner = self.host.runner
        if runner is None or runner.state not in (State.SETUP, State.READY, State.SAVED) or self.host.busy:
            return
        self.message.clear()
        self.start_button.setEnabled(False)
        self.host.run(runner.start_trial, self.plan(), on_done=lambda _: self._buttons(), on_error=self._failed)

    def toggle_pause(self) -> None:
        runner = self.host.runner
        if runner is None or self.host.busy:
            return
        try:
            if runner.state == State.RECORDING:
                runner.pause()
            elif runner.state == State.PAUSED:
                runner.resume()
        except RuntimeError as exc:
            self.message.setText(str(exc))

    def stop_trial(self) -> None:
        runner = self.host.runner
        if runner is None or runner.state not in (State.RECORDING, State.PAUSED) or self.host.busy:
            return
        self.stop_button.setEnabled(False)
        self.host.run(runner.stop_trial, on_done=lambda _: self._analyse(), on_error=self._failed)

    def next_exercise(self) -> None:
        """Stop and analyse this exercise (if it runs), then choose the next one in the list."""
        if self.host.recording:
            self._next_after_analysis = True
            self.stop_trial()
        else:
            self._advance()

    def _advance(self) -> None:
        self.exercise.setCurrentIndex((self.exercise.currentIndex() + 1) % self.exercise.count())

    def _analyse(self) -> None:
        runner = self.host.runner
        assert runner is not None
        self.analysis_bar.show()
        self.message.setText("Analysing ...")
        self.host.run(runner.analyse, on_done=self._analysed, on_error=self._failed)

    def _analysed(self, outcome: TrialOutcome) -> None:
        self.analysis_bar.hide()
        rows = rep_rows(outcome)
        self.results.set_rows(self.results.rows + rows)
        problems = outcome.errors + ([outcome.analysis["error"]] if outcome.analysis and
                                     "error" in outcome.analysis else [])
        self.message.setText(f"Trial {outcome.trial_id}: {len(rows)} reps analysed and stored."
                             + (" " + "; ".join(problems) if problems else ""))
        if self._next_after_analysis:
            self._next_after_analysis = False
            self._advance()
        self._buttons()

    def _failed(self, exc: BaseException) -> None:
        self.analysis_bar.hide()
        self.message.setText(f"{exc}")
        self._buttons()

    def save(self) -> None:
        runner = self.host.runner
        if runner is None or runner.session_id is None:
            return
        pain = None if self.pain.value() < 0 else self.pain.value()
        self.save_button.setEnabled(False)
        self.host.env.query(save_pain_and_notes, runner.session_id, pain, self.notes.toPlainText(),
                            on_done=self._saved, on_error=self._failed)

    def _saved(self, session_id: int) -> None:
        self.save_button.setEnabled(True)
        self.message.setText(f"Session {session_id} saved (pain and notes).")

    def end_session(self) -> None:
        if self.host.recording:
            self.message.setText("Stop the recording first.")
            return
        patient_id = self.host.patient_id
        self.end_button.setEnabled(False)

        def ended(_: object) -> None:
            self.end_button.setEnabled(True)
            if patient_id is not None:
                self.ended.emit(patient_id)

        if self.plot is not None:
            self.plot.hide()  # kept for the next session with the same channels
        self.close_coaching()
        self.host.close(on_done=ended)

    def open_coaching(self) -> None:
        """The live coaching screen for this session's runner (its own window, for a second monitor), with the
        patient-facing biofeedback window beside it."""
        runner = self.host.runner
        if runner is None or "emg" not in runner.devices:
            self.message.setText("Set up the EMG amplifier first.")
            return
        if self.coaching is None or self.coaching.runner is not runner:
            from ui.coaching.live_view import LiveCoachingView
            from ui.coaching.sound import CueSounds

            self.close_coaching()
            self.coaching = LiveCoachingView(runner, window_s=10.0, max_fps=60.0, sounds=CueSounds(enabled=False))
            self.coaching.setWindowTitle("GluteLab - live coaching")
            self.coaching.resize(1100, 800)
            self.coaching.open_biofeedback({})
        self.coaching.show()
        self.coaching.raise_()

    def close_coaching(self) -> None:
        if self.coaching is not None:
            self.coaching.close_biofeedback()
            self.coaching.close()
            self.coaching.deleteLater()
            self.coaching = None

    @QtCore.Slot(str, str)
    def _on_state(self, state: str, message: str) -> None:
        runner = self.host.runner
        self.state_label.setText(f"{state}: {message}")
        if state == State.RECORDING.value and runner is not None:
            self.banner.hide()
            target = runner.plan.target_reps if runner.plan else 0
            self.rep_label.setText(f"Rep {runner.rep} of {target}")
        elif state == State.PAUSED.value and "cable" in message:
            self.banner.setText(f"Recording paused: {message}. Plug the cable back in; nothing recorded is "
                                "lost.")
            self.banner.show()
        self._buttons()

    def _buttons(self) -> None:
        state = self.host.state
        busy = self.host.busy
        self.start_button.setEnabled(not busy and state in (State.SETUP, State.READY, State.SAVED))
        self.pause_button.setEnabled(not busy and state in (State.RECORDING, State.PAUSED))
        self.pause_button.setText("Resume (F6)" if state == State.PAUSED else "Pause (F6)")
        self.stop_button.setEnabled(not busy and state in (State.RECORDING, State.PAUSED))
        self.next_button.setEnabled(not busy and state in (State.RECORDING, State.PAUSED, State.READY,
                                                            State.SAVED))
        self.exercise.setEnabled(state not in (State.RECORDING, State.PAUSED))
        self.save_button.setEnabled(not busy and self.host.runner is not None)
        self.end_button.setEnabled(state not in (State.RECORDING, State.PAUSED, State.ANALYSING))

    def _refresh_plot(self) -> None:
        self._frame += 1
        if self.plot is not None and self.isVisible() and self._frame % 3 == 0:  # ~8 Hz: the polls are 40 ms
            self.plot.refresh()
