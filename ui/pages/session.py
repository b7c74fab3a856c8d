"""The session screen: choose the exercise and its targets, Start / Pause / Stop / Redo last rep / Next
exercise, the runner's live coaching (per-rep verdict with the cue, rep counter, hold ring, envelopes with
onsets, the plate), then the per-rep results (analysis on a worker with a progress indicator), and the
session's pain score and notes. A pulled cable shows a banner while the runner is paused; what was received
is kept. The patient's biofeedback screen opens from here, full screen on a second monitor when there is one.

The coaching view is the runner's one live view on this page (``ui.coaching.live_view``): it paints on its own
paced frames, no faster than the host polls the runner (the rep count, hold and verdicts change only on a poll;
the envelopes could move more often, at more CPU), and none while hidden.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets
from sqlalchemy.orm import Session

from clinic.records.editing import update_session
from clinic.records.models import Session as VisitSession
from clinic.records.security import Actor
from clinic.usecases.runner import ExercisePlan, RunnerError, SessionRunner, State, TrialOutcome
from ui.models import RowsModel, num
from ui.session_host import SessionHost

if TYPE_CHECKING:  # the coaching view loads the verdict engine (scipy): it is imported on a worker
    from ui.coaching.live_view import LiveCoachingView

COACHING_MODULE = "ui.coaching.live_view"

#: what the clinician picks -> (exercise, side)
EXERCISES = (("Cook Hip Lift, left", "cook_hip_lift", "left"), ("Cook Hip Lift, right", "cook_hip_lift", "right"),
             ("Glute Bridge", "glute_bridge", "both"), ("Supine Hip Extension", "supine_hip_extension", "both"),
             ("One-Leg Glute Bridge, left", "one_leg_glute_bridge", "left"),
             ("One-Leg Glute Bridge, right", "one_leg_glute_bridge", "right"),
             ("Bench sit-down test", "bench_sit_down", "both"))
REP_COLUMNS = ("Trial", "Rep", "Firing order", "Glute lead over hamstrings (ms)", "Glute lead over lumbar (ms)",
               "Hold (s)", "Glute %MVC", "Plate left share (%)")


def _rep_row(trial_id: int, label: object, rep: dict[str, Any], order_note: str = "") -> tuple[Any, ...]:
    glute = ((rep.get("hold_amplitude") or {}).get("glute_max") or {})
    hold = rep.get("hold_ms")
    return (trial_id, label, (" > ".join(rep.get("firing_order") or []) or "-") + order_note,
            num(rep.get("glute_lead_hamstrings_ms"), "{:.0f}"), num(rep.get("glute_lead_erector_spinae_ms"), "{:.0f}"),
            num(None if hold is None else hold / 1000.0), num(glute.get("mean_pct_mvc")),
            num((rep.get("plate") or {}).get("left_pct"), "{:.0f}"))


def rep_rows(outcome: TrialOutcome) -> list[tuple[Any, ...]]:
    """One row per rep counted, and one per rep the clinician had redone (its figures, marked as left out), in
    time order."""
    analysis = outcome.analysis or {}
    timed = [(float(r.get("movement_start_s") or 0.0), _rep_row(outcome.trial_id, r.get("rep"), r))
             for r in analysis.get("reps") or []]
    for redone in analysis.get("redone") or []:
        left_out = redone.get("left_out") or {}
        timed.append((float(left_out.get("movement_start_s") or redone["start_s"]),
                      _rep_row(outcome.trial_id, "redone", left_out, " (redone: left out)")))
    return [row for _, row in sorted(timed, key=lambda t: t[0])]


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
        self.redo_button = QtWidgets.QPushButton("Redo last rep (F7)", objectName="redoRepButton")
        self.redo_button.setToolTip("The patient lost form: the last rep does not count and is done again (its "
                                    "signal is kept and left out of the results)")
        self.stop_button = QtWidgets.QPushButton("Stop (F8)", objectName="stopTrialButton")
        self.next_button = QtWidgets.QPushButton("Next exercise (F9)", objectName="nextExerciseButton")
        self.start_button.clicked.connect(self.start_trial)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.redo_button.clicked.connect(self.redo_last_rep)
        self.stop_button.clicked.connect(self.stop_trial)
        self.next_button.clicked.connect(self.next_exercise)
        self.banner = QtWidgets.QLabel("", objectName="cableBanner", wordWrap=True,
                                       styleSheet="background: #c62828; color: white; padding: 8px; "
                                                  "font-weight: bold")
        self.banner.hide()
        self.state_label = QtWidgets.QLabel("", objectName="sessionState")
        self.analysis_bar = QtWidgets.QProgressBar(objectName="analysisProgress")
        self.analysis_bar.setRange(0, 0)  # busy: the analysis reports no steps
        self.analysis_bar.hide()
        self.coaching: LiveCoachingView | None = None  # the runner's live coaching, made when the session begins
        self.coaching_box = QtWidgets.QWidget(objectName="coachingBox")
        self.coaching_layout = QtWidgets.QVBoxLayout(self.coaching_box)
        self.coaching_layout.setContentsMargins(0, 0, 0, 0)
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
        self.biofeedback_button = QtWidgets.QPushButton("Patient screen", objectName="biofeedbackButton")
        self.biofeedback_button.setToolTip("The patient's biofeedback: a big bar per muscle, the rep count and the "
                                           "hold ring (full screen on a second monitor when there is one)")
        self.biofeedback_button.clicked.connect(self.open_biofeedback)
        plan = QtWidgets.QHBoxLayout()
        plan.addWidget(QtWidgets.QLabel("Exercise"))
        plan.addWidget(self.exercise, 2)
        plan.addWidget(QtWidgets.QLabel("Target (8-12)"))
        plan.addWidget(self.target_reps)
        plan.addWidget(QtWidgets.QLabel("Hold (5-8 s)"))
        plan.addWidget(self.hold_target)
        controls = QtWidgets.QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.redo_button, self.stop_button, self.next_button):
            controls.addWidget(b)
        controls.addStretch(1)
        controls.addWidget(self.biofeedback_button)
        end = QtWidgets.QFormLayout()
        end.addRow("Pain (0-10)", self.pain)
        end.addRow("Notes", self.notes)
        end_buttons = QtWidgets.QHBoxLayout()
        end_buttons.addWidget(self.save_button)
        end_buttons.addWidget(self.end_button)
        end_buttons.addStretch(1)
        # below the live coaching (a splitter between them): the per-rep table, and beside it pain and notes
        per_rep = QtWidgets.QVBoxLayout()
        per_rep.addWidget(self.analysis_bar)
        per_rep.addWidget(QtWidgets.QLabel("<b>Per rep</b>"))
        per_rep.addWidget(self.table)
        session_end = QtWidgets.QVBoxLayout()
        session_end.addLayout(end)
        session_end.addLayout(end_buttons)
        session_end.addStretch(1)
        results = QtWidgets.QWidget()
        results_layout = QtWidgets.QHBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addLayout(per_rep, 3)
        results_layout.addLayout(session_end, 2)
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical, objectName="sessionSplitter")
        self.splitter.addWidget(self.coaching_box)
        self.splitter.addWidget(results)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.coaching_first()
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(plan)
        layout.addLayout(controls)
        layout.addWidget(self.state_label)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.message)
        host.state_changed.connect(self._on_state)
        self._next_after_analysis = False
        self._buttons()

    def begin(self) -> None:
        """The runner is ready (calibrated or not): show its live coaching and allow Start."""
        runner = self.host.runner
        assert runner is not None
        if self.coaching is None or self.coaching.runner is not runner:
            self.close_coaching()
            # the view's module loads the verdict engine (scipy): imported on a worker, then built here
            self.host.env.workers.submit(import_module, COACHING_MODULE, name="load the coaching view",
                                         on_done=lambda module: self._show_coaching(runner, module),
                                         on_error=self._failed)
        self.results.clear()
        self.pain.setValue(-1)
        self.notes.clear()
        self.message.clear()
        self.banner.hide()
        self.state_label.setText(f"Ready: {runner.state.value}")
        self._buttons()

    def coaching_first(self) -> None:
        """While recording the live coaching takes most of the page; after Stop the per-rep table gets room."""
        self.splitter.setSizes([4000, 1000])  # proportions: Qt scales them to fit

    def results_first(self) -> None:
        # the table gets more room, the coaching keeps enough for its large type (at 1280 x 800 half and half
        # squeezed the verdict under the traces)
        self.splitter.setSizes([5000, 2000])

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
        self.coaching_first()
        self.host.run(runner.start_trial, self.plan(), on_done=lambda _: self._buttons(), on_error=self._failed)

    def redo_last_rep(self) -> None:
        """The patient lost form: the last rep does not count and is done again (``SessionRunner.redo_last_rep``:
        its signal is kept, and the analysis leaves it out)."""
        runner = self.host.runner
        if runner is None or runner.state not in (State.RECORDING, State.PAUSED) or self.host.busy:
            return
        try:
            redone = runner.redo_last_rep()
        except RunnerError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(f"Rep {redone.rep} is done again: its signal is kept and left out of the results.")
        self._buttons()

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
        self.results_first()
        problems = outcome.errors + ([outcome.analysis["error"]] if outcome.analysis and
                                     "error" in outcome.analysis else [])
        redone = len((outcome.analysis or {}).get("redone") or [])
        counted = len(rows) - redone
        self.message.setText(f"Trial {outcome.trial_id}: {counted} reps analysed and stored"
                             + (f"; {redone} redone (left out)." if redone else ".")
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

        self.close_coaching()
        self.host.close(on_done=ended)

    def _show_coaching(self, runner: SessionRunner, module: ModuleType) -> None:
        """Put ``runner``'s live coaching view on the page (unless another session began meanwhile)."""
        if runner is not self.host.runner or runner.state == State.IDLE:
            return
        from ui.coaching.sound import CueSounds

        self.close_coaching()
        # frames no faster than the runner is polled: the rep count, the hold ring and the verdicts move only then
        fps = 1000.0 / max(1, self.host.timer.interval())
        self.coaching = module.LiveCoachingView(runner, window_s=10.0, max_fps=fps, sounds=CueSounds(enabled=False))
        self.coaching.setObjectName("liveCoaching")
        self.coaching_layout.addWidget(self.coaching)
        self._buttons()

    def open_biofeedback(self) -> None:
        """The patient-facing biofeedback window: full screen on a second monitor when there is one, else a
        window of its own. It reads the same runner on its own paced frames."""
        if self.coaching is None:
            self.message.setText("Set up the devices first.")
            return
        here = self.screen()
        other = next((screen for screen in QtGui.QGuiApplication.screens() if screen is not here), None)
        window = self.coaching.open_biofeedback({}, other)
        window.raise_()

    def close_coaching(self) -> None:
        if self.coaching is not None:
            self.coaching.close_biofeedback()
            self.coaching_layout.removeWidget(self.coaching)
            self.coaching.hide()  # its frames stop at once
            self.coaching.deleteLater()
            self.coaching = None

    @QtCore.Slot(str, str)
    def _on_state(self, state: str, message: str) -> None:
        runner = self.host.runner
        self.state_label.setText(f"{state}: {message}")
        if state == State.RECORDING.value and runner is not None:
            self.banner.hide()
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
        runner = self.host.runner
        self.redo_button.setEnabled(not busy and state in (State.RECORDING, State.PAUSED) and runner is not None
                                    and runner.rep > 0)
        self.stop_button.setEnabled(not busy and state in (State.RECORDING, State.PAUSED))
        self.next_button.setEnabled(not busy and state in (State.RECORDING, State.PAUSED, State.READY,
                                                            State.SAVED))
        self.exercise.setEnabled(state not in (State.RECORDING, State.PAUSED))
        self.save_button.setEnabled(not busy and self.host.runner is not None)
        self.end_button.setEnabled(state not in (State.RECORDING, State.PAUSED, State.ANALYSING))
        self.biofeedback_button.setEnabled(self.coaching is not None)
