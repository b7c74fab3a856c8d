"""Patients: search by family name; selecting a patient shows their active episode week by week.

Every read goes through clinic (role checked, audited); the numbers are the stored per-rep results of the
real analysis, aggregated per episode week (never compared with a population norm).
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from sqlalchemy.orm import Session, sessionmaker

from clinic.records.db import unit_of_work
from clinic.records.patients import get_patient, search_patients
from clinic.records.queries import WeekProgress, weekly_progress
from clinic.records.security import Actor


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if value is None else fmt.format(value)


class PatientsPage(QtWidgets.QWidget):
    def __init__(self, factory: sessionmaker[Session], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.factory = factory
        self.actor: Actor | None = None
        self._ids: list[int] = []
        self.search = QtWidgets.QLineEdit(placeholderText="Search by family name", objectName="patientSearch")
        self.table = QtWidgets.QTableWidget(0, 4, objectName="patientTable")
        self.table.setHorizontalHeaderLabels(["MRN", "Name", "Born", "Episodes"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.episode_label = QtWidgets.QLabel("Select a patient to see their episode week by week.",
                                              objectName="episodeLabel", wordWrap=True)
        self.progress = QtWidgets.QTableWidget(0, 6, objectName="progressTable")
        self.progress.setHorizontalHeaderLabels(["Week", "Sessions", "Reps", "Glute fired first",
                                                 "Glute %MVC (hold)", "Pain (0-10)"])
        self.progress.horizontalHeader().setStretchLastSection(True)
        self.progress.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        split.addWidget(self.table)
        lower = QtWidgets.QWidget()
        lower_box = QtWidgets.QVBoxLayout(lower)
        lower_box.setContentsMargins(0, 0, 0, 0)
        lower_box.addWidget(self.episode_label)
        lower_box.addWidget(self.progress)
        split.addWidget(lower)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(split)
        # one query (and one audited read) when typing pauses, not one per keystroke on the GUI thread
        self._search_timer = QtCore.QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._search_timer.start)
        self.table.itemSelectionChanged.connect(self._show_selected)

    def set_actor(self, actor: Actor | None) -> None:
        self.actor = actor
        self.refresh()

    def clear(self) -> None:
        """Hide everything about patients (sign-out, idle lock)."""
        self._search_timer.stop()  # a pending search must not refill the table behind the lock
        self.table.setRowCount(0)
        self.progress.setRowCount(0)
        self._ids = []
        self.episode_label.setText("Select a patient to see their episode week by week.")

    def refresh(self) -> None:
        self.clear()
        if self.actor is None:
            return
        with unit_of_work(self.factory) as s:
            found = search_patients(s, self.actor, self.search.text())
            rows = [(p.mrn, p.display_name, p.birth_date.isoformat(), str(len(p.episodes))) for p in found]
            self._ids = [p.id for p in found]
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(value))

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def _show_selected(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if self.actor is None or len(rows) != 1:
            return
        patient_id = self._ids[rows.pop()]
        with unit_of_work(self.factory) as s:
            patient = get_patient(s, self.actor, patient_id)
            episodes = [e for e in patient.episodes if e.status == "active"] or list(patient.episodes)
            if not episodes:
                self.episode_label.setText(f"{patient.display_name}: no rehab episode yet.")
                self.progress.setRowCount(0)
                return
            episode = episodes[-1]
            weeks = weekly_progress(s, self.actor, episode.id)
            label = (f"<b>{patient.display_name}</b> (MRN {patient.mrn}) - {episode.reason}; started "
                     f"{episode.start_date:%d %b %Y}, {episode.status}. Goals: {episode.goals or '-'}")
        self.episode_label.setText(label)
        self._fill_progress(weeks)

    def _fill_progress(self, weeks: list[WeekProgress]) -> None:
        self.progress.setRowCount(len(weeks))
        for r, w in enumerate(weeks):
            values = (str(w.week), str(w.sessions), str(w.reps), _pct(w.glute_first_share),
                      _num(w.mean_glute_pct_mvc), _num(w.mean_pain))
            for c, value in enumerate(values):
                self.progress.setItem(r, c, QtWidgets.QTableWidgetItem(value))
