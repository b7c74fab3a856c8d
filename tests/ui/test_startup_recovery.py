"""At start the workstation recovers its own interrupted recordings (left by a crash), and says so."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import update

from clinic.records.db import unit_of_work
from clinic.records.models import Recording
from clinic.records.patients import create_patient, start_trial
from clinic.records.security import SYSTEM
from clinic.records.store import RecordingWriter
from devices.types import DeviceInfo, SampleBlock
from ui.context import Workstation


def test_start_marks_own_interrupted_recording_recovered(tmp_path) -> None:  # noqa: ANN001
    ws = Workstation.open(str(tmp_path))
    with unit_of_work(ws.factory) as s:
        patient = create_patient(s, SYSTEM, "C-1", "Crash", "Casey", dt.date(1970, 1, 1))
        trial_id = start_trial(s, SYSTEM, patient, "glute_bridge", "left").id
    info = DeviceInfo("emg", "T", "1", "1", "glutelab", 1000.0, ("a",), "uV", (0.1,))
    writer = RecordingWriter(ws.factory, trial_id, info)
    writer.add(SampleBlock(np.arange(3000, dtype=np.int32).reshape(-1, 1), 0, 0.0))
    writer.flush()
    # the process "dies" here: no close(); its heartbeat ages
    with unit_of_work(ws.factory) as s:
        s.execute(update(Recording).values(heartbeat_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    ws.close()

    again = Workstation.open(str(tmp_path))
    with unit_of_work(again.factory) as s:
        rec = s.get(Recording, writer.recording_id)
        assert rec.status == "recovered"
        assert rec.n_samples == 3000
    assert any("Recovered interrupted recording" in note for note in again.notes)
    again.close()
