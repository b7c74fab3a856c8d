"""The recording store: raw integer counts in compressed, checksummed chunks inside the database.

A ``RecordingWriter`` is fed sample blocks and commits a chunk at least every ``flush_s`` seconds, so a
crash loses at most the last second; ``load_counts`` reassembles a recording and verifies every chunk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import zlib
from dataclasses import asdict, dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clinic.records.models import Recording, RecordingChunk, utcnow
from devices.types import DeviceInfo, SampleBlock

CODEC = "delta-zlib"


class CorruptRecording(RuntimeError):
    """A chunk whose bytes no longer match the checksum written with them."""


def encode_chunk(counts: np.ndarray) -> tuple[bytes, str, str]:
    """Lossless: first-difference along time (EMG and force change slowly per sample), then zlib."""
    dtype = "<i2" if counts.dtype.itemsize <= 2 else "<i4"
    wide = counts.astype(np.int64)
    delta = np.diff(wide, axis=0, prepend=np.zeros((1, wide.shape[1]), np.int64))
    raw = delta.astype("<i4").tobytes()
    data = zlib.compress(raw, 1)
    return data, dtype, hashlib.sha256(data).hexdigest()


def decode_chunk(data: bytes, n_samples: int, n_channels: int, dtype: str) -> np.ndarray:
    delta = np.frombuffer(zlib.decompress(data), dtype="<i4").reshape(n_samples, n_channels)
    return np.cumsum(delta, axis=0, dtype=np.int64).astype(dtype)


@dataclass
class WriterStatus:
    samples_written: int = 0
    chunks_written: int = 0
    error: str = ""


class RecordingWriter:
    """Appends blocks of one stream to one Recording row. Not thread-safe: one writer thread owns it."""

    def __init__(self, factory: sessionmaker[Session], trial_id: int, info: DeviceInfo,
                 start_offset_s: float = 0.0, flush_s: float = 1.0) -> None:
        self.factory = factory
        self.info = info
        self.flush_s = flush_s
        self.status = WriterStatus()
        self._pending: list[np.ndarray] = []
        self._pending_samples = 0
        self._next_sample = 0
        self._seq = 0
        self._base_index: int | None = None
        with factory() as s, s.begin():
            rec = Recording(trial_id=trial_id, kind=info.kind, device=asdict(info),
                            sample_rate_hz=info.sample_rate_hz, channel_names=list(info.channel_names),
                            scale=list(info.scale), offset=list(info.offset), units=info.units,
                            simulated=info.simulated, status="recording", start_offset_s=start_offset_s,
                            workstation=socket.gethostname(), heartbeat_at=utcnow())
            s.add(rec)
            s.flush()
            self.recording_id = rec.id

    def add(self, block: SampleBlock) -> None:
        """Queue a block; a gap in sample indices (lost packets) is stored as repeated last values."""
        if self._base_index is None:
            self._base_index = block.first_index
        rel = block.first_index - self._base_index
        expected = self._next_sample + self._pending_samples
        if rel > expected and self._pending_samples + self._next_sample > 0:
            last = self._pending[-1][-1:] if self._pending else np.zeros((1, block.counts.shape[1]), np.int32)
            self._pending.append(np.repeat(last, rel - expected, axis=0))
            self._pending_samples += rel - expected
        self._pending.append(block.counts)
        self._pending_samples += block.n_samples
        if self._pending_samples >= self.flush_s * self.info.sample_rate_hz:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        counts = np.concatenate(self._pending)
        data, dtype, digest = encode_chunk(counts)
        with self.factory() as s, s.begin():
            s.add(RecordingChunk(recording_id=self.recording_id, seq=self._seq, first_sample=self._next_sample,
                                 n_samples=len(counts), dtype=dtype, codec=CODEC, data=data, sha256=digest))
            rec = s.get(Recording, self.recording_id)
            assert rec is not None
            rec.n_samples = self._next_sample + len(counts)
            rec.heartbeat_at = utcnow()
        self._seq += 1
        self._next_sample += len(counts)
        self._pending.clear()
        self._pending_samples = 0
        self.status.samples_written = self._next_sample
        self.status.chunks_written = self._seq

    def close(self, status: str = "complete") -> None:
        self.flush()
        with self.factory() as s, s.begin():
            rec = s.get(Recording, self.recording_id)
            assert rec is not None
            rec.status = status
            rec.heartbeat_at = utcnow()


def load_counts(session: Session, recording_id: int) -> np.ndarray:
    """All counts of a recording (samples x channels), each chunk checked against its checksum."""
    rec = session.get(Recording, recording_id)
    if rec is None:
        raise KeyError(f"no recording {recording_id}")
    n_ch = len(rec.channel_names)
    chunks = session.scalars(select(RecordingChunk).where(RecordingChunk.recording_id == recording_id)
                             .order_by(RecordingChunk.seq)).all()
    parts = []
    for chunk in chunks:
        if hashlib.sha256(chunk.data).hexdigest() != chunk.sha256:
            raise CorruptRecording(f"recording {recording_id}, chunk {chunk.seq}: checksum mismatch; "
                                   "the stored bytes were altered or damaged. Restore from a backup.")
        parts.append(decode_chunk(chunk.data, chunk.n_samples, n_ch, chunk.dtype))
    if not parts:
        return np.zeros((0, n_ch), dtype=np.int32)
    return np.concatenate(parts)


def load_physical(session: Session, recording_id: int) -> tuple[Recording, np.ndarray]:
    rec = session.get(Recording, recording_id)
    if rec is None:
        raise KeyError(f"no recording {recording_id}")
    counts = load_counts(session, recording_id)
    scale = np.asarray(rec.scale, dtype=np.float64)
    offset = np.asarray(rec.offset, dtype=np.float64)
    return rec, ((counts - offset) * scale).astype(np.float32)


def age_of(rec: Recording) -> dt.timedelta | None:
    return None if rec.heartbeat_at is None else utcnow() - rec.heartbeat_at
