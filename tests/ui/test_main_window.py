"""The window driven with pytest-qt: device set-up with a wrong port, connecting to the simulator's pty,
and the idle lock that hides patient data and unlocks to the same screen."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6 import QtCore

from clinic.records import db as records_db
from clinic.records.db import unit_of_work
from clinic.records.patients import create_patient
from clinic.records.security import SYSTEM, Actor, authenticate, create_user


@pytest.fixture
def window(qtbot, tmp_path):  # noqa: ANN001, ANN201
    from ui.main_window import MainWindow

    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    with unit_of_work(factory) as s:
        create_user(s, "physio", "physio-pass-1", "physiotherapist")
        create_patient(s, SYSTEM, "W-1", "Window", "Wendy", dt.date(1980, 1, 1))

    def sign_in(username: str, password: str) -> Actor:
        with unit_of_work(factory) as s:
            return authenticate(s, username, password)

    w = MainWindow(factory, sign_in, [], idle_lock_minutes=10)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.live.stop()
    for dev in w.live.devices:
        dev.close()
    engine.dispose()


def _sign_in(qtbot, w) -> None:  # noqa: ANN001
    qtbot.keyClicks(w.sign_in.username, "physio")
    qtbot.keyClicks(w.sign_in.password, "physio-pass-1")
    qtbot.mouseClick(w.sign_in.button, QtCore.Qt.MouseButton.LeftButton)


def test_wrong_password_shows_message_and_no_patients(qtbot, window) -> None:  # noqa: ANN001
    qtbot.keyClicks(window.sign_in.username, "physio")
    qtbot.keyClicks(window.sign_in.password, "nope")
    qtbot.mouseClick(window.sign_in.button, QtCore.Qt.MouseButton.LeftButton)
    assert window.actor is None
    assert "wrong password" in window.sign_in.message.text()
    assert window.stack.currentWidget() is window.sign_in
    assert window.patients.table.rowCount() == 0


def test_without_devices_the_window_opens_device_setup(qtbot, window) -> None:  # noqa: ANN001
    _sign_in(qtbot, window)
    assert window.tabs.currentWidget() is window.devices_page


def test_wrong_port_gives_a_clear_message(qtbot, window, tmp_path) -> None:  # noqa: ANN001
    _sign_in(qtbot, window)
    page = window.devices_page
    page.emg_port.setCurrentText(str(tmp_path / "no-such-port"))
    qtbot.mouseClick(page.connect_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Cannot open" in page.message.text(), timeout=10000)
    assert "no-such-port" in page.message.text()
    assert page.connect_button.isEnabled()


def test_connect_to_simulator_pty_starts_live_plot(qtbot, window, sim_rig) -> None:  # noqa: ANN001
    _sign_in(qtbot, window)
    page = window.devices_page
    page.emg_port.setCurrentText(sim_rig.emg_path)
    page.plate_port.setCurrentText(sim_rig.plate_path)
    with qtbot.waitSignal(window.devices_changed, timeout=15000):
        qtbot.mouseClick(page.connect_button, QtCore.Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.live
    qtbot.waitUntil(lambda: window.live.frames > 5, timeout=15000)
    assert all(d.state == "streaming" or d.state == "open" for d in window.live.devices)


def test_idle_lock_hides_patients_and_unlocks_to_same_screen(qtbot, window) -> None:  # noqa: ANN001
    _sign_in(qtbot, window)
    window.tabs.setCurrentWidget(window.patients)
    assert window.patients.table.rowCount() == 1
    window.idle_timer.setInterval(50)
    window.idle_timer.start()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.lock_page, timeout=5000)
    assert window.patients.table.rowCount() == 0
    qtbot.keyClicks(window.lock_page.password, "wrong")
    qtbot.keyClick(window.lock_page.password, QtCore.Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.lock_page
    qtbot.keyClicks(window.lock_page.password, "physio-pass-1")
    qtbot.keyClick(window.lock_page.password, QtCore.Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.tabs
    assert window.tabs.currentWidget() is window.patients
    assert window.patients.table.rowCount() == 1
