"""Replay of a stored trial on a virtual clock (no wall time): the sources stream exactly the stored counts,
transport (speed, pause, seek, jump to rep N) moves the clock, the stored current analysis's reps and
verdicts come with it, and the session runner records a replay like a device."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from clinic.records.db import unit_of_work
from clinic.records.models import Trial
from clinic.records.patients import create_patient, start_trial
from clinic.records.security import SYSTEM
from clinic.records.store import load_counts
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.onsets import OnsetSettings
from clinic.usecases.replay import REP_LEAD_S, ReplayError, ReplayPlayer, load_replay
from clinic.usecases.runner import DeviceSpec, ExercisePlan, SessionRunner
from clinic.usecases.trial_analysis import analyze_and_store
from ui.demo import store_scenario

MAINS_50 = ConditioningSettings(mains_hz=50.0)


@pytest.fixture
def stored_trial(db):  # noqa: ANN001, ANN201
    """(factory, trial id, patient id) of a stored simulated trial analysed twice (tkeo, then hodges_bui)."""
    _, factory = db
    with unit_of_work(factory) as s:
        patient = create_patient(s, SYSTEM, "REP-1", "Replay", "Remy", dt.date(1979, 4, 4))
        trial = start_trial(s, SYSTEM, patient, "cook_hip_lift", "left",
                            when=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC))
        ids = trial.id, patient.id
    store_scenario(factory, ids[0], seed=2, profile="amnesic", side="left")
    with unit_of_work(factory) as s:
        for method in ("tkeo", "hodges_bui"):
            analyze_and_store(s, SYSTEM, s.get(Trial, ids[0]), MAINS_50, OnsetSettings(method=method))
    return factory, *ids


def test_sources_stream_the_stored_counts_and_the_transport_moves_the_clock(stored_trial) -> None:  # noqa: ANN001
    factory, trial_id, _ = stored_trial
    with unit_of_work(factory) as s:
        data = load_replay(s, SYSTEM, trial_id)
        stored = {r.kind: load_counts(s, r.id) for r in s.get(Trial, trial_id).recordings}
        current = s.get(Trial, trial_id).current_analysis
        assert data.analysis == {"id": current.id, "number": 2, "method": "hodges_bui", "mains_hz": 50.0}
        assert len(data.reps) == 3
        assert [(r.number, r.glute_first) for r in data.reps] == [(r.rep, r.glute_first) for r in current.reps]
    player = ReplayPlayer(data, speed=1.0, ring_seconds=10.0)
    got: dict[str, list[np.ndarray]] = {"emg": [], "plate": []}
    states: list[str] = []
    for kind, src in player.sources.items():
        src.on_state(lambda state, _msg: states.append(state))
        src.subscribe(lambda block, kind=kind: got[kind].append(block.counts))
        assert src.open().protocol == "replay"
        src.start()
    assert states == ["open", "open"] and player.playing
    player.advance(0.5)
    assert player.position_s == pytest.approx(0.5)
    player.set_speed(8.0)
    player.advance(1.0)
    assert player.position_s == pytest.approx(8.5)
    player.pause()
    assert player.advance(5.0) == pytest.approx(8.5)  # paused: the clock stands still
    with pytest.raises(ValueError, match="0.25 to 8"):
        player.set_speed(16.0)
    player.play()
    while player.playing:
        player.advance(0.5)
    assert player.position_s == pytest.approx(data.duration_s)
    for kind, blocks in got.items():  # every stored sample, once, in order
        assert np.array_equal(np.concatenate(blocks), stored[kind])
    emg = player.sources["emg"]
    assert emg.stats.samples == stored["emg"].shape[0]

    rep = player.jump_to_rep(2)
    assert states[-2:] == ["seeked", "seeked"]  # holders of the old ring take the new one
    assert player.position_s == pytest.approx(rep.movement_start_s - REP_LEAD_S)
    ring, first = emg.ring.latest(emg.ring.capacity)
    n_before = int(round(player.position_s * emg.info.sample_rate_hz))
    assert first + ring.shape[0] == n_before  # the plot shows what led up to the new position
    assert np.allclose(ring[-1], emg.info.to_physical(stored["emg"][n_before - 1:n_before])[0])
    player.seek(rep.hold_start_s + 0.1)
    assert player.rep_at() == (rep, "hold")
    assert player.rep_at(0.0) == (None, "rest")
    assert "glute" in rep.verdict and "hold" in rep.verdict
    with pytest.raises(ValueError, match="no rep 99"):
        player.jump_to_rep(99)
    player.seek(-5.0)
    assert player.position_s == 0.0 and emg.ring.latest(10)[0].shape[0] == 0
    player.play()
    for src in player.sources.values():
        src.stop()
    assert not player.playing  # every source stopped: the clock stands still


def test_the_session_runner_records_a_replay_like_a_device(stored_trial, tmp_path) -> None:  # noqa: ANN001
    factory, trial_id, patient_id = stored_trial
    with unit_of_work(factory) as s:
        data = load_replay(s, SYSTEM, trial_id)
    player = ReplayPlayer(data, speed=8.0)
    runner = SessionRunner(factory, SYSTEM, conditioning=MAINS_50, spool_dir=tmp_path / "spool",
                           clock=lambda: dt.datetime(2026, 11, 9, 9, 30, tzinfo=dt.UTC),
                           device_factory=player.device_factory)
    try:
        runner.set_up(patient_id, DeviceSpec("replay", "replay", "emg"), DeviceSpec("replay", "replay", "plate"))
        runner.start_trial(ExercisePlan("cook_hip_lift", "left", target_reps=3))
        while player.playing:
            player.advance(0.25)
            runner.poll()
        runner.stop_trial()
        outcome = runner.analyse()
    finally:
        runner.close()
    assert outcome.errors == []
    again = outcome.analysis
    assert again is not None and [r["glute_first"] for r in again["reps"]] == [r.glute_first for r in data.reps]


def test_a_trial_without_recordings_cannot_be_replayed(db) -> None:  # noqa: ANN001
    _, factory = db
    with unit_of_work(factory) as s:
        patient = create_patient(s, SYSTEM, "REP-0", "Replay", "Nil", dt.date(1979, 4, 4))
        trial_id = start_trial(s, SYSTEM, patient, "cook_hip_lift", "left").id
    with pytest.raises(ReplayError, match="no EMG recording"), unit_of_work(factory) as s:
        load_replay(s, SYSTEM, trial_id)
