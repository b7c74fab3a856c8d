"""The workstation window driven with pytest-qt: device set-up with a wrong port, connecting to the simulator's pty,
and the idle lock that hides patient data and unlocks to the same screen."""

from __future__ import annotations

from PySide6 import QtCore


def _sign_in(qtbot, w) -> None:  # noqa: ANN001
    qtbot.keyClicks(w.sign_in.username, "physio")
    qtbot.keyClicks(w.sign_in.password, "physio-pass-1")
    qtbot.mouseClick(w.sign_in.button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.actor is not None, timeout=10000)  # the password check runs on a worker


def test_wrong_password_shows_message_and_no_patients(qtbot, main_window) -> None:  # noqa: ANN001
    qtbot.keyClicks(main_window.sign_in.username, "physio")
    qtbot.keyClicks(main_window.sign_in.password, "nope")
    qtbot.mouseClick(main_window.sign_in.button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "wrong password" in main_window.sign_in.message.text(), timeout=10000)
    assert main_window.actor is None
    assert main_window.stack.currentWidget() is main_window.sign_in
    assert main_window.patients.model.rowCount() == 0
    from sqlalchemy import select

    from clinic.records.models import AuditEvent

    with main_window.factory() as s:
        assert "sign_in_failed" in s.scalars(select(AuditEvent.action)).all()


def test_after_sign_in_the_patients_page_opens(qtbot, main_window) -> None:  # noqa: ANN001
    _sign_in(qtbot, main_window)
    assert main_window.pages.currentWidget() is main_window.patients
    qtbot.waitUntil(lambda: main_window.patients.model.rowCount() == 1, timeout=10000)


def test_wrong_port_gives_a_clear_message(qtbot, main_window, tmp_path) -> None:  # noqa: ANN001
    _sign_in(qtbot, main_window)
    main_window.act_devices.trigger()
    page = main_window.devices_page
    page.emg_port.setCurrentText(str(tmp_path / "no-such-port"))
    qtbot.mouseClick(page.connect_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Cannot open" in page.message.text(), timeout=10000)
    assert "no-such-port" in page.message.text()
    assert page.connect_button.isEnabled()


def test_connect_to_simulator_pty_starts_live_plot(qtbot, main_window, sim_rig) -> None:  # noqa: ANN001
    _sign_in(qtbot, main_window)
    main_window.act_devices.trigger()
    page = main_window.devices_page
    page.emg_port.setCurrentText(sim_rig.emg_path)
    page.plate_port.setCurrentText(sim_rig.plate_path)
    with qtbot.waitSignal(main_window.devices_changed, timeout=15000):
        qtbot.mouseClick(page.connect_button, QtCore.Qt.MouseButton.LeftButton)
    assert main_window.pages.currentWidget() is main_window.live
    qtbot.waitUntil(lambda: main_window.live.frames > 5, timeout=15000)
    assert all(d.state == "streaming" or d.state == "open" for d in main_window.live.devices)


def test_idle_lock_hides_patients_and_unlocks_to_same_screen(qtbot, main_window) -> None:  # noqa: ANN001
    _sign_in(qtbot, main_window)
    main_window.show_page(main_window.patients)
    qtbot.waitUntil(lambda: main_window.patients.model.rowCount() == 1, timeout=10000)
    main_window.idle_timer.setInterval(50)
    main_window.idle_timer.start()
    qtbot.waitUntil(lambda: main_window.stack.currentWidget() is main_window.lock_page, timeout=10000)
    main_window.idle_timer.setInterval(600_000)  # unlocking restarts it: 50 ms could re-lock before the asserts
    assert main_window.patients.model.rowCount() == 0
    qtbot.keyClicks(main_window.lock_page.password, "wrong")
    qtbot.keyClick(main_window.lock_page.password, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "wrong password" in main_window.lock_page.message.text(), timeout=10000)
    assert main_window.stack.currentWidget() is main_window.lock_page
    qtbot.keyClicks(main_window.lock_page.password, "physio-pass-1")
    qtbot.keyClick(main_window.lock_page.password, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: main_window.stack.currentWidget() is main_window.pages, timeout=10000)
    assert main_window.pages.currentWidget() is main_window.patients
    qtbot.waitUntil(lambda: main_window.patients.model.rowCount() == 1, timeout=10000)


def test_first_start_creates_the_administrator(qtbot, tmp_path) -> None:  # noqa: ANN001
    from clinic.records import db as records_db
    from clinic.records.db import unit_of_work
    from clinic.records.security import authenticate, create_first_admin
    from clinic.signals.conditioning import ConditioningSettings
    from ui.main_window import MainWindow

    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'first.sqlite3'}")
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)

    def create_admin(username: str, password: str) -> None:
        with unit_of_work(factory) as s:
            create_first_admin(s, username, password)

    def sign_in(username: str, password: str):  # noqa: ANN202
        with unit_of_work(factory) as s:
            return authenticate(s, username, password)

    w = MainWindow(factory, sign_in, [], create_first_admin=create_admin,
                   conditioning=ConditioningSettings(mains_hz=50.0),
                   spool_dir=tmp_path / "spool")
    qtbot.addWidget(w)
    assert w.stack.currentWidget() is w.first_admin
    qtbot.keyClicks(w.first_admin.password, "short")
    qtbot.keyClicks(w.first_admin.repeat, "short")
    qtbot.mouseClick(w.first_admin.button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "at least 10" in w.first_admin.message.text(), timeout=10000)
    for field in (w.first_admin.password, w.first_admin.repeat):
        field.clear()
        qtbot.keyClicks(field, "clinic-admin-1")
    qtbot.mouseClick(w.first_admin.button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.sign_in, timeout=10000)
    qtbot.keyClicks(w.sign_in.password, "clinic-admin-1")
    qtbot.mouseClick(w.sign_in.button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.actor is not None, timeout=10000)
    assert w.actor.role == "administrator"
    w.live.stop()
    w.workers.wait(10000)
    engine.dispose()


