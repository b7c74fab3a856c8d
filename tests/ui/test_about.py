"""Help > About names GluteLab's version and the versions of what it runs on, including the database server."""

from __future__ import annotations

import platform
import sqlite3

import pyqtgraph
import reportlab
import sqlalchemy
from PySide6 import QtCore, QtGui, QtWidgets

from clinic.identity import APP_NAME, __version__
from clinic.records import db as records_db
from ui.about import component_versions, database_server


def test_help_about_shows_every_component_version(qtbot, main_window) -> None:  # noqa: ANN001
    main_window.about_action.trigger()
    dialog = main_window.about_dialog
    qtbot.waitExposed(dialog)
    text = dialog.as_text()
    assert f"{APP_NAME} {__version__}" in text
    assert f"Python: {platform.python_version()}" in text
    assert f"Qt: {QtCore.qVersion()}" in text
    assert f"pyqtgraph: {pyqtgraph.__version__}" in text
    assert f"SQLAlchemy: {sqlalchemy.__version__}" in text
    assert f"reportlab: {reportlab.Version}" in text
    assert f"Database server: SQLite {sqlite3.sqlite_version}" in text  # the window's own database
    python_label = dialog.findChild(QtWidgets.QLabel, "version:Python")
    assert python_label is not None and python_label.text() == platform.python_version()
    dialog.copy_versions()
    assert QtGui.QGuiApplication.clipboard().text() == text
    dialog.close()


def test_database_server_version_is_the_servers_own(db_url) -> None:  # noqa: ANN001 - SQLite and PostgreSQL
    engine = records_db.make_engine(db_url)
    try:
        assert "not connected yet" in database_server(engine)
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                raw = conn.exec_driver_sql("SHOW server_version").scalar_one().split()[0]
                expected = "PostgreSQL " + raw
            else:
                expected = f"SQLite {sqlite3.sqlite_version}"
        assert component_versions(engine)["Database server"] == expected
    finally:
        engine.dispose()


def test_the_package_version_is_the_one_in_clinic_identity() -> None:
    from importlib import metadata

    assert metadata.version("glutelab") == __version__
