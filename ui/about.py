"""Help > About: the application's name and version, and the versions of what it runs on.

A clinic's IT or our support asks for these first; the database server's version comes from the dialect's
first connection (no query on the GUI thread).
"""

from __future__ import annotations

import platform

import pyqtgraph
import PySide6
import reportlab
import sqlalchemy
from PySide6 import QtCore, QtGui, QtWidgets
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from clinic.identity import APP_NAME, __version__
from ui.app_icon import app_icon

_SERVER_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def database_server(engine: Engine) -> str:
    """E.g. "PostgreSQL 15.19" or "SQLite 3.40.1"; "not connected yet" before the first connection."""
    info = engine.dialect.server_version_info
    name = _SERVER_NAMES.get(engine.dialect.name, engine.dialect.name)
    if not info:
        return f"{name} (not connected yet)"
    return f"{name} {'.'.join(str(part) for part in info)}"


def component_versions(engine: Engine) -> dict[str, str]:
    return {
        "Python": platform.python_version(),
        "Qt": f"{QtCore.qVersion()} (PySide6 {PySide6.__version__})",
        "pyqtgraph": pyqtgraph.__version__,
        "SQLAlchemy": sqlalchemy.__version__,
        "reportlab": reportlab.Version,
        "Database server": database_server(engine),
    }


class AboutDialog(QtWidgets.QDialog):
    def __init__(self, versions: dict[str, str], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, objectName="aboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        self.versions = versions
        logo = QtWidgets.QLabel()
        logo.setPixmap(app_icon().pixmap(64, 64))
        title = QtWidgets.QLabel(f"<h2>{APP_NAME} {__version__}</h2>Clinic workstation for glute "
                                 "re-education with surface EMG and a force plate.", wordWrap=True)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(logo, alignment=QtCore.Qt.AlignmentFlag.AlignTop)
        head.addWidget(title, stretch=1)
        self.table = QtWidgets.QFormLayout()
        for name, version in versions.items():
            value = QtWidgets.QLabel(version, objectName=f"version:{name}")
            value.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            self.table.addRow(f"{name}:", value)
        copy = QtWidgets.QPushButton("Copy to clipboard", objectName="copyVersions")
        copy.clicked.connect(self.copy_versions)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.addButton(copy, QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        box = QtWidgets.QVBoxLayout(self)
        box.addLayout(head)
        box.addLayout(self.table)
        box.addWidget(buttons)

    def as_text(self) -> str:
        lines = [f"{APP_NAME} {__version__}"] + [f"{name}: {version}" for name, version in self.versions.items()]
        return "\n".join(lines)

    def copy_versions(self) -> None:
        QtGui.QGuiApplication.clipboard().setText(self.as_text())


def add_help_menu(window: QtWidgets.QMainWindow, factory: sessionmaker[Session]) -> QtGui.QAction:
    """Help > About in ``window``'s menu bar; returns the action (tests trigger it)."""
    engine = factory.kw["bind"]

    def show_about() -> None:
        dialog = AboutDialog(component_versions(engine), window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        window.about_dialog = dialog  # type: ignore[attr-defined] - the open one, for tests
        dialog.open()

    action = QtGui.QAction(f"&About {APP_NAME}", window, objectName="aboutAction")
    action.setMenuRole(QtGui.QAction.MenuRole.AboutRole)
    action.triggered.connect(show_about)
    window.menuBar().addMenu("&Help").addAction(action)
    return action
