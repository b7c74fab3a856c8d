"""Live coaching with the simulator through the session runner, in real widgets (pytest-qt, offscreen).

Done-when of issue 17: an amnesic Cook Hip Lift of 3 reps shows 3 "hamstrings first" verdicts with the cue,
a healthy one shows "glute first"; the hold ring reaches its target and the end-of-hold event fires; the
patient's biofeedback window opens and its bars move.
"""

from __future__ import annotations

import datetime as dt
import sys
import types

import pytest
from PySide6 import QtCore, QtWidgets

from clinic.records import db as records_db
from clinic.records.db import unit_of_work
from clinic.records.patients import create_patient
from clinic.records.security import SYSTEM
from clinic.signals.conditioning import ConditioningSettings
from clinic.usecases.runner import DeviceSpec, ExercisePlan, SessionRunner
from devices.simulator.rig import SimulatedRig
from ui.coaching.biofeedback import MIN_PX
from ui.coaching.live_view import LiveCoachingView
from ui.coaching.sound import CueSounds

NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
#: the simulator's speed factor: 5x keeps the readers' decoding light on a loaded 2-core machine (timeouts are
#: generous; nothing here asserts a timing)
SPEED = 5.0


@pytest.fixture
def factory(tmp_path):  # noqa: ANN001, ANN201
    """A real SQLite file (the runner stores the trial; the database is not what is tested here)."""
    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    records_db.upgrade(engine)
    yield records_db.session_factory(engine)
    engine.dispose()


def _session(factory, tmp_path, rig: SimulatedRig):  # noqa: ANN001, ANN202
    with unit_of_work(factory) as s:
        patient_id = create_patient(s, SYSTEM, "LIVE-1", "Live", "Lou", dt.date(1980, 1, 1)).id
    runner = SessionRunner(factory, SYSTEM, conditioning=ConditioningSettings(mains_hz=50.0),
                           spool_dir=tmp_path / "spool", clock=lambda: NOW)
    runner.set_up(patient_id, DeviceSpec(rig.emg_path, "glutelab", "emg"),
                  DeviceSpec(rig.plate_path, "glutelab", "plate"))
    return runner


def _poll_timer(runner: SessionRunner, parent: QtWidgets.QWidget) -> QtCore.QTimer:
    """What the session page does: poll the runner from a GUI timer."""
    timer = QtCore.QTimer(parent)
    timer.setInterval(20)
    timer.timeout.connect(runner.poll)
    timer.start()
    return timer


def test_amnesic_cook_hip_lift_shows_hamstrings_first_the_cue_the_hold_and_moving_bars(qtbot, factory,
                                                                                     tmp_path) -> None:  # noqa: ANN001
    with SimulatedRig(speed=SPEED, profile="amnesic", reps=3, rest_s=2.0, seed=2) as rig:
        runner = _session(factory, tmp_path, rig)
        try:
            view = LiveCoachingView(runner, window_s=10.0, max_fps=60.0, sounds=CueSounds(enabled=True))
            qtbot.addWidget(view)
            view.resize(1280, 900)
            view.show()
            bio = view.open_biofeedback({"glute_max_left": (20.0, 40.0)})
            _poll_timer(runner, view)
            samples: list[tuple[float, float, str]] = []
            sampler = QtCore.QTimer(view)
            sampler.timeout.connect(lambda: samples.append((bio.bars.fill("glute_max_left"),
                                                            view.verdict_panel.ring.fraction,
                                                            view.verdict_panel.verdict.text())))
            sampler.start(25)
            runner.start_trial(ExercisePlan("cook_hip_lift", "left", target_reps=3, hold_target_s=5.0))
            qtbot.waitUntil(lambda: [k for k, _ in view.events].count("hold_end") == 3, timeout=180_000)
            qtbot.wait(100)
            sampler.stop()
            verdicts = [e for k, e in view.events if k == "verdict"]
            assert [v.verdict for v in verdicts] == ["hamstrings first"] * 3
            assert all(v.cue == "push your foot a little farther away" for v in verdicts)
            assert "hamstrings first" in view.verdict_panel.verdict.text()
            assert "push your foot a little farther away" in view.verdict_panel.cue.text()
            assert view.verdict_panel.lead.text().startswith("glute lead -")
            assert view.verdict_panel.reps.text() == "rep 3 of 3"
            kinds = [k for k, _ in view.events if k.startswith("hold")]
            assert kinds == ["hold_start", "hold_reached", "hold_end"] * 3
            assert max(f for _, f, _ in samples) == 1.0 and view.verdict_panel.ring.reached
            assert [t for _, _, t in samples if "rep 1: hamstrings first" in t]  # shown as the rep happened
            glute = [f for f, _, _ in samples]
            assert max(glute) - min(glute) > 0.3  # the patient's bars move
            assert bio.isVisible()
            assert view.frames > 0 and view.plots and view.plate_panel is not None
            assert "%" in view.plate_panel.split.text()
            fonts = [w.font().pixelSize() for w in bio.findChildren(QtWidgets.QLabel)]
            assert fonts and min(fonts) >= MIN_PX and bio.bars.text_px >= MIN_PX and bio.ring.text_px >= MIN_PX
            view.close_biofeedback()
        finally:
            runner.close()


