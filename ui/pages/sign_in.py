"""Sign-in: the cursor starts in the user name, Tab goes to the password, Enter signs in (docs/keyboard.md).
The password check (Argon2) runs on a worker."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from clinic.records.security import Actor
from ui.worker import Workers


class SignInPage(QtWidgets.QWidget):
    signed_in = QtCore.Signal(object)

    def __init__(self, authenticate: Callable[[str, str], Actor], workers: Workers,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._authenticate = authenticate
        self._workers = workers
        form = QtWidgets.QFormLayout()
        self.username = QtWidgets.QLineEdit(objectName="username")
        self.password = QtWidgets.QLineEdit(objectName="password")
        self.password.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        self.message = QtWidgets.QLabel("", objectName="signInMessage")
        self.button = QtWidgets.QPushButton("Sign in", objectName="signInButton")
        self.button.clicked.connect(self._try)
        self.username.returnPressed.connect(self._try)
        self.password.returnPressed.connect(self._try)
        box = QtWidgets.QVBoxLayout(self)
        box.addStretch(1)
        title = QtWidgets.QLabel("<h2>GluteLab</h2>Sign in to see patients and record sessions.")
        box.addWidget(title, alignment=QtCore.Qt.AlignmentFlag.AlignHCenter)
        box.addLayout(form)
        box.addWidget(self.button)
        box.addWidget(self.message)
        box.addStretch(2)
        self.setFocusProxy(self.username)

    def focus(self) -> None:
        self.username.setFocus()

    def _try(self) -> None:
        if not self.button.isEnabled():
            return  # a check is already running
        self.button.setEnabled(False)
        self.message.setText("Checking ...")
        self._workers.submit(self._authenticate, self.username.text().strip(), self.password.text(),
                             on_done=self._ok, on_error=self._failed, name="sign in")

    def _failed(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        self.message.setText(str(exc) if isinstance(exc, PermissionError) else f"Cannot sign in: {exc}")
        self.password.clear()
        self.password.setFocus()

    def _ok(self, actor: Actor) -> None:
        self.button.setEnabled(True)
        self.password.clear()
        self.message.clear()
        self.signed_in.emit(actor)
