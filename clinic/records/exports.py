"""Exports with the permission check and the audit entry in one place (window and command line alike).

One file per recording (CSV, EDF+/BDF+, or C3D with the plate resampled into each EMG file) and one FHIR
Bundle per patient. Every file written is an ``export`` event in the audit trail.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from clinic.records.access import require_release
from clinic.records.audit import record_event
from clinic.records.export_c3d import c3d_groups, export_recording_c3d
from clinic.records.export_csv import export_recording_csv
from clinic.records.export_edf import export_recording_edf
from clinic.records.export_fhir import export_patient_fhir
from clinic.records.models import Session as VisitSession
from clinic.records.patients import find_patient_by_mrn
from clinic.records.security import Actor
from clinic.vocabulary import RECORDING_FORMATS


def export_session(s: Session, actor: Actor, session_id: int, fmt: str, out_dir: str | Path,
                   reason: str | None = None) -> list[Path]:
    """``reason``: needed when the actor does not treat the patient (clinic.records.access); audited."""
    actor.require("export")
    if fmt not in RECORDING_FORMATS:
        raise ValueError(f"format must be one of {', '.join(RECORDING_FORMATS)}, not {fmt!r}")
    visit = s.get(VisitSession, session_id)
    if visit is None:
        raise KeyError(f"no session {session_id}")
    why = require_release(s, actor, visit.episode.patient_id, "export", reason)
    mrn = visit.episode.patient.mrn
    written: list[Path] = []
    try:
        _export_trials(s, actor, visit, fmt, out_dir, mrn, written, why)
    except BaseException:  # e.g. a full disk: the transaction (and its audit rows) rolls back, so must the files
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def _export_trials(s: Session, actor: Actor, visit: VisitSession, fmt: str, out_dir: str | Path, mrn: str,
                   written: list[Path], why: str) -> None:
    """Each file is complete before it appears (``clinic.atomic_file``) and is audited once it has."""
    for trial in visit.trials:
        stem = f"{Path(out_dir)}/session{visit.id}-trial{trial.id}-{trial.exercise}"
        if fmt == "c3d":
            for main, plates in c3d_groups(trial.recordings):
                written.append(export_recording_c3d(s, main, f"{stem}-rec{main}.c3d", plates))
                record_event(s, actor.username, "export", "recording", main, f"c3d; {why}")
            continue
        for rec in trial.recordings:
            path = f"{stem}-{rec.kind}-rec{rec.id}.{fmt}"
            if fmt == "csv":
                written.append(export_recording_csv(s, rec.id, path))
            else:
                written.append(export_recording_edf(s, rec.id, path, patient_code=mrn))
            record_event(s, actor.username, "export", "recording", rec.id, f"{fmt}; {why}")


def export_patient(s: Session, actor: Actor, mrn: str, out_dir: str | Path, reason: str | None = None) -> Path:
    """``reason``: needed when the actor does not treat the patient (clinic.records.access); audited."""
    actor.require("export")
    patient = find_patient_by_mrn(s, actor, mrn)
    why = require_release(s, actor, patient.id, "export", reason)
    path = export_patient_fhir(patient, Path(out_dir) / f"patient-{patient.id}-fhir.json")
    record_event(s, actor.username, "export", "patient", patient.id, f"fhir; {why}")
    return path