def test_unexpected_error_while_connecting_re_enables_connect(qtbot, main_window, monkeypatch) -> None:  # noqa: ANN001
    from devices.device import Device

    def broken_open(self, handshake_timeout_s=None):  # noqa: ANN001, ANN202
        raise RuntimeError("driver bug")

    monkeypatch.setattr(Device, "open", broken_open)
    _sign_in(qtbot, main_window)
    main_window.act_devices.trigger()
    page = main_window.devices_page
    page.emg_port.setCurrentText("/dev/ttyFAKE0")
    qtbot.mouseClick(page.connect_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "driver bug" in page.message.text(), timeout=10000)
    assert page.connect_button.isEnabled()


def test_replacing_the_devices_closes_the_old_ones_and_forgets_the_old_page(qtbot, main_window,  # noqa: ANN001
                                                                            monkeypatch) -> None:  # noqa: ANN001
    from devices.device import Device

    monkeypatch.setattr(Device, "start", lambda self: None)
    first, second = _fake_device(), _fake_device()
    main_window.set_devices([first])
    main_window.set_devices([second])
    qtbot.waitUntil(lambda: first.state == "closed", timeout=10000)  # closed on a worker (a thread join)
    assert second.state != "closed"
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    first.close()  # e.g. again at exit: must not reach the deleted page
    second.close()
    assert main_window.live.status.text().endswith("closed")


def _fake_device():  # noqa: ANN202
    """An 'open' plate with a ring and no port: enough for the live page."""
    from devices.device import Device
    from devices.ring import SampleRing
    from devices.types import DeviceInfo

    dev = Device("loop://", "glutelab", stream_id="plate")
    dev.info = DeviceInfo(kind="plate", model="Fake", serial="1", firmware="1", protocol="glutelab",
                          sample_rate_hz=100.0, channel_names=("fz",), units="N", scale=(1.0,))
    dev.ring = SampleRing(1000, 1)
    dev.state = "open"
    return dev


def test_a_device_that_cannot_start_is_reported_not_raised(qtbot, main_window, monkeypatch) -> None:  # noqa: ANN001
    from devices.device import Device

    def broken_start(self):  # noqa: ANN001, ANN202
        raise OSError("port vanished")

    monkeypatch.setattr(Device, "start", broken_start)
    main_window.set_devices([_fake_device()])
    assert "port vanished" in main_window.live.status.text()
    assert main_window.pages.currentWidget() is main_window.live


def test_hidden_live_plots_are_not_recomputed(qtbot, main_window, monkeypatch) -> None:  # noqa: ANN001
    from devices.device import Device
    from ui.live_plot import LivePlot

    monkeypatch.setattr(Device, "start", lambda self: None)
    main_window.set_devices([_fake_device()])
    main_window.live.stop()  # drive the ticks by hand
    calls: list[LivePlot] = []
    monkeypatch.setattr(LivePlot, "refresh", lambda self: calls.append(self))
    _sign_in(qtbot, main_window)
    main_window.show_page(main_window.patients)
    main_window.live._tick()
    assert calls == []
    main_window.show_page(main_window.live)
    main_window.live._tick()
    assert len(calls) == 1


def test_connected_real_ports_are_offered_at_the_next_start(tmp_path, sim_rig) -> None:  # noqa: ANN001
    """Only real ports are remembered: a simulator's pty is throwaway."""
    from clinic import settings
    from devices.device import Device
    from ui.context import Workstation
    from ui.window_app import remember_ports

    ws = Workstation.open(str(tmp_path))
    dev = Device(sim_rig.emg_path, stream_id="emg")
    dev.open()
    try:
        remember_ports(ws, [dev])  # simulated: nothing stored
        assert settings.load(ws.data_dir.settings_file).last_port_emg == ""
        object.__setattr__(dev.info, "simulated", False)  # as if a real amplifier answered on this port
        remember_ports(ws, [dev])
        assert settings.load(ws.data_dir.settings_file).last_port_emg == sim_rig.emg_path
    finally:
        dev.close()
        ws.close()
