"""Replay a stored trial as if its devices were streaming again, on a virtual clock.

``load_replay`` reads a trial's recordings (raw counts, checksums checked) and its current analysis version's
reps. A ``ReplayPlayer`` owns one virtual clock (seconds on the EMG recording's clock, like the analysis) and
one ``ReplaySource`` per recording. A source offers the device interface (open, start, stop, close, info,
ring, subscribe, unsubscribe, on_state, stats) so the live view and the session runner cannot tell it from a
device; ``devices/`` stays free of the database because the data come from here.

The clock moves only when ``advance(wall_s)`` is called (a GUI timer or a test), by
``wall_s`` x speed, so tests are deterministic. Play, pause, speed 0.25-8x, seek (scrub) and jump to rep N.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from clinic.records.audit import record_event
from clinic.records.models import Trial
from clinic.records.security import Actor
from clinic.records.store import CorruptRecording, load_counts
from clinic.vocabulary import REPLAY_SPEEDS
from devices.ring import SampleRing
from devices.types import DeviceInfo, LinkStats, SampleBlock

MIN_SPEED, MAX_SPEED = REPLAY_SPEEDS
REP_LEAD_S = 1.0  # jump to rep N lands this long before its movement starts, so the onsets are on screen


class ReplayError(RuntimeError):
    """The trial cannot be replayed (no recordings, a damaged one); the message says why."""


@dataclass(frozen=True)
class ReplayRep:
    """One rep of the stored current analysis: its phases on the EMG clock, onsets and verdicts."""

    number: int
    movement_start_s: float
    hold_start_s: float
    hold_end_s: float
    lower_end_s: float
    onsets_s: dict[str, float | None]
    firing_order: tuple[str, ...]
    glute_first: bool | None
    hold_s: float | None
    hold_reached: bool | None

    @property
    def verdict(self) -> str:
        """The rep's verdict in the clinician's words: who fired first, and whether the hold was reached."""
        if not self.firing_order:
            order = "no onsets found"
        elif self.glute_first:
            order = "glute fired first"
        else:
            order = f"glute late ({self.firing_order[0].replace('_', ' ')} first)"
        hold = "-" if self.hold_s is None else f"{self.hold_s:.1f} s"
        reached = "" if self.hold_reached is None else (" reached" if self.hold_reached else " short")
        return f"{order}; hold {hold}{reached}"

    def phase_at(self, t: float) -> str | None:
        """``movement``, ``hold`` or ``lowering`` when ``t`` falls in this rep, else None."""
        if self.movement_start_s <= t < self.hold_start_s:
            return "movement"
        if self.hold_start_s <= t < self.hold_end_s:
            return "hold"
        if self.hold_end_s <= t < self.lower_end_s:
            return "lowering"
        return None


@dataclass(frozen=True)
class ReplayStream:
    """One stored recording: what its device said about itself, its raw counts and where sample 0 sits on
    the EMG clock."""

    recording_id: int
    info: DeviceInfo
    counts: np.ndarray
    offset_s: float  # EMG-clock time of sample 0

    @property
    def duration_s(self) -> float:
        return self.counts.shape[0] / self.info.sample_rate_hz


@dataclass(frozen=True)
class ReplayData:
    trial_id: int
    exercise: str
    side: str
    streams: tuple[ReplayStream, ...]
    reps: tuple[ReplayRep, ...]
    analysis: dict[str, Any] = field(default_factory=dict)  # version number, method, mains of the reps

    @property
    def duration_s(self) -> float:
        return max((st.offset_s + st.duration_s for st in self.streams), default=0.0)


def _info(rec: Any) -> DeviceInfo:
    d = dict(rec.device or {})
    return DeviceInfo(kind=rec.kind, model=str(d.get("model", rec.kind)), serial=str(d.get("serial", "")),
                      firmware=str(d.get("firmware", "")), protocol="replay", sample_rate_hz=rec.sample_rate_hz,
                      channel_names=tuple(rec.channel_names), units=rec.units,
                      scale=tuple(float(v) for v in rec.scale), offset=tuple(float(v) for v in rec.offset),
                      simulated=rec.simulated, plate_width_mm=d.get("plate_width_mm"),
                      plate_length_mm=d.get("plate_length_mm"))


def _rep(m: dict[str, Any]) -> ReplayRep:
    hold_ms = m.get("hold_ms")
    return ReplayRep(number=int(m["rep"]), movement_start_s=float(m["movement_start_s"]),
                     hold_start_s=float(m["hold_start_s"]), hold_end_s=float(m["hold_end_s"]),
                     lower_end_s=float(m["lower_end_s"]), onsets_s=dict(m.get("onset_s") or {}),
                     firing_order=tuple(m.get("firing_order") or ()), glute_first=m.get("glute_first"),
                     hold_s=None if hold_ms is None else hold_ms / 1000.0, hold_reached=m.get("hold_reached"))


def load_replay(s: Session, actor: Actor, trial_id: int) -> ReplayData:
    """A stored trial's recordings and its current analysis's reps (none if it was never analysed)."""
    actor.require("read")
    trial = s.get(Trial, trial_id)
    if trial is None:
        raise ReplayError(f"no trial {trial_id}")
    record_event(s, actor.username, "read", "trial", trial_id, "replay")
    recs = [r for r in trial.recordings if r.n_samples > 0]
    emg = next((r for r in recs if r.kind == "emg"), None)
    if emg is None:
        raise ReplayError(f"trial {trial_id} has no EMG recording to replay")
    streams = []
    for rec in recs:
        try:
            counts = load_counts(s, rec.id)
        except (CorruptRecording, ValueError) as exc:
            raise ReplayError(f"recording {rec.id} cannot be read: {exc}") from exc
        streams.append(ReplayStream(rec.id, _info(rec), counts, rec.start_offset_s - emg.start_offset_s))
    current = trial.current_analysis
    reps = tuple(_rep(r.metrics) for r in current.reps if r.metrics.get("movement_start_s") is not None) \
        if current is not None else ()
    analysis = ({"id": current.id, "number": current.number, "method": current.method.get("method"),
                 "mains_hz": current.mains_hz} if current is not None else {})
    return ReplayData(trial.id, trial.exercise, trial.side, tuple(streams), reps, analysis)


class ReplaySource:
    """One recording played back through the device interface; its player's clock decides what is "now"."""

    def __init__(self, player: ReplayPlayer, stream: ReplayStream, ring_seconds: float) -> None:
        self.player = player
        self.stream = stream
        self.ring_seconds = ring_seconds
        self.port_name = f"replay:recording {stream.recording_id}"
        self.info: DeviceInfo | None = None
        self.ring: SampleRing | None = None
        self.state = "closed"
        self.streaming = False
        self._next = 0  # next sample index to publish
        self._sinks: list[Callable[[SampleBlock], None]] = []
        self._state_sinks: list[Callable[[str, str], None]] = []
        self._stats = LinkStats(crc_failures=None)

    # -- the device interface ---------------------------------------------------------------------
    def open(self, handshake_timeout_s: float | None = None) -> DeviceInfo:
        self.info = self.stream.info
        self.ring = SampleRing(max(1, int(self.ring_seconds * self.info.sample_rate_hz)), self.info.n_channels)
        self._rewind(self.player.position_s)
        self._set_state("open", f"{self.info.model} ({self.info.serial}): replay of recording "
                                f"{self.stream.recording_id}")
        return self.info

    def start(self) -> None:
        self.streaming = True
        self.player.play()

    def stop(self) -> None:
        self.streaming = False
        if not any(src.streaming for src in self.player.sources.values()):
            self.player.pause()

    def close(self) -> None:
        self.stop()
        self._set_state("closed", f"{self.port_name} closed")

    def subscribe(self, sink: Callable[[SampleBlock], None]) -> None:
        self._sinks.append(sink)

    def unsubscribe(self, sink: Callable[[SampleBlock], None]) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    def on_state(self, sink: Callable[[str, str], None]) -> None:
        self._state_sinks.append(sink)

    def off_state(self, sink: Callable[[str, str], None]) -> None:
        if sink in self._state_sinks:
            self._state_sinks.remove(sink)

    @property
    def stats(self) -> LinkStats:
        return self._stats

    def __enter__(self) -> ReplaySource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- driven by the player ---------------------------------------------------------------------
    def _index_at(self, t: float) -> int:
        i = int(round((t - self.stream.offset_s) * self.stream.info.sample_rate_hz))
        return min(max(i, 0), self.stream.counts.shape[0])

    def _rewind(self, t: float) -> None:
        """After a seek: a fresh ring holding what led up to ``t`` (the plot shows the window before now), its
        stream index the recording's sample index so times on the plot are the recording's. Consumers that keep
        the ring (live envelopes) hear a ``seeked`` state and take ``ring`` again, as after a device re-open."""
        if self.info is None:
            return
        self.ring = SampleRing(self.ring.capacity if self.ring else 1, self.info.n_channels)
        end = self._index_at(t)
        start = max(0, end - self.ring.capacity)
        if end > start:
            self.ring.write(self.info.to_physical(self.stream.counts[start:end]), start)
        self._next = end
        if self.state != "closed":
            self._set_state("seeked", f"replay of recording {self.stream.recording_id} at {t:.1f} s")

    def _publish_until(self, t: float) -> None:
        if not self.streaming or self.info is None or self.ring is None:
            return
        end = self._index_at(t)
        if end <= self._next:
            return
        counts = self.stream.counts[self._next:end]
        block = SampleBlock(counts, self._next, time.monotonic(), self.info.kind)
        self.ring.write(self.info.to_physical(counts), self._next)
        self._stats.samples += block.n_samples
        self._next = end
        for sink in list(self._sinks):
            sink(block)

    def _set_state(self, state: str, message: str) -> None:
        self.state = state
        for sink in list(self._state_sinks):
            sink(state, message)


