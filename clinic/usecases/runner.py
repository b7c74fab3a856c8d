"""The session runner: one Qt-free state machine for a clinic session, driven by the window and the CLI.

    idle -> set-up -> (calibrating -> ready) -> recording rep n <-> paused (cable pulled) -> analysing -> saved
                                                                                                  \\-> ready

It owns the devices (opened through a ``DeviceFactory``, so a replay source or a simulator is a device like
any other), the channel map, the live envelopes, the recorder, calibration and the exercise's targets. It
never sleeps and starts no timer: its caller calls ``poll()`` (a GUI timer, or the command line's loop), and
listeners hear state changes on the caller's thread. Blocking work (``analyse``) is for a worker thread in the
window. Times of signal are counted in samples received, so a simulator at a speed factor is a virtual clock.

Reps are counted by one plate tracker (``live_hold.PlateHoldTracker``): the live verdicts' own when there is
an EMG amplifier, else the runner's. The clinician can have the last rep redone (``redo_last_rep``): the count
goes back by one, and a ``rep_redone`` event on the trial's recordings says which stretch of signal it was;
the signal stays, and the stored analysis leaves that rep out (``trial_analysis``).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from clinic.channel_map import MUSCLE_NAMES, ChannelMap
from clinic.recorder import Recorder
from clinic.records.calibration import add_calibration
from clinic.records.channel_maps import default_map, save_default_map
from clinic.records.db import unit_of_work
from clinic.records.models import Patient, Recording, Trial
from clinic.records.models import Session as VisitSession
from clinic.records.patients import EXERCISES, create_trial, todays_session
from clinic.records.security import Actor
from clinic.records.store import RecordingWriter
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.live import LiveEnvelope
from clinic.signals.live_hold import PhaseEvent, PlateHoldTracker
from clinic.usecases import calibration as cal
from devices.types import DeviceInfo, SampleBlock

if TYPE_CHECKING:  # the verdict engine (scipy, the analysis) loads when a trial starts, not with the window
    from clinic.signals.live_verdict import LiveVerdicts, Verdict

log = logging.getLogger(__name__)

#: a lift raises the plate's total load at least this far above the lying load (newtons)
LIFT_RISE_N = 60.0


class State(enum.StrEnum):
    IDLE = "idle"
    SETUP = "set-up"
    CALIBRATING = "calibrating"
    READY = "ready"
    RECORDING = "recording"
    PAUSED = "paused"
    ANALYSING = "analysing"
    SAVED = "saved"


class RunnerError(RuntimeError):
    """An action the runner cannot take in its state, or a set-up that cannot work; the message says which."""


class DeviceLike(Protocol):
    """What the runner needs of a device (``devices.device.Device``, a replay source, ...)."""

    info: DeviceInfo | None
    ring: Any
    state: str

    def open(self) -> DeviceInfo: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...

    def subscribe(self, sink: Callable[[SampleBlock], None]) -> None: ...

    def unsubscribe(self, sink: Callable[[SampleBlock], None]) -> None: ...

    def on_state(self, sink: Callable[[str, str], None]) -> None: ...


DeviceFactory = Callable[[str, str, str], DeviceLike]  # (port, protocol, stream id) -> an unopened device


def serial_devices(port: str, protocol: str, stream_id: str) -> DeviceLike:
    from devices.device import Device

    return Device(port, protocol, stream_id=stream_id)


@dataclass(frozen=True)
class DeviceSpec:
    port: str
    protocol: str
    kind: str  # "emg" or "plate"


@dataclass(frozen=True)
class ExercisePlan:
    exercise: str
    side: str  # left | right | both
    target_reps: int = 10
    hold_target_s: float = 6.0

    def __post_init__(self) -> None:
        if self.exercise not in EXERCISES:
            raise RunnerError(f"exercise must be one of {', '.join(EXERCISES)}, not {self.exercise!r}")


@dataclass
class LinkEvent:
    """A cable pulled (and perhaps re-plugged) while recording, in seconds of the trial's signal."""

    device: str
    at_s: float
    back_after_s: float | None = None

    def line(self) -> str:
        back = (f"re-plugged after {self.back_after_s:.1f} s" if self.back_after_s is not None
                else "not plugged back in")
        return f"the {self.device} cable was pulled at {self.at_s:.1f} s, {back}"


