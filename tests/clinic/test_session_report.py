"""The session report PDF: simulated data is marked even when the analysis failed, and the reason is printed;
names with markup characters do not break the PDF."""

from __future__ import annotations

import datetime as dt

import numpy as np
from pypdf import PdfReader
from sqlalchemy import update

from clinic.records.db import unit_of_work
from clinic.records.models import RecordingChunk
from clinic.records.patients import create_patient, start_trial
from clinic.records.security import SYSTEM
from clinic.records.store import RecordingWriter
from clinic.settings import Settings
from clinic.usecases.reports import build_session_report
from devices.types import DeviceInfo, SampleBlock

EMG = DeviceInfo("emg", "Sim amp", "1", "1", "glutelab", 1000.0, ("glute_max_left", "hamstrings_left"), "uV",
                 (0.02, 0.02), simulated=True)


def test_report_of_a_damaged_simulated_recording_says_both(db, tmp_path):
    _, factory = db
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "R<1>", "O'Neil & <Sons>", "Ann", dt.date(1980, 1, 1))
        trial = start_trial(s, SYSTEM, p, "glute_bridge", "left", when=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC))
        trial_id, session_id = trial.id, trial.session_id
    w = RecordingWriter(factory, trial_id, EMG)
    w.add(SampleBlock(np.zeros((3000, 2), np.int32), 0, 0.0))
    w.close()
    with unit_of_work(factory) as s:
        s.execute(update(RecordingChunk).values(sha256="0" * 64))
    with unit_of_work(factory) as s:
        pdf = build_session_report(s, SYSTEM, session_id, tmp_path / "report.pdf", Settings(mains_hz=50),
                                   reason="case review")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    assert "SIMULATED DATA" in text
    assert "Analysis not possible" in text and "checksum mismatch" in text
    assert "O'Neil & <Sons>" in text and "R<1>" in text
