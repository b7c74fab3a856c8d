"""Users (administrators only): add a physiotherapist or other staff member. The Argon2 hash runs on a worker."""

from __future__ import annotations

from typing import Any

from PySide6 import QtWidgets
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.records.models import User
from clinic.records.security import ROLES, Actor, create_user
from ui.models import RowsModel
from ui.pages.env import WindowEnv


def list_users(s: Session, actor: Actor) -> list[tuple[Any, ...]]:
    actor.require("admin")
    return [(u.username, u.display_name, u.role, "yes" if u.active else "no")
            for u in s.scalars(select(User).order_by(User.username))]


def add_user(s: Session, actor: Actor, username: str, password: str, role: str, display_name: str) -> str:
    return create_user(s, username, password, role, display_name, by=actor).username


class UsersPage(QtWidgets.QWidget):
    def __init__(self, env: WindowEnv, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.env = env
        self.model = RowsModel(["User name", "Name", "Role", "Active"], self)
        self.table = QtWidgets.QTableView(objectName="userTable")
        self.table.setModel(self.model)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.username = QtWidgets.QLineEdit(objectName="newUsername")
        self.display_name = QtWidgets.QLineEdit(objectName="newDisplayName")
        self.role = QtWidgets.QComboBox(objectName="newRole")
        self.role.addItems(sorted(ROLES))
        self.role.setCurrentText("physiotherapist")
        self.password = QtWidgets.QLineEdit(objectName="newPassword")
        self.password.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.add_button = QtWidgets.QPushButton("Add user", objectName="addUserButton")
        self.add_button.clicked.connect(self.add)
        self.password.returnPressed.connect(self.add)
        self.message = QtWidgets.QLabel("", objectName="usersMessage", wordWrap=True)
        form = QtWidgets.QFormLayout()
        form.addRow("User name", self.username)
        form.addRow("Full name", self.display_name)
        form.addRow("Role", self.role)
        form.addRow("Password (at least 8 characters)", self.password)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("<h3>Users</h3>Only an administrator adds users."))
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(self.add_button)
        layout.addWidget(self.message)

    def refresh(self) -> None:
        if self.env.actor is None or self.env.actor.role != "administrator":
            self.model.clear()
            self.message.setText("Only an administrator sees and adds users.")
            return
        self.env.query(list_users, on_done=self.model.set_rows)

    def clear(self) -> None:
        self.model.clear()

    def add(self) -> None:
        if not self.add_button.isEnabled():
            return
        self.add_button.setEnabled(False)
        self.message.setText("Adding ...")
        self.env.query(add_user, self.username.text().strip(), self.password.text(), self.role.currentText(),
                       self.display_name.text().strip(), on_done=self._added, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.add_button.setEnabled(True)
        self.message.setText(str(exc))

    def _added(self, username: str) -> None:
        self.add_button.setEnabled(True)
        self.password.clear()
        self.username.clear()
        self.display_name.clear()
        self.message.setText(f"User {username} added.")
        self.refresh()