class ReplayPlayer:
    """The transport of one replayed trial: play, pause, speed, seek, jump to rep N, and the sources."""

    def __init__(self, data: ReplayData, *, speed: float = 1.0, ring_seconds: float = 30.0) -> None:
        self.data = data
        self.position_s = 0.0
        self.playing = False
        self.speed = 1.0
        self.set_speed(speed)
        self._lock = threading.RLock()
        self.sources = {st.info.kind: ReplaySource(self, st, ring_seconds) for st in data.streams}

    @property
    def duration_s(self) -> float:
        return self.data.duration_s

    def device_factory(self, port: str, protocol: str, kind: str) -> ReplaySource:
        """For ``SessionRunner(device_factory=...)``: the replayed recording of that kind."""
        if kind not in self.sources:
            raise ReplayError(f"trial {self.data.trial_id} has no {kind} recording to replay")
        return self.sources[kind]

    def set_speed(self, speed: float) -> None:
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise ValueError(f"replay speed must be {MIN_SPEED:g} to {MAX_SPEED:g} x, not {speed:g}")
        self.speed = float(speed)

    def play(self) -> None:
        with self._lock:
            if self.position_s >= self.duration_s:
                self.seek(0.0)  # play at the end starts again
            self.playing = True

    def pause(self) -> None:
        self.playing = False

    def seek(self, t: float) -> None:
        """Scrub to ``t`` seconds (clipped to the recording); the rings then hold what led up to it."""
        with self._lock:
            self.position_s = min(max(float(t), 0.0), self.duration_s)
            for src in self.sources.values():
                src._rewind(self.position_s)

    def jump_to_rep(self, number: int) -> ReplayRep:
        """Seek to just before rep ``number`` of the stored current analysis."""
        rep = next((r for r in self.data.reps if r.number == number), None)
        if rep is None:
            raise ValueError(f"trial {self.data.trial_id} has no rep {number} in its current analysis "
                             f"({len(self.data.reps)} reps)")
        self.seek(rep.movement_start_s - REP_LEAD_S)
        return rep

    def advance(self, wall_s: float) -> float:
        """Move the clock by ``wall_s`` x speed while playing and publish the samples up to it; returns it."""
        with self._lock:
            if self.playing and wall_s > 0:
                self.position_s = min(self.position_s + wall_s * self.speed, self.duration_s)
                for src in self.sources.values():
                    src._publish_until(self.position_s)
                if self.position_s >= self.duration_s:
                    self.playing = False
            return self.position_s

    def rep_at(self, t: float | None = None) -> tuple[ReplayRep | None, str]:
        """The rep under the clock and its phase (``rest`` between reps)."""
        t = self.position_s if t is None else t
        for rep in self.data.reps:
            phase = rep.phase_at(t)
            if phase is not None:
                return rep, phase
        return None, "rest"
