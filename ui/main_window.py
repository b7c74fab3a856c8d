"""The workstation window: sign-in first; then live signals, patients and device set-up.

Sample data never travels through Qt signals: the live plots pull from ring buffers on a GUI timer.
Device state changes arrive from reader threads and are handed to the GUI thread with a queued signal.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from sqlalchemy.orm import Session, sessionmaker

from clinic.records.db import unit_of_work
from clinic.records.patients import search_patients
from clinic.records.security import Actor
from clinic.signals.live import LiveEnvelope
from devices.device import Device
from ui.live_plot import LivePlot


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


class PatientsPage(QtWidgets.QWidget):
    def __init__(self, factory: sessionmaker[Session], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.factory = factory
        self.actor: Actor | None = None
        self.search = QtWidgets.QLineEdit(placeholderText="Search by family name", objectName="patientSearch")
        self.table = QtWidgets.QTableWidget(0, 4, objectName="patientTable")
        self.table.setHorizontalHeaderLabels(["MRN", "Name", "Born", "Episodes"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        self.search.textChanged.connect(self.refresh)

    def set_actor(self, actor: Actor | None) -> None:
        self.actor = actor
        self.refresh()

    def refresh(self) -> None:
        self.table.setRowCount(0)
        if self.actor is None:
            return
        with unit_of_work(self.factory) as s:
            rows = [(p.mrn, p.display_name, p.birth_date.isoformat(), str(len(p.episodes)))
                    for p in search_patients(s, self.actor, self.search.text())]
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(value))


class LivePage(QtWidgets.QWidget):
    """EMG envelopes (the live question: which muscle fires first) and the plate's load cells."""

    state_changed = QtCore.Signal(str, str)

    def __init__(self, devices: list[Device], parent: QtWidgets.QWidget | None = None) -> None:
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
                env = LiveEnvelope(dev.ring, info.sample_rate_hz)
                self.envelopes.append(env)
                plot = LivePlot(env.ring, info.sample_rate_hz, info.channel_names, f"{info.units} envelope")
            else:
                plot = LivePlot(dev.ring, info.sample_rate_hz, info.channel_names, info.units)
            layout.addWidget(plot, stretch=3 if info.kind == "emg" else 1)
            self.plots.append(plot)
            dev.on_state(lambda state, msg: self.state_changed.emit(state, msg))  # queued to the GUI thread
        self.state_changed.connect(self._show_state)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(33)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        for env in self.envelopes:
            env.update()
        for plot in self.plots:
            plot.refresh()

    @QtCore.Slot(str, str)
    def _show_state(self, state: str, message: str) -> None:
        self.status.setText(message)

    @property
    def frames(self) -> int:
        return sum(p.frames for p in self.plots)


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, factory: sessionmaker[Session], authenticate, devices: list[Device],  # noqa: ANN001
                 title_suffix: str = "") -> None:
        super().__init__()
        self.setWindowTitle(f"GluteLab{title_suffix}")
        self.resize(1280, 800)
        self.actor: Actor | None = None
        self.stack = QtWidgets.QStackedWidget()
        self.sign_in = SignInPage(authenticate)
        self.tabs = QtWidgets.QTabWidget(objectName="mainTabs")
        self.live = LivePage(devices)
        self.patients = PatientsPage(factory)
        self.tabs.addTab(self.live, "Live")
        self.tabs.addTab(self.patients, "Patients")
        self.stack.addWidget(self.sign_in)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)
        self.sign_in.signed_in.connect(self.on_signed_in)
        self.statusBar().showMessage("Not signed in")
        self.live.start()

    @QtCore.Slot(object)
    def on_signed_in(self, actor: Actor) -> None:
        self.actor = actor
        self.patients.set_actor(actor)
        self.stack.setCurrentWidget(self.tabs)
        self.statusBar().showMessage(f"Signed in as {actor.username} ({actor.role})")

    def sign_out(self) -> None:
        self.actor = None
        self.patients.set_actor(None)
        self.stack.setCurrentWidget(self.sign_in)
        self.statusBar().showMessage("Not signed in")
