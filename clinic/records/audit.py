"""The audit trail: who read, created, changed, exported or printed which record, and when.

Rows are only ever inserted; the database itself rejects UPDATE and DELETE (triggers in the migrations).
Details never carry patient names, so an erased patient leaves no personal data behind in the trail.
"""

from __future__ import annotations

import socket

from sqlalchemy.orm import Session

from clinic.records.models import AuditEvent, utcnow

_WORKSTATION = socket.gethostname()


def record_event(s: Session, username: str, action: str, entity: str, entity_id: object = "",
                 detail: str = "") -> None:
    s.add(AuditEvent(at=utcnow(), username=username, action=action, entity=entity,
                     entity_id=str(entity_id), detail=detail, workstation=_WORKSTATION))
