"""Right to erasure: an administrator removes a patient with every record and recording of theirs.

The database cascades the delete (episodes, sessions, trials, results, calibrations, recordings, chunks).
The audit trail keeps that an erasure happened, by whom and when, under the patient's internal id only:
no name, MRN or other personal data is written to it.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clinic.records.audit import record_event
from clinic.records.models import Episode, Patient, Recording, Trial
from clinic.records.models import Session as VisitSession
from clinic.records.security import Actor


def erase_patient(s: Session, actor: Actor, patient_id: int) -> int:
    """Erase one patient; returns how many recordings went with them."""
    actor.require("erase")
    if s.get(Patient, patient_id) is None:
        raise KeyError(f"no patient {patient_id}")
    n_recordings = s.scalar(select(func.count(Recording.id)).join(Trial).join(VisitSession)
                            .join(Episode, Episode.id == VisitSession.episode_id)
                            .where(Episode.patient_id == patient_id)) or 0
    s.flush()
    s.expunge_all()  # the ORM must not try to re-save what the database cascade removes
    s.execute(delete(Patient).where(Patient.id == patient_id))
    record_event(s, actor.username, "erase", "patient", patient_id, f"{n_recordings} recordings erased")
    return int(n_recordings)
