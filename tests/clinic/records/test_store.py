"""The recording store on both backends: checksums checked on read, lost packets leave holes, compact chunks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sqlalchemy import update

from clinic.records.db import unit_of_work
from clinic.records.models import Recording, RecordingChunk, Trial
from clinic.records.store import (
    CorruptRecording,
    RecordingWriter,
    decode_chunk,
    encode_chunk,
    load_counts,
    load_physical,
    load_segments,
)
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.onsets import OnsetSettings
from clinic.usecases.trial_analysis import analyze_stored_trial
from devices.types import SampleBlock

from .conftest import EMG_INFO


def test_a_damaged_chunk_is_reported_on_read(db, trial_id):
    _, factory = db
    w = RecordingWriter(factory, trial_id, EMG_INFO)
    for i in range(3):
        w.add(SampleBlock(np.full((500, 2), i, np.int32), i * 500, 0.0))
    w.close()
    with unit_of_work(factory) as s:
        s.execute(update(RecordingChunk).where(RecordingChunk.seq == 1).values(data=b"\x78\x9c\x03\x00\x00\x00"))
    with unit_of_work(factory) as s, pytest.raises(CorruptRecording, match=r"chunk 1: checksum mismatch.*backup"):
        load_counts(s, w.recording_id)
    with unit_of_work(factory) as s:  # the analysis of the trial says why instead of raising
        result = analyze_stored_trial(s, s.get(Trial, trial_id), ConditioningSettings(mains_hz=50.0), OnsetSettings())
        assert result["trial_id"] == trial_id
        assert "chunk 1: checksum mismatch" in str(result["error"])


def test_lost_packets_leave_a_hole_on_the_true_time_base_and_storage_is_compact(db, trial_id):
    _, factory = db
    w = RecordingWriter(factory, trial_id, EMG_INFO)
    t = np.arange(4000)
    smooth = np.column_stack([np.sin(t / 50) * 3000, np.cos(t / 70) * 2000]).astype(np.int32)
    w.add(SampleBlock(smooth[:1000], 0, 0.0))
    w.add(SampleBlock(smooth[1100:4000], 1100, 0.0))  # 100 samples lost on the link
    w.close()
    with unit_of_work(factory) as s:
        segments = load_segments(s, w.recording_id)
        assert [(first, len(c)) for first, c in segments] == [(0, 1000), (1100, 2900)]
        counts = load_counts(s, w.recording_id)  # stored samples only: nothing repeated or made up
        np.testing.assert_array_equal(counts, np.concatenate([smooth[:1000], smooth[1100:]]))
        stored = sum(len(c.data) for c in s.get(Recording, w.recording_id).chunks)
        assert stored < counts.nbytes / 2  # deltas + zlib: well under the raw int32 size
        rec, values = load_physical(s, w.recording_id)
        assert rec.n_samples == 4000 and values.shape == (4000, 2) and values.dtype == np.float32
        assert np.isnan(values[1000:1100]).all() and np.isfinite(np.delete(values, range(1000, 1100), 0)).all()
        np.testing.assert_allclose(values[1100:], smooth[1100:] * 0.0223, rtol=1e-6)
        assert rec.status == "complete" and rec.events == [(  # 0.1 s: long enough to be an event
            {"kind": "gap", "cause": "lost_packets", "first_sample": 1000, "n_samples": 100, "start_s": 1.0,
             "duration_s": 0.1})]


@given(st.integers(1, 8).flatmap(lambda ch: arrays(np.int32, st.tuples(st.integers(1, 300), st.just(ch)),
                                                   elements=st.integers(-2**23, 2**23 - 1))))
def test_chunk_codec_is_lossless(counts):
    data, dtype, _ = encode_chunk(counts)
    np.testing.assert_array_equal(decode_chunk(data, *counts.shape, dtype), counts)


def test_a_block_of_the_wrong_shape_is_refused_and_the_queued_samples_are_kept(db, trial_id):
    _, factory = db
    w = RecordingWriter(factory, trial_id, EMG_INFO)
    good = np.arange(600, dtype=np.int32).reshape(300, 2)
    w.add(SampleBlock(good, 0, 0.0))
    with pytest.raises(ValueError, match="does not fit its 2 channels"):
        w.add(SampleBlock(np.zeros((100, 3), np.int32), 300, 0.0))
    w.close()
    with unit_of_work(factory) as s:
        np.testing.assert_array_equal(load_counts(s, w.recording_id), good)


def test_recovery_keeps_the_chunks_after_a_gap(db, trial_id):
    """A crash after a gap: start-up recovery counts the samples up to the last chunk (the hole between two
    chunks is a gap on purpose, a missing seq would be a lost chunk)."""
    from clinic.records.recovery import recover_interrupted

    _, factory = db
    w = RecordingWriter(factory, trial_id, EMG_INFO, workstation="ws-crash")
    w.add(SampleBlock(np.ones((600, 2), np.int32), 0, 0.0))
    w.add(SampleBlock(np.ones((600, 2), np.int32), 2600, 0.0))  # 2 s gap
    w.flush()  # then the process dies: no close
    assert recover_interrupted(factory, "ws-crash", min_age_s=0.0) == [w.recording_id]
    with unit_of_work(factory) as s:
        rec = s.get(Recording, w.recording_id)
        assert rec.status == "recovered" and rec.n_samples == 3200
        assert [(first, len(c)) for first, c in load_segments(s, w.recording_id)] == [(0, 600), (2600, 600)]
