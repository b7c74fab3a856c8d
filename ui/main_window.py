"""The workstation window: a slim shell around the screens of ``ui.pages``. It navigates between them, holds the
menus and their actions (every main action has a shortcut: docs/keyboard.md), signs users in and out, locks,
and owns the one worker pool and the session host every page uses.

Nothing here touches the database or a device directly: the pages ask the worker pool (``ui.worker``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets
from sqlalchemy.orm import Session, sessionmaker

from clinic.records.security import Actor
from clinic.settings import Settings
from clinic.signals.conditioning import ConditioningSettings
from clinic.usecases.runner import DeviceFactory, RunnerError, State, serial_devices
from devices.device import Device
from devices.errors import DeviceError
from ui.about import add_help_menu
from ui.pages.calibration import CalibrationPage
from ui.pages.devices import DevicesPage
from ui.pages.env import WindowEnv
from ui.pages.first_admin import FirstAdminPage
from ui.pages.live import LivePage
from ui.pages.lock import LockPage
from ui.pages.patient import PatientPage
from ui.pages.patient_form import PatientForm
from ui.pages.patients import PatientsPage
from ui.pages.session import SessionPage
from ui.pages.session_setup import SessionSetupPage, SimulatorStarter
from ui.pages.sign_in import SignInPage
from ui.pages.users import UsersPage
from ui.session_host import SessionHost
from ui.worker import Workers


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class MainWindow(QtWidgets.QMainWindow):
    devices_changed = QtCore.Signal(list)

    def __init__(self, factory: sessionmaker[Session], authenticate: Callable[[str, str], Actor],
                 devices: list[Device], title_suffix: str = "", idle_lock_minutes: float = 10.0,
                 create_first_admin: Callable[[str, str], None] | None = None, *,
                 conditioning: ConditioningSettings, spool_dir: Path | str,
                 clock: Callable[[], dt.datetime] = utc_now, device_factory: DeviceFactory = serial_devices,
                 start_simulator: SimulatorStarter | None = None, workstation: str | None = None,
                 reports_dir: Path | None = None, settings: Settings | None = None) -> None:
        """``settings``: the clinic's settings.json (for printed reports); without it, a window that only
        knows its ``conditioning`` prints with the default clinic name and thresholds."""
        super().__init__()
        self.setWindowTitle(f"GluteLab{title_suffix}")
        self.resize(1280, 800)
        self.workers = Workers(parent=self)
        self.env = WindowEnv(factory, self.workers, clock, conditioning,
                             settings or Settings(mains_hz=int(conditioning.mains_hz or 50)))
        self.host = SessionHost(self.env, Path(spool_dir), device_factory, workstation, parent=self)
        self.conditioning = conditioning
        self._close_confirmed = False
        self._history: list[QtWidgets.QWidget] = []
        # -- screens
        self.stack = QtWidgets.QStackedWidget()
        self.sign_in = SignInPage(authenticate, self.workers)
        self.lock_page = LockPage(authenticate, self.workers)
        self.pages = QtWidgets.QStackedWidget(objectName="pages")
        self.patients = PatientsPage(self.env)
        self.patient = PatientPage(self.env, reports_dir)
        self.patient_form = PatientForm(self.env)
        self.session_setup = SessionSetupPage(self.host, start_simulator)
        self.calibration = CalibrationPage(self.host)
        self.session = SessionPage(self.host)
        self.live = LivePage(devices, conditioning)
        self.devices_page = DevicesPage(self.workers)
        self.users = UsersPage(self.env)
        for page in (self.patients, self.patient, self.patient_form, self.session_setup, self.calibration,
                     self.session, self.live, self.devices_page, self.users):
            self.pages.addWidget(page)
        for page in (self.sign_in, self.pages, self.lock_page):
            self.stack.addWidget(page)
        self.review = None  # ui.pages.progress_review.ProgressReviewPage, made on first use
        self.first_admin: FirstAdminPage | None = None
        if create_first_admin is not None:
            self.first_admin = FirstAdminPage(create_first_admin, self.workers)
            self.stack.addWidget(self.first_admin)
            self.stack.setCurrentWidget(self.first_admin)
            self.first_admin.created.connect(self._admin_created)
        self.setCentralWidget(self.stack)
        # -- wiring
        self.sign_in.signed_in.connect(self.on_signed_in)
        self.lock_page.unlocked.connect(self.unlock)
        self.devices_page.connected.connect(self.set_devices)
        self.patients.open_patient.connect(self.open_patient)
        self.patients.new_patient.connect(self.new_patient)
        self.patient_form.saved.connect(self.open_patient)
        self.patient_form.cancelled.connect(self.back)
        self.patient.start_session.connect(self.start_session)
        self.patient.edit_patient.connect(self._edit_patient)
        self.session_setup.calibrate.connect(self._calibrate)
        self.session_setup.skip_calibration.connect(self._skip_calibration)
        self.calibration.finished.connect(self._to_session)
        self.session.ended.connect(self._session_ended)
        self.host.state_changed.connect(self._session_state)
        self.workers.busy_changed.connect(self._busy)
        self._build_actions()
        self.about_action = add_help_menu(self, factory)  # Help > About: versions of every component
        self.busy_label = QtWidgets.QLabel("", objectName="busyLabel")
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().showMessage("Not signed in")
        self.idle_lock_enabled = idle_lock_minutes > 0  # 0 = never lock (a clinic setting)
        self.idle_timer = QtCore.QTimer(self, singleShot=True)
        self.idle_timer.setInterval(max(1, int(idle_lock_minutes * 60_000)))
        self.idle_timer.timeout.connect(self.lock)
        QtWidgets.QApplication.instance().installEventFilter(self)
        self._set_signed_in_actions(False)
        self.pages.setCurrentWidget(self.patients)
        self.live.start()
        QtCore.QTimer.singleShot(0, self.sign_in.focus)

    # -- menus and actions --------------------------------------------------------------------------------
    def _action(self, menu: QtWidgets.QMenu, text: str, keys: str | QtGui.QKeySequence.StandardKey,
                slot: Callable[[], object], name: str) -> QtGui.QAction:
        action = QtGui.QAction(text, self, objectName=name)
        action.setShortcut(QtGui.QKeySequence(keys))
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)  # shortcuts work with the menu bar hidden too
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.act_new_patient = self._action(file_menu, "&New patient", "Ctrl+N", self.new_patient, "actNewPatient")
        self.act_find = self._action(file_menu, "&Find patient", "Ctrl+F", self.find_patient, "actFindPatient")
        file_menu.addSeparator()
        self.act_lock = self._action(file_menu, "&Lock", "Ctrl+L", self.lock, "actLock")
        self.act_sign_out = self._action(file_menu, "Sign &out", "Ctrl+Shift+L", self.sign_out, "actSignOut")
        file_menu.addSeparator()
        self.act_quit = self._action(file_menu, "&Quit", "Ctrl+Q", self.close, "actQuit")
        session_menu = bar.addMenu("&Session")
        self.act_new_session = self._action(session_menu, "&New session for this patient", "Ctrl+R",
                                            self.patient.new_session, "actNewSession")
        self.act_start = self._action(session_menu, "&Start exercise", "F5", self.session.start_trial, "actStart")
        self.act_pause = self._action(session_menu, "&Pause / resume", "F6", self.session.toggle_pause, "actPause")
        self.act_redo = self._action(session_menu, "&Redo last rep", "F7", self.session.redo_last_rep, "actRedo")
        self.act_stop = self._action(session_menu, "S&top exercise", "F8", self.session.stop_trial, "actStop")
        self.act_next = self._action(session_menu, "Ne&xt exercise", "F9", self.session.next_exercise, "actNext")
        self.act_save_session = self._action(session_menu, "Save pain and &notes", "Ctrl+S", self.session.save,
                                             "actSaveSession")
        view = bar.addMenu("&View")
        self.act_patients = self._action(view, "&Patients", "Ctrl+1", lambda: self.show_page(self.patients),
                                         "actPatients")
        self.act_session = self._action(view, "&Session", "Ctrl+2", self.show_session, "actSession")
        self.act_live = self._action(view, "&Live signals", "Ctrl+3", lambda: self.show_page(self.live), "actLive")
        self.act_devices = self._action(view, "&Devices", "Ctrl+4", lambda: self.show_page(self.devices_page),
                                        "actDevices")
        self.act_users = self._action(view, "&Users", "Ctrl+5", self.show_users, "actUsers")
        self.act_review = self._action(view, "Progress &review of this patient", "Ctrl+6", self.show_review,
                                       "actReview")
        self.act_back = QtGui.QAction("Back", self, objectName="actBack")
        self.act_back.setShortcut(QtGui.QKeySequence("Esc"))
        self.act_back.triggered.connect(self.back)
        self.pages.addAction(self.act_back)
        self.act_back.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._session_actions = (self.act_start, self.act_pause, self.act_redo, self.act_stop, self.act_next,
                                 self.act_save_session)

    def _set_signed_in_actions(self, signed_in: bool) -> None:
        for action in (self.act_new_patient, self.act_find, self.act_lock, self.act_sign_out, self.act_new_session,
                       self.act_patients, self.act_session, self.act_live, self.act_devices, self.act_users,
                       self.act_review,
                       self.act_back, *self._session_actions):
            action.setEnabled(signed_in)

    # -- navigation ---------------------------------------------------------------------------------------
    def show_page(self, page: QtWidgets.QWidget, remember: bool = True) -> None:
        current = self.pages.currentWidget()
        if remember and current is not page and current is not None:
            self._history.append(current)
            del self._history[:-20]
        self.pages.setCurrentWidget(page)

    def back(self) -> None:
        """Esc: the previous screen (never away from a running session: Stop first)."""
        if self.pages.currentWidget() in (self.session, self.calibration) and self.host.recording:
            return
        while self._history:
            page = self._history.pop()
            if page is not self.pages.currentWidget():
                self.pages.setCurrentWidget(page)
                return
        self.pages.setCurrentWidget(self.patients)

    def new_patient(self) -> None:
        if self.env.actor is None:
            return
        self.patient_form.start_new()
        self.show_page(self.patient_form)
        self.patient_form.mrn.setFocus()

    def _edit_patient(self, patient_id: int) -> None:
        self.patient_form.start_edit(patient_id)
        self.show_page(self.patient_form)

    def find_patient(self) -> None:
        self.show_page(self.patients)
        self.patients.search.setFocus()
        self.patients.search.selectAll()

    @QtCore.Slot(int)
    def open_patient(self, patient_id: int) -> None:
        self.patient.show_patient(patient_id)
        self.show_page(self.patient)
        self.patients.refresh()

    def show_users(self) -> None:
        self.users.refresh()
        self.show_page(self.users)

    def show_session(self) -> None:
        page = {State.SETUP: self.session_setup, State.CALIBRATING: self.calibration}.get(self.host.state,
                                                                                          self.session)
        if self.host.state == State.IDLE and self.host.runner is None:
            self.statusBar().showMessage("No session: open a patient and start one (Ctrl+R)")
            return
        self.show_page(page)

    # -- the session flow ---------------------------------------------------------------------------------
    @QtCore.Slot(int)
    def start_session(self, patient_id: int) -> None:
        if self.host.state != State.IDLE:
            self.statusBar().showMessage("A session is open: end it on the session screen first")
            self.show_session()
            return
        self.host.new_runner(patient_id)
        label = self.patient.title.text().split("</h3>")[0].replace("<h3>", "") or f"patient {patient_id}"
        self.session_setup.start(label)
        self.show_page(self.session_setup)

    def _calibrate(self) -> None:
        try:
            self.calibration.begin()
        except RunnerError as exc:
            self.session_setup.message.setText(str(exc))
            return
        self.session_setup.stop()
        self.show_page(self.calibration)

    def _skip_calibration(self) -> None:
        assert self.host.runner is not None
        self.host.runner.skip_calibration()
        self.session_setup.stop()
        self._to_session()

    def _to_session(self) -> None:
        self.session.begin()
        self.show_page(self.session)

    @QtCore.Slot(int)
    def _session_ended(self, patient_id: int) -> None:
        self.open_patient(patient_id)

    @QtCore.Slot(str, str)
    def _session_state(self, state: str, message: str) -> None:
        self.statusBar().showMessage(f"Session: {state} - {message}" if message else f"Session: {state}")

    @QtCore.Slot(int)
    def _busy(self, running: int) -> None:
        self.busy_label.setText(f"working ({running}) ..." if running else "")

    # -- users --------------------------------------------------------------------------------------------
    @QtCore.Slot(str)
    def _admin_created(self, username: str) -> None:
        self.sign_in.username.setText(username)
        self.sign_in.message.setText(f"Administrator {username} created. Sign in.")
        self.stack.setCurrentWidget(self.sign_in)
        self.sign_in.password.setFocus()

    def show_notice(self, text: str) -> None:
        """A lasting notice in the status bar (e.g. recordings recovered after a crash)."""
        label = QtWidgets.QLabel(text, objectName="notice")
        self.statusBar().addPermanentWidget(label)

    _ACTIVITY = (QtCore.QEvent.Type.KeyPress, QtCore.QEvent.Type.MouseButtonPress,
                 QtCore.QEvent.Type.MouseMove, QtCore.QEvent.Type.Wheel)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in self._ACTIVITY and self.env.actor is not None and self.idle_timer.isActive():
            self.idle_timer.start()
        return False

    @property
    def actor(self) -> Actor | None:
        return self.env.actor

    @QtCore.Slot(object)
    def on_signed_in(self, actor: Actor) -> None:
        self.env.actor = actor
        self._set_signed_in_actions(True)
        self.act_users.setEnabled(actor.role == "administrator")
        self.stack.setCurrentWidget(self.pages)
        self._history.clear()
        self.pages.setCurrentWidget(self.patients)
        self.patients.refresh()
        self.patients.search.setFocus()
        self._signed_in_status()
        if self.idle_lock_enabled:
            self.idle_timer.start()

    def _signed_in_status(self) -> None:
        assert self.env.actor is not None
        self.statusBar().showMessage(f"Signed in as {self.env.actor.username} ({self.env.actor.role})")

    def _hide_patient_data(self) -> None:
        self.patients.clear()
        self.patient.clear()
        self.users.clear()
        if self.review is not None:
            self.review.set_actor(None)

    def show_review(self) -> None:
        """The progress review of the episode shown on the patient page (built on first use: its charts and
        statistics load then, not at start-up)."""
        view = self.patient.view
        if self.env.actor is None or view is None or view.shown_episode is None:
            self.statusBar().showMessage("Open a patient with an episode first")
            return
        if self.review is None:
            from ui.pages.progress_review import ProgressReviewPage

            self.review = ProgressReviewPage(self.env.factory, self.env.settings, self.workers)
            self.pages.addWidget(self.review)
        self.review.set_actor(self.env.actor)
        self.review.open_episode(view.shown_episode)
        self.show_page(self.review)

    def lock(self) -> None:
        """Hide patient data (idle time, or Ctrl+L); never stops a recording; unlocks to the same screen."""
        if self.env.actor is None or self.stack.currentWidget() is self.lock_page:
            return
        self.lock_page.lock_for(self.env.actor.username)
        self._hide_patient_data()
        self._set_signed_in_actions(False)
        self.stack.setCurrentWidget(self.lock_page)
        self.statusBar().showMessage("Locked")

    @QtCore.Slot(object)
    def unlock(self, actor: Actor | None = None) -> None:
        """Back to the same screen; another user who unlocks takes the window over (their rights apply)."""
        if actor is not None:
            self.env.actor = actor
        assert self.env.actor is not None
        self._set_signed_in_actions(True)
        self.act_users.setEnabled(self.env.actor.role == "administrator")
        self.patients.refresh()
        if self.patient.patient_id is not None:
            self.patient.refresh()
        self.stack.setCurrentWidget(self.pages)
        self._signed_in_status()
        if self.idle_lock_enabled:
            self.idle_timer.start()

    def sign_out(self) -> None:
        if self.host.recording:
            self.statusBar().showMessage("A recording is running: stop it before signing out")
            return
        if self.host.runner is not None and self.host.state != State.IDLE:
            self.host.close()
        self.env.actor = None
        self.idle_timer.stop()
        self._hide_patient_data()
        self.patient.patient_id = None
        self._set_signed_in_actions(False)
        self.stack.setCurrentWidget(self.sign_in)
        self.sign_in.focus()
        self.statusBar().showMessage("Not signed in")

    # -- the live view (devices without a session) --------------------------------------------------------
    @QtCore.Slot(list)
    def set_devices(self, devices: list[Device]) -> None:
        """Replace the live page with one for the newly connected devices (closing the replaced ones) and
        start streaming."""
        index = self.pages.indexOf(self.live)
        self.live.detach()
        for dev in self.live.devices:  # the replaced devices: nobody shows them any more; free their ports
            if dev not in devices:
                self.workers.submit(dev.close, name="close a device")  # joins its reader: not on this thread
        self.pages.removeWidget(self.live)
        self._history = [p for p in self._history if p is not self.live]
        self.live.deleteLater()
        self.live = LivePage(devices, self.conditioning)
        self.pages.insertWidget(index, self.live)
        for dev in devices:
            try:
                dev.start()
            except (DeviceError, OSError) as exc:  # e.g. the port vanished since it was opened
                self.live.status.setText(f"{dev.port_name} could not start streaming: {exc}")
        self.live.start()
        self.show_page(self.live)
        self.devices_changed.emit(devices)

    # -- closing ------------------------------------------------------------------------------------------
    def ask(self, question: str, on_yes: Callable[[], None]) -> QtWidgets.QMessageBox:
        """A non-blocking question (the event loop, and any recording, go on while it is open)."""
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Question, "GluteLab", question,
                                    QtWidgets.QMessageBox.StandardButton.Yes
                                    | QtWidgets.QMessageBox.StandardButton.No, self)
        box.setObjectName("question")
        box.setDefaultButton(QtWidgets.QMessageBox.StandardButton.No)
        box.setWindowModality(QtCore.Qt.WindowModality.WindowModal)

        def answered(button: int) -> None:
            if button == QtWidgets.QMessageBox.StandardButton.Yes:
                on_yes()

        box.finished.connect(answered)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self.host.recording and not self._close_confirmed:
            event.ignore()
            self.ask("A recording is running. Stop it, keep what was recorded, and quit?", self._confirm_close)
            return
        if self.host.runner is not None and self.host.state != State.IDLE:
            event.ignore()  # stop and keep the recording, join the device threads, then close (on a worker)
            self.statusBar().showMessage("Closing the session ...")
            self.host.close(on_done=lambda _: self.close())
            return
        self.host.timer.stop()
        self.live.stop()
        self.session_setup.stop()
        self.calibration.quality.stop()
        self.workers.cancel_all()
        self.workers.wait(5000)  # only what is already running; the window is going away
        super().closeEvent(event)

    def _confirm_close(self) -> None:
        self._close_confirmed = True
        self.close()
