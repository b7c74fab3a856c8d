"""The workstation window driven with pytest-qt: device set-up with a wrong port, connecting to the simulator's pty,
and the idle lock that hides patient data and unlocks to the same screen."""

from __future__ import annotations

from PySide6 import QtCore


def _sign_in(qtbot, w) -> None:  # noqa: ANN001
    qtbot.keyClicks(w.sign_in.username, "physio")
    qtbot.keyClicks(w.sign_in.password, "physio-pass-1")
    qtbot.mouseClick(w.sign_in.button, QtCore.Qt.MouseButton.LeftButton)


def test_wrong_password_shows_message_and_no_patients(qtbot, main_window) -> None:  # noqa: ANN001
    qtbot.keyClicks(main_window.sign_in.username, "physio")
    qtbot.keyClicks(main_window.sign_in.password, "nope")
    qtbot.mouseClick(main_window.sign_in.button, QtCore.Qt.MouseButton.LeftButton)
    assert main_window.actor is None
    assert "wrong password" in main_window.sign_in.message.text()
    assert main_window.stack.currentWidget() is main_window.sign_in
    assert main_window.patients.table.rowCount() == 0


def test_without_devices_the_main_window_opens_device_setup(qtbot, main_window) -> None:  # noqa: ANN001
    _sign_in(qtbot, main_window)
    assert main_window.tabs.currentWidget() is main_window.devices_page


def test_wrong_port_gives_a_clear_message(qtbot, main_window, tmp_path) -> None:  # noqa: ANN001
    _sign_in(qtbot, main_window)
    page = main_window.devices_page
    page.emg_port.setCurrentText(str(tmp_path / "no-such-port"))
    qtbot.mouseClick(page.connect_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Cannot open" in page.message.text(), timeout=10000)
    assert "no-such-port" in page.message.text()
    assert page.connect_button.isEnabled()


def test_connect_to_simulator_pty_starts_live_plot(qtbot, main_window, sim_rig) -> None:  # noqa: ANN001
    _sign_in(qtbot, main_window)
    page = main_window.devices_page
    page.emg_port.setCurrentText(sim_rig.emg_path)
    page.plate_port.setCurrentText(sim_rig.plate_path)
    with qtbot.waitSignal(main_window.devices_changed, timeout=15000):
        qtbot.mouseClick(page.connect_button, QtCore.Qt.MouseButton.LeftButton)
    assert main_window.tabs.currentWidget() is main_window.live
    qtbot.waitUntil(lambda: main_window.live.frames > 5, timeout=15000)
    assert all(d.state == "streaming" or d.state == "open" for d in main_window.live.devices)


def test_idle_lock_hides_patients_and_unlocks_to_same_screen(qtbot, main_window) -> None:  # noqa: ANN001
    _sign_in(qtbot, main_window)
    main_window.tabs.setCurrentWidget(main_window.patients)
    assert main_window.patients.table.rowCount() == 1
    main_window.idle_timer.setInterval(50)
    main_window.idle_timer.start()
    qtbot.waitUntil(lambda: main_window.stack.currentWidget() is main_window.lock_page, timeout=5000)
    assert main_window.patients.table.rowCount() == 0
    qtbot.keyClicks(main_window.lock_page.password, "wrong")
    qtbot.keyClick(main_window.lock_page.password, QtCore.Qt.Key.Key_Return)
    assert main_window.stack.currentWidget() is main_window.lock_page
    qtbot.keyClicks(main_window.lock_page.password, "physio-pass-1")
    qtbot.keyClick(main_window.lock_page.password, QtCore.Qt.Key.Key_Return)
    assert main_window.stack.currentWidget() is main_window.tabs
    assert main_window.tabs.currentWidget() is main_window.patients
    assert main_window.patients.table.rowCount() == 1
