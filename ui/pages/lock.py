"""The lock screen: hides patient data after the idle time (or on Ctrl+L); recording goes on behind it. The same
user unlocks to the same screen; another user may unlock too, and then the window is theirs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from clinic.records.security import Actor
from ui.worker import Workers


class LockPage(QtWidgets.QWidget):
    unlocked = QtCore.Signal(object)  # the Actor who unlocked

    def __init__(self, verify: Callable[[str, str], Actor], workers: Workers,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._verify = verify
        self._workers = workers
        self.locked_by = ""
        self.label = QtWidgets.QLabel("", objectName="lockLabel", wordWrap=True)
        self.username = QtWidgets.QLineEdit(objectName="unlockUsername")
        self.password = QtWidgets.QLineEdit(objectName="unlockPassword")
        self.password.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.message = QtWidgets.QLabel("", objectName="unlockMessage")
        self.button = QtWidgets.QPushButton("Unlock", objectName="unlockButton")
        self.button.clicked.connect(self._try)
        self.password.returnPressed.connect(self._try)
        form = QtWidgets.QFormLayout()
        form.addRow("User name (another user may unlock)", self.username)
        form.addRow("Password", self.password)
        box = QtWidgets.QVBoxLayout(self)
        box.addStretch(1)
        box.addWidget(self.label)
        box.addLayout(form)
        box.addWidget(self.button)
        box.addWidget(self.message)
        box.addStretch(2)

    def lock_for(self, username: str, why: str = "after a period of inactivity") -> None:
        self.locked_by = username
        self.username.setText(username)
        self.label.setText(f"<h3>Locked</h3>The workstation was locked {why}. {username}, enter your password to "
                           "continue, or unlock as another user; any recording goes on meanwhile.")
        self.password.clear()
        self.message.clear()
        self.button.setEnabled(True)
        self.password.setFocus()

    def _try(self) -> None:
        if not self.button.isEnabled():
            return
        self.button.setEnabled(False)
        self.message.setText("Checking ...")
        self._workers.submit(self._verify, self.username.text().strip(), self.password.text(),
                             on_done=self._ok, on_error=self._failed, name="unlock")

    def _failed(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        self.message.setText(str(exc))
        self.password.clear()

    def _ok(self, actor: Actor) -> None:
        self.button.setEnabled(True)
        self.password.clear()
        self.message.clear()
        self.unlocked.emit(actor)
