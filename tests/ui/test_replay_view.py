"""The replay view (pytest-qt, real SQLite file): a stored trial loads in a worker, plays in the live plot and
lists the same per-rep verdicts as its stored current analysis, even when that is not the newest version;
transport controls move the virtual clock."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from PySide6 import QtCore

from clinic.records import db as records_db
from clinic.records.db import unit_of_work
from clinic.records.models import Trial
from clinic.records.patients import create_patient, start_trial
from clinic.records.results import set_current_analysis
from clinic.records.security import SYSTEM
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.onsets import OnsetSettings
from clinic.usecases.replay import REP_LEAD_S
from clinic.usecases.trial_analysis import analyze_and_store
from ui.demo import store_scenario
from ui.replay_view import ReplayLoader, ReplayView


@pytest.fixture
def factory(tmp_path):  # noqa: ANN001, ANN201
    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'replay.sqlite3'}")
    records_db.upgrade(engine)
    yield records_db.session_factory(engine)
    engine.dispose()


@pytest.fixture
def trial_id(factory) -> int:  # noqa: ANN001
    """A stored trial analysed with two detectors, the clinician having picked the first (older) version."""
    with unit_of_work(factory) as s:
        patient = create_patient(s, SYSTEM, "RV-1", "Replay", "View", dt.date(1982, 8, 8))
        tid = start_trial(s, SYSTEM, patient, "cook_hip_lift", "left").id
    store_scenario(factory, tid, seed=3, profile="typical", side="left")
    with unit_of_work(factory) as s:
        trial = s.get(Trial, tid)
        for method in ("tkeo", "hodges_bui"):
            analyze_and_store(s, SYSTEM, trial, ConditioningSettings(mains_hz=50.0), OnsetSettings(method=method))
        set_current_analysis(s, SYSTEM, trial, trial.analyses[0].id, trial.version)
    return tid


def _load(qtbot, factory, trial_id: int):  # noqa: ANN001, ANN202
    loader = ReplayLoader(factory, SYSTEM)
    with qtbot.waitSignal(loader.loaded, timeout=30_000) as got:
        loader.load(trial_id)
    loader.wait()
    return got.args[0]


def test_a_replayed_trial_shows_the_verdicts_of_its_stored_current_analysis(qtbot, factory, trial_id) -> None:  # noqa: ANN001
    view = ReplayView(_load(qtbot, factory, trial_id))
    qtbot.addWidget(view)
    view.show()
    with unit_of_work(factory) as s:
        current = s.get(Trial, trial_id).current_analysis
        stored = [(r.rep, r.glute_first, r.hold_s) for r in current.reps]
        assert current.number == 1 and current.method["method"] == "tkeo"
    assert "analysis version 1 (tkeo" in view.header.text()
    lines = view.verdict_lines()
    assert len(lines) == len(stored) == 3
    for line, (rep, glute_first, hold_s) in zip(lines, stored):
        assert line.startswith(f"Rep {rep}: ")
        assert ("glute fired first" in line) == glute_first and ("glute late" in line) == (not glute_first)
        assert f"hold {hold_s:.1f} s" in line
    assert len(view.markers) >= 3 + 3  # a hold band and at least one onset line per rep

    qtbot.mouseClick(view.play_button, QtCore.Qt.MouseButton.LeftButton)
    assert view.player.playing and view.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: view.player.position_s > 0, timeout=10_000)  # the GUI timer drives it
    view.toggle_play()
    assert not view.player.playing

    view.speed.setCurrentIndex(view.speed.findText("4x"))
    assert view.player.speed == 4.0
    view.verdicts.itemClicked.emit(view.verdicts.item(1))  # jump to rep 2
    rep2 = view.data.reps[1]
    assert view.player.position_s == pytest.approx(rep2.movement_start_s - REP_LEAD_S)
    view.toggle_play()
    view.step((REP_LEAD_S + 0.5) / 4.0)
    assert view.verdicts.currentRow() == 1 and "rep 2" in view.position.text()
    x, _ = view.plot.curves[0].getData()
    assert x is not None and len(x) > 0 and float(np.max(x)) == pytest.approx(view.player.position_s, abs=0.01)
    while view.player.playing:
        view.step(1.0)
    assert view.play_button.text() == "Play" and view.scrub.value() == view.scrub.maximum()
    view.seek(2.0)
    assert view.scrub.value() == 20
    view.close()


def test_a_trial_that_cannot_be_replayed_says_why(qtbot, factory) -> None:  # noqa: ANN001
    loader = ReplayLoader(factory, SYSTEM)
    with qtbot.waitSignal(loader.failed, timeout=30_000) as got:
        loader.load(424242)
    loader.wait()
    assert got.args == ["no trial 424242"]


def test_glutelab_replay_opens_the_trial_in_a_window(factory, trial_id, tmp_path, monkeypatch,  # noqa: ANN001
                                                     capsys) -> None:
    """The window in its own process (the command runs the Qt event loop and quits it, which an in-process test
    would leave behind for the tests after it); the refusals, which come before any window, in process."""
    import os
    import subprocess
    import sys

    from clinic.records.security import create_first_admin

    with unit_of_work(factory) as s:
        create_first_admin(s, "physio", "physio-pass-1")
    env = dict(os.environ, GLUTELAB_PASSWORD="physio-pass-1", QT_QPA_PLATFORM="offscreen")
    storage = ["--user", "physio", "--data-dir", str(tmp_path / "data"), "--database-url",
               str(factory.kw["bind"].url)]

    def replay(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ui.cli", "replay", *args, *storage], env=env,
                              capture_output=True, text=True, timeout=120)

    done = replay("--trial", str(trial_id), "--play", "--speed", "8", "--quit-after", "1.5")
    assert done.returncode == 0, done.stdout + done.stderr
    played = float(done.stdout.split(" to ")[1].split(" of ")[0])
    assert played > 0 and "frames drawn: 0" not in done.stdout
    from ui.cli import main

    monkeypatch.setenv("GLUTELAB_PASSWORD", "physio-pass-1")
    assert main(["replay", "--trial", "999", *storage]) == 2
    assert "no trial 999" in capsys.readouterr().err
    assert main(["replay", "--trial", str(trial_id), "--speed", "20", *storage]) == 2
    assert "--speed must be 0.25 to 8" in capsys.readouterr().err
