"""Record several device streams of one trial into the database on one time base.

Each stream's blocks go through a queue to a writer thread, so the device reader never waits for the
database. Alignment: every block carries the host time its bytes arrived; the earliest
``host_time - samples_so_far / rate`` over the first second estimates when sample 0 was taken on the
shared monotonic clock (arrival can only be late, never early), and that offset from the recording start is
stored with each recording as ``start_offset_s``.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from clinic.records.models import Recording
from clinic.records.store import RecordingStopped, RecordingWriter
from devices.types import DeviceInfo, SampleBlock


class Stream(Protocol):
    """A device, or a device seen through a channel map (``channel_map``: device channel -> muscle)."""

    info: DeviceInfo | None

    def subscribe(self, sink: Callable[[SampleBlock], None]) -> None: ...

    def unsubscribe(self, sink: Callable[[SampleBlock], None]) -> None: ...


HEARTBEAT_S = 1.0  # recovery at start leaves a recording alone while its heartbeat is fresh


class _StreamRecorder:
    def __init__(self, stream: Stream, writer: RecordingWriter, t0: float) -> None:
        self.stream = stream
        self.writer = writer
        self.t0 = t0
        self.queue: queue.Queue[SampleBlock | None] = queue.Queue()
        self.offset_s: float | None = None
        self._first_index: int | None = None
        self.error = ""
        self.thread = threading.Thread(target=self._run, name=f"rec-{writer.recording_id}", daemon=True)

    def sink(self, block: SampleBlock) -> None:
        self.queue.put(block)

    def _run(self) -> None:
        rate = self.writer.info.sample_rate_hz
        while True:
            try:
                block = self.queue.get(timeout=HEARTBEAT_S)
            except queue.Empty:
                if not self.error:  # no data (stalled device): store what is queued, show we are alive
                    try:
                        self.writer.flush()
                        self.writer.beat()
                    except RecordingStopped as exc:
                        self.error = str(exc)
                continue
            if block is None:
                break
            if self._first_index is None:
                self._first_index = block.first_index
            elapsed_samples = block.end_index - self._first_index
            estimate = block.host_time - elapsed_samples / rate - self.t0
            if elapsed_samples <= rate and (self.offset_s is None or estimate < self.offset_s):
                self.offset_s = estimate
            if self.error:
                continue  # keep draining; what was written stays
            try:
                self.writer.add(block)
            except RecordingStopped as exc:  # full disk, database and spool unreachable: data so far is kept
                self.error = str(exc)
            except Exception as exc:  # noqa: BLE001 - anything else also stops cleanly and keeps the data
                self.error = f"recording {self.writer.recording_id} stopped: {exc}"


class Recorder:
    def __init__(self, factory: sessionmaker[Session], trial_id: int, streams: list[Stream], *,
                 spool_dir: str | os.PathLike[str] | None = None, workstation: str | None = None) -> None:
        """``spool_dir``: the data dir's ``spool/`` (journal while the database is unreachable)."""
        self.factory = factory
        self.trial_id = trial_id
        self.streams = streams
        self.spool_dir = spool_dir
        self.workstation = workstation
        self._parts: list[_StreamRecorder] = []
        self.close_timeout_s = 30.0  # how long ``stop`` waits for a writer thread to store its queue

    def start(self) -> None:
        t0 = time.monotonic()
        try:
            for stream in self.streams:
                if stream.info is None:
                    raise RuntimeError("open the device before recording")
                writer = RecordingWriter(self.factory, self.trial_id, stream.info, spool_dir=self.spool_dir,
                                         workstation=self.workstation,
                                         channel_map=getattr(stream, "channel_map", None))
                part = _StreamRecorder(stream, writer, t0)
                self._parts.append(part)
                part.thread.start()
                stream.subscribe(part.sink)
        except BaseException:  # a stream that cannot start: the ones already started stop, marked interrupted
            for part in self._parts:
                part.error = part.error or "the recording could not start on every device"
            self.stop()
            raise

    @property
    def errors(self) -> list[str]:
        return [p.error for p in self._parts if p.error]

    @property
    def warnings(self) -> list[str]:
        """Non-fatal news, e.g. "lost the database connection, spooling locally"."""
        return [p.writer.status.warning for p in self._parts if p.writer.status.warning]

    @property
    def recording_ids(self) -> list[int]:
        return [p.writer.recording_id for p in self._parts]

    def stop(self, interrupted: str = "") -> list[int]:
        """Store what is queued and close every recording: ``complete``, or ``interrupted`` when a writer failed
        or the caller says why the trial ended early (``interrupted``)."""
        for part in self._parts:
            part.stream.unsubscribe(part.sink)
            part.queue.put(None)
        for part in self._parts:
            part.thread.join(timeout=self.close_timeout_s)
            if part.thread.is_alive():  # the writer is not thread-safe: never close it under its own thread
                part.error = part.error or (
                    f"recording {part.writer.recording_id} is still being written after {self.close_timeout_s:g} s "
                    "(the database is slow); it is left as it is and the next start marks it as recovered")
                continue
            status = "interrupted" if part.error or interrupted else "complete"
            try:
                part.writer.close(status)
                with self.factory() as s, s.begin():
                    rec = s.get(Recording, part.writer.recording_id)
                    if rec is not None:
                        rec.start_offset_s = part.offset_s or 0.0
            except Exception as exc:  # noqa: BLE001
                part.error = part.error or f"recording {part.writer.recording_id} could not be closed: {exc}"
        return self.recording_ids
