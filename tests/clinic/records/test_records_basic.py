"""Records on both backends: migrations, validation, audit append-only, lossless recording store."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from clinic.records.db import current_revision, head_revision, unit_of_work
from clinic.records.models import AuditEvent
from clinic.records.patients import ValidationError, create_patient, search_patients, start_trial
from clinic.records.security import SYSTEM
from clinic.records.store import RecordingWriter, load_counts
from devices.types import DeviceInfo, SampleBlock


def test_migrated_to_head(db):
    engine, _ = db
    assert current_revision(engine) == head_revision()


def test_patient_validation_and_search(db):
    _, factory = db
    with unit_of_work(factory) as s:
        create_patient(s, SYSTEM, "M1", "Müller", "Eva", dt.date(1980, 5, 1))
        with pytest.raises(ValidationError, match="already used"):
            create_patient(s, SYSTEM, "M1", "Other", "X", dt.date(1980, 5, 1))
        with pytest.raises(ValidationError, match="family name must not be empty"):
            create_patient(s, SYSTEM, "M2", "  ", "X", dt.date(1980, 5, 1))
        with pytest.raises(ValidationError, match="plausible"):
            create_patient(s, SYSTEM, "M3", "Future", "X", dt.date.today() + dt.timedelta(days=2))
    with unit_of_work(factory) as s:
        assert [p.mrn for p in search_patients(s, SYSTEM, "mul")] == ["M1"]


def test_audit_trail_is_append_only_in_the_database(db):
    engine, factory = db
    with unit_of_work(factory) as s:
        create_patient(s, SYSTEM, "A1", "Audit", "Ann", dt.date(1970, 1, 1))
    with unit_of_work(factory) as s:
        assert s.scalars(select(AuditEvent.action)).all() == ["create"]
    for stmt in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises((DBAPIError, IntegrityError)), engine.begin() as conn:
            conn.execute(text(stmt))


def test_recording_store_is_lossless_and_checked(db):
    _, factory = db
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "R1", "Rec", "Ord", dt.date(1970, 1, 1))
        trial_id = start_trial(s, SYSTEM, p, "glute_bridge", "left").id
    info = DeviceInfo("emg", "T", "1", "1", "glutelab", 1000.0, ("a", "b"), "uV", (0.1, 0.1))
    rng = np.random.default_rng(0)
    counts = rng.integers(-32768, 32767, size=(2500, 2)).astype(np.int32)
    writer = RecordingWriter(factory, trial_id, info, flush_s=1.0)
    for i in range(0, 2500, 100):
        writer.add(SampleBlock(counts[i:i + 100], i, 0.0))
    writer.close()
    with unit_of_work(factory) as s:
        np.testing.assert_array_equal(load_counts(s, writer.recording_id), counts)
