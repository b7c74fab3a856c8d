"""The window half of `glutelab selftest`: each failure names its step; real paints pass, blank ones do not."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from clinic.records import db as records_db
from clinic.records.db import unit_of_work
from clinic.records.patients import create_patient
from clinic.records.security import SYSTEM, Actor, create_first_admin
from clinic.signals.conditioning import ConditioningSettings
from ui.selftest_window import WindowStepError, _render_print_preview, _save_painted, run_window_steps


def test_a_patient_without_analysed_sessions_fails_the_patient_page_step(qtbot, tmp_path) -> None:  # noqa: ANN001
    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    with unit_of_work(factory) as s:
        user = create_first_admin(s, "physio", "physio-pass-1")
        actor = Actor(user.id, user.username, user.role)
        create_patient(s, SYSTEM, "W-1", "Window", "Wendy", dt.date(1980, 1, 1))
    steps: list[str] = []
    with pytest.raises(WindowStepError) as failed:
        run_window_steps(factory, actor, tmp_path / "window", steps, ConditioningSettings(mains_hz=50.0))
    assert failed.value.step == "patient page"
    assert "window step 'patient page' failed: " in str(failed.value)
    assert steps and steps[0].startswith("main window opened")  # how far it got
    engine.dispose()


def test_a_blank_image_is_refused_with_the_step_named(qtbot, tmp_path) -> None:  # noqa: ANN001
    blank = QtGui.QImage(400, 300, QtGui.QImage.Format.Format_RGB32)
    blank.fill(QtCore.Qt.GlobalColor.white)
    with pytest.raises(WindowStepError, match="window step 'live plot' failed: .*blank"):
        _save_painted(blank, tmp_path / "x.png", "live plot")
    assert not (tmp_path / "x.png").exists()


def test_print_preview_lays_out_and_paints_a_page(qtbot, tmp_path) -> None:  # noqa: ANN001
    page = QtWidgets.QTableWidget(3, 3)
    for r in range(3):
        for c in range(3):
            page.setItem(r, c, QtWidgets.QTableWidgetItem(f"cell {r},{c}"))
    page.resize(600, 400)
    qtbot.addWidget(page)
    line = _render_print_preview(page, tmp_path, QtWidgets.QApplication.instance())
    assert line.startswith("print preview: ")
    image = QtGui.QImage(str(tmp_path / "print-preview.png"))
    assert not image.isNull() and image.width() > 100


def test_qt_aborting_still_prints_a_result_naming_the_step(tmp_path) -> None:  # noqa: ANN001
    code = ("import sys; from pathlib import Path; from ui.selftest_window import run_window_steps\n"
            "run_window_steps(None, None, Path(sys.argv[1]), ['earlier step'], None)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, QT_QPA_PLATFORM="no-such-platform"))
    assert proc.returncode != 0
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ok"] is False and result["steps"] == ["earlier step"]
    assert result["error"].startswith("window step 'start Qt' failed: Qt: ")
    assert "no-such-platform" in result["error"] + proc.stderr
