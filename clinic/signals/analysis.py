"""One trial's analysis: quality, onsets per channel, reps, per-rep metrics and the trial summary.

Everything the live view, the recorder, the review screen and the reports show comes from here, as plain
JSON-able dicts (times in seconds from the start of the recording, ``_s``; durations ``_ms``). The schema is
documented in docs/analysis.md.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, TypeVar

import numpy as np

from clinic.channel_map import MUSCLE_NAMES, MUSCLES
from clinic.signals.conditioning import (
    MAX_THREADS,
    ConditioningSettings,
    block_mean_cm,
    condition_cm,
    envelope_decimated,
)
from clinic.signals.gaps import BRIDGE_MAX_S, MAX_BRIDGED_SHARE, Gap, bridge, find_gaps, parts_between
from clinic.signals.normalise import NO_MVC_REASON, missing_mvc, ratio, resting_baseline, to_percent_mvc
from clinic.signals.onsets import (
    Burst,
    ChannelOnsets,
    OnsetSettings,
    detect_onsets_filtered,
    detection_baseline,
    detection_blocks,
)
from clinic.signals.plate import PlateTraces, hold_plate_metrics, row_sums, sit_down_reps
from clinic.signals.quality import VERDICTS, ChannelQuality, channel_quality, rest_and_motion, summarise
from clinic.signals.reps import Rep, segment_reps, segment_reps_from_envelopes
from clinic.signals.summary import rep_summary

_T = TypeVar("_T")
log = logging.getLogger(__name__)

MIN_DURATION_S = 2.0
MIN_RATE_HZ = 100.0
#: a muscle's onset belongs to a rep if it falls this long before the movement start ... after the hold start
ONSET_WINDOW_S = (1.0, 0.5)


def muscle_channel(names: Sequence[str], muscle: str, side: str) -> str | None:
    """The channel recording ``muscle`` on ``side`` (``glute_max_left``), or one named just ``glute_max``."""
    for candidate in (f"{muscle}_{side}", muscle):
        if candidate in names:
            return candidate
    return None


def _onset_in(ch: ChannelOnsets | None, t0: float, t1: float) -> tuple[float | None, float | None]:
    """Earliest burst onset in [t0, t1] and its confidence."""
    if ch is None:
        return None, None
    for b in ch.bursts:
        if t0 <= b.onset_s <= t1:
            return b.onset_s, b.confidence
    return None, None


def _hold_amplitude(env: np.ndarray, env_rate: float, rep: Rep, mvc: Mapping[str, float] | None,
                    baseline: Mapping[str, float], channel: str, index: int) -> dict[str, float | None]:
    a, b = int(rep.hold_start_s * env_rate), max(int(rep.hold_start_s * env_rate) + 1, int(rep.hold_end_s * env_rate))
    seg = env[index, a:b]
    if not len(seg):
        return {"mean_uv": None, "peak_uv": None, "mean_pct_mvc": None, "peak_pct_mvc": None}
    mean_uv, peak_uv = float(seg.mean()), float(seg.max())
    ref = (mvc or {}).get(channel)
    base = baseline.get(channel, 0.0)

    def pct(v: float) -> float | None:
        p = to_percent_mvc(v, ref, base)
        return None if p is None else round(p, 2)

    return {"mean_uv": round(mean_uv, 3), "peak_uv": round(peak_uv, 3), "mean_pct_mvc": pct(mean_uv),
            "peak_pct_mvc": pct(peak_uv)}


def rep_metrics(rep: Rep, onsets: dict[str, ChannelOnsets], side: str, *, names: Sequence[str] = (),
                env: np.ndarray | None = None, env_rate: float = 0.0, mvc: Mapping[str, float] | None = None,
                baseline: Mapping[str, float] | None = None, hold_target_s: float = 5.0,
                previous: Rep | None = None) -> dict[str, object]:
    """Per-rep metrics: onsets relative to movement start, firing order, glute lead (ms, negative = glute
    late), hold amplitudes (uV and %MVC), ratios between muscles (None without MVC), hold time."""
    names = list(names) or list(onsets)
    t0, t1 = rep.movement_start_s - ONSET_WINDOW_S[0], rep.hold_start_s + ONSET_WINDOW_S[1]
    onset_s: dict[str, float | None] = {}
    rel: dict[str, float | None] = {}
    conf: dict[str, float | None] = {}
    channels: dict[str, str | None] = {}
    for muscle in MUSCLES:
        ch = muscle_channel(names, muscle, side)
        channels[muscle] = ch
        t, c = _onset_in(onsets.get(ch) if ch else None, t0, t1)
        onset_s[muscle], conf[muscle] = t, c
        rel[muscle] = None if t is None else round((t - rep.movement_start_s) * 1000.0, 2)
    fired = sorted((v, k) for k, v in rel.items() if v is not None)
    glute = rel["glute_max"]

    def lead(other: str) -> float | None:
        o = rel[other]
        return None if glute is None or o is None else round(o - glute, 2)

    out: dict[str, object] = {
        "rep": rep.number,
        "segmented_from": rep.source,
        "movement_start_s": round(rep.movement_start_s, 4),
        "hold_start_s": round(rep.hold_start_s, 4),
        "hold_end_s": round(rep.hold_end_s, 4),
        "lower_end_s": round(rep.lower_end_s, 4),
        "hold_ms": round(rep.hold_s * 1000.0, 1),
        "hold_reached": bool(rep.hold_s >= hold_target_s),
        "rest_before_ms": (round((rep.movement_start_s - previous.lower_end_s) * 1000.0, 1)
                           if previous is not None else None),
        "channels": channels,
        "onset_s": {k: (None if v is None else round(v, 4)) for k, v in onset_s.items()},
        "onset_rel_movement_ms": rel,
        "onset_confidence": conf,
        "firing_order": [k for _, k in fired],
        # unknown is null, never "no": no glute channel, or no muscle fired in this rep
        "glute_first": None if channels["glute_max"] is None or not fired else fired[0][1] == "glute_max",
        "glute_lead_hamstrings_ms": lead("hamstrings"),
        "glute_lead_erector_spinae_ms": lead("erector_spinae"),
    }
    if env is not None and env_rate > 0:
        amps = {}
        for muscle, ch in channels.items():
            if ch is not None and ch in names:
                amps[muscle] = _hold_amplitude(env, env_rate, rep, mvc, baseline or {}, ch, names.index(ch))
        out["hold_amplitude"] = amps
        pct = {m: (a or {}).get("mean_pct_mvc") for m, a in amps.items()}
        out["glute_hamstring_ratio"] = _r(ratio(pct.get("glute_max"), pct.get("hamstrings")))
        out["lumbar_glute_ratio"] = _r(ratio(pct.get("erector_spinae"), pct.get("glute_max")))
        lacking = missing_mvc(mvc, [c for c in channels.values() if c])
        out["ratio_reason"] = NO_MVC_REASON.format(muscles=", ".join(lacking)) if lacking else None
    return out


def _burst_dict(b: Burst) -> dict[str, float]:
    """``asdict(b)`` plus the duration: the fields are numbers (immutable), so a shallow copy of the instance
    dict is the same dict without ``asdict``'s recursive deep copy (hundreds of bursts per trial)."""
    return {**vars(b), "duration_ms": round(b.duration_ms, 1)}


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