def test_healthy_profile_shows_glute_first_and_the_glute_bar_turns_green(qtbot, factory, tmp_path) -> None:  # noqa: ANN001
    with SimulatedRig(speed=SPEED, profile="healthy", reps=3, rest_s=2.0, seed=2) as rig:
        runner = _session(factory, tmp_path, rig)
        try:
            view = LiveCoachingView(runner, window_s=10.0, max_fps=60.0, sounds=CueSounds(enabled=False))
            qtbot.addWidget(view)
            view.show()
            bio = view.open_biofeedback({})
            _poll_timer(runner, view)
            runner.start_trial(ExercisePlan("cook_hip_lift", "left", target_reps=3, hold_target_s=5.0))
            qtbot.waitUntil(lambda: len(runner.verdicts) >= 1, timeout=120_000)
            qtbot.waitUntil(lambda: "glute_max_left" in bio.bars.good, timeout=5_000)
            assert runner.verdicts[0].verdict == "glute first" and runner.verdicts[0].glute_lead_ms > 0
            assert "rep 1: glute first" in view.verdict_panel.verdict.text()
            assert view.verdict_panel.cue.text() == ""
            assert "hamstrings_left" not in bio.bars.good
            assert {p.units for p in view.plots} == {"uV envelope"}  # not calibrated: microvolts, said so
            view.set_raw(True)
            before = view.frames
            qtbot.waitUntil(lambda: view.frames > before + 3, timeout=5_000)
            assert {p.units for p in view.plots} == {"uV raw"} and len(view.plots) == 2
            view.close_biofeedback()
        finally:
            runner.close()


def test_frames_are_paced_and_a_hidden_view_does_no_work(qtbot) -> None:  # noqa: ANN001
    from ui.coaching.pacing import FramePacer

    widget = QtWidgets.QWidget()
    qtbot.addWidget(widget)
    ticks: list[int] = []
    pacer = FramePacer(widget, lambda: ticks.append(1), max_fps=60.0)
    assert pacer.timer.interval() >= 1000 / 60 and not pacer.timer.isActive()
    widget.show()
    assert pacer.timer.isActive()
    qtbot.waitUntil(lambda: len(ticks) > 2, timeout=5_000)
    widget.hide()
    assert not pacer.timer.isActive()
    before = len(ticks)
    qtbot.wait(100)
    assert len(ticks) == before


def test_sound_cues_are_silent_without_a_device_and_never_raise(monkeypatch) -> None:  # noqa: ANN001
    assert not CueSounds(enabled=False).play("hold_end")

    class NoDevice(Exception):
        pass

    def no_output(kind: str) -> None:
        raise NoDevice("no default output device")

    monkeypatch.setitem(sys.modules, "sounddevice", types.SimpleNamespace(query_devices=no_output))
    silent = CueSounds(enabled=True)
    assert not silent.active and "no default output device" in silent.unavailable
    assert not silent.play("hold_reached")

    played: list[int] = []

    def unplugged(data: object, rate: int) -> None:
        raise NoDevice("device unplugged")

    monkeypatch.setitem(sys.modules, "sounddevice", types.SimpleNamespace(
        query_devices=lambda kind: {"name": "speaker"}, play=unplugged))
    sounds = CueSounds(enabled=True)
    assert sounds.active
    assert not sounds.play("hold_end") and not sounds.active and "unplugged" in sounds.unavailable
    monkeypatch.setitem(sys.modules, "sounddevice", types.SimpleNamespace(
        query_devices=lambda kind: {"name": "speaker"}, play=lambda data, rate: played.append(len(data))))
    assert CueSounds(enabled=True).play("hold_reached") and played == [int(0.15 * 44100)]
