"""Bad input in the window's forms: each shows a message at the field and stores nothing (empty or duplicate MRN,
a future birth date, a muscle given to two channels, an MVC below rest); the keyboard contract
(docs/keyboard.md); closing mid-recording asks and keeps what was recorded; a pulled cable shows a banner."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from shiboken6 import isValid
from sqlalchemy import func, select

from clinic.records.models import Calibration, DeviceChannelMap, Patient, Recording, Trial
from devices.simulator.faults import FaultPlan

from .conftest import add_user, sign_in_directly

LEFT = QtCore.Qt.MouseButton.LeftButton
CTRL = QtCore.Qt.KeyboardModifier.ControlModifier
T = 30000


def _count(w, model) -> int:  # noqa: ANN001
    with w.factory() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _fill(qtbot, form, mrn: str, born: str) -> None:  # noqa: ANN001
    for field, text in ((form.mrn, mrn), (form.family_name, "Form"), (form.given_name, "Fay"),
                        (form.birth_date, born)):
        field.clear()
        qtbot.keyClicks(field, text)


def test_bad_patient_input_shows_at_the_field_and_stores_nothing(qtbot, clinic_window) -> None:  # noqa: ANN001
    w = clinic_window
    sign_in_directly(w, mrn="DUP-1")
    w.act_new_patient.trigger()
    form = w.patient_form
    _fill(qtbot, form, "", "1980-01-01")
    qtbot.mouseClick(form.save_button, LEFT)
    assert "must not be empty" in form.errors["mrn"].text()
    _fill(qtbot, form, "DUP-1", "1980-01-01")  # the MRN of the patient made by sign_in_directly
    qtbot.mouseClick(form.save_button, LEFT)
    qtbot.waitUntil(lambda: "already used" in form.errors["mrn"].text(), timeout=T)
    future = (w.clock.now.date().replace(year=w.clock.now.year + 1)).isoformat()
    _fill(qtbot, form, "NEW-1", future)
    qtbot.mouseClick(form.save_button, LEFT)
    assert "in the future" in form.errors["birth_date"].text() and form.errors["mrn"].text() == ""
    _fill(qtbot, form, "NEW-1", "03/04/1975")
    qtbot.mouseClick(form.save_button, LEFT)
    assert "YYYY-MM-DD" in form.errors["birth_date"].text()
    assert w.pages.currentWidget() is form and _count(w, Patient) == 1


def test_the_keyboard_contract(qtbot, clinic_window) -> None:  # noqa: ANN001
    """docs/keyboard.md: sign-in focus, Tab, Enter; Ctrl+N anywhere; the form's Tab order; Ctrl+Return saves and
    opens; Esc goes back; Ctrl+Q quits (asking first if recording: see the test below)."""
    from clinic.records.db import unit_of_work

    w = clinic_window
    with unit_of_work(w.factory) as s:
        add_user(s, "physio", "physio-pass-1", "physiotherapist")
    w.stack.setCurrentWidget(w.sign_in)
    w.show()
    w.activateWindow()
    qtbot.waitActive(w)
    w.sign_in.focus()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.focusWidget() is w.sign_in.username)
    qtbot.keyClicks(QtWidgets.QApplication.focusWidget(), "physio")
    qtbot.keyClick(QtWidgets.QApplication.focusWidget(), QtCore.Qt.Key.Key_Tab)
    assert QtWidgets.QApplication.focusWidget() is w.sign_in.password
    qtbot.keyClicks(w.sign_in.password, "physio-pass-1")
    qtbot.keyClick(w.sign_in.password, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.actor is not None, timeout=T)
    qtbot.keyClick(QtWidgets.QApplication.focusWidget() or w, QtCore.Qt.Key.Key_N, CTRL)
    form = w.patient_form
    assert w.pages.currentWidget() is form and QtWidgets.QApplication.focusWidget() is form.mrn
    order = [form.mrn, form.family_name, form.given_name, form.birth_date, form.sex, form.consent]
    for widget, text in zip(order, ("KEY-1", "Key", "Kim", "1970-05-06")):
        assert QtWidgets.QApplication.focusWidget() is widget
        qtbot.keyClicks(widget, text)
        qtbot.keyClick(widget, QtCore.Qt.Key.Key_Tab)
    assert QtWidgets.QApplication.focusWidget() is form.sex
    qtbot.keyClick(form.sex, QtCore.Qt.Key.Key_Tab)
    assert QtWidgets.QApplication.focusWidget() is form.consent
    qtbot.keyClick(form.consent, QtCore.Qt.Key.Key_Space)
    qtbot.keyClick(form.consent, QtCore.Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.patient and "Key, Kim" in w.patient.title.text(),
                    timeout=T)
    with w.factory() as s:
        assert s.scalar(select(Patient.consent_given).where(Patient.mrn == "KEY-1")) is True
    qtbot.keyClick(w.patient, QtCore.Qt.Key.Key_Escape)
    assert w.pages.currentWidget() is not w.patient
    # Ctrl+N works from any page (here: the devices page)
    w.act_devices.trigger()
    qtbot.keyClick(w.devices_page, QtCore.Qt.Key.Key_N, CTRL)
    assert w.pages.currentWidget() is form
    qtbot.keyClick(form.mrn, QtCore.Qt.Key.Key_Escape)
    assert w.pages.currentWidget() is w.devices_page
    for action, keys in ((w.act_new_patient, "Ctrl+N"), (w.act_quit, "Ctrl+Q"), (w.act_lock, "Ctrl+L"),
                         (w.act_start, "F5"), (w.act_pause, "F6"), (w.act_redo, "F7"), (w.act_stop, "F8"),
                         (w.act_next, "F9")):
        assert action.shortcut().toString() == keys


def _to_session_page(qtbot, w, patient_id: int) -> None:  # noqa: ANN001
    w.open_patient(patient_id)
    qtbot.waitUntil(lambda: w.patient.view is not None, timeout=T)
    qtbot.mouseClick(w.patient.session_button, LEFT)
    setup = w.session_setup
    setup.emg_protocol.setCurrentText("cyton")
    qtbot.mouseClick(setup.simulator_button, LEFT)
    qtbot.waitUntil(lambda: setup.emg_port.currentText() != "", timeout=T)
    qtbot.mouseClick(setup.connect_button, LEFT)
    qtbot.waitUntil(lambda: len(setup.combos) == 8, timeout=T)


def test_a_muscle_on_two_channels_and_an_mvc_below_rest_store_nothing(qtbot, clinic_window) -> None:  # noqa: ANN001
    w = clinic_window
    patient_id = sign_in_directly(w)
    _to_session_page(qtbot, w, patient_id)
    setup = w.session_setup
    setup.set_map({"ch1": "glute_max_left", "ch2": "glute_max_left"})
    qtbot.mouseClick(setup.calibrate_button, LEFT)
    assert "glute_max_left is given to two channels" in setup.channel_errors["ch2"].text()
    assert w.pages.currentWidget() is setup and _count(w, DeviceChannelMap) == 0
    # ch7 of the simulated Cyton has no electrode: its "MVC" is not above its rest
    setup.set_map({"ch7": "glute_max_left", "ch2": "hamstrings_left"})
    qtbot.mouseClick(setup.calibrate_button, LEFT)
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.calibration, timeout=T)
    cal = w.calibration
    qtbot.mouseClick(cal.guided_button, LEFT)
    qtbot.waitUntil(lambda: cal.guided_next == len(cal.steps), timeout=T)
    qtbot.mouseClick(cal.store_button, LEFT)
    qtbot.waitUntil(lambda: "Nothing was stored" in cal.message.text(), timeout=T)
    items = [cal.step_list.item(i).text() for i in range(cal.step_list.count())]
    assert any(t.startswith("MVC glute_max_left") and "not above" in t for t in items), items
    assert w.pages.currentWidget() is cal and cal.store_button.isEnabled()
    assert _count(w, Calibration) == 0 and _count(w, Trial) == 0


def _recording(qtbot, w, patient_id: int) -> None:  # noqa: ANN001
    _to_session_page(qtbot, w, patient_id)
    qtbot.mouseClick(w.session_setup.skip_button, LEFT)
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.session, timeout=T)
    qtbot.mouseClick(w.session.start_button, LEFT)
    qtbot.waitUntil(lambda: w.host.state.value == "recording", timeout=T)


def test_closing_mid_recording_asks_and_keeps_the_recording(qtbot, clinic_window) -> None:  # noqa: ANN001
    w = clinic_window
    patient_id = sign_in_directly(w)
    w.show()
    _recording(qtbot, w, patient_id)
    qtbot.waitUntil(lambda: w.host.runner.seconds_recorded > 20, timeout=T)
    w.act_quit.trigger()  # Ctrl+Q
    box = w.findChild(QtWidgets.QMessageBox, "question")
    assert box is not None and box.isVisible() and "recording is running" in box.text()
    assert w.isVisible() and w.host.recording  # nothing stopped while it asks
    box.button(QtWidgets.QMessageBox.StandardButton.No).click()
    assert w.isVisible() and w.host.recording
    w.act_quit.trigger()
    box = w.findChild(QtWidgets.QMessageBox, "question")
    box.button(QtWidgets.QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=T)
    with w.factory() as s:
        recs = s.scalars(select(Recording)).all()
        assert {r.kind for r in recs} == {"emg", "plate"}
        assert all(r.status == "complete" and r.n_samples > 0 for r in recs)


def test_a_pulled_cable_shows_a_banner_and_pauses(qtbot, clinic_window) -> None:  # noqa: ANN001
    w = clinic_window
    patient_id = sign_in_directly(w)
    w.show()
    w.simulator_options["faults"] = FaultPlan(unplug_after_s=1.0)
    _recording(qtbot, w, patient_id)
    qtbot.waitUntil(lambda: w.session.banner.isVisible(), timeout=T)
    assert "cable" in w.session.banner.text() and w.host.state.value == "paused"
    assert "Resume" in w.session.pause_button.text()
    qtbot.mouseClick(w.session.stop_button, LEFT)
    qtbot.waitUntil(lambda: "Trial" in w.session.message.text(), timeout=T)
    with w.factory() as s:
        statuses = {r.status for r in s.scalars(select(Recording)).all()}
    assert statuses == {"interrupted"}


def test_lock_then_unlock_as_another_user_and_sign_out(qtbot, clinic_window) -> None:  # noqa: ANN001
    from clinic.records.db import unit_of_work

    w = clinic_window
    sign_in_directly(w)
    with unit_of_work(w.factory) as s:
        add_user(s, "other", "other-pass-1", "physiotherapist")
    qtbot.waitUntil(lambda: w.patients.model.rowCount() == 1, timeout=T)
    w.act_lock.trigger()  # Ctrl+L
    assert w.stack.currentWidget() is w.lock_page and w.patients.model.rowCount() == 0
    assert not w.act_new_patient.isEnabled()  # no shortcut reaches patient data behind the lock
    w.lock_page.username.setText("other")
    qtbot.keyClicks(w.lock_page.password, "physio-pass-1")  # the other user's name with the wrong password
    qtbot.keyClick(w.lock_page.password, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "wrong password" in w.lock_page.message.text(), timeout=T)
    qtbot.keyClicks(w.lock_page.password, "other-pass-1")
    qtbot.keyClick(w.lock_page.password, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.pages, timeout=T)
    assert w.actor.username == "other" and "other" in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: w.patients.model.rowCount() == 1, timeout=T)
    w.act_sign_out.trigger()
    assert w.actor is None and w.stack.currentWidget() is w.sign_in and w.patients.model.rowCount() == 0


def test_the_live_coaching_is_on_the_session_screen_and_the_patient_screen_opens(qtbot, clinic_window) -> None:  # noqa: ANN001
    w = clinic_window
    patient_id = sign_in_directly(w)
    w.show()
    _recording(qtbot, w, patient_id)
    qtbot.waitUntil(lambda: w.session.coaching is not None, timeout=T)
    coaching = w.session.coaching
    assert w.session.isAncestorOf(coaching) and coaching.isVisible()
    qtbot.waitUntil(lambda: coaching.frames > 3, timeout=T)  # the verdict view paints on the session screen
    assert coaching.pacer.timer.interval() == w.host.timer.interval()  # no faster than the runner is polled
    w.act_patients.trigger()  # another page: the hidden view paints nothing
    frames = coaching.frames
    qtbot.wait(300)
    assert coaching.frames == frames and not coaching.pacer.timer.isActive()
    w.act_session.trigger()
    qtbot.waitUntil(lambda: coaching.frames > frames, timeout=T)
    qtbot.mouseClick(w.session.biofeedback_button, LEFT)
    bio = coaching.biofeedback
    assert bio is not None and bio.isVisible() and bio.isWindow()  # the patient's own window (one screen here)
    qtbot.mouseClick(w.session.stop_button, LEFT)
    qtbot.waitUntil(lambda: "Trial" in w.session.message.text(), timeout=T)
    qtbot.mouseClick(w.session.end_button, LEFT)
    qtbot.waitUntil(lambda: w.session.coaching is None and w.pages.currentWidget() is w.patient, timeout=T)
    assert not isValid(bio) or not bio.isVisible()  # the patient's screen went with the session


def test_redo_last_rep_without_a_counted_rep_says_so(qtbot, clinic_window) -> None:  # noqa: ANN001
    w = clinic_window
    patient_id = sign_in_directly(w)
    w.show()
    _recording(qtbot, w, patient_id)
    qtbot.waitUntil(lambda: not w.host.busy, timeout=T)  # the start's database work is done
    assert not w.session.redo_button.isEnabled()  # no rep counted yet
    assert w.act_redo.isEnabled() and w.act_redo.shortcut().toString() == "F7"
    w.act_redo.trigger()  # F7 before the first rep (the simulated patient is still calibrating)
    assert "no rep to redo" in w.session.message.text()
    assert w.host.runner.redone == [] and w.host.recording
    qtbot.waitUntil(lambda: w.host.runner.rep >= 1, timeout=T)
    qtbot.waitUntil(lambda: w.session.redo_button.isEnabled(), timeout=T)
    qtbot.mouseClick(w.session.stop_button, LEFT)
    qtbot.waitUntil(lambda: "Trial" in w.session.message.text(), timeout=T)
    assert not w.session.redo_button.isEnabled()


def test_closing_an_episode_judges_each_goal(qtbot, clinic_window) -> None:  # noqa: ANN001
    """The discharge form lists the episode's goals one by one; the clinician's verdicts are stored per goal
    (the discharge report prints them) and a goal left "not judged" is stored as such."""
    import datetime as dt

    from clinic.records.db import unit_of_work
    from clinic.records.models import AuditEvent, Episode
    from clinic.records.patients import create_episode, get_patient
    from clinic.records.security import SYSTEM

    w = clinic_window
    patient_id = sign_in_directly(w)
    with unit_of_work(w.factory) as s:
        create_episode(s, SYSTEM, get_patient(s, SYSTEM, patient_id), "Low back pain", dt.date(2026, 10, 1),
                       goals="Walk 30 min; Sit 1 h without pain\nReturn to running")
    w.open_patient(patient_id)
    assert not w.patient.close_episode_button.isEnabled()  # until the patient's episodes are loaded
    qtbot.waitUntil(lambda: w.patient.close_episode_button.isEnabled(), timeout=T)
    qtbot.mouseClick(w.patient.close_episode_button, LEFT)
    form = w.patient.episode_form
    qtbot.waitUntil(lambda: len(form.goal_choices) == 3 and form.save_button.isEnabled(), timeout=T)
    assert [form.goal_rows.itemAt(r, QtWidgets.QFormLayout.ItemRole.LabelRole).widget().text()
            for r in range(3)] == ["1. Walk 30 min", "2. Sit 1 h without pain", "3. Return to running"]
    form.goal_choices[0].setCurrentText("met")
    form.goal_choices[1].setCurrentText("not met")
    qtbot.keyClicks(form.outcome, "Pain-free at work")
    qtbot.mouseClick(form.save_button, LEFT)
    qtbot.waitUntil(lambda: form.isHidden(), timeout=T)
    with w.factory() as s:
        ep = s.scalar(select(Episode).where(Episode.patient_id == patient_id))
        assert ep.status == "discharged" and ep.discharge_summary == "Pain-free at work"
        assert ep.goal_outcomes == [{"goal": "Walk 30 min", "met": True},
                                    {"goal": "Sit 1 h without pain", "met": False}]
        details = s.scalars(select(AuditEvent.detail).where(AuditEvent.entity == "episode",
                                                            AuditEvent.action == "change")).all()
    assert any("goals judged: 1 met, 2 not met" in d for d in details), details
