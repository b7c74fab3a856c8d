"""Devices for the live view: choose the EMG amplifier and force plate ports (or the simulator) and connect.

Opening a port and the handshake run on a worker (``ui.worker``), so a device that does not answer never
freezes the window. A patient's session sets up its devices on its own page (``ui.pages.session_setup``).
"""

from __future__ import annotations

import logging

from PySide6 import QtCore, QtWidgets

from devices.device import Device
from devices.errors import DeviceError
from devices.protocols import registry
from ui.pages.ports import offer_ports
from ui.worker import Workers

log = logging.getLogger(__name__)


class DevicesPage(QtWidgets.QWidget):
    connected = QtCore.Signal(list)  # list[Device]
    simulator_requested = QtCore.Signal()

    def __init__(self, workers: Workers, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._workers = workers
        form = QtWidgets.QFormLayout()
        self.emg_port = QtWidgets.QComboBox(editable=True, objectName="emgPort")
        self.plate_port = QtWidgets.QComboBox(editable=True, objectName="platePort")
        self.emg_protocol = QtWidgets.QComboBox(objectName="emgProtocol")
        self.plate_protocol = QtWidgets.QComboBox(objectName="plateProtocol")
        for combo in (self.emg_protocol, self.plate_protocol):
            combo.addItems(registry.names())
            combo.setCurrentText("glutelab")
        form.addRow("EMG amplifier port", self.emg_port)
        form.addRow("EMG protocol", self.emg_protocol)
        form.addRow("Force plate port", self.plate_port)
        form.addRow("Plate protocol", self.plate_protocol)
        self.refresh_button = QtWidgets.QPushButton("Refresh ports")
        self.connect_button = QtWidgets.QPushButton("Connect", objectName="connectButton")
        self.simulator_button = QtWidgets.QPushButton("Use the simulator (recordings are marked SIMULATED)",
                                                      objectName="simulatorButton")
        self.message = QtWidgets.QLabel("", objectName="devicesMessage", wordWrap=True)
        buttons = QtWidgets.QHBoxLayout()
        for b in (self.refresh_button, self.connect_button, self.simulator_button):
            buttons.addWidget(b)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("<h3>Devices</h3>Choose the ports of the EMG amplifier and the force "
                                          "plate. Leave a port empty to use only the other device."))
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.refresh_button.clicked.connect(self.refresh_ports)
        self.connect_button.clicked.connect(self.connect_devices)
        self.simulator_button.clicked.connect(self.simulator_requested)
        self.refresh_ports()

    def refresh_ports(self) -> None:
        offer_ports((self.emg_port, self.plate_port))

    def connect_devices(self) -> None:
        specs = [(self.emg_port.currentText().strip(), self.emg_protocol.currentText(), "emg"),
                 (self.plate_port.currentText().strip(), self.plate_protocol.currentText(), "plate")]
        specs = [s for s in specs if s[0]]
        if not specs:
            self.message.setText("Enter at least one port, or use the simulator.")
            return
        self.connect_button.setEnabled(False)
        self.message.setText("Connecting ...")
        self._workers.submit(self._open_all, specs, on_done=lambda result: self._on_result(*result),
                             name="connect devices")

    @staticmethod
    def _open_all(specs: list[tuple[str, str, str]]) -> tuple[list[Device] | None, str]:
        opened: list[Device] = []
        try:
            for port, protocol, stream_id in specs:
                dev = Device(port, protocol, stream_id=stream_id)
                dev.open()
                opened.append(dev)
        except Exception as exc:  # noqa: BLE001 - any failure must re-enable Connect and free the ports
            for dev in opened:
                dev.close()
            if not isinstance(exc, (DeviceError, ValueError)):
                log.exception("connecting %s failed", ", ".join(s[0] for s in specs))
                exc = DeviceError(f"Could not connect: {exc} (details in the log file)")
            return None, str(exc)
        return opened, ""

    def _on_result(self, devices: list[Device] | None, error: str) -> None:
        self.connect_button.setEnabled(True)
        if devices is None:
            self.message.setText(error)
            return
        self.message.setText("Connected: " + ", ".join(f"{d.info.model} on {d.port_name}" for d in devices
                                                       if d.info is not None))
        self.connected.emit(devices)
