"""At start: find recordings a crash or kill -9 left in status 'recording' and make them whole again.

Only the workstation that owns a recording recovers it (its chunks and spool are its own), or an
administrator once its heartbeat is stale (the owner is gone for good). Spool files left by a lost database
connection are copied in first, so a recovered recording holds everything that reached any durable store.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from clinic.records import spool
from clinic.records.audit import default_workstation, record_event
from clinic.records.models import Recording, RecordingChunk, utcnow
from clinic.records.security import PERMISSIONS, SYSTEM, Actor
from clinic.records.store import store_chunks


def replay_spools(factory: sessionmaker[Session], spool_dir: str | Path) -> list[int]:
    """Copy every spool file of this data dir into the database, then remove it. Returns recording ids."""
    done: list[int] = []
    engine = factory.kw["bind"]
    for path in sorted(Path(spool_dir).glob("recording-*.spool")):
        rid = spool.recording_id_of(path)
        if rid is None:
            continue
        try:
            with engine.begin() as conn:
                if conn.scalar(select(Recording.id).where(Recording.id == rid)) is None:
                    continue  # the recording was erased meanwhile; keep the file for the administrator
                store_chunks(conn, rid, spool.read(path), heartbeat=False)  # a copy of the past, not a sign of life
        except (ValueError, KeyError, TypeError, IntegrityError) as exc:  # a damaged file must not block the others
            logging.getLogger(__name__).error("spool %s cannot be copied in (%s); it is kept as it is", path, exc)
            continue
        path.unlink()
        done.append(rid)
    return done


def recover_interrupted(factory: sessionmaker[Session], workstation: str | None = None, actor: Actor = SYSTEM,
                        *, spool_dir: str | Path | None = None, min_age_s: float = 3.0,
                        stale_after_s: float = 120.0) -> list[int]:
    """Mark this workstation's interrupted recordings 'recovered' with ``n_samples`` taken from the chunks.

    ``min_age_s`` leaves alone a recording whose heartbeat is fresher (another process of this workstation may
    still be writing it). An administrator ``actor`` also recovers other workstations' recordings whose
    heartbeat is older than ``stale_after_s``.
    """
    workstation = workstation or default_workstation()
    if spool_dir is not None and Path(spool_dir).is_dir():
        replay_spools(factory, spool_dir)
    now = utcnow()
    admin = "admin" in PERMISSIONS.get(actor.role, frozenset())
    recovered: list[int] = []
    with factory() as s, s.begin():
        for rec in s.scalars(select(Recording).where(Recording.status == "recording")).all():
            age = (now - rec.heartbeat_at) if rec.heartbeat_at else dt.timedelta.max
            own = rec.workstation == workstation
            if own and age < dt.timedelta(seconds=min_age_s):
                continue
            if not own and not (admin and age > dt.timedelta(seconds=stale_after_s)):
                continue
            n = _contiguous_samples(s, rec.id)
            s.execute(update(Recording).where(Recording.id == rec.id, Recording.status == "recording")
                      .values(status="recovered", n_samples=n, heartbeat_at=now))
            record_event(s, actor.username, "recover", "recording", rec.id,
                         f"{n} samples kept; owner {rec.workstation}")
            recovered.append(rec.id)
    return recovered


def _contiguous_samples(s: Session, recording_id: int) -> int:
    """End of the unbroken run of chunks from seq 0 (a missing seq is a lost chunk; a hole in sample indices
    between consecutive chunks is a gap the recorder stored on purpose)."""
    end = 0
    rows = s.execute(select(RecordingChunk.seq, RecordingChunk.first_sample, RecordingChunk.n_samples)
                     .where(RecordingChunk.recording_id == recording_id).order_by(RecordingChunk.seq))
    for expected_seq, (seq, first, n) in enumerate(rows):
        if seq != expected_seq or first < end:
            break
        end = first + n
    return end
