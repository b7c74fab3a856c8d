"""Device set-up for today's session: the ports (from discovery, typed, or the simulator) and their protocols,
then per EMG channel a muscle and side or "unused", shown on the body picture, with a quality light per
channel once the stream runs. The map may be kept as the amplifier's default; it can be changed per session.

Connecting (handshake, database) and applying the map (an audited write) run on workers.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from clinic.channel_map import MUSCLE_SIDES, UNUSED, ChannelMap, ChannelMapError
from clinic.usecases.runner import DeviceSpec, SessionRunner
from devices.protocols import registry
from ui.pages.body_map import BodyMap
from ui.pages.ports import offer_ports
from ui.pages.quality_lights import QualityLights, QualityPoller
from ui.session_host import SessionHost

CHOICES = (UNUSED, *MUSCLE_SIDES)
#: starts a simulated rig speaking ``protocol``; returns its (EMG port, plate port)
SimulatorStarter = Callable[[str], tuple[str, str]]


class SessionSetupPage(QtWidgets.QWidget):
    calibrate = QtCore.Signal()  # the map is applied; calibration may begin
    skip_calibration = QtCore.Signal()

    def __init__(self, host: SessionHost, start_simulator: SimulatorStarter | None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.start_simulator = start_simulator
        self.title = QtWidgets.QLabel("<h3>Device set-up</h3>", objectName="setupTitle")
        self.emg_port = QtWidgets.QComboBox(editable=True, objectName="setupEmgPort")
        self.plate_port = QtWidgets.QComboBox(editable=True, objectName="setupPlatePort")
        self.emg_protocol = QtWidgets.QComboBox(objectName="setupEmgProtocol")
        self.plate_protocol = QtWidgets.QComboBox(objectName="setupPlateProtocol")
        for combo in (self.emg_protocol, self.plate_protocol):
            combo.addItems(registry.names())
            combo.setCurrentText("glutelab")
        ports = QtWidgets.QFormLayout()
        ports.addRow("EMG amplifier port", self.emg_port)
        ports.addRow("EMG protocol", self.emg_protocol)
        ports.addRow("Force plate port", self.plate_port)
        ports.addRow("Plate protocol", self.plate_protocol)
        self.refresh_button = QtWidgets.QPushButton("Refresh ports")
        self.simulator_button = QtWidgets.QPushButton("Use the simulator", objectName="setupSimulatorButton")
        self.simulator_button.setEnabled(start_simulator is not None)
        self.connect_button = QtWidgets.QPushButton("Connect", objectName="setupConnectButton")
        self.refresh_button.clicked.connect(self.refresh_ports)
        self.simulator_button.clicked.connect(self._use_simulator)
        self.connect_button.clicked.connect(self.connect_devices)
        row = QtWidgets.QHBoxLayout()
        for b in (self.refresh_button, self.simulator_button, self.connect_button):
            row.addWidget(b)
        self.device_line = QtWidgets.QLabel("", objectName="setupDevices", wordWrap=True)
        self.channels = QtWidgets.QGridLayout()
        self.combos: dict[str, QtWidgets.QComboBox] = {}
        self.channel_errors: dict[str, QtWidgets.QLabel] = {}
        self.keep_default = QtWidgets.QCheckBox("Keep this map as the amplifier's default",
                                                objectName="keepMapDefault")
        self.keep_default.setChecked(True)
        self.calibrate_button = QtWidgets.QPushButton("Calibrate", objectName="calibrateButton")
        self.skip_button = QtWidgets.QPushButton("Skip calibration (amplitudes in microvolts)",
                                                 objectName="skipCalibrationButton")
        self.calibrate_button.clicked.connect(lambda: self._apply(self.calibrate))
        self.skip_button.clicked.connect(lambda: self._apply(self.skip_calibration))
        self.message = QtWidgets.QLabel("", objectName="setupMessage", wordWrap=True,
                                        styleSheet="color: #b00020")
        self.body = BodyMap()
        self.lights = QualityLights()
        self.quality = QualityPoller(self.lights, host.env.workers, host.env.conditioning)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.title)
        left.addLayout(ports)
        left.addLayout(row)
        left.addWidget(self.device_line)
        left.addWidget(QtWidgets.QLabel("<b>Channels</b>: a muscle and side for each, or unused"))
        left.addLayout(self.channels)
        left.addWidget(self.keep_default)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.calibrate_button)
        buttons.addWidget(self.skip_button)
        left.addLayout(buttons)
        left.addWidget(self.message)
        left.addWidget(QtWidgets.QLabel("<b>Signal quality</b> (live once the stream runs)"))
        left.addWidget(self.lights)
        left.addStretch(1)
        layout = QtWidgets.QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addWidget(self.body, 2)
        self._set_connected(False)

    # -- ports ---------------------------------------------------------------------------------------------
    def start(self, patient_label: str) -> None:
        self.title.setText(f"<h3>Device set-up</h3>Session of {patient_label}")
        self.message.clear()
        self.device_line.clear()
        self._fill_channels([], ChannelMap())
        self._set_connected(False)
        self.refresh_ports()

    def refresh_ports(self) -> None:
        offer_ports((self.emg_port, self.plate_port))

    def _use_simulator(self) -> None:
        assert self.start_simulator is not None
        self.simulator_button.setEnabled(False)
        self.message.setText("Starting the simulator ...")
        self.host.env.workers.submit(self.start_simulator, self.emg_protocol.currentText(),
                                     on_done=self._simulator_ready, on_error=self._failed, name="simulator")

    def _simulator_ready(self, ports: tuple[str, str]) -> None:
        self.simulator_button.setEnabled(True)
        self.message.clear()
        self.emg_port.setCurrentText(ports[0])
        self.plate_port.setCurrentText(ports[1])
        self.device_line.setText("Simulated devices: recordings are marked SIMULATED.")

    def connect_devices(self) -> None:
        runner = self.host.runner
        assert runner is not None
        emg, plate = self.emg_port.currentText().strip(), self.plate_port.currentText().strip()
        if not emg and not plate:
            self.message.setText("Enter at least one port, or use the simulator.")
            return
        self.connect_button.setEnabled(False)
        self.message.setText("Connecting ...")
        self.host.run(runner.set_up, self.host.patient_id,
                      DeviceSpec(emg, self.emg_protocol.currentText(), "emg") if emg else None,
                      DeviceSpec(plate, self.plate_protocol.currentText(), "plate") if plate else None,
                      on_done=lambda _: self._connected(runner), on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.connect_button.setEnabled(self.host.runner is not None and self.host.state.value == "idle")
        self.simulator_button.setEnabled(self.start_simulator is not None)
        self.message.setText(str(exc))

    def _connected(self, runner: SessionRunner) -> None:
        # the runner's notes are worded for the command line; here the channel table below is the answer
        self.message.setText("" if runner.channel_map else
                             "This amplifier has no default map yet: choose a muscle and side for each channel.")
        self.device_line.setText("Connected: " + device_line(runner))
        emg = runner.devices.get("emg")
        names = list(emg.info.channel_names) if emg is not None and emg.info is not None else []
        self._fill_channels(names, runner.channel_map)
        self._set_connected(True)
        if emg is not None:
            self.quality.watch(emg, names)

    # -- the channel map -----------------------------------------------------------------------------------
    def _fill_channels(self, names: list[str], cmap: ChannelMap) -> None:
        while self.channels.count():
            item = self.channels.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.combos.clear()
        self.channel_errors.clear()
        current = cmap.as_dict()
        for row, name in enumerate(names):
            combo = QtWidgets.QComboBox(objectName=f"map_{name}")
            combo.addItems(CHOICES)
            combo.setCurrentText(current.get(name, name if name in MUSCLE_SIDES else UNUSED))
            combo.currentTextChanged.connect(self._map_changed)
            error = QtWidgets.QLabel("", objectName=f"mapError_{name}", styleSheet="color: #b00020")
            self.channels.addWidget(QtWidgets.QLabel(name), row, 0)
            self.channels.addWidget(combo, row, 1)
            self.channels.addWidget(error, row, 2)
            self.combos[name], self.channel_errors[name] = combo, error
        self._map_changed()

    def set_map(self, targets: dict[str, str]) -> None:
        """Choose muscles for several channels at once (e.g. ``{"ch1": "glute_max_left"}``); others unused."""
        for name, combo in self.combos.items():
            combo.setCurrentText(targets.get(name, UNUSED))

    def _map_changed(self) -> None:
        for label in self.channel_errors.values():
            label.clear()
        self.body.show_map({t: c for c, t in self._pairs() if t != UNUSED})

    def _pairs(self) -> list[tuple[str, str]]:
        return [(name, combo.currentText()) for name, combo in self.combos.items()]

    def chosen_map(self) -> ChannelMap:
        """The map on screen; ``ChannelMapError`` (shown at the channel at fault) when it is not valid."""
        try:
            return ChannelMap.from_pairs(self._pairs())
        except ChannelMapError as exc:
            text = str(exc)
            at_fault = [n for n in self.combos if f"and {n})" in text or f"{n} " in text.split("(")[0]]
            label = self.channel_errors.get(at_fault[-1] if at_fault else "", None)
            if label is not None:
                label.setText(text)
            self.message.setText(text)
            raise

    def _apply(self, then: QtCore.SignalInstance) -> None:
        runner = self.host.runner
        if runner is None:
            return
        try:
            cmap = self.chosen_map()
        except ChannelMapError:
            return  # shown at the channel; nothing stored
        self._set_connected(False)
        self.message.setText("Saving the map ...")
        self.host.run(runner.change_map, cmap, self.keep_default.isChecked(),
                      on_done=lambda _: self._applied(then), on_error=self._apply_failed)

    def _apply_failed(self, exc: BaseException) -> None:
        self._set_connected(True)
        self.message.setText(str(exc))

    def _applied(self, then: QtCore.SignalInstance) -> None:
        self._set_connected(True)
        self.message.clear()
        then.emit()

    def _set_connected(self, connected: bool) -> None:
        self.connect_button.setEnabled(not connected)
        for w in (self.calibrate_button, self.skip_button, self.keep_default):
            w.setEnabled(connected)

    def stop(self) -> None:
        self.quality.stop()


def device_line(runner: SessionRunner) -> str:
    return "; ".join(f"{kind}: {d.info.model} ({d.info.serial})" + (" SIMULATED" if d.info.simulated else "")
                     for kind, d in runner.devices.items() if d.info is not None)
