"""A cable pulled while recording, over a real pty and a real database: the pull is an event with its time
and duration, the gap is a hole (no repeated samples), every stored sample keeps its true index, the
recording is ``interrupted``, and the caller is told at once (``on_link``, ``link_state``)."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest

from clinic.recorder import LinkEvent, Recorder
from clinic.records.db import unit_of_work
from clinic.records.models import Recording
from clinic.records.patients import create_patient, start_trial
from clinic.records.security import SYSTEM
from clinic.records.store import load_physical, load_segments
from devices.device import Device
from devices.simulator.faults import FaultPlan
from devices.simulator.firmware import GluteLabFirmware, LoopingSource
from devices.simulator.pty_server import PtyServer
from devices.types import DeviceInfo

RATE = 1000.0
INFO = DeviceInfo(kind="emg", model="Test EMG-2", serial="T-1", firmware="1", protocol="glutelab",
                  sample_rate_hz=RATE, channel_names=("glute_max_left", "hamstrings_left"), units="uV",
                  scale=(0.1, 0.1), simulated=True)
RAMP = np.stack([np.arange(30000), -np.arange(30000)], axis=1).astype(np.int32)


def _wait(cond, what: str, timeout_s: float = 20.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def _trial(factory) -> int:  # noqa: ANN001
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "PULL1", "Pull", "Paula", dt.date(1980, 1, 1))
        return start_trial(s, SYSTEM, p, "glute_bridge", "left").id


@pytest.mark.realtime
def test_pull_and_replug_store_a_gap_event_and_a_hole_on_the_true_time_base(db, tmp_path):
    _, factory = db
    trial_id = _trial(factory)
    seen: list[LinkEvent] = []
    states: list[str] = []
    plan = FaultPlan(unplug_after_s=0.6, replug_after_s=0.8)
    with PtyServer(GluteLabFirmware(INFO, LoopingSource(RAMP), samples_per_frame=10), speed=1.0,
                   faults=plan) as server, Device(server.path, "glutelab", stream_id="emg") as dev:
        recorder = Recorder(factory, trial_id, [dev], spool_dir=tmp_path,
                            on_link=lambda e: (seen.append(e), states.append(recorder.link_state)))
        recorder.start()
        dev.start()
        _wait(lambda: len(seen) >= 2, "the pull and the re-plug")
        before = recorder.seconds_stored
        _wait(lambda: recorder.seconds_stored > before + 0.5, "signal after the re-plug")
        dev.stop()
        (rid,) = recorder.stop()
        stored_s = recorder.seconds_stored
    assert [e.kind for e in seen] == ["pulled", "replugged"] and states == ["pulled", "ok"]
    assert seen[0].stream_id == "emg" and seen[0].recording_id == rid and 0.3 < seen[0].stored_s < 1.5
    assert 0.5 < seen[1].at_s - seen[0].at_s < 3.0
    assert recorder.errors == []
    with unit_of_work(factory) as s:
        rec = s.get(Recording, rid)
        assert rec.status == "interrupted"
        (gap,) = [e for e in rec.events if e["kind"] == "gap"]
        assert gap["cause"] == "cable_pulled" and gap["replugged_at_s"] > gap["pulled_at_s"]
        assert 0.5 <= gap["duration_s"] <= 3.0 and gap["start_s"] == gap["first_sample"] / RATE
        segments = load_segments(s, rid)
        assert len(segments) == 2 and segments[0][0] == 0
        assert segments[1][0] == gap["first_sample"] + gap["n_samples"]
        for first, counts in segments:  # every stored sample is the board's own sample of that index
            np.testing.assert_array_equal(counts[:, 0], RAMP[np.arange(first, first + len(counts)) % len(RAMP), 0])
        _, values = load_physical(s, rid)
        hole = values[gap["first_sample"]:gap["first_sample"] + gap["n_samples"]]
        assert np.isnan(hole).all() and np.isnan(values).sum() == hole.size
        assert abs(stored_s - sum(len(c) for _, c in segments) / RATE) < 1e-9


@pytest.mark.realtime
def test_a_pull_without_replug_is_kept_as_an_event_and_the_caller_sees_the_link_down(db, tmp_path):
    _, factory = db
    trial_id = _trial(factory)
    plan = FaultPlan(unplug_after_s=0.5, replug_after_s=None)
    with PtyServer(GluteLabFirmware(INFO, LoopingSource(RAMP), samples_per_frame=10), speed=1.0,
                   faults=plan) as server, Device(server.path, "glutelab", stream_id="emg") as dev:
        recorder = Recorder(factory, trial_id, [dev], spool_dir=tmp_path)
        recorder.start()
        dev.start()
        _wait(lambda: recorder.link_state == "pulled", "the pull")
        stored = recorder.seconds_stored
        dev.stop()
        (rid,) = recorder.stop()
    assert [e.kind for e in recorder.link_events] == ["pulled"] and 0.2 < stored < 1.5
    with unit_of_work(factory) as s:
        rec = s.get(Recording, rid)
        assert rec.status == "interrupted"
        (event,) = rec.events
        assert event["kind"] == "cable_pulled" and event["replugged_at_s"] is None
        assert event["first_sample"] == rec.n_samples > 0


def test_a_stored_recording_with_a_pull_is_analysed_on_either_side_of_the_gap(db):
    """Before: the gap was stored as the last sample repeated and the whole trial was rejected ("electrode
    disconnected?"). Now the stored gap loads as NaN and the reps on either side are analysed."""
    from clinic.records.models import Trial
    from clinic.records.store import RecordingWriter
    from clinic.signals.conditioning import ConditioningSettings
    from clinic.signals.onsets import OnsetSettings
    from clinic.usecases.trial_analysis import analyze_stored_trial
    from devices.simulator.physiology import build_scenario
    from devices.types import SampleBlock

    _, factory = db
    trial_id = _trial(factory)
    sc = build_scenario("healthy", reps=4, seed=7, emg_rate_hz=1000.0, rest_s=6.0, side="left")
    scale = 0.05
    emg_info = DeviceInfo(kind="emg", model="Amp", serial="1", firmware="1", protocol="glutelab",
                          sample_rate_hz=sc.emg_rate_hz, channel_names=sc.emg_channels, units="uV",
                          scale=(scale,) * len(sc.emg_channels), simulated=True)
    counts = np.round(sc.emg_uv / scale).astype(np.int32)
    gap = (int((sc.truth[1].lower_end_s + 1.5) * 1000), int((sc.truth[1].lower_end_s + 4.0) * 1000))
    writer = RecordingWriter(factory, trial_id, emg_info)
    out = False
    for a in range(0, len(counts), 250):
        b = min(a + 250, len(counts))
        if gap[0] < b and a < gap[1]:  # the cable is out for this block
            if not out:
                writer.cable_pulled(a / 1000)
                out = True
            continue
        if out:
            writer.cable_replugged(a / 1000)
            out = False
        writer.add(SampleBlock(counts[a:b], a, 0.0))
    writer.close()
    with unit_of_work(factory) as s:
        rec = s.get(Recording, writer.recording_id)
        assert rec.status == "interrupted" and rec.events[0]["cause"] == "cable_pulled"
        result = analyze_stored_trial(s, s.get(Trial, trial_id), ConditioningSettings(mains_hz=50.0), OnsetSettings())
    assert "error" not in result, result.get("error")
    assert len(result["gaps"]) == 1 and 2.5 <= result["gaps"][0]["duration_s"] <= 3.0
    assert len(result["reps"]) == 4