@dataclass(frozen=True)
class RedoneRep:
    """A rep the clinician had redone (the patient lost form): which one, and the stretch of the plate's signal
    it took (seconds on the plate's sample index: movement start to hold end, or to the press of Redo when
    the hold had not ended)."""

    rep: int
    start_s: float
    end_s: float


@dataclass
class _Attempt:
    """A rep as the plate tracker saw it (its numbering counts every lift, redone or not)."""

    number: int
    movement_start_s: float
    hold_end_s: float | None = None
    redone: bool = False


@dataclass
class TrialOutcome:
    trial_id: int
    session_id: int
    recordings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    link_events: list[LinkEvent] = field(default_factory=list)
    redone: list[RedoneRep] = field(default_factory=list)
    analysis: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"trial_id": self.trial_id, "session_id": self.session_id, "recordings": self.recordings,
                "errors": self.errors, "link_events": [vars(e) for e in self.link_events],
                "redone": [vars(r) for r in self.redone]}


class MappedStream:
    """A device seen through a channel map: its info names muscles, and the map goes with its recording."""

    def __init__(self, device: DeviceLike, cmap: ChannelMap) -> None:
        assert device.info is not None
        self.device = device
        self.channel_map = cmap.as_dict()
        self.info = replace(device.info, channel_names=tuple(cmap.labels(device.info.channel_names)))

    def subscribe(self, sink: Callable[[SampleBlock], None]) -> None:
        self.device.subscribe(sink)

    def unsubscribe(self, sink: Callable[[SampleBlock], None]) -> None:
        self.device.unsubscribe(sink)

    @property
    def stream_id(self) -> str:
        return str(getattr(self.device, "stream_id", "") or "emg")

    def on_state(self, sink: Callable[[str, str], None]) -> None:
        self.device.on_state(sink)

    def off_state(self, sink: Callable[[str, str], None]) -> None:
        off = getattr(self.device, "off_state", None)
        if off is not None:
            off(sink)


class _Capture:
    """Every block of one stream since calibration began (minutes of a few channels); its sample count is the
    calibration's clock of signal time."""

    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = rate_hz
        self.samples = 0
        self.blocks: list[SampleBlock] = []
        self._lock = threading.Lock()

    def sink(self, block: SampleBlock) -> None:
        with self._lock:
            self.samples += block.n_samples
            self.blocks.append(block)

    @property
    def seconds(self) -> float:
        return self.samples / self.rate_hz

    def counts(self) -> np.ndarray:
        """All rows received, on the device's sample index (lost packets: NaN rows)."""
        with self._lock:
            blocks = list(self.blocks)
        if not blocks:
            return np.zeros((0, 0))
        first = blocks[0].first_index
        n = blocks[-1].end_index - first
        out = np.full((n, blocks[0].counts.shape[1]), np.nan)
        for b in blocks:
            out[b.first_index - first:b.end_index - first] = b.counts
        return out


