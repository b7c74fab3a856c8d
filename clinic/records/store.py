"""The recording store: raw integer counts in compressed, checksummed chunks inside the database.

A ``RecordingWriter`` is fed sample blocks and commits a chunk at least every half ``flush_s``, so a
crash loses less than the last second. Each chunk keeps the index of its first sample, so a gap (lost
packets, a pulled cable) is a hole between chunks; ``load_segments`` reassembles and verifies them.
"""

from __future__ import annotations

import hashlib
import os
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from clinic.records import spool
from clinic.records.audit import default_workstation
from clinic.records.models import Recording, RecordingChunk, utcnow
from devices.types import DeviceInfo, SampleBlock

CODEC = "delta-zlib"
MIN_LOST_PACKET_EVENT_S = 0.1  # lost packets leave a hole this long or longer: kept as an event too


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
    samples_written: int = 0  # stored in chunks (gaps not counted)
    end_sample: int = 0  # one past the last stored sample, on the recording's time base
    chunks_written: int = 0
    spooled_chunks: int = 0
    error: str = ""
    warning: str = ""


class RecordingStopped(RuntimeError):
    """The recording cannot go on (full disk, database and spool unreachable); what was written is kept."""


def store_chunks(conn: Connection, recording_id: int, chunks: list[dict[str, Any]], *,
                 heartbeat: bool = True) -> int:
    """Insert the chunks not yet stored (a replay may repeat one whose commit outcome was unknown) and move
    the recording's sample count (and, for a live writer, its heartbeat) forward, in the caller's transaction.
    Returns samples stored."""
    if not chunks:
        return 0
    seqs = [c["seq"] for c in chunks]  # only the range being written: the writer calls this twice a second
    have = set(conn.scalars(select(RecordingChunk.seq).where(RecordingChunk.recording_id == recording_id,
                                                             RecordingChunk.seq.between(min(seqs), max(seqs)))))
    fresh = [c for c in chunks if c["seq"] not in have]
    if fresh:
        conn.execute(insert(RecordingChunk.__table__), fresh)
    end = max((c["first_sample"] + c["n_samples"] for c in chunks), default=0)
    conn.execute(update(Recording.__table__).where(Recording.id == recording_id)
                 .where(Recording.n_samples < end).values(n_samples=end))
    if heartbeat:
        conn.execute(update(Recording.__table__).where(Recording.id == recording_id).values(heartbeat_at=utcnow()))
    return sum(c["n_samples"] for c in fresh)


def is_connection_lost(exc: DBAPIError, dialect: str) -> bool:
    """A dropped or unreachable server (spool and retry), as opposed to a refused write (stop)."""
    return bool(exc.connection_invalidated) or (dialect != "sqlite" and isinstance(exc, OperationalError))


