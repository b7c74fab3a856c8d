"""First start on an empty database: create the first administrator (like `glutelab db init-admin`)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from ui.worker import Workers


class FirstAdminPage(QtWidgets.QWidget):
    created = QtCore.Signal(str)

    def __init__(self, create_admin: Callable[[str, str], None], workers: Workers,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._create_admin = create_admin
        self._workers = workers
        self.username = QtWidgets.QLineEdit("admin", objectName="adminUsername")
        self.password = QtWidgets.QLineEdit(objectName="adminPassword")
        self.repeat = QtWidgets.QLineEdit(objectName="adminRepeat")
        for field in (self.password, self.repeat):
            field.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        form = QtWidgets.QFormLayout()
        form.addRow("Administrator user name", self.username)
        form.addRow("Password (at least 10 characters, hard to guess)", self.password)
        form.addRow("Repeat the password", self.repeat)
        self.button = QtWidgets.QPushButton("Create administrator", objectName="createAdminButton")
        self.button.clicked.connect(self._try)
        self.repeat.returnPressed.connect(self._try)
        self.message = QtWidgets.QLabel("", wordWrap=True, objectName="adminMessage")
        box = QtWidgets.QVBoxLayout(self)
        box.addStretch(1)
        box.addWidget(QtWidgets.QLabel("<h2>Welcome to GluteLab</h2>This database has no users yet. Create the "
                                       "first administrator; they can then add physiotherapists and staff."))
        box.addLayout(form)
        box.addWidget(self.button)
        box.addWidget(self.message)
        box.addStretch(2)

    def _try(self) -> None:
        if self.password.text() != self.repeat.text():
            self.message.setText("The two passwords differ.")
            return
        username, password = self.username.text().strip(), self.password.text()
        self.button.setEnabled(False)
        self.message.setText("Creating ...")
        self._workers.submit(self._create_admin, username, password, on_done=lambda _: self._done(username),
                             on_error=self._failed, name="create administrator")  # Argon2: not on the GUI thread

    def _failed(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        self.message.setText(str(exc))

    def _done(self, username: str) -> None:
        self.button.setEnabled(True)
        self.password.clear()
        self.repeat.clear()
        self.message.clear()
        self.created.emit(username)
