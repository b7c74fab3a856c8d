"""Who may take a patient's data out of the database: an export file or a printed report.

Viewers never. A physiotherapist or administrator may release the data of a patient they treat (they are the
clinician of one of the patient's sessions); for any other patient they must give a reason, which is kept in
the audit row of the export or print. Administrators follow the same rule: their clinical permissions are a
physiotherapist's, not a way around it. Docs: docs/security.md.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from clinic.records.models import Episode
from clinic.records.models import Session as VisitSession
from clinic.records.security import Actor, AuthError

REASON_MAX = 200


def treats(s: Session, actor: Actor, patient_id: int) -> bool:
    """The actor is the clinician of at least one session of this patient."""
    return bool(actor.user_id) and bool(s.scalar(select(exists().where(
        VisitSession.episode_id == Episode.id, Episode.patient_id == patient_id,
        VisitSession.clinician_id == actor.user_id))))


def require_release(s: Session, actor: Actor, patient_id: int, purpose: str, reason: str | None) -> str:
    """Check that ``actor`` may ``purpose`` ("export" or "print") this patient's data; returns the words for
    the audit detail (why it was allowed)."""
    actor.require(purpose)
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise ValueError(f"the reason must be at most {REASON_MAX} characters")
    if treats(s, actor, patient_id):
        return "treating clinician" + (f"; reason: {reason}" if reason else "")
    if not reason:
        raise AuthError(f"{actor.username} is not a treating clinician of patient {patient_id}: to {purpose} "
                        "this patient's data give a reason (--reason), which is kept in the audit trail")
    return f"reason: {reason}"
