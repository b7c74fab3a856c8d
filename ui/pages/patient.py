"""One patient: their episodes (open/close), each episode's sessions with pain and notes and what the stored
reps say (%MVC, how often the glute fired first), and the episode week by week. "New session" starts the
device set-up for today's session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore, QtWidgets
from sqlalchemy.orm import Session

from clinic.records.db import unit_of_work
from clinic.records.patients import get_patient
from clinic.records.queries import SessionRow, WeekProgress, episode_sessions, weekly_progress
from clinic.records.security import Actor
from ui.models import RowsModel, num, pct
from ui.pages.env import WindowEnv
from ui.pages.episode_form import EpisodeForm


@dataclass(frozen=True)
class PatientView:
    patient_id: int
    title: str
    episodes: list[tuple[int, str, str, str, str, str]]  # id, start, status, complaint, goals, outcome
    active_episode: int | None
    shown_episode: int | None
    sessions: list[SessionRow]
    weeks: list[WeekProgress]


def load_patient(s: Session, actor: Actor, patient_id: int, episode_id: int | None) -> PatientView:
    p = get_patient(s, actor, patient_id)
    episodes = sorted(p.episodes, key=lambda e: (e.start_date, e.id))
    active = next((e.id for e in reversed(episodes) if e.status == "active"), None)
    ids = [e.id for e in episodes]
    shown = episode_id if episode_id in ids else (active or (ids[-1] if ids else None))
    rows = [(e.id, e.start_date.isoformat(), e.status, e.reason, e.goals or "", e.discharge_summary or "")
            for e in episodes]
    title = (f"<h3>{p.display_name}</h3>MRN {p.mrn} - born {p.birth_date.isoformat()} - {p.sex} - consent: "
             f"{'yes' if p.consent_given else 'NO'}")
    sessions = episode_sessions(s, actor, shown) if shown is not None else []
    weeks = weekly_progress(s, actor, shown) if shown is not None else []
    return PatientView(patient_id, title, rows, active, shown, sessions, weeks)


class PatientPage(QtWidgets.QWidget):
    start_session = QtCore.Signal(int)  # patient id
    edit_patient = QtCore.Signal(int)

    def __init__(self, env: WindowEnv, reports_dir: Path | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.env = env
        self.reports_dir = reports_dir
        self.view: PatientView | None = None
        self.patient_id: int | None = None
        self.title = QtWidgets.QLabel("", objectName="patientTitle", wordWrap=True)
        self.episodes = RowsModel(["Start", "Status", "Complaint", "Goals", "Outcome"], self)
        self.episode_table = _table(self.episodes, "episodeTable")
        self.episode_table.clicked.connect(self._episode_chosen)
        self.sessions = RowsModel(["Date", "Week", "Pain (0-10)", "Trials", "Reps", "Glute fired first",
                                   "Glute %MVC (hold)", "Notes"], self)
        self.session_table = _table(self.sessions, "sessionTable")
        self.progress = RowsModel(["Week", "Sessions", "Reps", "Glute fired first", "Glute %MVC (hold)",
                                   "Pain (0-10)"], self)
        self.progress_table = _table(self.progress, "progressTable")
        self.episode_form = EpisodeForm(env)
        self.episode_form.done.connect(self.refresh)
        self.new_episode_button = QtWidgets.QPushButton("New episode", objectName="newEpisodeButton")
        self.close_episode_button = QtWidgets.QPushButton("Close episode", objectName="closeEpisodeButton")
        self.edit_button = QtWidgets.QPushButton("Edit patient", objectName="editPatientButton")
        self.session_button = QtWidgets.QPushButton("New session (Ctrl+R)", objectName="newSessionButton")
        self.report_button = QtWidgets.QPushButton("Report of the selected session (PDF)",
                                                   objectName="sessionReportButton")
        self.report_button.setEnabled(reports_dir is not None)
        self.report_button.clicked.connect(self.report)
        self.new_episode_button.clicked.connect(self.new_episode)
        self.close_episode_button.clicked.connect(self._close_episode)
        self.edit_button.clicked.connect(lambda: self.patient_id and self.edit_patient.emit(self.patient_id))
        self.session_button.clicked.connect(self.new_session)
        self.message = QtWidgets.QLabel("", objectName="patientMessage", wordWrap=True)
        buttons = QtWidgets.QHBoxLayout()
        for b in (self.session_button, self.new_episode_button, self.close_episode_button, self.edit_button,
                  self.report_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(buttons)
        layout.addWidget(self.episode_form)
        layout.addWidget(QtWidgets.QLabel("<b>Episodes</b>"))
        layout.addWidget(self.episode_table, 1)
        layout.addWidget(QtWidgets.QLabel("<b>Sessions of the episode</b>"))
        layout.addWidget(self.session_table, 2)
        layout.addWidget(QtWidgets.QLabel("<b>Week by week</b>"))
        layout.addWidget(self.progress_table, 1)
        layout.addWidget(self.message)

    def show_patient(self, patient_id: int) -> None:
        self.clear()
        self.patient_id = patient_id
        self.refresh()

    def clear(self) -> None:
        self.view = None
        self.title.clear()
        for model in (self.episodes, self.sessions, self.progress):
            model.clear()
        self.episode_form.hide()
        self.close_episode_button.setEnabled(False)  # until the loaded view says there is an active episode

    def refresh(self, episode_id: int | None = None) -> None:
        if self.patient_id is None or self.env.actor is None:
            return
        wanted = episode_id if episode_id is not None else (self.view.shown_episode if self.view else None)
        self.env.query(load_patient, self.patient_id, wanted, on_done=self._show,
                       on_error=lambda exc: self.message.setText(f"Cannot open the patient: {exc}"))

    def _show(self, view: PatientView) -> None:
        if view.patient_id != self.patient_id or self.env.actor is None:
            return
        self.view = view
        self.title.setText(view.title)
        self.episodes.set_rows([r[1:] for r in view.episodes], [r[0] for r in view.episodes])
        self.sessions.set_rows([(f"{r.started_at.astimezone():%Y-%m-%d %H:%M}", r.week, r.pain_score, r.trials,
                                 r.reps, pct(r.glute_first_share), num(r.mean_glute_pct_mvc), r.notes)
                                for r in view.sessions], [r.session_id for r in view.sessions])
        self.progress.set_rows([(w.week, w.sessions, w.reps, pct(w.glute_first_share),
                                 num(w.mean_glute_pct_mvc), num(w.mean_pain)) for w in view.weeks])
        self.close_episode_button.setEnabled(view.active_episode is not None)
        self.message.setText("" if view.episodes else "No episode yet: open one (a new session opens one too).")

    def _episode_chosen(self, index: QtCore.QModelIndex) -> None:
        self.refresh(self.episodes.keys[index.row()])

    def new_episode(self) -> None:
        if self.patient_id is not None:
            self.episode_form.start_open(self.patient_id)

    def _close_episode(self) -> None:
        if self.view is not None and self.view.active_episode is not None:
            self.episode_form.start_close(self.view.active_episode)

    def report(self) -> None:
        """The selected session's report PDF, built on a worker into the reports folder."""
        rows = self.session_table.selectionModel().selectedRows()
        if self.reports_dir is None or self.env.actor is None or len(rows) != 1:
            self.message.setText("Select one session in the list first.")
            return
        session_id = self.sessions.keys[rows[0].row()]
        actor, factory, settings = self.env.actor, self.env.factory, self.env.settings
        out = self.reports_dir / f"session-{session_id}.pdf"

        def build() -> Path:
            from clinic.usecases.reports import build_session_report  # reportlab and scipy load on the worker

            with unit_of_work(factory) as s:
                return build_session_report(s, actor, session_id, out, settings)

        self.report_button.setEnabled(False)
        self.message.setText("Building the report ...")
        self.env.workers.submit(build, on_done=self._reported, on_error=self._report_failed, name="session report")

    def _reported(self, path: Path) -> None:
        self.report_button.setEnabled(True)
        self.message.setText(f"Report saved: {path}")

    def _report_failed(self, exc: BaseException) -> None:
        self.report_button.setEnabled(True)
        self.message.setText(f"No report: {exc}")

    def new_session(self) -> None:
        if self.patient_id is not None:
            self.start_session.emit(self.patient_id)


def _table(model: RowsModel, name: str) -> QtWidgets.QTableView:
    table = QtWidgets.QTableView(objectName=name)
    table.setModel(model)
    table.horizontalHeader().setStretchLastSection(True)
    table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    return table
