"""The live view: EMG envelopes (the live question: which muscle fires first) and the plate's load cells.

Sample data never travels through Qt signals: the plots pull from ring buffers on a GUI timer. Device state
changes arrive from reader threads and are handed to the GUI thread with a queued signal.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.live import LiveEnvelope
from devices.device import Device
from ui.live_plot import LivePlot


class LivePage(QtWidgets.QWidget):
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
                                              "and force plate ports, or the simulator; a patient's session "
                                              "sets up its own devices (Session > New session)."))
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
            if plot.isVisible():  # behind another page or the lock page nothing is drawn: skip the work
                plot.refresh()

    @QtCore.Slot(str, str)
    def _show_state(self, state: str, message: str) -> None:
        self.status.setText(message)

    @property
    def frames(self) -> int:
        return sum(p.frames for p in self.plots)
