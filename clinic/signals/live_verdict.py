"""Per-rep verdicts as the rep happens: which muscle fired first, the glute lead in ms, and the cue.

The method is the offline one on a rolling buffer, so live and stored results agree: raw EMG of the last
``window_s`` seconds is kept; when the plate shows that a rep's hold has started (``live_hold``), the offline
onset detector (``onsets.detect_onsets``, a black box here) runs over the buffer and ``analysis.rep_metrics``
takes each muscle's first onset in the rep's window (1 s before the movement start to the hold start) exactly
as the stored analysis does. One verdict per rep, emitted once.

One difference is forced by time: offline, each stretch's resting level is a percentile over a window centred
on it (``onsets.local_baseline``); live, the buffer ends inside the contraction, so from the rep's window on
the level is frozen at the trailing value before it (the detector cannot see the rest that will follow).

Without a plate there is no hold start to wait for: every ``no_plate_every_s`` the whole offline analysis
(``analyze_trial``, reps segmented from the envelopes) runs over the buffer and each new complete rep gets
its verdict, i.e. after the rep rather than at its hold start (docs/live.md).

With ``background=True`` (the session runner) the detector runs in one worker thread on a copy of the buffer,
so the caller's thread (the GUI's) never waits for it; the verdict is handed over at the next feed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from clinic.protocol.cues import cue_for, verdict_of
from clinic.signals.analysis import ONSET_WINDOW_S, analyze_trial, rep_metrics
from clinic.signals.asymmetry import paired_asymmetry
from clinic.signals.conditioning import ConditioningSettings, condition_cm
from clinic.signals.live_hold import PhaseEvent, PlateHoldTracker
from clinic.signals.onsets import (
    DetectionBaseline,
    OnsetSettings,
    detect_onsets_filtered,
    detection_baseline,
    detection_blocks,
    detection_decimation,
)
from clinic.signals.reps import Rep
from devices.ring import SampleRing

#: the amplitude compared left vs right: RMS of the conditioned EMG over this long before the hold start
AMPLITUDE_WINDOW_S = 0.25


@dataclass(frozen=True)
class Verdict:
    rep: int
    verdict: str  # clinic.protocol.cues.VERDICTS
    cue: str | None
    glute_lead_ms: float | None  # glute onset before the earliest other muscle (negative: glute late)
    firing_order: tuple[str, ...]
    leads_ms: dict[str, float | None]  # glute lead over hamstrings / erector_spinae
    onset_s: dict[str, float | None]  # per muscle, signal time of its onset in the window
    movement_start_s: float
    hold_start_s: float
    at_s: float  # signal time when the verdict was known
    source: str = "plate"  # plate | emg (no plate: after the rep)
    asymmetry: dict[str, float | None] = field(default_factory=dict)  # per muscle, % (positive: left larger)
    channels: dict[str, str | None] = field(default_factory=dict)  # per muscle, the channel it was read on

    def line(self) -> str:
        lead = "" if self.glute_lead_ms is None else f", glute lead {self.glute_lead_ms:+.0f} ms"
        return f"rep {self.rep}: {self.verdict}{lead}" + (f" - {self.cue}" if self.cue else "")


def _verdict_from_metrics(m: Mapping[str, object], at_s: float, t0: float, source: str,
                          asymmetry: dict[str, float | None]) -> Verdict:
    order = tuple(m["firing_order"])  # type: ignore[arg-type]
    leads = {"hamstrings": m["glute_lead_hamstrings_ms"], "erector_spinae": m["glute_lead_erector_spinae_ms"]}
    known = [v for v in leads.values() if v is not None]
    onsets = {k: (None if v is None else round(v + t0, 4)) for k, v in m["onset_s"].items()}  # type: ignore[union-attr]
    verdict = verdict_of(order)
    return Verdict(int(m["rep"]), verdict, cue_for(verdict, glute_fired=onsets.get("glute_max") is not None),  # type: ignore[call-overload]
                   min(known) if known else None, order, leads, onsets,  # type: ignore[arg-type]
                   round(float(m["movement_start_s"]) + t0, 4), round(float(m["hold_start_s"]) + t0, 4),  # type: ignore[arg-type]
                   round(at_s, 4), source, asymmetry, dict(m["channels"]))  # type: ignore[call-overload]


class LiveVerdicts:
    """Feed it raw EMG rows (microvolts) and plate rows (newtons per cell) on their devices' sample indices;
    ``verdicts`` grows as reps happen, in rep order. The caller's poll drives it; ``background`` moves the
    detector to a worker thread (call ``close`` at the end)."""

    def __init__(self, emg_rate_hz: float, channel_names: Sequence[str], side: str, *,
                 conditioning: ConditioningSettings, hold_target_s: float, plate_rate_hz: float | None = None,
                 rise_n: float = 60.0, settings: OnsetSettings = OnsetSettings(), window_s: float = 25.0,
                 no_plate_every_s: float = 1.0, background: bool = False) -> None:
        self.emg_rate_hz = emg_rate_hz
        self.names = [str(n) for n in channel_names]
        self.side = side
        self.conditioning = conditioning
        self.settings = settings
        self.hold_target_s = hold_target_s
        self.window_s = window_s
        self.ring = SampleRing(int(window_s * emg_rate_hz), len(self.names))
        self.tracker = (PlateHoldTracker(plate_rate_hz, rise_n, hold_target_s) if plate_rate_hz else None)
        self.verdicts: list[Verdict] = []
        self._pending: list[PhaseEvent] = []
        self._no_plate_every = int(no_plate_every_s * emg_rate_hz)
        self._next_no_plate = self._no_plate_every
        self._emitted_until_s = -np.inf  # no plate: reps up to this hold start have their verdict
        self._no_plate_reps = 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="live-verdict") if background else None
        self._running: list[Future[list[Verdict]]] = []

    def close(self) -> None:
        """Stop the worker thread (a verdict still being computed is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    @property
    def emg_end_s(self) -> float:
        return self.ring.total / self.emg_rate_hz

    def feed_emg(self, rows: np.ndarray, first_index: int) -> list[Verdict]:
        if rows.shape[0]:
            self.ring.write(rows, first_index)
        return self._resolve()

    def feed_plate(self, cells_n: np.ndarray, first_index: int) -> list[PhaseEvent]:
        """Plate rows; returns the phase events (lift, hold start, hold reached, hold end) they completed."""
        if self.tracker is None or not cells_n.shape[0]:
            return []
        finite = np.isfinite(cells_n).any(axis=1)
        total = np.where(finite, np.nansum(cells_n, axis=1), np.nan)
        events = self.tracker.feed(total, first_index)
        self._pending.extend(e for e in events if e.kind == "hold_start")
        return events

    def _resolve(self) -> list[Verdict]:
        """Verdicts for holds whose onset window is in the EMG buffer (the EMG may lag the plate a little)."""
        if self.tracker is None:
            if self.ring.total >= self._next_no_plate:
                self._next_no_plate = self.ring.total + self._no_plate_every
                self._run(self._from_envelopes, *self._buffer(), self.emg_end_s)
        else:
            while self._pending and self._pending[0].at_s <= self.emg_end_s:
                event = self._pending.pop(0)
                self._run(lambda data, t0, end, event=event: [self._at_hold_start(event, data, t0, end)],
                          *self._buffer(), self.emg_end_s)
        new: list[Verdict] = []
        while self._running and self._running[0].done():
            new.extend(self._running.pop(0).result())
        self.verdicts.extend(new)
        return new

    def _run(self, job: Callable[[np.ndarray, float, float], list[Verdict]], data: np.ndarray, t0: float,
             end_s: float) -> None:
        """``job`` on a copy of the buffer: in the worker thread, or here and now."""
        future: Future[list[Verdict]]
        if self._pool is not None:
            future = self._pool.submit(job, data, t0, end_s)
        else:
            future = Future()
            future.set_result(job(data, t0, end_s))
        self._running.append(future)

    def _buffer(self) -> tuple[np.ndarray, float]:
        data, first = self.ring.latest(self.ring.capacity)
        return np.nan_to_num(data, nan=0.0), first / self.emg_rate_hz

    def _asymmetry(self, filtered_cm: np.ndarray, t0: float, hold_start_s: float) -> dict[str, float | None]:
        """Left/right asymmetry of each muscle's RMS over the last ``AMPLITUDE_WINDOW_S`` before the hold."""
        end = int((hold_start_s - t0) * self.emg_rate_hz)
        n = int(AMPLITUDE_WINDOW_S * self.emg_rate_hz)
        if end - n < 0 or end > filtered_cm.shape[1]:
            return {}
        rms = np.sqrt(np.mean(filtered_cm[:, end - n:end].astype(np.float64) ** 2, axis=1))
        return paired_asymmetry({name: float(v) for name, v in zip(self.names, rms)})

    def _causal_baseline(self, filtered_cm: np.ndarray, from_s: float) -> DetectionBaseline:
        """The detector's baseline with its level frozen from ``from_s`` (buffer seconds) on at the trailing
        ``baseline_window_s`` percentile before it (see the module docstring)."""
        s = self.settings
        base = detection_baseline(detection_blocks(filtered_cm, self.emg_rate_hz, s), self.emg_rate_hz, s)
        det, level, cv, b = base
        rate_d = self.emg_rate_hz / detection_decimation(self.emg_rate_hz)
        k = int(max(0.0, from_s) * rate_d / b)
        if not 0 < k < level.shape[1]:
            return base
        c, nb = det.shape[0], det.shape[1] // b
        means = det[:, :nb * b].reshape(c, nb, b).mean(axis=2, dtype=np.float64)
        w = max(1, int(round(s.baseline_window_s * 1000.0 / s.baseline_block_ms)))
        trailing = np.percentile(means[:, max(0, k - w):k], s.baseline_percentile, axis=1)
        level = level.copy()
        level[:, k:] = np.maximum(trailing, np.finfo(np.float32).tiny)[:, None]
        return DetectionBaseline(det, level, cv, b)

    def _at_hold_start(self, event: PhaseEvent, data: np.ndarray, t0: float, end_s: float) -> Verdict:
        assert event.hold_start_s is not None
        filtered = condition_cm(data.T, self.emg_rate_hz, self.conditioning)
        window_start = event.movement_start_s - ONSET_WINDOW_S[0] - t0
        onsets = {o.name: o for o in detect_onsets_filtered(
            filtered, self.emg_rate_hz, self.names, self.settings,
            baseline=self._causal_baseline(filtered, window_start))}
        rep = Rep(event.rep, event.movement_start_s - t0, event.hold_start_s - t0, event.hold_start_s - t0,
                  event.hold_start_s - t0)
        m = rep_metrics(rep, onsets, self.side, names=self.names, hold_target_s=self.hold_target_s)
        return _verdict_from_metrics(m, max(event.at_s, end_s), t0, "plate",
                                     self._asymmetry(filtered, t0, event.hold_start_s))

    def _from_envelopes(self, data: np.ndarray, t0: float, end_s: float) -> list[Verdict]:
        result = analyze_trial(data, self.emg_rate_hz, self.names, side=self.side, settings=self.settings,
                               conditioning=self.conditioning, hold_target_s=self.hold_target_s)
        out = []
        for m in result.get("reps", []):  # type: ignore[union-attr]
            hold_start = float(m["hold_start_s"]) + t0
            if hold_start <= self._emitted_until_s + 0.5:
                continue
            self._emitted_until_s = hold_start
            self._no_plate_reps += 1
            m = {**m, "rep": self._no_plate_reps}
            filtered = condition_cm(data.T, self.emg_rate_hz, self.conditioning)
            out.append(_verdict_from_metrics(m, end_s, t0, "emg", self._asymmetry(filtered, t0, hold_start)))
        return out
