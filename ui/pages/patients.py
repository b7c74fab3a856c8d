"""Patients: one search box (family name, MRN or birth date as YYYY-MM-DD); Enter or a double click opens the
selected patient. Every read goes through clinic (role checked, audited) on a worker."""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtWidgets
from sqlalchemy.orm import Session

from clinic.records.queries import find_patients
from clinic.records.security import Actor
from ui.models import RowsModel
from ui.pages.env import WindowEnv


def _rows(s: Session, actor: Actor, text: str) -> tuple[list[tuple[Any, ...]], list[int]]:
    found = find_patients(s, actor, text)
    return ([(p.mrn, p.display_name, p.birth_date.isoformat(), len(p.episodes)) for p in found],
            [p.id for p in found])


class PatientsPage(QtWidgets.QWidget):
    open_patient = QtCore.Signal(int)
    new_patient = QtCore.Signal()

    def __init__(self, env: WindowEnv, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.env = env
        self.search = QtWidgets.QLineEdit(placeholderText="Search by family name, MRN or birth date (YYYY-MM-DD)",
                                          objectName="patientSearch")
        self.model = RowsModel(["MRN", "Name", "Born", "Episodes"], self)
        self.table = QtWidgets.QTableView(objectName="patientTable")
        self.table.setModel(self.model)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.doubleClicked.connect(lambda _: self.open_selected())
        self.table.activated.connect(lambda _: self.open_selected())  # Enter on a row
        self.search.returnPressed.connect(self._search_enter)
        new = QtWidgets.QPushButton("New patient (Ctrl+N)", objectName="newPatientButton")
        new.clicked.connect(self.new_patient)
        self.message = QtWidgets.QLabel("", objectName="patientsMessage")
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(new)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        # one query (and one audited read) when typing pauses, not one per keystroke
        self._search_timer = QtCore.QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._search_timer.start)
        self._generation = 0

    def clear(self) -> None:
        """Hide everything about patients (sign-out, lock)."""
        self._search_timer.stop()  # a pending search must not refill the table behind the lock
        self._generation += 1  # and a running one is dropped when it arrives
        self.model.clear()

    def refresh(self) -> None:
        self._search_timer.stop()
        if self.env.actor is None:
            self.clear()
            return
        self._generation += 1
        generation = self._generation
        self.env.query(_rows, self.search.text(), on_done=lambda r: self._show(generation, *r),
                       on_error=lambda exc: self.message.setText(f"Search failed: {exc}"))

    def _show(self, generation: int, rows: list[tuple[Any, ...]], ids: list[int]) -> None:
        if generation != self._generation or self.env.actor is None:
            return
        self.model.set_rows(rows, ids)
        self.message.setText(f"{len(rows)} patient(s)" if rows else "No patient found.")
        if rows and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)

    def _search_enter(self) -> None:
        if self._search_timer.isActive():
            self.refresh()
        else:
            self.open_selected()

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if len(rows) == 1 and self.env.actor is not None:
            self.open_patient.emit(self.model.keys[rows[0].row()])
