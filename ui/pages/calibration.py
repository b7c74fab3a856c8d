"""The calibration wizard: rest, then each mapped muscle's MVC, with the instruction for its test position, a
level meter during the effort, and Start / Finish / Repeat / Skip for any step. "Guided" follows the fixed
timetable of ``clinic.usecases.calibration.schedule`` from the start of the stream, cueing each effort with a
countdown and measuring each step on exactly its seconds of signal (what `glutelab calibrate` does headless).
The results are shown and, on "Store", kept with today's session; an MVC not above its rest is refused
there and nothing is stored.

Measuring a step (filtering the capture) and storing run on workers.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from clinic.usecases.calibration import CalibrationError, CalibrationStep, StepResult, TimedStep, schedule
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
        self.guided_button = QtWidgets.QPushButton("Guided: follow the timetable", objectName="guidedButton")
        self.guided_button.clicked.connect(self.start_guided)
        self.cue = QtWidgets.QLabel("", objectName="calibrationCue", styleSheet="font-size: 18px")
        self.timetable: list[TimedStep] = []
        self.guided_next = 0  # the timetable step to measure next
        self._measuring = False
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
        right.addWidget(self.guided_button)
        right.addWidget(self.cue)
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
        host.polled.connect(self._follow_timetable)
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
        self.timetable = []
        self.guided_next = 0
        self.cue.clear()
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
        guided = bool(self.timetable) and self.guided_next < len(self.timetable)
        self.guided_button.setEnabled(not self.running and not guided)
        if guided:
            for b in (self.start_button, self.finish_button, self.skip_button, self.store_button):
                b.setEnabled(False)
            self.step_list.setEnabled(False)
            return
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
        if index + 1 < len(self.steps) and not self.timetable:
            self.step_list.setCurrentRow(index + 1)
        self._buttons()

    def start_guided(self) -> None:
        """Follow the timetable from the start of the stream: each step is measured once its end has passed."""
        runner = self.host.runner
        assert runner is not None
        self.timetable = schedule([s.muscle for s in self.steps if s.muscle is not None])
        self.guided_next = 0
        self.message.clear()
        self._buttons()

    def _follow_timetable(self) -> None:
        runner = self.host.runner
        if runner is None or not self.timetable or self.guided_next >= len(self.timetable):
            return
        now = runner.capture_seconds
        timed = self.timetable[self.guided_next]
        effort = next(((a, b) for a, b in timed.efforts if now < b), None)
        if timed.step.muscle is None:
            self.cue.setText(f"REST: {max(0.0, timed.end_s - now):.0f} s")
        elif effort is not None and now >= effort[0]:
            self.cue.setText(f"PUSH: {timed.step.muscle}, {effort[1] - now:.0f} s")
        elif effort is not None:
            self.cue.setText(f"relax - next effort in {effort[0] - now:.0f} s")
        if self.step_list.currentRow() != self.guided_next:
            self.current = self.guided_next
            self.step_list.setCurrentRow(self.guided_next)
            self._choose(self.guided_next)
        if now < timed.end_s or self._measuring:
            return
        self._measuring = True
        index = self.guided_next
        self.host.run(runner.measure_step, timed.step, timed.start_s, timed.end_s, exclusive=False,
                      on_done=lambda r: self._guided_measured(index, r), on_error=self._guided_failed)

    def _guided_measured(self, index: int, result: StepResult) -> None:
        self._measuring = False
        self.guided_next = index + 1
        if self.guided_next >= len(self.timetable):
            self.cue.setText("Timetable done: check the results, repeat a step if needed, then store.")
        self._measured(index, result)

    def _guided_failed(self, exc: BaseException) -> None:
        self._measuring = False
        self.timetable = []
        self._failed(exc)

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
