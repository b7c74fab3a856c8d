"""The whole data flow in one test: simulator pty -> serial reader -> ring -> live plot (pytest-qt)
-> recording in a real SQLite file -> analysis -> a PDF read back with pypdf."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader

from clinic.recorder import Recorder
from clinic.records import db as records_db
from clinic.records.db import unit_of_work
from clinic.records.models import Recording, Trial
from clinic.records.patients import create_patient, start_trial
from clinic.records.security import SYSTEM, Actor, authenticate, create_first_admin, create_user
from clinic.settings import Settings
from clinic.signals.conditioning import ConditioningSettings
from clinic.usecases.reports import build_session_report
from devices.device import Device


@pytest.fixture
def sqlite_factory(tmp_path):  # noqa: ANN001, ANN201
    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'skeleton.sqlite3'}")
    records_db.upgrade(engine)
    yield records_db.session_factory(engine)
    engine.dispose()


def test_simulator_to_pdf_through_the_window(qtbot, sim_rig, sqlite_factory, tmp_path):  # noqa: ANN001
    from ui.main_window import MainWindow

    factory = sqlite_factory
    with unit_of_work(factory) as s:
        admin = Actor.of(create_first_admin(s, "admin", "admin-pass-skeleton-1"))
        user = create_user(s, "physio", "physio-pass-1", "physiotherapist", by=admin)
        actor = Actor(user.id, user.username, user.role)
        patient = create_patient(s, SYSTEM, "SKEL-1", "Skeleton", "Sam", dt.date(1975, 6, 1))
        trial_id = start_trial(s, actor, patient, "cook_hip_lift", "left", reps=3).id

    devices = [Device(sim_rig.emg_path, stream_id="emg"), Device(sim_rig.plate_path, stream_id="plate")]
    for dev in devices:
        dev.open()

    def sign_in(username: str, password: str) -> Actor:
        with unit_of_work(factory) as s:
            return authenticate(s, username, password)

    window = MainWindow(factory, sign_in, devices, conditioning=ConditioningSettings(mains_hz=50.0),
                   spool_dir=tmp_path / "spool")
    qtbot.addWidget(window)
    window.show()
    qtbot.keyClicks(window.sign_in.username, "physio")
    qtbot.keyClicks(window.sign_in.password, "physio-pass-1")
    qtbot.mouseClick(window.sign_in.button, qtbot_button())
    qtbot.waitUntil(lambda: window.actor is not None, timeout=10000)  # the password check runs on a worker
    assert window.actor.username == "physio"
    qtbot.waitUntil(lambda: window.patients.model.rowCount() == 1, timeout=10000)
    window.show_page(window.live)

    recorder = Recorder(factory, trial_id, devices)
    recorder.start()
    for dev in devices:
        dev.start()
    duration = sim_rig.scenario.duration_s / sim_rig.speed
    qtbot.waitUntil(lambda: window.live.frames > 10, timeout=15000)
    expected = sim_rig.scenario.emg_uv.shape[0]
    qtbot.waitUntil(lambda: devices[0].ring.total >= expected, timeout=int(duration * 1000) + 20000)
    for dev in devices:
        dev.close()
    ids = recorder.stop()
    window.live.stop()
    window.workers.wait(10000)
    assert recorder.errors == []

    with unit_of_work(factory) as s:
        recs = [s.get(Recording, i) for i in ids]
        assert {r.kind for r in recs} == {"emg", "plate"}
        assert all(r.status == "complete" and r.simulated for r in recs)
        assert recs[0].n_samples >= sim_rig.scenario.emg_uv.shape[0]
        session_id = s.get(Trial, trial_id).session_id
        pdf = build_session_report(s, actor, session_id, tmp_path / "report.pdf", Settings(mains_hz=50))
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "SKEL-1" in text and "Skeleton, Sam" in text
    assert "SIMULATED" in text
    assert "Reps: 3" in text


def qtbot_button():  # noqa: ANN201
    from PySide6 import QtCore

    return QtCore.Qt.MouseButton.LeftButton
