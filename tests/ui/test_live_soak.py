"""Soak: a live coaching session for 10 minutes of simulator time (at a speed factor, well under a minute of
wall time), with the view and the patient's screen painting on their paced frames, grows memory by < 50 MB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6 import QtCore

from clinic.records import db as records_db
from clinic.records.db import unit_of_work
from clinic.records.patients import create_patient
from clinic.records.security import SYSTEM
from clinic.signals.conditioning import ConditioningSettings
from clinic.usecases.runner import DeviceSpec, ExercisePlan, SessionRunner
from devices.simulator.rig import SimulatedRig
from ui.coaching.live_view import LiveCoachingView
from ui.coaching.sound import CueSounds

SIM_MINUTES = 10.0
SPEED = 15.0
NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


@pytest.mark.soak
def test_ten_simulated_minutes_of_live_coaching_keep_memory_flat(qtbot, tmp_path) -> None:  # noqa: ANN001
    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'soak.sqlite3'}")
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    with unit_of_work(factory) as s:
        patient_id = create_patient(s, SYSTEM, "SOAK-1", "Soak", "Sam", dt.date(1980, 1, 1)).id
    with SimulatedRig(speed=SPEED, profile="typical", reps=6, rest_s=2.0, seed=5) as rig:
        runner = SessionRunner(factory, SYSTEM, conditioning=ConditioningSettings(mains_hz=50.0),
                               spool_dir=tmp_path / "spool", clock=lambda: NOW)
        try:
            runner.set_up(patient_id, DeviceSpec(rig.emg_path, "glutelab", "emg"),
                          DeviceSpec(rig.plate_path, "glutelab", "plate"))
            view = LiveCoachingView(runner, window_s=10.0, max_fps=60.0, sounds=CueSounds(enabled=False))
            qtbot.addWidget(view)
            view.resize(1280, 900)
            view.show()
            view.open_biofeedback({"glute_max_left": (20.0, 40.0)})
            poll = QtCore.QTimer(view)
            poll.timeout.connect(runner.poll)
            poll.start(20)
            runner.start_trial(ExercisePlan("cook_hip_lift", "left", target_reps=100, hold_target_s=5.0))
            qtbot.waitUntil(lambda: runner.seconds_recorded >= 60.0, timeout=60_000)
            start_mb, start_verdicts = rss_mb(), len(runner.verdicts)
            qtbot.waitUntil(lambda: runner.seconds_recorded >= SIM_MINUTES * 60.0, timeout=180_000)
            end_mb = rss_mb()
            runner.stop_trial()
            print(f"\nsoak: {runner.seconds_recorded:.0f} s of signal, {len(runner.verdicts)} verdicts, "
                  f"{view.frames} frames; RSS {start_mb:.0f} -> {end_mb:.0f} MB")
            assert runner.errors == []
            assert len(runner.verdicts) - start_verdicts >= 40  # the coaching kept up all along
            assert view.frames > 100
            assert end_mb - start_mb < 50.0
            view.close_biofeedback()
        finally:
            runner.close()
            engine.dispose()
