"""Exports on both backends, each file read back with an independent reader (numpy parsers written from the
EDF/BDF and C3D specifications, not the libraries that wrote them) and compared within one count."""

from __future__ import annotations

import datetime as dt
import json

import ezc3d
import numpy as np
import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select, update

from clinic.records.db import unit_of_work
from clinic.records.exports import export_patient, export_session
from clinic.records.models import AuditEvent, Recording, Trial
from clinic.records.patients import create_episode, create_patient, create_session, create_trial
from clinic.records.results import save_trial_results
from clinic.records.security import SYSTEM, Actor, AuthError
from clinic.records.store import RecordingWriter
from devices.types import DeviceInfo, SampleBlock

from .independent_readers import read_c3d, read_edf

EMG = DeviceInfo("emg", "GluteLab amp", "A1", "1.0", "glutelab", 1000.0, ("glute_max_left", "hamstrings_left"),
                 "uV", (0.0223, 0.0223), (0.0, 3.0))
PLATE = DeviceInfo("plate", "HX711 rig", "P1", "1.0", "hx711", 80.0, ("fl", "fr", "bl", "br"), "N",
                   (0.00012, 0.00012, 0.00011, 0.00013), (1000.0, -500.0, 0.0, 20.0))
N_EMG, N_PLATE = 2500, 200
PLATE_OFFSET_S = 0.013

REASON = "referral letter to the orthopaedic surgeon"  # SYSTEM treats nobody: exports need one


def _counts() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(N_EMG)[:, None]
    emg = (np.sin(t / 40.0 + np.array([0, 1])) * 20000 + rng.normal(0, 2000, (N_EMG, 2))).clip(-32768, 32767)
    tp = np.arange(N_PLATE)[:, None]
    plate = (np.cos(tp / 15.0 + np.arange(4)) * 6e6 + rng.normal(0, 1e4, (N_PLATE, 4))).clip(-8388608, 8388607)
    return emg.astype(np.int32), plate.astype(np.int32)


@pytest.fixture
def session_with_recordings(db):  # noqa: ANN001, ANN201
    _, factory = db
    emg, plate = _counts()
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "EX1", "Export", "Emma", dt.date(1966, 6, 6), "female", consent_given=True)
        ep = create_episode(s, SYSTEM, p, "Gluteal amnesia", dt.date(2026, 10, 1))
        visit = create_session(s, SYSTEM, ep, dt.datetime(2026, 10, 9, 10, tzinfo=dt.UTC), pain_score=4)
        trial = create_trial(s, SYSTEM, visit, "glute_bridge", "left", reps=3)
        save_trial_results(s, SYSTEM, trial, {"reps": [
            {"rep": rep, "glute_first": rep != 2, "hold_amplitude": {"glute_max": {"mean_pct_mvc": 30.0 + rep}}}
            for rep in (1, 2, 3)]})
        ids = visit.id, trial.id
    w = RecordingWriter(factory, ids[1], EMG)
    for i in range(0, N_EMG, 250):
        w.add(SampleBlock(emg[i:i + 250], i, 0.0))
    w.close()
    wp = RecordingWriter(factory, ids[1], PLATE, start_offset_s=PLATE_OFFSET_S)
    wp.add(SampleBlock(plate, 0, 0.0))
    wp.close()
    return factory, ids[0], emg, plate


def _physical(counts: np.ndarray, info: DeviceInfo) -> np.ndarray:
    return (counts - np.asarray(info.offset)) * np.asarray(info.scale)


def test_edf_and_bdf_export_read_back_independently(session_with_recordings, tmp_path):
    factory, sid, emg, plate = session_with_recordings
    with unit_of_work(factory) as s:
        files = export_session(s, SYSTEM, sid, "edf", tmp_path, REASON)
    assert [f.suffix for f in files] == [".edf", ".bdf"]  # 16-bit EMG as EDF+, 24-bit load cells as BDF+
    edf = read_edf(files[0])
    assert not edf["bdf"] and edf["reserved"].startswith("EDF+")
    for c, name in enumerate(EMG.channel_names):
        sig = edf["signals"][name]
        assert sig["rate"] == 1000 and sig["unit"] == "uV"
        np.testing.assert_array_equal(sig["digital"][:N_EMG], emg[:, c])
        assert np.max(np.abs(sig["physical"][:N_EMG] - _physical(emg, EMG)[:, c])) <= EMG.scale[c]
    assert any("end of recording" in a for a in edf["annotations"])
    bdf = read_edf(files[1])
    assert bdf["bdf"] and bdf["reserved"].startswith("BDF+")
    for c, name in enumerate(PLATE.channel_names):
        sig = bdf["signals"][name]
        np.testing.assert_array_equal(sig["digital"][:N_PLATE], plate[:, c])
        assert np.max(np.abs(sig["physical"][:N_PLATE] - _physical(plate, PLATE)[:, c])) <= PLATE.scale[c]


