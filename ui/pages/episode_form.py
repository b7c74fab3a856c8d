"""Open an episode (complaint, goals) or close the active one (outcome, and per stated goal: met, not met or
not judged, which the discharge report prints); one active episode per patient."""

from __future__ import annotations

import datetime as dt

from PySide6 import QtCore, QtWidgets
from sqlalchemy.orm import Session

from clinic.records.editing import split_goals, update_episode
from clinic.records.models import Episode
from clinic.records.patients import ValidationError, create_episode, get_patient
from clinic.records.security import Actor
from ui.pages.env import WindowEnv


def open_new_episode(s: Session, actor: Actor, patient_id: int, complaint: str, goals: str,
                     today: dt.date) -> int:
    patient = get_patient(s, actor, patient_id)
    active = [e for e in patient.episodes if e.status == "active"]
    if active:
        raise ValidationError(f"this patient already has an active episode (from {active[-1].start_date}); "
                              "close it first")
    return create_episode(s, actor, patient, complaint, today, goals=goals).id


def active_episode_goals(s: Session, actor: Actor, episode_id: int) -> list[str]:
    """The goals of the episode about to be closed, one by one (``split_goals``), for the clinician to judge."""
    actor.require("read")
    ep = s.get(Episode, episode_id)
    if ep is None or ep.status != "active":
        raise ValidationError("there is no active episode to close")
    return split_goals(ep.goals or "")


def close_episode(s: Session, actor: Actor, episode_id: int, outcome: str, today: dt.date,
                  goals_met: dict[int, bool]) -> int:
    """Discharge: status, date, outcome and the clinician's verdict per goal number (only the judged ones)."""
    ep = s.get(Episode, episode_id)
    if ep is None or ep.status != "active":
        raise ValidationError("there is no active episode to close")
    update_episode(s, actor, ep, status="discharged", discharge_date=max(today, ep.start_date),
                   discharge_summary=outcome, goals_met=goals_met or None)
    return ep.id


class EpisodeForm(QtWidgets.QGroupBox):
    done = QtCore.Signal()

    def __init__(self, env: WindowEnv, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Episode", parent)
        self.env = env
        self.patient_id: int | None = None
        self.episode_id: int | None = None
        self.complaint = QtWidgets.QLineEdit("Low back pain: glute re-education", objectName="episodeComplaint")
        self.goals = QtWidgets.QLineEdit(objectName="episodeGoals")
        self.outcome = QtWidgets.QLineEdit(objectName="episodeOutcome")
        self.goals_judged = QtWidgets.QWidget(objectName="episodeGoalsJudged")
        self.goal_rows = QtWidgets.QFormLayout(self.goals_judged)
        self.goal_rows.setContentsMargins(0, 0, 0, 0)
        self.goal_choices: list[QtWidgets.QComboBox] = []  # one per stated goal: not judged / met / not met
        self.message = QtWidgets.QLabel("", objectName="episodeMessage", styleSheet="color: #b00020")
        self.save_button = QtWidgets.QPushButton("Open episode", objectName="saveEpisodeButton")
        self.save_button.clicked.connect(self.save)
        cancel = QtWidgets.QPushButton("Cancel")
        cancel.clicked.connect(self.hide)
        self.form = QtWidgets.QFormLayout(self)
        self.form.addRow("Complaint", self.complaint)
        self.form.addRow("Goals", self.goals)
        self.form.addRow("Outcome", self.outcome)
        self.form.addRow("Goals at discharge", self.goals_judged)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(cancel)
        self.form.addRow(row)
        self.form.addRow(self.message)
        self.hide()

    def start_open(self, patient_id: int) -> None:
        self.patient_id, self.episode_id = patient_id, None
        self.setTitle("New episode")
        self.save_button.setText("Open episode")
        for w in (self.complaint, self.goals):
            self.form.setRowVisible(w, True)
        for w in (self.outcome, self.goals_judged):
            self.form.setRowVisible(w, False)
        self.message.clear()
        self.show()
        self.complaint.setFocus()

    def start_close(self, episode_id: int) -> None:
        self.patient_id, self.episode_id = None, episode_id
        self.setTitle("Close the episode (discharge)")
        self.save_button.setText("Close episode")
        for w in (self.complaint, self.goals):
            self.form.setRowVisible(w, False)
        self.form.setRowVisible(self.outcome, True)
        self._show_goals([])
        self.save_button.setEnabled(False)  # until the goals are listed (a worker reads them)
        self.message.clear()
        self.show()
        self.outcome.setFocus()
        self.env.query(active_episode_goals, episode_id, on_done=self._show_goals, on_error=self._failed)

    def _show_goals(self, goals: list[str]) -> None:
        while self.goal_rows.rowCount():
            self.goal_rows.removeRow(0)
        self.goal_choices = []
        for n, goal in enumerate(goals, 1):
            choice = QtWidgets.QComboBox(objectName=f"goalMet{n}")
            choice.addItems(["not judged", "met", "not met"])
            self.goal_rows.addRow(f"{n}. {goal}", choice)
            self.goal_choices.append(choice)
        self.form.setRowVisible(self.goals_judged, bool(goals))
        self.save_button.setEnabled(True)

    def goals_met(self) -> dict[int, bool]:
        """The judged goals by number (1-based, as ``split_goals`` lists them): met or not."""
        return {n: choice.currentText() == "met" for n, choice in enumerate(self.goal_choices, 1)
                if choice.currentText() != "not judged"}

    def save(self) -> None:
        self.save_button.setEnabled(False)
        if self.episode_id is None:
            self.env.query(open_new_episode, self.patient_id, self.complaint.text(), self.goals.text(),
                           self.env.today(), on_done=self._saved, on_error=self._failed)
        else:
            self.env.query(close_episode, self.episode_id, self.outcome.text(), self.env.today(), self.goals_met(),
                           on_done=self._saved, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.setText(str(exc))

    def _saved(self, _episode_id: int) -> None:
        self.save_button.setEnabled(True)
        self.hide()
        self.done.emit()
