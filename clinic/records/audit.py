"""The audit trail: who read, created, changed, exported or printed which record, and when.

Rows are only ever inserted; the database itself rejects UPDATE, DELETE, REPLACE and TRUNCATE (triggers in
the migrations). Each row carries an HMAC over the previous row's MAC and its own fields, with a key kept
outside the database (``audit_key``), so a row changed, inserted or removed behind the application's back
breaks the chain at that row (``verify_chain``). Details never carry patient names, so an erased patient
leaves no personal data behind in the trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, event, func, select, text
from sqlalchemy.orm import Session

from clinic.records.models import AuditEvent, utcnow

KEY_ENV = "GLUTELAB_AUDIT_KEY"
KEY_FILE_NAME = "audit.key"
CHAIN_LOCK = 772202  # PostgreSQL advisory lock id that serialises writers of the chain
# Column widths of audit_events: every value is clipped here, so no input can make the insert fail or
# make the undeletable table grow by more than a bounded amount per event.
LIMITS = {"username": 64, "action": 32, "entity": 32, "entity_id": 64, "detail": 2000, "workstation": 128}

_PENDING = "glutelab_pending_audit"  # Session.info key: this transaction's events, chained at commit
_keys: dict[Path, bytes] = {}
_keys_lock = threading.Lock()


class AuditKeyError(RuntimeError):
    """The audit key is missing or unusable; the message says where it is expected."""


def default_workstation() -> str:
    """This workstation's name, in the audit trail and as a recording's owner (``GLUTELAB_WORKSTATION``
    overrides the host name)."""
    return os.environ.get("GLUTELAB_WORKSTATION") or socket.gethostname()


def _clip(field: str, value: object) -> str:
    value = str(value)
    limit = LIMITS[field]
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


# -- the key ----------------------------------------------------------------------------------------------
def key_file_for(engine: Engine) -> Path | None:
    """SQLite: ``audit.key`` in the folder of the database file (the data dir); PostgreSQL: none (the
    clinic's secret comes from ``GLUTELAB_AUDIT_KEY``)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Path(engine.url.database).resolve().parent / KEY_FILE_NAME


def _parse_key(raw: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(raw.strip())
    except ValueError as exc:
        raise AuditKeyError(f"the audit key in {where} is not hexadecimal") from exc
    if len(key) < 32:
        raise AuditKeyError(f"the audit key in {where} is shorter than 32 bytes (64 hex digits)")
    return key


def _load_or_create_key_file(path: Path) -> bytes:
    """A 0600 file with 32 random bytes in hex, created once (O_EXCL: two processes never make two keys)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _parse_key(path.read_text(encoding="ascii"), str(path))
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return _parse_key(path.read_text(encoding="ascii"), str(path))


def audit_key(engine: Engine) -> bytes:
    """The HMAC key of this database's audit chain. SQLite: the data dir's 0600 ``audit.key`` (made on first
    use). PostgreSQL: ``GLUTELAB_AUDIT_KEY`` (hex), the clinic's secret, the same on every workstation."""
    path = key_file_for(engine)
    if path is None:
        env = os.environ.get(KEY_ENV)
        if not env:
            raise AuditKeyError(
                f"no audit key: set {KEY_ENV} to the clinic's audit secret (64 hex digits, the same on every "
                "workstation of this clinic database; docs/security.md)")
        return _parse_key(env, KEY_ENV)
    with _keys_lock:
        if path not in _keys:
            _keys[path] = _load_or_create_key_file(path)
        return _keys[path]


# -- the chain --------------------------------------------------------------------------------------------
def _at_text(at: dt.datetime) -> str:
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(at: dt.datetime, username: str, action: str, entity: str, entity_id: str, detail: str,
               workstation: str) -> bytes:
    return json.dumps([_at_text(at), username, action, entity, entity_id, detail, workstation],
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _mac(key: bytes, prev: str, row: bytes) -> str:
    return hmac.new(key, prev.encode("ascii") + b"\n" + row, hashlib.sha256).hexdigest()


_ROW = (AuditEvent.id, AuditEvent.at, AuditEvent.username, AuditEvent.action, AuditEvent.entity,
        AuditEvent.entity_id, AuditEvent.detail, AuditEvent.workstation, AuditEvent.chain_mac)


def _genesis(s: Session, key: bytes, before_id: int | None = None) -> str:
    """Where the chain starts: an HMAC over every row written before the chain existed (revision 0003
    left them unchained), so those rows are sealed by the first chained row too."""
    digest = hashlib.sha256()
    for row in _rows_from(s, None):
        if row[8] is not None or (before_id is not None and row[0] >= before_id):
            break
        digest.update(_canonical(*row[1:8]) + b"\n")
    return _mac(key, "genesis", digest.hexdigest().encode("ascii"))


def _lock_chain(s: Session) -> None:
    """PostgreSQL: one writer of the chain at a time until its transaction ends (SQLite's BEGIN IMMEDIATE
    already serialises writers)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})


def record_event(s: Session, username: str, action: str, entity: str, entity_id: object = "",
                 detail: str = "") -> None:
    """Queue an audit event; it is chained and written when the transaction commits (``write_pending``)."""
    audit_key(s.get_bind().engine)  # type: ignore[union-attr]  # a missing key fails here, before any work
    fields = {"username": _clip("username", username), "action": _clip("action", action),
              "entity": _clip("entity", entity), "entity_id": _clip("entity_id", entity_id),
              "detail": _clip("detail", detail), "workstation": _clip("workstation", default_workstation())}
    s.info.setdefault(_PENDING, []).append((utcnow(), fields))


def write_pending(s: Session) -> None:
    """Chain and insert this transaction's queued events. Runs just before every commit, after the
    transaction's own row locks are taken, so the chain lock (held only to the end of the commit) never waits
    in a cycle with them (a lock taken at the first event would deadlock two workstations, one editing after
    reading and one reading after editing the same patient)."""
    pending = s.info.pop(_PENDING, None)
    if not pending:
        return
    key = audit_key(s.get_bind().engine)  # type: ignore[union-attr]
    _lock_chain(s)
    head = s.execute(select(AuditEvent.chain_mac).order_by(AuditEvent.id.desc()).limit(1)).first()
    prev = head[0] if head is not None and head[0] is not None else _genesis(s, key)
    for at, fields in pending:
        prev = _mac(key, prev, _canonical(at, **fields))
        s.add(AuditEvent(at=at, chain_mac=prev, **fields))
    s.flush()


def _drop_pending(s: Session, *_: object) -> None:
    s.info.pop(_PENDING, None)


event.listen(Session, "before_commit", write_pending)
event.listen(Session, "after_rollback", _drop_pending)


@dataclass(frozen=True)
class ChainReport:
    checked: int  # chained rows that verified
    unchained: int  # rows written before the chain existed (sealed by the genesis value)
    first_bad_id: int | None
    reason: str = ""
    head_id: int | None = None
    head_mac: str = ""


def _rows_from(s: Session, first: int | None, batch: int = 5000) -> Iterator[Row[Any]]:
    """Rows in id order from ``first`` (None: the beginning), a batch at a time (keyset paging: the trail
    may be millions of rows)."""
    after = None if first is None else first - 1
    while True:
        page = select(*_ROW).order_by(AuditEvent.id).limit(batch)
        rows = s.execute(page if after is None else page.where(AuditEvent.id > after)).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1][0]


def verify_chain(s: Session, key: bytes) -> ChainReport:
    """Walk the trail in id order and name the first row whose MAC does not verify."""
    first = s.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.chain_mac.is_not(None)))
    if first is None:
        return ChainReport(0, s.scalar(select(func.count(AuditEvent.id))) or 0, None)
    unchained = s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.id < first)) or 0
    prev = _genesis(s, key, before_id=first)
    checked, head_id = 0, None
    for row in _rows_from(s, first):
        row_id, mac = row[0], row[8]
        if mac is None:
            return ChainReport(checked, unchained, row_id, "row has no MAC after the chain started "
                               "(inserted behind the application's back)")
        expected = _mac(key, prev, _canonical(*row[1:8]))
        if not hmac.compare_digest(expected, mac):
            return ChainReport(checked, unchained, row_id, "MAC does not match: this row was changed or "
                               "inserted, an earlier row was removed or changed, or the key is not this "
                               "database's")
        prev, checked, head_id = mac, checked + 1, row_id
    return ChainReport(checked, unchained, None, "", head_id, prev)
