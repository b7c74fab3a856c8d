"""Record several device streams of one trial into the database on one time base.

Each stream's blocks go through a queue to a writer thread, so the device reader never waits for the
database. Alignment: every block carries the host time its bytes arrived; the earliest
``host_time - samples_so_far / rate`` over the first second estimates when sample 0 was taken on the
shared monotonic clock (arrival can only be late, never early), and that offset from the recording start is
stored with each recording as ``start_offset_s``.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session, sessionmaker

from clinic.records.models import Recording
from clinic.records.store import RecordingStopped, RecordingWriter
from devices.types import DeviceInfo, SampleBlock

log = logging.getLogger(__name__)


class Stream(Protocol):
    """A device, or a device seen through a channel map (``channel_map``: device channel -> muscle)."""

    info: DeviceInfo | None

    def subscribe(self, sink: Callable[[SampleBlock], None]) -> None: ...

    def unsubscribe(self, sink: Callable[[SampleBlock], None]) -> None: ...


HEARTBEAT_S = 1.0  # recovery at start leaves a recording alone while its heartbeat is fresh
#: after a re-plug, a device whose sample index jumped this much less than the host clock says (an 8-bit
#: packet counter that wrapped, a board that restarted) is put back on the host's time base
REPLUG_CLOCK_TOLERANCE_S = 0.25


@dataclass(frozen=True)
class LinkEvent:
    """A device's cable was pulled or re-plugged while recording.

    ``at_s``: seconds since ``Recorder.start``; ``stored_s``: seconds of that stream's signal kept so far.
    """

    kind: Literal["pulled", "replugged"]
    stream_id: str
    recording_id: int
    at_s: float
    stored_s: float
    message: str


@dataclass(frozen=True)
class _SpanEvent:
    """An event about a stretch of the trial (``start_t``..``end_t``: seconds since ``Recorder.start`` on the
    host clock), placed on each recording's own samples by that recording's writer thread."""

    event: dict[str, Any]
    start_t: float
    end_t: float


class _StreamRecorder:
    def __init__(self, stream: Stream, writer: RecordingWriter, t0: float) -> None:
        self.stream = stream
        self.stream_id = str(getattr(stream, "stream_id", "") or writer.info.kind)
        self.writer = writer
        self.t0 = t0
        self.queue: queue.Queue[SampleBlock | tuple[str, float] | _SpanEvent | None] = queue.Queue()
        self.offset_s: float | None = None
        self._first_index: int | None = None
        self._index_shift = 0  # added to device indices after a re-plug that broke the device's own count
        self._last_end: int | None = None
        self._last_host_time = 0.0
        self._check_clock = False
        self.samples_accepted = 0  # samples handed to the writer (gaps not counted)
        self.pulled = False
        self.state_sink: Callable[[str, str], None] = lambda state, message: None
        self.error = ""
        self.thread = threading.Thread(target=self._run, name=f"rec-{writer.recording_id}", daemon=True)

    @property
    def stored_s(self) -> float:
        return self.samples_accepted / self.writer.info.sample_rate_hz

    def sink(self, block: SampleBlock) -> None:
        self.queue.put(block)

    def link(self, kind: str, at: float) -> None:
        """From the device's reader thread, in order with its blocks."""
        self.pulled = kind == "pulled"
        self.queue.put((kind, at))

    def _run(self) -> None:
        while True:
            try:
                item = self.queue.get(timeout=HEARTBEAT_S)
            except queue.Empty:
                if not self.error:  # no data (stalled device, pulled cable): store what is queued, show we are alive
                    try:
                        self.writer.flush()
                        self.writer.beat()
                    except RecordingStopped as exc:
                        self.error = str(exc)
                    except Exception as exc:  # noqa: BLE001
                        self._unexpected(exc)
                continue
            if item is None:
                break
            if isinstance(item, tuple):
                self._on_link(*item)
            elif isinstance(item, _SpanEvent):
                self._on_span(item)
            else:
                self._on_block(item)

    def trial_time(self, device_index: int) -> float | None:
        """Seconds since ``Recorder.start`` (host clock) at which this stream's device sample ``device_index``
        was taken; None before the first block."""
        first, offset = self._first_index, self.offset_s
        if first is None or offset is None:
            return None
        return offset + (device_index + self._index_shift - first) / self.writer.info.sample_rate_hz

    def _on_span(self, item: _SpanEvent) -> None:
        rate = self.writer.info.sample_rate_hz
        offset = self.offset_s or 0.0
        first = max(0, int(round((item.start_t - offset) * rate)))
        end = max(first, int(round((item.end_t - offset) * rate)))
        self.writer.add_event({**item.event, "first_sample": first, "n_samples": end - first,
                               "start_s": round(first / rate, 4), "duration_s": round((end - first) / rate, 4)})

    def _on_link(self, kind: str, at: float) -> None:
        if self.error:
            return
        try:
            if kind == "pulled":
                self.writer.cable_pulled(at - self.t0)
            else:
                self.writer.cable_replugged(at - self.t0)
                self._check_clock = True
        except RecordingStopped as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001
            self._unexpected(exc)

    def _on_block(self, block: SampleBlock) -> None:
        rate = self.writer.info.sample_rate_hz
        if self._check_clock and self._last_end is not None:
            self._check_clock = False
            first_row_time = block.host_time - (block.n_samples - 1) / rate
            host_missing = round((first_row_time - self._last_host_time) * rate) - 1
            device_missing = block.first_index + self._index_shift - self._last_end
            if device_missing < host_missing - REPLUG_CLOCK_TOLERANCE_S * rate:
                log.warning("%s: after the re-plug the device's sample count jumped %d samples, the host clock "
                            "says %d were missed; the host clock is kept as the time base", self.stream_id,
                            device_missing, host_missing)
                self._index_shift += host_missing - device_missing
        if self._index_shift:
            block = SampleBlock(block.counts, block.first_index + self._index_shift, block.host_time,
                                block.stream_id)
        if self._first_index is None:
            self._first_index = block.first_index
        elapsed_samples = block.end_index - self._first_index
        estimate = block.host_time - elapsed_samples / rate - self.t0
        if elapsed_samples <= rate and (self.offset_s is None or estimate < self.offset_s):
            self.offset_s = estimate
        self._last_end, self._last_host_time = block.end_index, block.host_time
        if self.error:
            return  # keep draining; what was written stays
        try:
            self.writer.add(block)
            self.samples_accepted += block.n_samples
        except RecordingStopped as exc:  # full disk, database and spool unreachable: data so far is kept
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - anything else also stops cleanly and keeps the data
            self._unexpected(exc)

    def _unexpected(self, exc: Exception) -> None:
        log.error("recording %s stopped by an unexpected error", self.writer.recording_id, exc_info=exc)
        self.error = f"recording {self.writer.recording_id} stopped: {exc}"