class RecordingWriter:
    """Appends blocks of one stream to one Recording row. Not thread-safe: one writer thread owns it.

    Chunks are committed at least every ``flush_s / 2`` seconds of signal or of wall time, so a kill -9
    loses less than ``flush_s``. Writes go through one dedicated connection; if it drops, chunks go to a
    local spool (``spool_dir``, default the data dir's ``spool/``) and are copied in when the database is back.
    A refused write (full disk) raises ``RecordingStopped`` with a message that says what was kept.
    """

    def __init__(self, factory: sessionmaker[Session], trial_id: int, info: DeviceInfo,
                 start_offset_s: float = 0.0, flush_s: float = 1.0, *, workstation: str | None = None,
                 spool_dir: str | os.PathLike[str] | None = None, retry_s: float = 1.0,
                 channel_map: dict[str, str] | None = None) -> None:
        """``channel_map``: device channel -> muscle, stored with the recording (``info.channel_names`` are
        then the mapped names)."""
        self.factory = factory
        self.engine: Engine = factory.kw["bind"]
        self.info = info
        self.flush_s = flush_s
        self.retry_s = retry_s
        self.status = WriterStatus()
        self.workstation = workstation or default_workstation()
        self._spool_dir = Path(spool_dir) if spool_dir is not None else None
        self._pending: list[np.ndarray] = []
        self._pending_samples = 0
        self._run_first = 0  # sample index (from the recording's first sample) of ``_pending[0][0]``
        self._ready: list[tuple[int, np.ndarray]] = []  # runs cut off by a gap, waiting to be stored
        self.events: list[dict[str, Any]] = []
        self._events_dirty = False
        self._pull: dict[str, Any] | None = None
        self._pulls = 0
        self._seq = 0
        self._base_index: int | None = None
        self._conn: Connection | None = None
        self._spooling = False
        self._last_try = 0.0
        self._last_flush = time.monotonic()
        self._stopped = False
        with factory() as s, s.begin():
            rec = Recording(trial_id=trial_id, kind=info.kind, device=asdict(info),
                            sample_rate_hz=info.sample_rate_hz, channel_names=list(info.channel_names),
                            scale=list(info.scale), offset=list(info.offset), units=info.units,
                            simulated=info.simulated, status="recording", start_offset_s=start_offset_s,
                            workstation=self.workstation, heartbeat_at=utcnow(),
                            channel_map=dict(channel_map or {}))
            s.add(rec)
            s.flush()
            self.recording_id = rec.id
        self.spool_path: Path | None = None

    # -- feeding -------------------------------------------------------------------------------------
    def add(self, block: SampleBlock) -> None:
        """Queue a block at its true place on the recording's time base. A jump in sample indices (lost
        packets, a pulled cable) becomes a hole between stored chunks: no sample is repeated or made up."""
        if self._stopped:
            raise RecordingStopped(self.status.error)
        n_channels = len(self.info.channel_names)
        if block.counts.ndim != 2 or block.counts.shape[1] != n_channels:
            # refused before it joins the queued samples, so it cannot take the good ones down with it
            raise ValueError(f"recording {self.recording_id}: a block of shape {block.counts.shape} does not fit "
                             f"its {n_channels} channels; the block was not stored")
        if self._base_index is None:
            self._base_index = block.first_index
        rel = block.first_index - self._base_index
        expected = self._run_first + self._pending_samples
        if rel < expected:
            raise ValueError(f"recording {self.recording_id}: a block starting at sample {rel} overlaps the "
                             f"samples already received (up to {expected}); the block was not stored")
        if rel > expected:
            self._note_gap(expected, rel - expected)
            self._cut_run(rel)
        self._pending.append(block.counts)
        self._pending_samples += block.n_samples
        half = self.flush_s / 2
        if (self._pending_samples >= half * self.info.sample_rate_hz
                or time.monotonic() - self._last_flush >= half):
            self.flush()

    @property
    def samples_received(self) -> int:
        """Samples accepted so far (stored or queued), gaps not counted: the seconds of signal kept."""
        return self.status.samples_written + sum(len(c) for _, c in self._ready) + self._pending_samples

    def cable_pulled(self, at_s: float) -> None:
        """The link went away ``at_s`` seconds after the recording started: store what came before it, and
        attribute the next gap to the pull."""
        self._pull = {"pulled_at_s": round(at_s, 3), "replugged_at_s": None}
        self._pulls += 1
        self.flush()

    def cable_replugged(self, at_s: float) -> None:
        if self._pull is not None:
            self._pull["replugged_at_s"] = round(at_s, 3)

    def add_event(self, event: dict[str, Any]) -> None:
        """Keep ``event`` with the recording's events (stored with the next chunk, heartbeat or close), e.g. a
        rep the clinician had redone; the samples it refers to stay as they are."""
        self.events.append(event)
        self._events_dirty = True

    def _note_gap(self, first: int, n: int) -> None:
        """Keep the gap as an event: always for a cable pull, for lost packets when it is long enough for a
        clinician to care (shorter holes are visible in the chunks and counted in the link statistics)."""
        rate = self.info.sample_rate_hz
        if self._pull is None and n < MIN_LOST_PACKET_EVENT_S * rate:
            return
        event: dict[str, Any] = {"kind": "gap", "cause": "cable_pulled" if self._pull else "lost_packets",
                                 "first_sample": first, "n_samples": n, "start_s": round(first / rate, 4),
                                 "duration_s": round(n / rate, 4)}
        if self._pull is not None:
            event.update(self._pull)
            self._pull = None
        self.events.append(event)
        self._events_dirty = True

    def _cut_run(self, next_first: int) -> None:
        """Close the run of consecutive samples being collected; the next one starts at ``next_first``."""
        if self._pending:
            self._ready.append((self._run_first, np.concatenate(self._pending)))
        self._pending = []
        self._pending_samples = 0
        self._run_first = next_first

    def beat(self) -> None:
        """Show the recording is alive while no data comes (a stalled device, a pulled cable), so that
        start-up recovery elsewhere never mistakes it for a crashed one. Best effort: a failure is ignored,
        the next stored chunk beats again."""
        if self._stopped or self._spooling:
            return
        try:
            if self._conn is None:
                self._conn = self.engine.connect()
            with self._conn.begin():
                self._conn.execute(update(Recording.__table__).where(Recording.id == self.recording_id)
                                   .values(heartbeat_at=utcnow()))
                self._save_events(self._conn)
        except DBAPIError:
            self._drop_connection()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if self._stopped:
            return
        self._cut_run(self._run_first + self._pending_samples)
        while self._ready:
            first, counts = self._ready[0]
            data, dtype, digest = encode_chunk(counts)
            chunk = {"recording_id": self.recording_id, "seq": self._seq, "first_sample": first,
                     "n_samples": len(counts), "dtype": dtype, "codec": CODEC, "data": data, "sha256": digest}
            if not self._store(chunk):
                return  # busy database: keep the samples, try again at the next flush
            self._ready.pop(0)
            self._seq += 1
            self.status.samples_written += len(counts)
            self.status.end_sample = first + len(counts)
            self.status.chunks_written = self._seq

    # -- storing -------------------------------------------------------------------------------------
    def _store(self, chunk: dict[str, Any]) -> bool:
        """Store one chunk; False when a busy SQLite database asks to try again later."""
        if self._spooling:
            self._spool(chunk)
            self._try_replay()
            return True
        try:
            self._write([chunk])
            return True
        except DBAPIError as exc:
            self._drop_connection()
            if "locked" in _first_line(exc) and self.engine.dialect.name == "sqlite" \
                    and self.samples_received - self.status.samples_written < 30 * self.info.sample_rate_hz:
                self.status.warning = f"The database is busy; recording {self.recording_id} keeps its samples " \
                                      "in memory and retries."
                return False
            if not is_connection_lost(exc, self.engine.dialect.name):
                self._stop(self._refused_message(exc))
            self._spooling = True
            self._last_try = time.monotonic()
            self._spool(chunk)
            self.status.warning = (
                f"Lost the connection to the clinic database ({_first_line(exc)}). Recording {self.recording_id} "
                f"goes on into the local spool {self.spool_path}; it is copied into the database when the "
                "connection is back.")
        return True

    def _write(self, chunks: list[dict[str, Any]]) -> None:
        if self._conn is None:
            self._conn = self.engine.connect()
        with self._conn.begin():
            store_chunks(self._conn, self.recording_id, chunks)
            self._save_events(self._conn)

    def _save_events(self, conn: Connection) -> None:
        if self._events_dirty:
            conn.execute(update(Recording.__table__).where(Recording.id == self.recording_id)
                         .values(events=list(self.events)))
            self._events_dirty = False

    def _spool(self, chunk: dict[str, Any]) -> None:
        if self.spool_path is None:
            self.spool_path = spool.spool_path(self._resolve_spool_dir(), self.recording_id)
        try:
            spool.append(self.spool_path, chunk)
        except OSError as exc:
            why = exc.strerror if isinstance(exc, spool.SpoolError) else str(exc)
            self._stop(f"Recording {self.recording_id} stopped: the clinic database cannot be reached and {why}. "
                       f"The first {self._seconds_kept():.1f} s are kept in the database.")
        self.status.spooled_chunks += 1

    def _try_replay(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_try < self.retry_s:
            return
        self._last_try = time.monotonic()
        assert self.spool_path is not None
        try:
            self._write(spool.read(self.spool_path))
        except DBAPIError:
            self._drop_connection()
            return
        self.spool_path.unlink(missing_ok=True)
        self._spooling = False
        self.status.warning = (f"The clinic database is back; {self.status.spooled_chunks} spooled chunks of "
                               f"recording {self.recording_id} were copied in.")

    def _resolve_spool_dir(self) -> Path:
        if self._spool_dir is None:
            from clinic.paths import DataDir

            self._spool_dir = DataDir.resolve().spool
        return self._spool_dir

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # noqa: BLE001 - the connection is already gone
                pass
            self._conn = None

    def _seconds_kept(self) -> float:
        return self.status.samples_written / self.info.sample_rate_hz

    def _refused_message(self, exc: DBAPIError) -> str:
        reason = _first_line(exc)
        lowered = reason.lower()
        why = ("the disk or the database is full" if "full" in lowered
               else "the disk cannot be written (full, or the file may not grow)" if "disk i/o" in lowered
               else "the database refused the data")
        return (f"Recording {self.recording_id} stopped: {why} ({reason}). The first {self._seconds_kept():.1f} s "
                "are kept. Free disk space (or ask the administrator) before recording again.")

    def _stop(self, message: str) -> None:
        self._stopped = True
        self._pending.clear()
        self._pending_samples = 0
        self._ready.clear()
        self.status.error = message
        raise RecordingStopped(message)

    # -- ending --------------------------------------------------------------------------------------
    def close(self, status: str = "complete") -> None:
        """Flush, copy in any spool, and set the final status. Raises ``RecordingStopped`` if it cannot."""
        if not self._stopped:
            self.flush()
            if self._ready:  # the database stayed busy: journal the last samples rather than drop them
                self._spooling = True
                self.flush()
        if self._spooling:
            self._try_replay(force=True)
            if self._spooling:
                self._drop_connection()
                raise RecordingStopped(
                    f"Recording {self.recording_id}: the clinic database is still unreachable; "
                    f"{self._seconds_kept():.1f} s are safe in {self.spool_path} and are copied in at the next start.")
        if self._pull is not None:  # pulled and never back: the recording ends at the pull
            self.events.append({"kind": "cable_pulled", "first_sample": self.status.end_sample, **self._pull})
            self._pull = None
            self._events_dirty = True
        if (self._stopped or self._pulls) and status == "complete":
            status = "interrupted"
        try:
            if self._conn is None:
                self._conn = self.engine.connect()
            with self._conn.begin():
                self._conn.execute(update(Recording.__table__).where(Recording.id == self.recording_id)
                                   .values(status=status, heartbeat_at=utcnow()))
                self._save_events(self._conn)
        except DBAPIError as exc:
            self._drop_connection()
            raise RecordingStopped(
                f"Recording {self.recording_id}: its final status could not be saved ({_first_line(exc)}); the "
                "data written is kept and the next start marks the recording as recovered.") from exc
        self._release()

    def _release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def load_segments(session: Session, recording_id: int) -> list[tuple[int, np.ndarray]]:
    """The stored runs of consecutive samples, in time order: (index of the first sample, counts samples x
    channels). A hole between two runs is a gap (lost packets, a pulled cable): nothing was stored for it.
    Every chunk is checked against its checksum."""
    rec = session.get(Recording, recording_id)
    if rec is None:
        raise KeyError(f"no recording {recording_id}")
    n_ch = len(rec.channel_names)
    chunks = session.scalars(select(RecordingChunk).where(RecordingChunk.recording_id == recording_id)
                             .order_by(RecordingChunk.seq)).all()
    runs: list[tuple[int, list[np.ndarray]]] = []
    end = 0
    for chunk in chunks:
        if hashlib.sha256(chunk.data).hexdigest() != chunk.sha256:
            raise CorruptRecording(f"recording {recording_id}, chunk {chunk.seq}: checksum mismatch; "
                                   "the stored bytes were altered or damaged. Restore from a backup.")
        if chunk.first_sample < end:
            raise CorruptRecording(f"recording {recording_id}, chunk {chunk.seq}: starts at sample "
                                   f"{chunk.first_sample}, before the end of the previous chunk ({end})")
        counts = decode_chunk(chunk.data, chunk.n_samples, n_ch, chunk.dtype)
        if runs and chunk.first_sample == end:
            runs[-1][1].append(counts)
        else:
            runs.append((chunk.first_sample, [counts]))
        end = chunk.first_sample + chunk.n_samples
    return [(first, np.concatenate(parts)) for first, parts in runs]


def load_counts(session: Session, recording_id: int) -> np.ndarray:
    """Every stored sample of a recording (samples x channels), gaps left out: use ``load_segments`` or
    ``load_physical`` where the time base matters."""
    segments = load_segments(session, recording_id)
    if not segments:
        rec = session.get(Recording, recording_id)
        assert rec is not None
        return np.zeros((0, len(rec.channel_names)), dtype=np.int32)
    return np.concatenate([counts for _, counts in segments])


def load_physical(session: Session, recording_id: int) -> tuple[Recording, np.ndarray]:
    """Physical values on the recording's true time base: row i is sample i; the rows of a gap are NaN."""
    rec = session.get(Recording, recording_id)
    if rec is None:
        raise KeyError(f"no recording {recording_id}")
    segments = load_segments(session, recording_id)
    end = segments[-1][0] + len(segments[-1][1]) if segments else 0
    values = np.full((end, len(rec.channel_names)), np.nan, dtype=np.float32)
    scale = np.asarray(rec.scale, dtype=np.float64)
    offset = np.asarray(rec.offset, dtype=np.float64)
    for first, counts in segments:
        values[first:first + len(counts)] = (counts - offset) * scale
    return rec, values
