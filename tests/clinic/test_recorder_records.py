"""Recorder -> database on both backends: two streams of one trial, recorded through the writer threads,
come back sample-exact with their alignment offsets and status; a store failure stops only its stream."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np

from clinic.recorder import HEARTBEAT_S, Recorder
from clinic.records.db import unit_of_work
from clinic.records.models import Recording
from clinic.records.patients import create_patient, start_trial
from clinic.records.recovery import recover_interrupted
from clinic.records.security import SYSTEM
from clinic.records.store import load_counts
from devices.types import DeviceInfo, SampleBlock

EMG = DeviceInfo("emg", "Amp", "1", "1", "glutelab", 1000.0, ("glute_max_left", "hamstrings_left"), "uV",
                 (0.02, 0.02))
PLATE = DeviceInfo("plate", "HX711", "2", "1", "hx711", 80.0, ("fz",), "N", (0.001,))


def test_two_streams_are_recorded_losslessly_with_offsets(db, tmp_path, push_stream):
    _, factory = db
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "RC1", "Rec", "Rita", dt.date(1980, 1, 1))
        trial_id = start_trial(s, SYSTEM, p, "glute_bridge", "left").id
    emg_s, plate_s = push_stream(EMG), push_stream(PLATE)
    recorder = Recorder(factory, trial_id, [emg_s, plate_s], spool_dir=tmp_path, workstation="ws-test")
    before_start = time.monotonic()
    recorder.start()
    t0 = time.monotonic()
    rng = np.random.default_rng(3)
    emg = rng.integers(-30000, 30000, (3000, 2)).astype(np.int32)
    plate = rng.integers(-2**23, 2**23, (240, 1)).astype(np.int32)
    for i in range(30):  # 3 s: EMG blocks of 100 arrive 5 ms late, plate blocks of 8 arrive 40 ms late
        emg_s.push(SampleBlock(emg[i * 100:(i + 1) * 100], i * 100, t0 + (i + 1) * 0.1 + 0.005))
        plate_s.push(SampleBlock(plate[i * 8:(i + 1) * 8], i * 8, t0 + (i + 1) * 0.1 + 0.040))
    ids = recorder.stop()
    assert recorder.errors == [] and recorder.warnings == []
    with unit_of_work(factory) as s:
        recs = [s.get(Recording, i) for i in ids]
        assert [r.status for r in recs] == ["complete", "complete"]
        assert [r.workstation for r in recs] == ["ws-test", "ws-test"]
        np.testing.assert_array_equal(load_counts(s, ids[0]), emg)
        np.testing.assert_array_equal(load_counts(s, ids[1]), plate)
        # offsets are from the recorder's own start (a little before t0); their difference is exact
        # (bounded by how long start() took, not by a fixed 0.5 s that a loaded machine may exceed)
        assert 0.005 - 1e-6 <= recs[0].start_offset_s <= t0 - before_start + 0.005 + 1e-6
        assert abs((recs[1].start_offset_s - recs[0].start_offset_s) - 0.035) < 1e-6


def test_stop_never_closes_a_writer_that_its_thread_still_uses(db, tmp_path, push_stream):
    import threading

    _, factory = db
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "RC2", "Rec", "Rolf", dt.date(1980, 1, 1))
        trial_id = start_trial(s, SYSTEM, p, "glute_bridge", "left").id
    stream = push_stream(EMG)
    recorder = Recorder(factory, trial_id, [stream], spool_dir=tmp_path, workstation="ws-test")
    recorder.close_timeout_s = 0.2
    recorder.start()
    part = recorder._parts[0]
    release, entered = threading.Event(), threading.Event()
    real_add = part.writer.add

    def slow_add(block: SampleBlock) -> None:  # a database that takes longer than stop() waits
        entered.set()
        assert release.wait(60)
        real_add(block)

    part.writer.add = slow_add  # type: ignore[method-assign]
    stream.push(SampleBlock(np.zeros((100, 2), np.int32), 0, time.monotonic()))
    assert entered.wait(60)
    closed = []
    part.writer.close = lambda status="complete": closed.append(status)  # type: ignore[method-assign]
    ids = recorder.stop()
    assert closed == [] and "still being written" in recorder.errors[0]
    release.set()
    part.thread.join(60)
    assert not part.thread.is_alive()
    with unit_of_work(factory) as s:
        assert s.get(Recording, ids[0]).status == "recording"  # left for recovery, not half-closed


def test_a_stream_that_cannot_start_stops_the_ones_already_started(db, tmp_path, push_stream):
    import pytest

    _, factory = db
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "RC3", "Rec", "Rhea", dt.date(1980, 1, 1))
        trial_id = start_trial(s, SYSTEM, p, "glute_bridge", "left").id
    good, closed_device = push_stream(EMG), push_stream(PLATE)
    closed_device.info = None  # type: ignore[assignment]
    recorder = Recorder(factory, trial_id, [good, closed_device], spool_dir=tmp_path, workstation="ws-test")
    with pytest.raises(RuntimeError, match="open the device"):
        recorder.start()
    assert good.sinks == [] and not any(p.thread.is_alive() for p in recorder._parts)
    with unit_of_work(factory) as s:
        assert [s.get(Recording, i).status for i in recorder.recording_ids] == ["interrupted"]


def test_a_stalled_device_keeps_the_heartbeat_fresh_and_its_samples_stored(db, tmp_path, push_stream):
    """A pulled cable or a silent device must not make a live recording look crashed to start-up recovery,
    and what arrived before the stall is stored without waiting for more data."""
    _, factory = db
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "RC9", "Stall", "Sam", dt.date(1980, 1, 1))
        trial_id = start_trial(s, SYSTEM, p, "glute_bridge", "left").id
    stream = push_stream(EMG)
    recorder = Recorder(factory, trial_id, [stream], spool_dir=tmp_path)
    recorder.start()
    stream.push(SampleBlock(np.ones((100, 2), np.int32), 0, time.monotonic()))
    rid = recorder.recording_ids[0]
    with factory() as s:
        first_beat = s.get(Recording, rid).heartbeat_at
    deadline = time.monotonic() + 30
    beat = first_beat
    while time.monotonic() < deadline and beat <= first_beat:
        time.sleep(HEARTBEAT_S / 2)
        with factory() as s:
            rec = s.get(Recording, rid)
            beat, stored = rec.heartbeat_at, rec.n_samples
    assert beat > first_beat and stored == 100  # the queued samples were stored during the stall
    after_store = beat
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and beat <= after_store:
        time.sleep(HEARTBEAT_S / 2)
        with factory() as s:
            beat = s.get(Recording, rid).heartbeat_at
    assert beat > after_store, "no heartbeat while the device was silent"
    # another process of this workstation starting now leaves the live recording alone
    assert recover_interrupted(factory, actor=SYSTEM, min_age_s=3.0 * HEARTBEAT_S + 1.0) == []
    recorder.stop()
    with factory() as s:
        assert s.get(Recording, rid).status == "complete"