class Recorder:
    """Records streams into the database; the caller (the session runner, the window) drives the clock.

    What the caller sees while recording (all safe to read from any thread):

    * ``on_link`` (constructor): called with a ``LinkEvent`` when a device's cable is pulled or re-plugged,
      on that device's reader thread - do not block in it (the window emits a queued signal).
    * ``link_state``: ``"ok"`` or ``"pulled"`` (some device is unplugged right now);
      ``link_events``: every ``LinkEvent`` so far.
    * ``seconds_stored``: seconds of signal kept, of the stream with the least (gaps do not count), so
      "record 15 s" can mean 15 s of signal.
    * ``errors`` (the recording stopped: full disk, ...) and ``warnings`` (spooling locally, ...).

    After ``stop``: each recording's gaps are in ``Recording.events``, and a recording with a pull or an error
    is ``interrupted``, otherwise ``complete``.
    """

    def __init__(self, factory: sessionmaker[Session], trial_id: int, streams: list[Stream], *,
                 spool_dir: str | os.PathLike[str] | None = None, workstation: str | None = None,
                 on_link: Callable[[LinkEvent], None] | None = None) -> None:
        """``spool_dir``: the data dir's ``spool/`` (journal while the database is unreachable)."""
        self.factory = factory
        self.trial_id = trial_id
        self.streams = streams
        self.spool_dir = spool_dir
        self.workstation = workstation
        self.on_link = on_link
        self._parts: list[_StreamRecorder] = []
        self._link_events: list[LinkEvent] = []
        self._t0 = 0.0
        self.close_timeout_s = 30.0  # how long ``stop`` waits for a writer thread to store its queue

    def start(self) -> None:
        t0 = self._t0 = time.monotonic()
        try:
            for stream in self.streams:
                if stream.info is None:
                    raise RuntimeError("open the device before recording")
                writer = RecordingWriter(self.factory, self.trial_id, stream.info, spool_dir=self.spool_dir,
                                         workstation=self.workstation,
                                         channel_map=getattr(stream, "channel_map", None))
                part = _StreamRecorder(stream, writer, t0)
                part.state_sink = self._state_sink(part)
                self._parts.append(part)
                part.thread.start()
                stream.subscribe(part.sink)
                if hasattr(stream, "on_state"):
                    stream.on_state(part.state_sink)
        except BaseException:  # a stream that cannot start: the ones already started stop, marked interrupted
            for part in self._parts:
                part.error = part.error or "the recording could not start on every device"
            self.stop()
            raise

    def _state_sink(self, part: _StreamRecorder) -> Callable[[str, str], None]:
        def on_state(state: str, message: str) -> None:
            kinds = {"disconnected": "pulled", "reconnected": "replugged"}
            if state not in kinds:
                return
            now = time.monotonic()
            part.link(kinds[state], now)
            event = LinkEvent(kinds[state], part.stream_id, part.writer.recording_id,  # type: ignore[arg-type]
                              round(now - self._t0, 3), round(part.stored_s, 3), message)
            self._link_events.append(event)
            if self.on_link is not None:
                self.on_link(event)
        return on_state

    def mark_span(self, stream: Stream, first_index: int, end_index: int, event: dict[str, Any]) -> None:
        """Keep ``event`` with every recording of the trial, about the stretch of ``stream``'s device samples
        ``first_index``..``end_index``: each recording gets it on its own samples (``first_sample``,
        ``n_samples``, ``start_s``, ``duration_s``, as its gaps), through its writer thread, in order with its
        blocks. Raises ``RuntimeError`` before ``stream`` has delivered a block."""
        ref = next((p for p in self._parts if p.stream is stream), None)
        if ref is None:
            raise RuntimeError("that stream is not being recorded")
        start_t, end_t = ref.trial_time(first_index), ref.trial_time(end_index)
        if start_t is None or end_t is None:
            raise RuntimeError(f"no samples of the {ref.stream_id} stream have arrived yet")
        for part in self._parts:
            part.queue.put(_SpanEvent(dict(event), start_t, end_t))

    @property
    def link_state(self) -> Literal["ok", "pulled"]:
        return "pulled" if any(p.pulled for p in self._parts) else "ok"

    @property
    def link_events(self) -> list[LinkEvent]:
        return list(self._link_events)

    @property
    def seconds_stored(self) -> float:
        return min((p.stored_s for p in self._parts), default=0.0)

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
            if hasattr(part.stream, "off_state"):
                part.stream.off_state(part.state_sink)
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
                log.error("recording %s could not be closed", part.writer.recording_id, exc_info=exc)
                part.error = part.error or f"recording {part.writer.recording_id} could not be closed: {exc}"
        return self.recording_ids