class _FullRate(NamedTuple):
    filtered: np.ndarray  # conditioned EMG, channels x samples
    onsets: list[ChannelOnsets]  # per channel, before the quality verdicts
    quality: list[ChannelQuality]  # per channel
    env: np.ndarray  # decimated amplitude envelope, channels x blocks
    env_rate: float


def _full_rate_stage(x: np.ndarray, rate_hz: float, names: list[str], conditioning: ConditioningSettings,
                     settings: OnsetSettings) -> _FullRate:
    """Everything done per channel from the full-rate signals: conditioning, the onsets (detection energy,
    its baseline, bursts and their refinement on the raw EMG), the amplitude envelope and the quality checks.

    On a multi-core workstation two channel groups run in parallel threads (scipy's filters and numpy's
    element-wise operations release the GIL; every figure here depends on its own channel only). Each
    thread makes its channels channel-major (contiguous along time) and writes its filtered channels straight
    into one channel-major array: the copies run in parallel, and the block means after them read contiguous
    memory rather than ``sosfiltfilt``'s time-reversed view. ``x``: raw EMG, samples x channels.
    """
    filtered = np.empty((x.shape[1], x.shape[0]), dtype=np.float32)

    def group(rows: slice) -> _FullRate:
        raw_cm = np.ascontiguousarray(x[:, rows].T, dtype=np.float32)
        all_finite = bool(np.isfinite(raw_cm.sum()))
        finite_raw_cm = raw_cm if all_finite else np.nan_to_num(raw_cm, nan=0.0, posinf=0.0, neginf=0.0)
        filtered[rows] = condition_cm(finite_raw_cm, rate_hz, conditioning, threads=1)
        f = filtered[rows]
        env, env_rate = envelope_decimated(f, rate_hz, conditioning.envelope_lowpass_hz)
        blocks = detection_blocks(f, rate_hz, settings)
        baseline = detection_baseline(blocks, rate_hz, settings) if blocks.shape[1] >= 8 else None
        onsets = detect_onsets_filtered(f, rate_hz, names[rows], settings, blocks=blocks, baseline=baseline,
                                        raw_cm=finite_raw_cm, conditioning=conditioning)
        quality = channel_quality(x[:, rows], rate_hz, names[rows], filtered_cm=f, conditioning=conditioning,
                                  raw_cm=raw_cm, all_finite=all_finite,
                                  rest_motion=rest_and_motion(f, finite_raw_cm, rate_hz))
        return _FullRate(f, onsets, quality, env, env_rate)

    workers = min(MAX_THREADS, os.cpu_count() or 1, x.shape[1])
    if workers < 2 or x.size < 1_000_000:
        return group(slice(None))
    groups = [slice(int(g[0]), int(g[-1]) + 1) for g in np.array_split(np.arange(x.shape[1]), workers)]
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(group, groups))
    return _FullRate(filtered, [o for p in parts for o in p.onsets], [q for p in parts for q in p.quality],
                     np.vstack([p.env for p in parts]), parts[0].env_rate)


