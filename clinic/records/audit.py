"""The audit trail: who read, created, changed, exported or printed which record, and when.

Rows are only ever inserted; the database itself rejects UPDATE and DELETE (triggers in the migrations).
Details never carry patient names, so an erased patient leaves no personal data behind in the trail.
"""

from __future__ import annotations

import os
import socket

from sqlalchemy.orm import Session

from clinic.records.models import AuditEvent, utcnow


def default_workstation() -> str:
    """This workstation's name, in the audit trail and as a recording's owner (``GLUTELAB_WORKSTATION``
    overrides the host name)."""
    return os.environ.get("GLUTELAB_WORKSTATION") or socket.gethostname()


def record_event(s: Session, username: str, action: str, entity: str, entity_id: object = "",
                 detail: str = "") -> None:
    s.add(AuditEvent(at=utcnow(), username=username, action=action, entity=entity,
                     entity_id=str(entity_id), detail=detail, workstation=default_workstation()))
