"""Calibration of one day's electrodes: a resting baseline, then an MVC per mapped muscle and side.

The steps and their instructions come from the primer (``domain.md``): rest relaxed >= 3 s, then per muscle
3 efforts of 3-5 s; the reference is the best 500 ms moving average of the envelope. ``schedule`` is the fixed
timetable a headless run follows from the start of the stream (``glutelab calibrate`` without a terminal, and
``glutelab simulate --exercise calibration``, which plays the same timetable: it is defined only here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from clinic.signals.conditioning import ConditioningSettings, condition_cm, envelope_decimated
from clinic.signals.normalise import resting_baseline

REST_S = 5.0  # the resting baseline step (>= 3 s of quiet; the quietest 1 s is kept)
EFFORTS = 3
EFFORT_S = 4.0  # each effort, 3-5 s
RELAX_S = 3.0  # between efforts in the headless timetable (at the table the clinician waits 30-60 s)
MVC_WINDOW_MS = 500.0

INSTRUCTIONS = {
    "rest": "Lie relaxed and still: no effort at all.",
    "glute_max": "Prone, knee flexed 90 degrees: lift the thigh (hip extension) against resistance just above "
                 "the knee.",
    "hamstrings": "Prone, knee flexed 30-45 degrees: bend the knee against resistance at the ankle.",
    "erector_spinae": "Prone, hands by the sides: lift the chest (trunk extension) against resistance at the "
                      "upper back.",
}


class CalibrationError(ValueError):
    """A calibration that cannot be stored; the message names the muscle and both levels."""


@dataclass(frozen=True)
class CalibrationStep:
    """``muscle`` is None for the resting step, else a mapped muscle with its side (``glute_max_left``)."""

    muscle: str | None

    @property
    def name(self) -> str:
        return "rest" if self.muscle is None else f"MVC {self.muscle}"

    @property
    def instruction(self) -> str:
        if self.muscle is None:
            return INSTRUCTIONS["rest"]
        base = self.muscle.rsplit("_", 1)[0] if self.muscle.endswith(("_left", "_right")) else self.muscle
        side = self.muscle.rsplit("_", 1)[1] if self.muscle.endswith(("_left", "_right")) else ""
        text = INSTRUCTIONS.get(base, "Maximal effort of this muscle against resistance.")
        return f"{side.capitalize()} side. {text} {EFFORTS} efforts of {EFFORT_S:g} s, as hard as possible." \
            if side else text


@dataclass(frozen=True)
class TimedStep:
    step: CalibrationStep
    start_s: float
    end_s: float
    #: (start, end) of each effort inside the step, seconds from the start of the stream
    efforts: tuple[tuple[float, float], ...] = ()


def steps(muscles: Sequence[str]) -> list[CalibrationStep]:
    return [CalibrationStep(None), *(CalibrationStep(m) for m in muscles)]


def schedule(n_muscles: int | Sequence[str]) -> list[TimedStep]:
    """The headless timetable: rest, then each muscle in map order, ``EFFORTS`` x (effort + relax)."""
    muscles = list(n_muscles) if not isinstance(n_muscles, int) else [f"muscle_{k + 1}" for k in range(n_muscles)]
    out = [TimedStep(CalibrationStep(None), 0.0, REST_S)]
    t = REST_S
    for m in muscles:
        efforts = tuple((t + k * (EFFORT_S + RELAX_S), t + k * (EFFORT_S + RELAX_S) + EFFORT_S)
                        for k in range(EFFORTS))
        end = t + EFFORTS * (EFFORT_S + RELAX_S)
        out.append(TimedStep(CalibrationStep(m), t, end, efforts))
        t = end
    return out


@dataclass(frozen=True)
class StepResult:
    step: CalibrationStep
    #: resting step: every channel's resting envelope level; MVC step: the muscle's reference (envelope uV)
    levels_uv: Mapping[str, float]


def envelopes(raw_uv: np.ndarray, rate_hz: float, conditioning: ConditioningSettings) -> tuple[np.ndarray, float]:
    """Linear envelopes (channels x samples, decimated) of a whole capture, filtered once so that step slices
    carry no filter edge effects."""
    filtered = condition_cm(np.nan_to_num(np.asarray(raw_uv, dtype=np.float32)).T, rate_hz, conditioning)
    return envelope_decimated(filtered, rate_hz, conditioning.envelope_lowpass_hz)


def rest_levels(env: np.ndarray, env_rate: float, names: Sequence[str], start_s: float,
                end_s: float) -> dict[str, float]:
    a, b = int(start_s * env_rate), int(end_s * env_rate)
    return resting_baseline(env[:, a:b], env_rate, names)


def mvc_level(env: np.ndarray, env_rate: float, channel_index: int, start_s: float, end_s: float) -> float:
    """The best ``MVC_WINDOW_MS`` moving average of one channel's envelope inside [start, end]."""
    a, b = int(start_s * env_rate), int(end_s * env_rate)
    x = np.asarray(env[channel_index, a:b], dtype=np.float64)
    n = max(1, int(MVC_WINDOW_MS / 1000.0 * env_rate))
    if len(x) < n:
        return float(x.mean()) if len(x) else 0.0
    c = np.concatenate([[0.0], np.cumsum(x)])
    return float(((c[n:] - c[:-n]) / n).max())


def check_results(results: Mapping[str, StepResult], muscles: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Per muscle: (resting level, MVC reference); ``CalibrationError`` when the rest is missing or an MVC is
    not above its muscle's resting level (an electrode off, or no effort)."""
    rest = results.get("rest")
    if rest is None:
        raise CalibrationError("the resting baseline is missing: record the rest step first")
    out: dict[str, tuple[float, float]] = {}
    for m in muscles:
        res = results.get(f"MVC {m}")
        if res is None:
            continue  # skipped: that muscle stays in microvolts
        base, mvc = float(rest.levels_uv.get(m, 0.0)), float(res.levels_uv[m])
        if not mvc > base or not np.isfinite(mvc):
            raise CalibrationError(f"the MVC of {m} ({mvc:.2f} uV) is not above its resting level ({base:.2f} uV): "
                                   "check the electrode and repeat the effort")
        out[m] = (base, mvc)
    return out
