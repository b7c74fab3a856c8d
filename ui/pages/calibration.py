"""The calibration wizard: rest, then each mapped muscle's MVC, with the instruction for its test position, a
level meter during the effort, and Start / Finish / Repeat / Skip for any step. The results are shown and,
on "Store", kept with today's session; an MVC not above its rest is refused there and nothing is stored.

Measuring a step (filtering the capture) and storing run on workers.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from clinic.usecases.calibration import CalibrationError, CalibrationStep, StepResult
from ui.pages.quality_lights import QualityLights, QualityPoller
from ui.session_host import SessionHost


class CalibrationPage(QtWidgets.QWidget):
    finished = QtCore.Signal()  # stored, or skipped: the session screen comes next

    def __init__(self, host: SessionHost, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.steps: list[CalibrationStep] = []
        self.current = 0
        self.running = False
        self.step_list = QtWidgets.QListWidget(objectName="calibrationSteps")
        self.step_list.currentRowChanged.connect(self._choose)
        self.instruction = QtWidgets.QLabel("", objectName="calibrationInstruction", wordWrap=True)
        self.meter = QtWidgets.QProgressBar(objectName="levelMeter")
        self.meter.setRange(0, 100)
        self.meter.setFormat("%v")
        self.meter_label = QtWidgets.QLabel("", objectName="levelLabel")
        self.start_button = QtWidgets.QPushButton("Start step", objectName="startStepButton")
        self.finish_button = QtWidgets.QPushButton("Finish step", objectName="finishStepButton")
        self.skip_button = QtWidgets.QPushButton("Skip step", objectName="skipStepButton")
        self.store_button = QtWidgets.QPushButton("Store calibration", objectName="storeCalibrationButton")
        self.skip_all_button = QtWidgets.QPushButton("Skip calibration", objectName="skipAllButton")
        self.start_button.clicked.connect(self.start_step)
        self.finish_button.clicked.connect(self.finish_step)
        self.skip_button.clicked.connect(self.skip_step)
        self.store_button.clicked.connect(self.store)
        self.skip_all_button.clicked.connect(self.skip_all)
        self.message = QtWidgets.QLabel("", objectName="calibrationMessage", wordWrap=True,
                                        styleSheet="color: #b00020")
        self.lights = QualityLights()
        self.quality = QualityPoller(self.lights, host.env.workers, host.env.conditioning)
        right = QtWidgets.QVBoxLayout()
        right.addWidget(QtWidgets.QLabel("<h3>Calibration</h3>Rest first, then each muscle's maximal effort. "
                                         "Repeat a step by starting it again."))
        right.addWidget(self.instruction)
        right.addWidget(QtWidgets.QLabel("Level (envelope, uV)"))
        right.addWidget(self.meter)
        right.addWidget(self.meter_label)
        row = QtWidgets.QHBoxLayout()
        for b in (self.start_button, self.finish_button, self.skip_button):
            row.addWidget(b)
        right.addLayout(row)
        row2 = QtWidgets.QHBoxLayout()
        row2.addWidget(self.store_button)
        row2.addWidget(self.skip_all_button)
        right.addLayout(row2)
        right.addWidget(self.message)
        right.addWidget(self.lights)
        right.addStretch(1)
        layout = QtWidgets.QHBoxLayout(self)
        layout.addWidget(self.step_list, 1)
        layout.addLayout(right, 2)
        host.polled.connect(self._update_meter)
        self._peak = 1.0

    def begin(self) -> None:
        runner = self.host.runner
        assert runner is not None
        self.steps = runner.begin_calibration()
        self.step_list.clear()
        for step in self.steps:
            self.step_list.addItem(f"{step.name}: to do")
        self.message.clear()
        self.running = False
        self._peak = 1.0
        self.step_list.setCurrentRow(0)
        self._buttons()
        emg = runner.devices.get("emg")
        if emg is not None:
            self.quality.watch(emg, runner.labels())

    def _choose(self, row: int) -> None:
        if 0 <= row < len(self.steps) and not self.running:
            self.current = row
            self.instruction.setText(f"<b>{self.steps[row].name}</b>: {self.steps[row].instruction}")
            self._peak = 1.0

    def _buttons(self) -> None:
        self.start_button.setEnabled(not self.running)
        self.finish_button.setEnabled(self.running)
        self.skip_button.setEnabled(not self.running)
        self.store_button.setEnabled(not self.running)
        self.step_list.setEnabled(not self.running)

    @property
    def step(self) -> CalibrationStep:
        return self.steps[self.current]

    def start_step(self) -> None:
        runner = self.host.runner
        assert runner is not None
        runner.start_step(self.step)
        self.running = True
        self.message.clear()
        self.step_list.item(self.current).setText(f"{self.step.name}: running ...")
        self._buttons()

    def finish_step(self) -> None:
        runner = self.host.runner
        assert runner is not None
        self.running = False
        self.finish_button.setEnabled(False)
        index = self.current
        self.host.run(runner.finish_step, exclusive=False, on_done=lambda r: self._measured(index, r),
                      on_error=self._failed)

    def _measured(self, index: int, result: StepResult) -> None:
        levels = ", ".join(f"{k} {v:.1f} uV" for k, v in result.levels_uv.items()) if result.step.muscle else \
            f"{len(result.levels_uv)} channels at rest, highest {max(result.levels_uv.values(), default=0):.1f} uV"
        self.step_list.item(index).setText(f"{result.step.name}: {levels}")
        if index + 1 < len(self.steps):
            self.step_list.setCurrentRow(index + 1)
        self._buttons()

    def skip_step(self) -> None:
        runner = self.host.runner
        assert runner is not None
        runner.skip_step(self.step)
        self.step_list.item(self.current).setText(f"{self.step.name}: skipped")
        if self.current + 1 < len(self.steps):
            self.step_list.setCurrentRow(self.current + 1)

    def store(self) -> None:
        runner = self.host.runner
        assert runner is not None
        self.store_button.setEnabled(False)
        self.message.setText("Storing ...")
        self.host.run(runner.finish_calibration, on_done=self._stored, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self._buttons()
        if isinstance(exc, CalibrationError):
            text = f"{exc}. Nothing was stored."
            for i, step in enumerate(self.steps):
                if step.muscle and step.muscle in str(exc):
                    self.step_list.item(i).setText(f"{step.name}: {exc}")
                    self.step_list.setCurrentRow(i)
            self.message.setText(text)
            return
        self.message.setText(str(exc))

    def _stored(self, muscles: dict[str, tuple[float, float]]) -> None:
        self.message.setText("Stored: " + ", ".join(f"{m} MVC {mvc:.0f} uV (rest {base:.1f})"
                                                    for m, (base, mvc) in muscles.items()))
        self.quality.stop()
        self.finished.emit()

    def skip_all(self) -> None:
        runner = self.host.runner
        assert runner is not None
        runner.skip_calibration()
        self.quality.stop()
        self.finished.emit()

    def _update_meter(self) -> None:
        """The envelope of the step's muscle over the last quarter second (rest: the loudest channel)."""
        runner = self.host.runner
        if runner is None or not self.isVisible() or not self.steps:
            return
        env = runner.envelopes.get("emg")
        if env is None:
            return
        rows, _ = env.ring.latest(max(1, int(0.25 * env.rate_hz)))
        if rows.shape[0] == 0:
            return
        level = np.abs(rows).mean(axis=0)
        labels = runner.labels()
        muscle = self.step.muscle
        value = float(level[labels.index(muscle)]) if muscle in labels else float(level.max())
        self._peak = max(self._peak, value)
        self.meter.setMaximum(max(1, int(self._peak)))
        self.meter.setValue(int(value))
        self.meter_label.setText(f"{value:.1f} uV (peak this step {self._peak:.0f} uV)")
