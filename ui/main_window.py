"""The workstation window: sign-in first; then live signals, patients and device set-up.

Sample data never travels through Qt signals: the live plots pull from ring buffers on a GUI timer.
Device state changes arrive from reader threads and are handed to the GUI thread with a queued signal.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from sqlalchemy.orm import Session, sessionmaker

from clinic.records.security import Actor
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.live import LiveEnvelope
from devices.device import Device
from devices.errors import DeviceError
from ui.about import add_help_menu
from ui.devices_page import DevicesPage
from ui.live_plot import LivePlot
from ui.patients_page import PatientsPage


class FirstAdminPage(QtWidgets.QWidget):
    """First start on an empty database: create the first administrator (like `glutelab db init-admin`)."""

    created = QtCore.Signal(str)

    def __init__(self, create_admin, parent: QtWidgets.QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._create_admin = create_admin
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
        self.message = QtWidgets.QLabel("", wordWrap=True)
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
        try:
            self._create_admin(self.username.text().strip(), self.password.text())
        except (ValueError, PermissionError) as exc:  # weak password, or the database has users by now
            self.message.setText(str(exc))
            return
        self.password.clear()
        self.repeat.clear()
        self.created.emit(self.username.text().strip())


class SignInPage(QtWidgets.QWidget):
    signed_in = QtCore.Signal(object)

    def __init__(self, authenticate, parent: QtWidgets.QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._authenticate = authenticate
        form = QtWidgets.QFormLayout()
        self.username = QtWidgets.QLineEdit(objectName="username")
        self.password = QtWidgets.QLineEdit(objectName="password")
        self.password.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        self.message = QtWidgets.QLabel("", objectName="signInMessage")
        self.button = QtWidgets.QPushButton("Sign in", objectName="signInButton")
        self.button.clicked.connect(self._try)
        self.password.returnPressed.connect(self._try)
        box = QtWidgets.QVBoxLayout(self)
        box.addStretch(1)
        title = QtWidgets.QLabel("<h2>GluteLab</h2>Sign in to see patients and record sessions.")
        box.addWidget(title, alignment=QtCore.Qt.AlignmentFlag.AlignHCenter)
        box.addLayout(form)
        box.addWidget(self.button)
        box.addWidget(self.message)
        box.addStretch(2)

    def _try(self) -> None:
        try:
            actor = self._authenticate(self.username.text().strip(), self.password.text())
        except PermissionError as exc:
            self.message.setText(str(exc))
            self.password.clear()
            return
        self.password.clear()
        self.message.clear()
        self.signed_in.emit(actor)


class LivePage(QtWidgets.QWidget):
    """EMG envelopes (the live question: which muscle fires first) and the plate's load cells."""

    state_changed = QtCore.Signal(str, str)

    def __init__(self, devices: list[Device], conditioning: ConditioningSettings,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.devices = devices
        self.plots: list[LivePlot] = []
        self.envelopes: list[LiveEnvelope] = []
        layout = QtWidgets.QVBoxLayout(self)
        self.status = QtWidgets.QLabel("", objectName="deviceStatus")
        layout.addWidget(self.status)
        if not devices:
            layout.addWidget(QtWidgets.QLabel("No device connected. Open Devices to choose the EMG amplifier "
                                              "and force plate ports, or the simulator."))
        for dev in devices:
            assert dev.info is not None and dev.ring is not None
            info = dev.info
            tag = " - SIMULATED" if info.simulated else ""
            layout.addWidget(QtWidgets.QLabel(f"<b>{info.model}</b> ({info.serial}) on {dev.port_name}{tag}"))
            if info.kind == "emg":
                env = LiveEnvelope(dev.ring, info.sample_rate_hz, settings=conditioning)
                self.envelopes.append(env)
                plot = LivePlot(env.ring, info.sample_rate_hz, info.channel_names, f"{info.units} envelope")
            else:
                plot = LivePlot(dev.ring, info.sample_rate_hz, info.channel_names, info.units)
            layout.addWidget(plot, stretch=3 if info.kind == "emg" else 1)
            self.plots.append(plot)
            dev.on_state(self._state_sink)
        self.state_changed.connect(self._show_state)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(33)
        self.timer.timeout.connect(self._tick)

    def _state_sink(self, state: str, message: str) -> None:
        self.state_changed.emit(state, message)  # from reader threads: queued to the GUI thread

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def detach(self) -> None:
        """Stop listening to the devices (before this page is deleted: they may outlive it)."""
        self.stop()
        for dev in self.devices:
            dev.off_state(self._state_sink)

    def _tick(self) -> None:
        for env in self.envelopes:
            env.update()
        for plot in self.plots:
            if plot.isVisible():  # behind another tab or the lock page nothing is drawn: skip the work
                plot.refresh()

    @QtCore.Slot(str, str)
    def _show_state(self, state: str, message: str) -> None:
        self.status.setText(message)

    @property
    def frames(self) -> int:
        return sum(p.frames for p in self.plots)


class LockPage(QtWidgets.QWidget):
    """Shown after the idle time: hides patient data; recording and live capture go on behind it."""

    unlocked = QtCore.Signal()

    def __init__(self, verify, parent: QtWidgets.QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._verify = verify
        self.username = ""
        self.label = QtWidgets.QLabel("", objectName="lockLabel")
        self.password = QtWidgets.QLineEdit(objectName="unlockPassword")
        self.password.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.message = QtWidgets.QLabel("")
        button = QtWidgets.QPushButton("Unlock", objectName="unlockButton")
        button.clicked.connect(self._try)
        self.password.returnPressed.connect(self._try)
        box = QtWidgets.QVBoxLayout(self)
        box.addStretch(1)
        for w in (self.label, self.password, button, self.message):
            box.addWidget(w)
        box.addStretch(2)

    def lock_for(self, username: str) -> None:
        self.username = username
        self.label.setText(f"<h3>Locked</h3>The workstation locked itself after a period of inactivity. "
                           f"{username}, enter your password to continue; any recording goes on meanwhile.")
        self.password.clear()
        self.message.clear()

    def _try(self) -> None:
        try:
            self._verify(self.username, self.password.text())
        except PermissionError as exc:
            self.message.setText(str(exc))
            self.password.clear()
            return
        self.password.clear()
        self.unlocked.emit()


class MainWindow(QtWidgets.QMainWindow):
    devices_changed = QtCore.Signal(list)

    def __init__(self, factory: sessionmaker[Session], authenticate, devices: list[Device],  # noqa: ANN001
                 title_suffix: str = "", idle_lock_minutes: float = 10.0,
                 create_first_admin=None, *,  # noqa: ANN001
                 conditioning: ConditioningSettings) -> None:
        super().__init__()
        self.setWindowTitle(f"GluteLab{title_suffix}")
        self.resize(1280, 800)
        self.actor: Actor | None = None
        self.conditioning = conditioning  # the clinic's mains frequency for the live envelopes
        self.stack = QtWidgets.QStackedWidget()
        self.sign_in = SignInPage(authenticate)
        self.lock_page = LockPage(authenticate)
        self.tabs = QtWidgets.QTabWidget(objectName="mainTabs")
        self.live = LivePage(devices, self.conditioning)
        self.patients = PatientsPage(factory)
        self.devices_page = DevicesPage()
        self.tabs.addTab(self.live, "Live")
        self.tabs.addTab(self.patients, "Patients")
        self.tabs.addTab(self.devices_page, "Devices")
        if not devices:
            self.tabs.setCurrentWidget(self.devices_page)
        for page in (self.sign_in, self.tabs, self.lock_page):
            self.stack.addWidget(page)
        self.first_admin: FirstAdminPage | None = None
        if create_first_admin is not None:
            self.first_admin = FirstAdminPage(create_first_admin)
            self.stack.addWidget(self.first_admin)
            self.stack.setCurrentWidget(self.first_admin)
            self.first_admin.created.connect(self._admin_created)
        self.setCentralWidget(self.stack)
        self.sign_in.signed_in.connect(self.on_signed_in)
        self.lock_page.unlocked.connect(self.unlock)
        self.devices_page.connected.connect(self.set_devices)
        self.statusBar().showMessage("Not signed in")
        self.about_action = add_help_menu(self, factory)
        self.idle_lock_enabled = idle_lock_minutes > 0  # 0 = never lock (a clinic setting)
        self.idle_timer = QtCore.QTimer(self, singleShot=True)
        self.idle_timer.setInterval(max(1, int(idle_lock_minutes * 60_000)))
        self.idle_timer.timeout.connect(self.lock)
        QtWidgets.QApplication.instance().installEventFilter(self)
        self.live.start()

    @QtCore.Slot(str)
    def _admin_created(self, username: str) -> None:
        self.sign_in.username.setText(username)
        self.sign_in.message.setText(f"Administrator {username} created. Sign in.")
        self.stack.setCurrentWidget(self.sign_in)

    def show_notice(self, text: str) -> None:
        """A lasting notice in the status bar (e.g. recordings recovered after a crash)."""
        label = QtWidgets.QLabel(text, objectName="notice")
        self.statusBar().addPermanentWidget(label)

    _ACTIVITY = (QtCore.QEvent.Type.KeyPress, QtCore.QEvent.Type.MouseButtonPress,
                 QtCore.QEvent.Type.MouseMove, QtCore.QEvent.Type.Wheel)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in self._ACTIVITY and self.actor is not None and self.idle_timer.isActive():
            self.idle_timer.start()
        return False

    @QtCore.Slot(object)
    def on_signed_in(self, actor: Actor) -> None:
        self.actor = actor
        self.patients.set_actor(actor)
        self.stack.setCurrentWidget(self.tabs)
        self.statusBar().showMessage(f"Signed in as {actor.username} ({actor.role})")
        if self.idle_lock_enabled:
            self.idle_timer.start()

    def lock(self) -> None:
        """Hide patient data after the idle time; never stops a recording; unlocks to the same screen."""
        if self.actor is None:
            return
        self.lock_page.lock_for(self.actor.username)
        self.patients.clear()
        self.stack.setCurrentWidget(self.lock_page)
        self.statusBar().showMessage("Locked")

    def unlock(self) -> None:
        assert self.actor is not None
        self.patients.refresh()
        self.stack.setCurrentWidget(self.tabs)
        self.statusBar().showMessage(f"Signed in as {self.actor.username} ({self.actor.role})")
        if self.idle_lock_enabled:
            self.idle_timer.start()

    @QtCore.Slot(list)
    def set_devices(self, devices: list[Device]) -> None:
        """Replace the live page with one for the newly connected devices (closing the replaced ones) and
        start streaming."""
        index = self.tabs.indexOf(self.live)
        self.live.detach()
        for dev in self.live.devices:  # the replaced devices: nobody shows them any more; free their ports
            if dev not in devices:
                dev.close()
        self.tabs.removeTab(index)
        self.live.deleteLater()
        self.live = LivePage(devices, self.conditioning)
        self.tabs.insertTab(index, self.live, "Live")
        for dev in devices:
            try:
                dev.start()
            except (DeviceError, OSError) as exc:  # e.g. the port vanished since it was opened
                self.live.status.setText(f"{dev.port_name} could not start streaming: {exc}")
        self.live.start()
        self.tabs.setCurrentWidget(self.live)
        self.devices_changed.emit(devices)

    def sign_out(self) -> None:
        self.actor = None
        self.idle_timer.stop()
        self.patients.set_actor(None)
        self.stack.setCurrentWidget(self.sign_in)
        self.statusBar().showMessage("Not signed in")
