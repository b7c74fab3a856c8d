"""An unexpected error while storing stops that recording cleanly (interrupted, data so far kept) and is
logged with its traceback, not only its message."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np

from clinic.recorder import Recorder
from clinic.records.db import unit_of_work
from clinic.records.models import Recording
from clinic.records.patients import create_patient, start_trial
from clinic.records.security import SYSTEM
from clinic.records.store import RecordingWriter
from devices.types import DeviceInfo, SampleBlock

EMG = DeviceInfo("emg", "Amp", "1", "1", "glutelab", 1000.0, ("glute_max_left",), "uV", (0.02,))


def test_an_unexpected_store_error_is_logged_with_its_traceback(db, tmp_path, push_stream, monkeypatch, caplog):
    _, factory = db
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "ERR1", "Err", "Erin", dt.date(1980, 1, 1))
        trial_id = start_trial(s, SYSTEM, p, "glute_bridge", "left").id
    real_add = RecordingWriter.add

    def add(self: RecordingWriter, block: SampleBlock) -> None:
        if block.first_index >= 500:
            raise ZeroDivisionError("a bug in the store")
        real_add(self, block)

    monkeypatch.setattr(RecordingWriter, "add", add)
    stream = push_stream(EMG)
    recorder = Recorder(factory, trial_id, [stream], spool_dir=tmp_path)
    with caplog.at_level(logging.ERROR, logger="clinic.recorder"):
        recorder.start()
        for i in range(10):
            stream.push(SampleBlock(np.full((100, 1), i, np.int32), i * 100, 0.0))
        (rid,) = recorder.stop()
    assert recorder.errors == [f"recording {rid} stopped: a bug in the store"]
    (record,) = [r for r in caplog.records if "unexpected error" in r.getMessage()]
    assert record.exc_info is not None and isinstance(record.exc_info[1], ZeroDivisionError)
    with unit_of_work(factory) as s:
        rec = s.get(Recording, rid)
        assert rec.status == "interrupted" and rec.n_samples == 500
