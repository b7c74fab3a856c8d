"""New or edit patient. Tab order: MRN, family name, given name, birth date (YYYY-MM-DD), sex, consent;
Ctrl+Return saves and opens the patient, Esc goes back. A bad value shows its message next to its field and
nothing is stored (the checks are clinic's own, run on a worker with the save)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets
from sqlalchemy.orm import Session

from clinic.records.editing import update_patient
from clinic.records.patients import SEXES, ValidationError, create_patient, get_patient
from clinic.records.security import Actor
from ui.pages.env import WindowEnv

FIELDS = ("mrn", "family_name", "given_name", "birth_date", "sex", "consent")
#: words in clinic's ValidationError messages -> the field they are about
_FIELD_WORDS = (("MRN", "mrn"), ("family name", "family_name"), ("given name", "given_name"),
                ("date of birth", "birth_date"), ("sex", "sex"))


def _save(s: Session, actor: Actor, patient_id: int | None, values: dict[str, Any]) -> int:
    if patient_id is None:
        return create_patient(s, actor, values["mrn"], values["family_name"], values["given_name"],
                              values["birth_date"], values["sex"], consent_given=values["consent"]).id
    patient = get_patient(s, actor, patient_id)
    update_patient(s, actor, patient, mrn=values["mrn"], family_name=values["family_name"],
                   given_name=values["given_name"], birth_date=values["birth_date"], sex=values["sex"],
                   consent_given=values["consent"])
    return patient.id


def _load(s: Session, actor: Actor, patient_id: int) -> dict[str, Any]:
    p = get_patient(s, actor, patient_id)
    return {"mrn": p.mrn, "family_name": p.family_name, "given_name": p.given_name,
            "birth_date": p.birth_date.isoformat(), "sex": p.sex, "consent": p.consent_given}


class PatientForm(QtWidgets.QWidget):
    saved = QtCore.Signal(int)
    cancelled = QtCore.Signal()

    def __init__(self, env: WindowEnv, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.env = env
        self.patient_id: int | None = None
        self.title = QtWidgets.QLabel("<h3>New patient</h3>")
        self.mrn = QtWidgets.QLineEdit(objectName="formMrn")
        self.family_name = QtWidgets.QLineEdit(objectName="formFamily")
        self.given_name = QtWidgets.QLineEdit(objectName="formGiven")
        self.birth_date = QtWidgets.QLineEdit(objectName="formBirthDate", placeholderText="YYYY-MM-DD")
        self.sex = QtWidgets.QComboBox(objectName="formSex")
        self.sex.addItems(SEXES)
        self.sex.setCurrentText("unknown")
        self.consent = QtWidgets.QCheckBox("The patient consents to recording and storing their data",
                                           objectName="formConsent")
        self.errors = {f: QtWidgets.QLabel("", objectName=f"error_{f}", styleSheet="color: #b00020")
                       for f in FIELDS}
        form = QtWidgets.QFormLayout()
        for label, widget, field in (("MRN", self.mrn, "mrn"), ("Family name", self.family_name, "family_name"),
                                     ("Given name", self.given_name, "given_name"),
                                     ("Birth date", self.birth_date, "birth_date"), ("Sex", self.sex, "sex"),
                                     ("Consent", self.consent, "consent")):
            row = QtWidgets.QHBoxLayout()
            row.addWidget(widget, 1)
            row.addWidget(self.errors[field], 1)
            form.addRow(label, row)
        self.save_button = QtWidgets.QPushButton("Save and open (Ctrl+Return)", objectName="savePatientButton")
        self.save_button.clicked.connect(self.save)
        cancel = QtWidgets.QPushButton("Back (Esc)")
        cancel.clicked.connect(self.cancelled)
        self.message = QtWidgets.QLabel("", objectName="patientFormMessage", wordWrap=True)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(cancel)
        buttons.addStretch(1)
        box = QtWidgets.QVBoxLayout(self)
        box.addWidget(self.title)
        box.addLayout(form)
        box.addLayout(buttons)
        box.addWidget(self.message)
        box.addStretch(1)
        order = [self.mrn, self.family_name, self.given_name, self.birth_date, self.sex, self.consent]
        for a, b in zip(order, order[1:]):  # once they share this widget (a window-wide chain)
            QtWidgets.QWidget.setTabOrder(a, b)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QtGui.QShortcut(QtGui.QKeySequence(keys), self, self.save,
                            context=QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def start_new(self) -> None:
        self.patient_id = None
        self.title.setText("<h3>New patient</h3>")
        for w in (self.mrn, self.family_name, self.given_name, self.birth_date):
            w.clear()
        self.sex.setCurrentText("unknown")
        self.consent.setChecked(False)
        self._clear_errors()
        self.mrn.setFocus()

    def start_edit(self, patient_id: int) -> None:
        self.start_new()
        self.patient_id = patient_id
        self.title.setText("<h3>Edit patient</h3>")
        self.env.query(_load, patient_id, on_done=self._fill)

    def _fill(self, values: dict[str, Any]) -> None:
        self.mrn.setText(values["mrn"])
        self.family_name.setText(values["family_name"])
        self.given_name.setText(values["given_name"])
        self.birth_date.setText(values["birth_date"])
        self.sex.setCurrentText(values["sex"])
        self.consent.setChecked(values["consent"])

    def _clear_errors(self) -> None:
        for label in self.errors.values():
            label.clear()
        self.message.clear()

    def show_error(self, field: str, text: str) -> None:
        self.errors[field].setText(text)
        widget = getattr(self, field)
        widget.setFocus()

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        self._clear_errors()
        text = self.birth_date.text().strip()
        try:
            born = dt.date.fromisoformat(text)
        except ValueError:
            self.show_error("birth_date", f"type the birth date as YYYY-MM-DD, not {text!r}")
            return
        if born > self.env.today():
            self.show_error("birth_date", f"{born} is in the future")
            return
        if not self.mrn.text().strip():
            self.show_error("mrn", "the MRN must not be empty")
            return
        values = {"mrn": self.mrn.text().strip(), "family_name": self.family_name.text(),
                  "given_name": self.given_name.text(), "birth_date": born, "sex": self.sex.currentText(),
                  "consent": self.consent.isChecked()}
        self.save_button.setEnabled(False)
        self.message.setText("Saving ...")
        self.env.query(_save, self.patient_id, values, on_done=self._saved, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.clear()
        if isinstance(exc, ValidationError):
            text = str(exc)
            field = next((f for words, f in _FIELD_WORDS if words in text), None)
            if field is not None:
                self.show_error(field, text)
                return
        self.message.setText(f"Not saved: {exc}")

    def _saved(self, patient_id: int) -> None:
        self.save_button.setEnabled(True)
        self.message.clear()
        self.saved.emit(patient_id)