class SessionRunner:
    def __init__(self, factory: sessionmaker[Session], actor: Actor, *, conditioning: ConditioningSettings,
                 spool_dir: Any, clock: Callable[[], dt.datetime],
                 device_factory: DeviceFactory = serial_devices, workstation: str | None = None) -> None:
        """``clock`` gives the clinic's "now" (aware UTC): sessions and weeks follow it, so tests can set the date."""
        self.factory = factory
        self.actor = actor
        self.conditioning = conditioning
        self.spool_dir = spool_dir
        self.clock = clock
        self.device_factory = device_factory
        self.workstation = workstation
        self.state = State.IDLE
        self.rep = 0
        self.patient_id: int | None = None
        self.session_id: int | None = None
        self.devices: dict[str, DeviceLike] = {}
        self.channel_map = ChannelMap()
        self.envelopes: dict[str, LiveEnvelope] = {}
        self.plan: ExercisePlan | None = None
        self.notes: list[str] = []
        self.calibration_results: dict[str, cal.StepResult] = {}
        self.calibrated_muscles: dict[str, tuple[float, float]] = {}
        self._listeners: list[Callable[[State, str], None]] = []
        self._coach_listeners: list[Callable[[str, Verdict | PhaseEvent], None]] = []
        self.coach: LiveVerdicts | None = None
        self.coaching_stopped = ""  # why live coaching was switched off in this trial ("" while it runs)
        self._emg_next = 0
        self._device_news: queue.SimpleQueue[tuple[str, str, str]] = queue.SimpleQueue()
        self._recorder: Recorder | None = None
        self._redone: list[RedoneRep] = []
        self._trial_id: int | None = None
        self._tracker: PlateHoldTracker | None = None  # the one plate tracker of this trial
        self._attempts: list[_Attempt] = []
        self._plate_next = 0
        self._capture: _Capture | None = None
        self._step_start: tuple[cal.CalibrationStep, float] | None = None
        self._pulled: set[str] = set()  # devices whose cable is out right now (the paused state)
        self._streaming = False
        self._held = False  # paused by the clinician (not by a pulled cable)
        self.interrupted = ""

    # -- listeners ------------------------------------------------------------------------------------
    def add_listener(self, listener: Callable[[State, str], None]) -> None:
        """``listener(state, message)`` on every change, on the thread that called the runner."""
        self._listeners.append(listener)

    def add_coaching_listener(self, listener: Callable[[str, Verdict | PhaseEvent], None]) -> None:
        """``listener(kind, event)`` for the live coaching: ``verdict`` (a ``Verdict``, once per rep) and the
        plate's phase events ``lift``, ``hold_start``, ``hold_reached``, ``hold_end`` (``PhaseEvent``)."""
        self._coach_listeners.append(listener)

    def _coach_event(self, kind: str, event: Verdict | PhaseEvent) -> None:
        shown = self._as_counted(event)
        if shown is None:
            return  # about a rep that was redone
        for listener in list(self._coach_listeners):
            listener(kind, shown)

    def _as_counted(self, event: Verdict | PhaseEvent) -> Verdict | PhaseEvent | None:
        """``event`` numbered as the clinician counts (redone reps do not count), or None if its rep was
        redone. Without a plate the verdicts number themselves."""
        if getattr(event, "source", "plate") == "emg":
            return event
        attempt = next((a for a in self._attempts if a.number == event.rep), None)
        if attempt is None:
            return event
        if attempt.redone:
            return None
        counted = event.rep - sum(1 for a in self._attempts if a.redone and a.number < event.rep)
        return event if counted == event.rep else replace(event, rep=counted)

    @property
    def verdicts(self) -> list[Verdict]:
        """This trial's per-rep verdicts so far, numbered as counted, none for a redone rep (live; the stored
        analysis is ``analyse``'s)."""
        if self.coach is None:
            return []
        shown = (self._as_counted(v) for v in list(self.coach.verdicts))
        return cast("list[Verdict]", [v for v in shown if v is not None])

    @property
    def redone(self) -> list[RedoneRep]:
        """The reps redone in this trial so far, numbered as they were counted when redone."""
        return list(self._redone)

    def hold_progress(self) -> tuple[float, float]:
        """(seconds held in the current or last rep, the target hold) for the hold ring; (0, target)
        without a plate."""
        target = self.plan.hold_target_s if self.plan is not None else 0.0
        if self._tracker is None:
            return 0.0, target
        return self._tracker.hold_progress(), target

    def _enter(self, state: State, message: str = "") -> None:
        self.state = state
        for listener in list(self._listeners):
            listener(state, message)

    def _require(self, *states: State) -> None:
        if self.state not in states:
            allowed = " or ".join(s.value for s in states)
            raise RunnerError(f"the session is {self.state.value}; this needs it to be {allowed}")

    # -- set-up ---------------------------------------------------------------------------------------
    def set_up(self, patient_id: int, emg: DeviceSpec | None, plate: DeviceSpec | None,
               channel_map: ChannelMap | None = None, keep_map_as_default: bool = False) -> None:
        """Open the devices and choose the map (``None``: the EMG device's default map). A device that does
        not answer or a map that does not fit closes everything again and raises with the reason."""
        self._require(State.IDLE)
        if emg is None and plate is None:
            raise RunnerError("give at least one device: an EMG amplifier and/or a force plate")
        self.patient_id = patient_id
        try:
            for spec in (emg, plate):
                if spec is not None:
                    dev = self.device_factory(spec.port, spec.protocol, spec.kind)
                    dev.open()
                    self.devices[spec.kind] = dev
                    dev.on_state(lambda state, msg, kind=spec.kind: self._device_news.put((kind, state, msg)))
            emg_dev = self.devices.get("emg")
            if emg_dev is not None and emg_dev.info is not None:
                info = emg_dev.info
                with unit_of_work(self.factory) as s:
                    cmap = channel_map if channel_map is not None else default_map(s, self.actor, info.model,
                                                                                 info.serial)
                    cmap.check_channels(info.channel_names, f"{info.model} ({info.serial})")
                    if keep_map_as_default and channel_map is not None:
                        save_default_map(s, self.actor, info.model, info.serial, channel_map)
                self.channel_map = cmap
                if not cmap and not MUSCLE_NAMES & set(info.channel_names):
                    self.notes.append(f"no channel map for {info.model} ({info.serial}): channels keep their "
                                      "names and no firing order can be given; map them with --map")
            with unit_of_work(self.factory) as s:
                patient = s.get(Patient, patient_id)
                if patient is None:
                    raise RunnerError(f"no patient {patient_id}")
                self.session_id = todays_session(s, self.actor, patient, self.clock()).id
        except BaseException:
            self.close()
            raise
        for kind, dev in self.devices.items():
            if kind == "emg" and dev.ring is not None and dev.info is not None:
                self.envelopes[kind] = LiveEnvelope(dev.ring, dev.info.sample_rate_hz, settings=self.conditioning)
        self._enter(State.SETUP, self._device_line())

    def _device_line(self) -> str:
        parts = [f"{k}: {d.info.model} ({d.info.serial})" + (" SIMULATED" if d.info.simulated else "")
                 for k, d in self.devices.items() if d.info is not None]
        return "; ".join(parts)

    def change_map(self, cmap: ChannelMap, keep_as_default: bool = False) -> None:
        """Another map for this session (before recording), optionally kept as the device's default."""
        self._require(State.SETUP, State.READY, State.SAVED)
        emg = self.devices.get("emg")
        if emg is None or emg.info is None:
            raise RunnerError("no EMG amplifier is set up")
        cmap.check_channels(emg.info.channel_names, f"{emg.info.model} ({emg.info.serial})")
        if keep_as_default:
            with unit_of_work(self.factory) as s:
                save_default_map(s, self.actor, emg.info.model, emg.info.serial, cmap)
        self.channel_map = cmap

    def _start_streaming(self) -> None:
        if not self._streaming:
            for dev in self.devices.values():
                dev.start()
            self._streaming = True

    def labels(self) -> list[str]:
        """The EMG channels' names as shown and stored (muscles where mapped)."""
        emg = self.devices.get("emg")
        if emg is None or emg.info is None:
            return []
        return self.channel_map.labels(emg.info.channel_names)

    # -- calibration ----------------------------------------------------------------------------------
    def begin_calibration(self) -> list[cal.CalibrationStep]:
        """Start capturing the EMG stream for calibration; returns the steps (rest, then each mapped muscle)."""
        self._require(State.SETUP, State.READY, State.SAVED)
        emg = self.devices.get("emg")
        if emg is None or emg.info is None:
            raise RunnerError("calibration needs an EMG amplifier")
        muscles = self.channel_map.muscles()
        if not muscles:
            raise RunnerError("map the channels to muscles before calibrating (no muscle is mapped)")
        self._capture = _Capture(emg.info.sample_rate_hz)
        emg.subscribe(self._capture.sink)
        self.calibration_results = {}
        self._start_streaming()
        self._enter(State.CALIBRATING, "rest first, then each muscle's MVC")
        return cal.steps(muscles)

    @property
    def capture_seconds(self) -> float:
        return self._capture.seconds if self._capture is not None else 0.0

    def start_step(self, step: cal.CalibrationStep) -> None:
        """The patient starts ``step`` now (the window's "Start" button)."""
        self._require(State.CALIBRATING)
        self._step_start = (step, self.capture_seconds)

    def finish_step(self) -> cal.StepResult:
        """The step started with ``start_step`` ends now; a repeated step replaces its earlier result."""
        self._require(State.CALIBRATING)
        if self._step_start is None:
            raise RunnerError("start a calibration step first")
        step, start = self._step_start
        self._step_start = None
        return self.measure_step(step, start, self.capture_seconds)

    def measure_step(self, step: cal.CalibrationStep, start_s: float, end_s: float) -> cal.StepResult:
        """The step's result from the captured stream between ``start_s`` and ``end_s`` (seconds from the
        start of the capture)."""
        self._require(State.CALIBRATING)
        assert self._capture is not None
        emg = self.devices["emg"]
        assert emg.info is not None
        counts = self._capture.counts()
        raw = (counts - np.asarray(emg.info.offset)) * np.asarray(emg.info.scale)
        env, env_rate = cal.envelopes(raw, emg.info.sample_rate_hz, self.conditioning)
        names = self.labels()
        if step.muscle is None:
            levels = cal.rest_levels(env, env_rate, names, start_s, end_s)
        else:
            levels = {step.muscle: cal.mvc_level(env, env_rate, names.index(step.muscle), start_s, end_s)}
        result = cal.StepResult(step, levels)
        self.calibration_results[step.name] = result
        return result

    def skip_step(self, step: cal.CalibrationStep) -> None:
        self._require(State.CALIBRATING)
        self.calibration_results.pop(step.name, None)

    def finish_calibration(self) -> dict[str, tuple[float, float]]:
        """Check and store the results with today's session (and the raw capture as an ``mvc`` trial);
        ``CalibrationError`` stores nothing and leaves the runner calibrating, so a step can be repeated."""
        self._require(State.CALIBRATING)
        checked = cal.check_results(self.calibration_results, self.channel_map.muscles())
        if not checked:
            raise cal.CalibrationError("no muscle has an MVC: record at least one, or skip calibration")
        emg = self.devices["emg"]
        assert emg.info is not None and self._capture is not None
        emg.unsubscribe(self._capture.sink)
        stream = MappedStream(emg, self.channel_map)
        with unit_of_work(self.factory) as s:
            visit = s.get(VisitSession, self.session_id)
            assert visit is not None
            trial = create_trial(s, self.actor, visit, "mvc", "both", reps=max(1, len(checked)),
                                 hold_target_s=cal.EFFORT_S)
            trial_id = trial.id
            for muscle, (base, mvc) in checked.items():
                add_calibration(s, self.actor, visit, muscle, base, mvc,
                                channel=self.channel_map.channel_of(muscle) or "",
                                electrode_map=self.channel_map.as_dict(),
                                device={"model": emg.info.model, "serial": emg.info.serial})
        writer = RecordingWriter(self.factory, trial_id, stream.info, spool_dir=self.spool_dir,
                                 workstation=self.workstation, channel_map=stream.channel_map)
        for block in self._capture.blocks:
            writer.add(block)
        writer.close("complete")
        self.calibrated_muscles = checked
        self._capture = None
        self._enter(State.READY, f"calibrated: {', '.join(checked)}")
        return checked

    def skip_calibration(self) -> None:
        self._require(State.SETUP, State.CALIBRATING)
        if self._capture is not None:
            self.devices["emg"].unsubscribe(self._capture.sink)
            self._capture = None
        self._enter(State.READY, "no calibration: amplitudes in microvolts")

    # -- recording ------------------------------------------------------------------------------------
    def start_trial(self, plan: ExercisePlan) -> int:
        self._require(State.SETUP, State.READY, State.SAVED)
        self.plan = plan
        streams: list[Any] = []
        for kind, dev in self.devices.items():
            streams.append(MappedStream(dev, self.channel_map) if kind == "emg" else dev)
        with unit_of_work(self.factory) as s:
            visit = s.get(VisitSession, self.session_id)
            assert visit is not None
            self._trial_id = create_trial(s, self.actor, visit, plan.exercise, plan.side, reps=plan.target_reps,
                                          hold_target_s=plan.hold_target_s).id
        plate = self.devices.get("plate")
        plate_rate = None
        if plate is not None and plate.info is not None and plate.ring is not None:
            self._plate_next = plate.ring.total
            plate_rate = plate.info.sample_rate_hz
        if self.coach is not None:
            self.coach.close()
        self.coach, self.coaching_stopped = None, ""
        emg = self.devices.get("emg")
        if emg is not None and emg.info is not None and emg.ring is not None:
            self._emg_next = emg.ring.total
            from clinic.signals.live_verdict import LiveVerdicts

            self.coach = LiveVerdicts(emg.info.sample_rate_hz, self.labels(),
                                      plan.side if plan.side in ("left", "right") else "left",
                                      conditioning=self.conditioning, hold_target_s=plan.hold_target_s,
                                      plate_rate_hz=plate_rate, rise_n=LIFT_RISE_N, background=True)
        # one tracker: the verdicts' (it times their onset windows), or without an amplifier the runner's own
        self._tracker = self.coach.tracker if self.coach is not None else (
            PlateHoldTracker(plate_rate, LIFT_RISE_N, plan.hold_target_s) if plate_rate else None)
        self._attempts, self._redone = [], []
        self._pulled = set()
        self._held = False
        self._recorder = Recorder(self.factory, self._trial_id, streams, spool_dir=self.spool_dir,
                                  workstation=self.workstation)
        self._recorder.start()
        self._start_streaming()
        self.rep = 0
        self._enter(State.RECORDING, f"recording {plan.exercise} ({plan.side})")
        return self._trial_id

    @property
    def trial_id(self) -> int | None:
        return self._trial_id

    @property
    def seconds_recorded(self) -> float:
        """Seconds of signal stored in this trial (of the stream with the least; a gap does not count)."""
        return self._recorder.seconds_stored if self._recorder is not None else 0.0

    @property
    def errors(self) -> list[str]:
        return self._recorder.errors if self._recorder is not None else []

    def poll(self) -> None:
        """Take in what happened since the last call: device link news, new samples for the live envelopes
        and the rep counter. Call it from one thread (the GUI timer, or the command line's loop)."""
        while True:
            try:
                kind, state, message = self._device_news.get_nowait()
            except queue.Empty:
                break
            self._on_device_state(kind, state, message)
        for env in self.envelopes.values():
            env.update()
        plate = self.devices.get("plate")
        if self._tracker is not None and plate is not None and plate.ring is not None:
            rows, first = plate.ring.since(self._plate_next)
            if rows.shape[0]:
                self._plate_next = first + rows.shape[0]
                self._track(rows, first)
        emg = self.devices.get("emg")
        if self.coach is not None and not self.coaching_stopped and emg is not None and emg.ring is not None:
            rows, first = emg.ring.since(self._emg_next)
            self._emg_next = first + rows.shape[0]
            self._coach_safely(lambda: self._coach_emg(rows, first))

    def _track(self, rows: np.ndarray, first: int) -> None:
        """Plate rows (newtons per cell) to the one tracker: the rep count, the hold and the coaching's phases.
        A failing tracker stops the count and the coaching for this trial, never the recording."""
        assert self._tracker is not None
        try:
            if self.coach is not None and self.coach.tracker is self._tracker:
                phases = self.coach.feed_plate(rows, first)  # also queues the hold starts for the verdicts
            else:
                finite = np.isfinite(rows).any(axis=1)
                phases = self._tracker.feed(np.where(finite, np.nansum(rows, axis=1), np.nan), first)
        except Exception as exc:  # noqa: BLE001
            log.exception("the live plate tracker failed")
            self._tracker = None
            self.coaching_stopped = f"live rep count and coaching stopped for this trial: {type(exc).__name__}: {exc}"
            self.notes.append(self.coaching_stopped)
            return
        for phase in phases:
            if phase.kind == "lift":
                self._attempts.append(_Attempt(phase.rep, phase.movement_start_s))
            elif phase.kind == "hold_end" and self._attempts and self._attempts[-1].number == phase.rep:
                self._attempts[-1].hold_end_s = phase.hold_end_s
        del self._attempts[self._tracker.reps:]  # a lift that never settled into a hold is not a rep
        self._count()
        if phases and not self.coaching_stopped:
            self._coach_safely(lambda: self._coach_phases(phases))

    def _coach_phases(self, phases: list[PhaseEvent]) -> None:
        for phase in phases:
            self._coach_event(phase.kind, phase)

    @property
    def _counted(self) -> int:
        """Reps as the clinician counts them: every lift the tracker counted, less those redone."""
        return sum(1 for a in self._attempts if not a.redone)

    def _count(self) -> None:
        """The rep as the clinician counts it (the one in progress, or the last one), announced while recording."""
        if self._counted != self.rep and self.state == State.RECORDING:
            self.rep = self._counted
            self._enter(State.RECORDING, f"rep {self.rep}")

    def redo_last_rep(self) -> RedoneRep:
        """The clinician discards the last rep (the patient lost form) and the patient repeats it: the count
        goes back by one, and a ``rep_redone`` event on every recording of the trial says which stretch of
        signal it was (from its movement start to its hold end, or to now if the hold has not ended). The
        signal stays; the stored analysis leaves that rep out. Reps are counted from the plate: without one
        there is none to redo."""
        self._require(State.RECORDING, State.PAUSED)
        plate = self.devices.get("plate")
        if self._tracker is None or plate is None or plate.info is None:
            raise RunnerError("reps are counted from the force plate: without one there is no rep to redo")
        attempt = next((a for a in reversed(self._attempts) if not a.redone), None)
        if attempt is None:
            raise RunnerError("no rep to redo yet")
        assert self._recorder is not None
        end_s = attempt.hold_end_s if attempt.hold_end_s is not None else self._tracker.now_s
        counted = self._counted
        rate = plate.info.sample_rate_hz
        try:
            self._recorder.mark_span(plate, int(round(attempt.movement_start_s * rate)), int(round(end_s * rate)),
                                     {"kind": "rep_redone", "rep": counted, "at": self.clock().isoformat(),
                                      "by": self.actor.username})
        except RuntimeError as exc:
            raise RunnerError(f"rep {counted} cannot be redone: {exc}") from exc
        attempt.redone = True
        redone = RedoneRep(counted, round(attempt.movement_start_s, 3), round(end_s, 3))
        self._redone.append(redone)
        self.rep = counted - 1
        self._enter(self.state, f"rep {counted} to redo")
        return redone

    def _coach_emg(self, rows: np.ndarray, first: int) -> None:
        assert self.coach is not None
        for verdict in self.coach.feed_emg(rows, first):
            self._coach_event("verdict", verdict)

    def _coach_safely(self, step: Callable[[], object]) -> None:
        """Live coaching must never stop the recording or the rep count: a failure (of the verdicts, or of a
        coaching listener) switches it off for this trial, says why in ``notes`` and the log, and the stored
        analysis still comes after the trial."""
        try:
            step()
        except Exception as exc:  # noqa: BLE001
            log.exception("live coaching failed")
            self.coaching_stopped = f"live coaching stopped for this trial: {type(exc).__name__}: {exc}"
            self.notes.append(self.coaching_stopped)

    def _on_device_state(self, kind: str, state: str, message: str) -> None:
        if self.state not in (State.RECORDING, State.PAUSED):
            if state == "disconnected":
                self.notes.append(message)
            return
        if state == "disconnected" and kind not in self._pulled:
            self._pulled.add(kind)
            self._enter(State.PAUSED, f"{message} (cable pulled?)")
        elif state == "reconnected" and kind in self._pulled:
            self._pulled.discard(kind)
            if not self._pulled and not self._held:
                self._enter(State.RECORDING, message)

    def pause(self) -> None:
        """The clinician pauses (the patient rests or repositions): the recorder keeps everything it receives,
        so nothing is lost, and reps are not counted until ``resume``."""
        self._require(State.RECORDING)
        self._held = True
        self._enter(State.PAUSED, "paused by the clinician")

    def resume(self) -> None:
        self._require(State.PAUSED)
        if self._pulled:
            raise RunnerError("a cable is still pulled: " + self._still_pulled())
        self._held = False
        self._enter(State.RECORDING, "resumed")

    @property
    def link_events(self) -> list[LinkEvent]:
        """This trial's pulls, from the recorder's link events: when (seconds of signal stored) and how long
        until the re-plug (wall seconds; None while the cable is out)."""
        events: list[LinkEvent] = []
        out: dict[str, tuple[LinkEvent, float]] = {}
        for e in self._recorder.link_events if self._recorder is not None else []:
            if e.kind == "pulled":
                event = LinkEvent(e.stream_id, e.stored_s)
                out[e.stream_id] = (event, e.at_s)
                events.append(event)
            elif e.stream_id in out:
                event, pulled_at = out.pop(e.stream_id)
                event.back_after_s = round(e.at_s - pulled_at, 3)
        return events

    def _still_pulled(self) -> str:
        return "; ".join(e.line() for e in self.link_events if e.back_after_s is None) or \
            f"the {', '.join(sorted(self._pulled))} cable is out"

    def stop_trial(self, interrupted: str = "") -> None:
        """Stop the devices and close the recordings (what was received is stored); then ``analyse``.
        ``interrupted`` says why the trial ended early (it is then stored as ``interrupted``); a cable still
        pulled also marks it interrupted."""
        self._require(State.RECORDING, State.PAUSED)
        for dev in self.devices.values():
            dev.stop()
        self._streaming = False
        assert self._recorder is not None
        self.poll()
        if not interrupted and self._pulled:
            interrupted = self._still_pulled()
        self.interrupted = interrupted
        self._recorder.stop(interrupted=interrupted)
        self.poll()
        self._enter(State.ANALYSING, "analysing")

    def analyse(self) -> TrialOutcome:
        """Analyse the trial just recorded and keep the results (blocking: a worker thread in the window)."""
        from clinic.signals.onsets import OnsetSettings  # the analysis (scipy) loads when a trial is analysed
        from clinic.usecases.trial_analysis import analyze_and_store

        self._require(State.ANALYSING)
        assert self._trial_id is not None and self._recorder is not None and self.session_id is not None
        outcome = TrialOutcome(self._trial_id, self.session_id, errors=list(self._recorder.errors),
                               link_events=self.link_events, redone=self.redone)
        if self.interrupted:
            outcome.errors.append(self.interrupted)
        # a pull the patient recovered from is still news: the trial has a gap and is stored interrupted
        outcome.errors += [line for line in (e.line() for e in outcome.link_events) if line not in self.interrupted]
        with unit_of_work(self.factory) as s:
            trial = s.get(Trial, self._trial_id)
            assert trial is not None
            for rec in trial.recordings:
                outcome.recordings.append(recording_row(rec))
            if trial.recordings and not self._recorder.errors:  # an interrupted trial is analysed too
                outcome.analysis = analyze_and_store(s, self.actor, trial, self.conditioning, OnsetSettings())
        self._enter(State.SAVED, f"trial {self._trial_id} saved")
        return outcome

    # -- headless driving (the command line and the self-test) ---------------------------------------
    def wait_for_signal(self, seconds: float, *, slack_s: float = 10.0, stop: Callable[[], bool] = lambda: False,
                        nap: Callable[[float], None] = time.sleep) -> str:
        """Poll until ``seconds`` of signal are in (recording: the trial's; calibrating: the capture's), a stop
        is requested, the recorder fails, or ``seconds + slack_s`` of wall time passed (a pulled cable never
        makes a caller wait longer). Returns why it ended: ``done``, ``stopped``, ``error`` or ``timeout``."""
        measured = (lambda: self.capture_seconds) if self.state == State.CALIBRATING else (
            lambda: self.seconds_recorded)
        deadline = time.monotonic() + seconds + slack_s
        while True:
            self.poll()
            if measured() >= seconds:
                return "done"
            if stop():
                return "stopped"
            if self.errors:
                return "error"
            if time.monotonic() >= deadline:
                return "timeout"
            nap(0.02)

    def run_schedule(self, on_step: Callable[[cal.TimedStep], None] = lambda step: None,
                     stop: Callable[[], bool] = lambda: False) -> dict[str, tuple[float, float]]:
        """Calibrate on the fixed timetable from the start of the stream (``calibration.schedule``): each step
        is measured once the capture has passed its end. Raises ``RunnerError`` when the stream stops early."""
        timetable = cal.schedule(self.channel_map.muscles())
        for timed in timetable:
            on_step(timed)
            why = self.wait_for_signal(timed.end_s, slack_s=10.0, stop=stop)
            if why != "done":
                raise RunnerError(f"calibration {why} during {timed.step.name}: {self.capture_seconds:.1f} s of "
                                  f"{timetable[-1].end_s:.0f} s received")
            self.measure_step(timed.step, timed.start_s, timed.end_s)
        return self.finish_calibration()

    # -- ending ---------------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop whatever runs (a recording is closed and kept) and close the devices."""
        if self.state in (State.RECORDING, State.PAUSED):
            try:
                self.stop_trial()
            except Exception:  # noqa: BLE001 - closing must go on; the recorder marks what it could not close
                log.exception("stopping the recording while closing the session failed")
        for dev in self.devices.values():
            try:
                dev.close()
            except Exception:  # noqa: BLE001
                log.exception("closing a device failed")
        self.devices.clear()
        self.envelopes.clear()
        if self.coach is not None:
            self.coach.close()  # its verdicts stay readable
        self._streaming = False
        if self.state != State.IDLE:
            self._enter(State.IDLE, "session closed")


def recording_row(rec: Recording) -> dict[str, Any]:
    return {"id": rec.id, "kind": rec.kind, "status": rec.status,
            "seconds": round(rec.n_samples / rec.sample_rate_hz, 3), "simulated": rec.simulated}