class _Plate(NamedTuple):
    reps: list[Rep]
    landing: list[dict[str, object]]  # per rep, bench sit-down only
    notes: list[str]
    info: dict[str, object] | None  # the result's ``plate``
    hold_metrics: list[dict[str, object]] | None  # per rep, bridges only (``plate.hold_plate_metrics``)


def _plate_stage(force_cells_n: np.ndarray | None, plate_rate_hz: float | None, plate_cells: Sequence[str] | None,
                 exercise: str | None, body_mass_kg: float | None) -> _Plate:
    """Reps and per-rep metrics from the force plate (no reps when there is no usable plate recording)."""
    reps: list[Rep] = []
    landing: list[dict[str, object]] = []
    notes: list[str] = []
    if force_cells_n is None or not plate_rate_hz:
        return _Plate(reps, landing, notes, None, None)
    if not (np.isfinite(plate_rate_hz) and plate_rate_hz > 0):
        notes.append(f"plate sample rate {plate_rate_hz:g} Hz is not valid: plate metrics skipped")
        return _Plate(reps, landing, notes, None, None)
    cells = list(plate_cells) if plate_cells is not None else None
    force = np.asarray(force_cells_n, dtype=np.float64)
    if force.ndim == 1:
        force = force[:, None]
    if cells is None or len(cells) != force.shape[1]:
        cells = ["front_left", "front_right", "back_left", "back_right"][:force.shape[1]] \
            if force.shape[1] == 4 and cells is None else [f"cell{i + 1}" for i in range(force.shape[1])]
    info: dict[str, object] = {"sample_rate_hz": plate_rate_hz, "cells": cells}
    sit = exercise == "bench_sit_down" or any("seat" in c for c in cells)
    if not np.all(np.isfinite(force)):
        notes.append("the plate recording has missing samples: plate metrics skipped")
        return _Plate(reps, landing, notes, info, None)
    if sit:
        reps, landing = sit_down_reps(force, cells, plate_rate_hz, body_mass_kg)
        return _Plate(reps, landing, notes, info, None)
    # bridges: phases and sway are analysed after a 10 Hz low-pass, so ~200 Hz is plenty
    k = max(1, int(plate_rate_hz // 200))
    if k > 1:
        force = block_mean_cm(force.T, k).T.astype(np.float64)
    bridge_rate = plate_rate_hz / k
    reps = segment_reps(row_sums(force), bridge_rate)
    if not reps:
        return _Plate(reps, landing, notes, info, None)
    traces = PlateTraces(force, cells, bridge_rate)
    return _Plate(reps, landing, notes, info,
                  [hold_plate_metrics(force, cells, bridge_rate, r, traces=traces) for r in reps])


def _in_background(fn: Callable[..., _T], *args: object) -> Callable[[], _T]:
    """Start ``fn(*args)`` in a second thread (inline on a single-core machine); returns a function that
    waits for it and returns its result (or raises its exception)."""
    if (os.cpu_count() or 1) < 2:
        result = fn(*args)
        return lambda: result
    pool = ThreadPoolExecutor(1)
    future = pool.submit(fn, *args)
    pool.shutdown(wait=False)  # the submitted call still runs; the worker thread ends after it
    return future.result


def _settle(plate_result: Callable[[], _Plate]) -> str | None:
    """Wait for the plate stage of a trial whose EMG analysis ended early, so that its error is logged (with
    its traceback) and said, not lost with its thread."""
    try:
        plate_result()
    except Exception as exc:  # noqa: BLE001 - the trial already has an error; this one is added to it
        log.error("plate analysis failed", exc_info=exc)
        return f"the plate analysis failed as well: {exc}"
    return None


def _error_result(reason: str, rate_hz: float, n: int, settings: OnsetSettings) -> dict[str, object]:
    return {"error": reason, "method": settings.as_dict(), "sample_rate_hz": rate_hz,
            "duration_s": n / rate_hz if rate_hz > 0 else None, "channels": {}, "reps": [],
            "summary": rep_summary([])}


def analyze_trial(emg: np.ndarray, emg_rate_hz: float, channel_names: list[str] | tuple[str, ...],
                  side: str = "left", force_cells_n: np.ndarray | None = None,
                  plate_rate_hz: float | None = None,
                  settings: OnsetSettings = OnsetSettings(), *,
                  plate_cells: Sequence[str] | None = None, exercise: str | None = None,
                  mvc: Mapping[str, float] | None = None,
                  conditioning: ConditioningSettings,
                  body_mass_kg: float | None = None, hold_target_s: float = 5.0) -> dict[str, object]:
    """Analyse one trial of raw EMG and, optionally, the force-plate cells.

    Parameters
    ----------
    emg : raw EMG, samples x channels, microvolts.
    emg_rate_hz : EMG sample rate.
    channel_names : one name per column; ``glute_max_left`` style names give the per-rep muscle metrics.
    side : the working side ("left" or "right").
    force_cells_n : plate load cells, samples x cells, newtons (on the EMG clock: sample 0 at the same time).
    plate_rate_hz : plate sample rate.
    settings : onset detector parameters (recorded in the result under ``method``).
    plate_cells : cell names (``front_left`` ... or ``feet_*``/``seat_*`` for the bench sit-down).
    exercise : ``"bench_sit_down"`` selects the landing analysis.
    mvc : MVC reference per channel (``normalise.mvc_reference``); without one, amplitudes are in microvolts
        and the ratios between muscles are None with the reason.
    conditioning : filter settings (mains frequency etc.).
    body_mass_kg : for the centre-of-mass velocity of the sit-down (default: body weight / g).
    hold_target_s : a rep's ``hold_reached`` is hold >= this.

    Returns
    -------
    A JSON-able dict (schema in docs/analysis.md). Bad input does not raise: the result then has an ``error``
    saying why (and no reps).
    """
    names = [str(n) for n in channel_names]
    x = np.asarray(emg)
    if x.ndim == 1:
        x = x[:, None]
    n = x.shape[0]
    if not np.isfinite(emg_rate_hz) or emg_rate_hz < MIN_RATE_HZ:
        return _error_result(f"sample rate {emg_rate_hz:g} Hz is too low for EMG (at least {MIN_RATE_HZ:g} Hz; "
                             "1000 Hz or more for onset timing)", emg_rate_hz, n, settings)
    if x.shape[1] != len(names):
        return _error_result(f"{x.shape[1]} channels of data but {len(names)} channel names", emg_rate_hz, n,
                             settings)
    gaps = find_gaps(x)
    bridged_note = None
    if any(g.n > BRIDGE_MAX_S * emg_rate_hz for g in gaps):
        return _analyze_around_gaps(
            x, [g for g in gaps if g.n > BRIDGE_MAX_S * emg_rate_hz], emg_rate_hz, names, settings,
            dict(side=side, force_cells_n=force_cells_n, plate_rate_hz=plate_rate_hz, plate_cells=plate_cells,
                 exercise=exercise, mvc=mvc, conditioning=conditioning, body_mass_kg=body_mass_kg,
                 hold_target_s=hold_target_s))
    if gaps and sum(g.n for g in gaps) <= MAX_BRIDGED_SHARE * n:  # more: the quality check says it is broken
        x = bridge(x, gaps)
        bridged_note = (f"{len(gaps)} short gap(s) (lost packets, {sum(g.n for g in gaps) / emg_rate_hz * 1000:.0f} "
                        "ms in all) were bridged by straight lines for the analysis; the stored signal has no "
                        "samples there")
    if n < MIN_DURATION_S * emg_rate_hz:
        return _error_result(f"recording too short: {n / emg_rate_hz:.2f} s (at least {MIN_DURATION_S:g} s with "
                             "a resting stretch)", emg_rate_hz, n, settings)
    # the plate's analysis needs nothing from the EMG: on a multi-core machine it runs in a second thread
    # from here on (its filters and percentiles release the GIL; it fills the gaps the EMG stages leave)
    plate_result = _in_background(_plate_stage, force_cells_n, plate_rate_hz, plate_cells, exercise,
                                  body_mass_kg)
    filtered, onsets, quality, env, env_rate = _full_rate_stage(x, emg_rate_hz, names, conditioning, settings)
    channel_quality_fast = {q.name: q for q in quality}
    usable = [q.verdict != "bad" for q in quality]
    if not any(usable):
        reasons = "; ".join(f"{q.name}: {q.reasons[0]}" for q in quality if q.reasons)
        result = _error_result(f"no usable EMG channel ({reasons})", emg_rate_hz, n, settings)
        result["quality"] = {q.name: q.as_dict() for q in quality}
        plate_failure = _settle(plate_result)
        if plate_failure:
            result["notes"] = [plate_failure]
        return result
    plate = plate_result()
    for o, ok in zip(onsets, usable):
        if not ok:
            o.bursts = []  # a flat, clipped or broken channel has no trustworthy bursts
    by_name = {o.name: o for o in onsets}
    baseline = resting_baseline(env, env_rate, names)

    reps, landing, notes, plate_info, plate_metrics = (plate.reps, plate.landing, plate.notes, plate.info,
                                                       plate.hold_metrics)
    if not reps:
        active = [i for i, nm in enumerate(names) if usable[i] and (nm.endswith(f"_{side}") or
                                                                    not nm.endswith(("_left", "_right")))]
        reps = segment_reps_from_envelopes(env[active] if active else env, env_rate)
        if reps:
            why = "no force plate" if plate_info is None else "the plate shows no reps"
            notes.append(f"{why}: reps segmented from the EMG envelopes (approximate phases)")
            landing = []
            plate_metrics = None
    per_rep = []
    for k, r in enumerate(reps):
        m = rep_metrics(r, by_name, side, names=names, env=env, env_rate=env_rate, mvc=mvc, baseline=baseline,
                        hold_target_s=hold_target_s, previous=reps[k - 1] if k else None)
        if landing:
            m["landing"] = landing[k]
        elif plate_metrics is not None:
            m["plate"] = plate_metrics[k]
        per_rep.append(m)
    if bridged_note:
        notes.append(bridged_note)
    if emg_rate_hz < 1000:
        notes.append(f"EMG sampled at {emg_rate_hz:g} Hz: below 1 kHz the raw signal aliases and onset timing is "
                     "coarse")
    muscle_names = [nm for nm in names if nm in MUSCLE_NAMES]  # unmapped channels (ch7, ...) need no MVC
    units = "%MVC" if mvc and muscle_names and not missing_mvc(mvc, muscle_names) else "uV"
    return {
        "method": settings.as_dict(),
        "conditioning": conditioning.as_dict(),
        "sample_rate_hz": emg_rate_hz,
        "duration_s": round(n / emg_rate_hz, 4),
        "side": side,
        "exercise": exercise,
        "amplitude_units": units,
        "amplitude_note": None if units == "%MVC" else NO_MVC_REASON.format(
            muscles=", ".join(missing_mvc(mvc, muscle_names or names))),
        "quality_verdict": summarise(quality),
        "channels": {o.name: {"bursts": [_burst_dict(b) for b in o.bursts],
                              "baseline_mean": o.baseline_mean, "baseline_sd": o.baseline_sd,
                              "threshold": o.threshold, "resting_envelope_uv": round(baseline[o.name], 3),
                              "quality": channel_quality_fast[o.name].as_dict()} for o in onsets},
        "plate": plate_info,
        "reps": per_rep,
        "summary": rep_summary(per_rep),
        "notes": notes,
        "gaps": [],
    }


#: per-rep keys that are times from the start of the recording (shifted when parts are joined)
_REP_TIMES = ("movement_start_s", "hold_start_s", "hold_end_s", "lower_end_s")
_LANDING_TIMES = ("descent_start_s", "seat_contact_s")


def _shifted_rep(rep: dict[str, object], offset_s: float, number: int, first_of_part: bool) -> dict[str, object]:
    out = dict(rep, rep=number)
    for key in _REP_TIMES:
        if isinstance(out.get(key), float | int):
            out[key] = round(float(out[key]) + offset_s, 4)  # type: ignore[arg-type]
    onsets = out.get("onset_s")
    if isinstance(onsets, dict):
        out["onset_s"] = {k: None if v is None else round(v + offset_s, 4) for k, v in onsets.items()}
    landing = out.get("landing")
    if isinstance(landing, dict):
        out["landing"] = {k: (round(v + offset_s, 4) if k in _LANDING_TIMES and isinstance(v, float | int)
                              else v) for k, v in landing.items()}
    if first_of_part:
        out["rest_before_ms"] = None  # the rest before it is partly in the gap
    return out


def _analyze_around_gaps(x: np.ndarray, long: list[Gap], rate_hz: float, names: list[str],
                         settings: OnsetSettings, options: dict[str, object]) -> dict[str, object]:
    """Analyse the parts on either side of the gaps, each on its own (filters never run across a gap), and
    join their reps on the recording's time base."""
    n = x.shape[0]
    notes: list[str] = []
    gap_info = [{"start_s": round(g.start / rate_hz, 4), "duration_s": round(g.n / rate_hz, 4)} for g in long]
    force = options.get("force_cells_n")
    plate_rate = options.get("plate_rate_hz")
    parts: list[tuple[float, dict[str, object]]] = []
    segments: list[dict[str, object]] = []
    for a, b in parts_between(n, long):
        start_s = a / rate_hz
        seg: dict[str, object] = {"start_s": round(start_s, 4), "end_s": round(b / rate_hz, 4)}
        part_options = dict(options)
        if force is not None and plate_rate:
            k0, k1 = int(round(start_s * float(plate_rate))), int(round(b / rate_hz * float(plate_rate)))  # type: ignore[arg-type]
            part_options["force_cells_n"] = np.asarray(force)[k0:k1]
        result = analyze_trial(x[a:b], rate_hz, names, settings=settings, **part_options)  # type: ignore[arg-type]
        seg["error"] = result.get("error")
        seg["reps"] = len(result.get("reps") or [])  # type: ignore[arg-type]
        segments.append(seg)
        if not result.get("error"):
            parts.append((start_s, result))
    where = ", ".join(f"{g['duration_s']:.2f} s at {g['start_s']:.2f} s" for g in gap_info)
    if not parts:
        result = _error_result(f"no part of the recording around its gap(s) ({where}) could be analysed: "
                               + "; ".join(str(s_["error"]) for s_ in segments), rate_hz, n, settings)
        result.update(gaps=gap_info, segments=segments)
        return result
    base = dict(max(parts, key=lambda p: float(p[1]["duration_s"]))[1])  # type: ignore[arg-type]
    reps: list[dict[str, object]] = []
    channels: dict[str, dict[str, object]] = {k: dict(v) for k, v in base["channels"].items()}  # type: ignore[union-attr]
    for ch in channels.values():
        ch["bursts"] = []
    for offset, result in parts:
        for i, rep in enumerate(result["reps"]):  # type: ignore[arg-type]
            reps.append(_shifted_rep(rep, offset, len(reps) + 1, i == 0))
        for name, ch in result["channels"].items():  # type: ignore[union-attr]
            channels[name]["bursts"].extend(  # type: ignore[union-attr]
                {**b, "onset_s": round(b["onset_s"] + offset, 6), "offset_s": round(b["offset_s"] + offset, 6)}
                for b in ch["bursts"])
    notes.append(f"the recording has {len(long)} gap(s) with no signal ({where}; a pulled cable?): the parts on "
                 "either side were analysed separately")
    notes.extend(f"part {s_['start_s']:.2f}-{s_['end_s']:.2f} s not analysed: {s_['error']}"
                 for s_ in segments if s_["error"])
    for _, result in parts:
        notes.extend(nt for nt in result.get("notes") or [] if nt not in notes)  # type: ignore[union-attr]
    verdicts = [str(r["quality_verdict"]) for _, r in parts]
    base.update(duration_s=round(n / rate_hz, 4), channels=channels, reps=reps, summary=rep_summary(reps),
                notes=notes, gaps=gap_info, segments=segments,
                quality_verdict=max(verdicts, key=lambda v: VERDICTS.index(v) if v in VERDICTS else 0))
    return base