def test_c3d_export_carries_emg_and_the_resampled_plate(session_with_recordings, tmp_path):
    factory, sid, emg, plate = session_with_recordings
    with unit_of_work(factory) as s:
        (path,) = export_session(s, SYSTEM, sid, "c3d", tmp_path, REASON)
    c3d = read_c3d(path)
    assert c3d["rate"] == 1000.0
    assert c3d["params"]["ANALOG:LABELS"] == list(EMG.channel_names + PLATE.channel_names)
    analog = c3d["analog"]
    assert analog.shape == (N_EMG, 6)
    emg_phys = _physical(emg, EMG)
    assert np.max(np.abs(analog[:, :2] - emg_phys)) <= min(EMG.scale)
    t = np.arange(N_EMG) / 1000.0
    tp = PLATE_OFFSET_S + np.arange(N_PLATE) / 80.0
    plate_phys = _physical(plate, PLATE)
    for c in range(4):
        expected = np.interp(t, tp, plate_phys[:, c])
        assert np.max(np.abs(analog[:, 2 + c] - expected)) <= PLATE.scale[c]
    resampling = c3d["params"]["GLUTELAB:RESAMPLING"]
    assert "linear interpolation from 80 Hz to 1000 Hz" in resampling
    again = ezc3d.c3d(str(path))  # and the reference library agrees with our reader
    np.testing.assert_allclose(again["data"]["analogs"][0].T, analog, rtol=0, atol=1e-6)


def test_csv_export_has_one_file_per_recording(session_with_recordings, tmp_path):
    factory, sid, emg, plate = session_with_recordings
    with unit_of_work(factory) as s:
        files = export_session(s, SYSTEM, sid, "csv", tmp_path, REASON)
    assert len(files) == 2
    back = np.loadtxt(files[1], delimiter=",", comments="#", skiprows=2)
    assert back.shape == (N_PLATE, 5)
    assert np.max(np.abs(back[:, 1:] - _physical(plate, PLATE)) / np.asarray(PLATE.scale)) <= 1.0


def test_patient_fhir_bundle_validates_and_exports_are_audited(session_with_recordings, tmp_path):
    factory, _, _, _ = session_with_recordings
    with unit_of_work(factory) as s:
        path = export_patient(s, SYSTEM, "EX1", tmp_path, REASON)
    data = json.loads(path.read_text())
    bundle = Bundle.model_validate(data)
    kinds = [e.resource.__resource_type__ for e in bundle.entry]
    assert kinds[:3] == ["Patient", "EpisodeOfCare", "Encounter"] and kinds.count("Observation") == 2
    pain = next(e["resource"] for e in data["entry"] if e["resource"].get("valueInteger") is not None)
    assert pain["code"]["coding"][0]["code"] == "72514-3" and pain["valueInteger"] == 4
    trial_obs = [e["resource"] for e in data["entry"] if "component" in e["resource"]][0]
    assert trial_obs["component"][0]["valueQuantity"]["value"] == pytest.approx(2 / 3, abs=1e-4)
    with unit_of_work(factory) as s:
        viewer = Actor(3, "desk", "viewer")
        with pytest.raises(AuthError, match="desk \\(viewer\\) may not export"):
            export_patient(s, viewer, "EX1", tmp_path)
        with pytest.raises(AuthError):
            export_session(s, viewer, s.scalar(select(Trial.session_id)), "csv", tmp_path)
        events = s.execute(select(AuditEvent.action, AuditEvent.entity, AuditEvent.detail)
                           .where(AuditEvent.action == "export")).all()
    assert events == [("export", "patient", f"fhir; reason: {REASON}")]


def test_fhir_marks_an_observation_from_simulated_recordings(session_with_recordings, tmp_path):
    factory, _, _, _ = session_with_recordings
    with unit_of_work(factory) as s:
        path = export_patient(s, SYSTEM, "EX1", tmp_path, REASON)
    assert "SIMULATED" not in path.read_text()
    with unit_of_work(factory) as s:
        s.execute(update(Recording).where(Recording.kind == "plate").values(simulated=True))
    with unit_of_work(factory) as s:
        path = export_patient(s, SYSTEM, "EX1", tmp_path, REASON)
    data = json.loads(path.read_text())
    Bundle.model_validate(data)
    trial_obs = [e["resource"] for e in data["entry"] if "component" in e["resource"]][0]
    assert "SIMULATED" in trial_obs["note"][0]["text"]


def test_long_c3d_keeps_every_sample(db, trial_id, tmp_path):
    """70 s at 1 kHz is more frames than the C3D header can count: nothing may be cut off."""
    from clinic.records.export_c3d import export_recording_c3d

    _, factory = db
    n = 70_000
    counts = (np.arange(n)[:, None] % 30000 - 15000 + np.array([0, 7])).astype(np.int32)
    w = RecordingWriter(factory, trial_id, EMG)
    for i in range(0, n, 10_000):
        w.add(SampleBlock(counts[i:i + 10_000], i, 0.0))
    w.close()
    with unit_of_work(factory) as s:
        path = export_recording_c3d(s, w.recording_id, tmp_path / "long.c3d")
    c3d = read_c3d(path)
    assert c3d["rate"] == 1000.0 and c3d["params"]["GLUTELAB:SAMPLES"] == str(n)
    assert c3d["analog"].shape[0] >= n
    assert np.max(np.abs(c3d["analog"][:n] - _physical(counts, EMG))) <= min(EMG.scale)
