"""Signal models of a patient doing glute exercises on EMG electrodes and a force plate, with ground truth.

A scenario is generated whole and seeded, so a test can compare what the analysis finds with what the
model put in: the onset of every muscle in every rep, the phases of the movement and the hold times.
Onsets are relative to movement start (the lift), negative = before the movement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import signal

MUSCLES = ("glute_max", "hamstrings", "erector_spinae")
SIDES = ("left", "right")
DEFAULT_EMG_CHANNELS = tuple(f"{m}_{s}" for s in SIDES for m in MUSCLES)
PLATE_CELLS = ("front_left", "front_right", "back_left", "back_right")


@dataclass(frozen=True)
class MuscleModel:
    onset_ms: float  # mean onset relative to movement start
    onset_sd_ms: float
    pct_mvc: float  # mean activation during the hold
    mvc_uv: float  # amplitude (RMS, uV) of a maximal contraction


@dataclass(frozen=True)
class Profile:
    name: str
    muscles: dict[str, MuscleModel]
    description: str


PROFILES: dict[str, Profile] = {
    "healthy": Profile("healthy", {
        "glute_max": MuscleModel(-90, 15, 35, 320),
        "hamstrings": MuscleModel(-30, 15, 18, 260),
        "erector_spinae": MuscleModel(10, 15, 15, 200),
    }, "glute fires first by tens of ms, 20-50 %MVC in a bridge"),
    "typical": Profile("typical", {
        "glute_max": MuscleModel(-20, 15, 25, 320),
        "hamstrings": MuscleModel(-160, 25, 25, 260),
        "erector_spinae": MuscleModel(-70, 20, 20, 200),
    }, "hamstrings 100-200 ms before the glute, as in healthy prone hip extension"),
    "amnesic": Profile("amnesic", {
        "glute_max": MuscleModel(140, 30, 10, 320),
        "hamstrings": MuscleModel(-150, 25, 35, 260),
        "erector_spinae": MuscleModel(-100, 25, 35, 200),
    }, "hamstrings and lumbar extensors first, glute late and weak"),
}

EXERCISES = ("cook_hip_lift", "glute_bridge", "supine_hip_extension", "one_leg_glute_bridge")


@dataclass
class RepTruth:
    rep: int
    movement_start_s: float
    hold_start_s: float
    hold_end_s: float
    lower_end_s: float
    onsets_s: dict[str, float]  # per channel name
    offsets_s: dict[str, float]

    @property
    def hold_s(self) -> float:
        return self.hold_end_s - self.hold_start_s


@dataclass
class Scenario:
    profile: str
    exercise: str
    side: str
    emg_rate_hz: float
    emg_channels: tuple[str, ...]
    emg_uv: np.ndarray  # samples x channels, float32
    plate_rate_hz: float
    plate_cells: tuple[str, ...]
    force_n: np.ndarray  # samples x 4 load cells, float32
    body_mass_kg: float
    truth: list[RepTruth] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.emg_uv.shape[0] / self.emg_rate_hz


def _smooth_step(t: np.ndarray, start: float, rise: float) -> np.ndarray:
    x = np.clip((t - start) / rise, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def build_scenario(profile: str = "healthy", exercise: str = "cook_hip_lift", side: str = "left",
                   reps: int = 5, emg_rate_hz: float = 2000.0, plate_rate_hz: float = 1000.0,
                   hold_s: float = 6.0, rest_s: float = 3.0, mains_hz: float = 50.0,
                   seed: int = 0) -> Scenario:
    """Generate ``reps`` repetitions: rest, lift (1 s), hold, lower (1 s), rest."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if side not in SIDES:
        raise ValueError(f"side must be left or right, not {side!r}")
    rng = np.random.default_rng(seed)
    prof = PROFILES[profile]
    lift_s, lower_s = 1.0, 1.0
    rep_len = lift_s + hold_s + lower_s + rest_s
    duration = rest_s + reps * rep_len
    n = int(round(duration * emg_rate_hz))
    t = np.arange(n) / emg_rate_hz
    channels = DEFAULT_EMG_CHANNELS
    env = np.zeros((n, len(channels)))
    truth: list[RepTruth] = []
    for r in range(reps):
        t0 = rest_s + r * rep_len + rng.uniform(-0.3, 0.3)
        this_hold = hold_s + rng.uniform(-0.5, 0.5)
        hold_start, hold_end = t0 + lift_s, t0 + lift_s + this_hold
        lower_end = hold_end + lower_s
        onsets: dict[str, float] = {}
        offsets: dict[str, float] = {}
        for c, name in enumerate(channels):
            muscle, ch_side = name.rsplit("_", 1)
            m = prof.muscles[muscle]
            working = ch_side == side
            onset = t0 + (m.onset_ms + rng.normal(0, m.onset_sd_ms)) / 1000.0
            offset = lower_end + rng.uniform(0.05, 0.25)
            level = m.pct_mvc / 100.0 * m.mvc_uv * (1.0 if working else 0.35)
            level *= rng.uniform(0.85, 1.15)
            env[:, c] += level * (_smooth_step(t, onset, 0.04) - _smooth_step(t, offset, 0.15))
            onsets[name], offsets[name] = onset, offset
        truth.append(RepTruth(r + 1, t0, hold_start, hold_end, lower_end, onsets, offsets))
    sos = signal.butter(4, [20, min(450, 0.45 * emg_rate_hz)], btype="band", fs=emg_rate_hz, output="sos")
    carrier = signal.sosfilt(sos, rng.standard_normal((n, len(channels))), axis=0)
    carrier /= carrier.std(axis=0, keepdims=True)
    baseline = signal.sosfilt(sos, rng.standard_normal((n, len(channels))), axis=0)
    baseline *= 3.0 / baseline.std(axis=0, keepdims=True)
    mains = 4.0 * np.sin(2 * np.pi * mains_hz * t + rng.uniform(0, 2 * np.pi, len(channels))[:, None]).T
    emg = (env * carrier + baseline + mains).astype(np.float32)

    body_mass = float(rng.uniform(60, 90))
    force = _plate_force(truth, duration, plate_rate_hz, body_mass, side, rng)
    return Scenario(profile, exercise, side, emg_rate_hz, channels, emg, plate_rate_hz, PLATE_CELLS,
                    force, body_mass, truth)


def _plate_force(truth: list[RepTruth], duration: float, rate: float, mass: float, side: str,
                 rng: np.random.Generator) -> np.ndarray:
    """Foot load under a supine patient: ~15 % body weight lying, rising to ~35 % during the hold."""
    m = int(round(duration * rate))
    t = np.arange(m) / rate
    bw = mass * 9.81
    total = np.full(m, 0.15 * bw)
    for rep in truth:
        total += 0.20 * bw * (_smooth_step(t, rep.movement_start_s, rep.hold_start_s - rep.movement_start_s)
                              - _smooth_step(t, rep.hold_end_s, rep.lower_end_s - rep.hold_end_s))
    total += rng.normal(0, 1.5, m)
    # more load under the working side; centre of pressure sways a little
    left_share = (0.62 if side == "left" else 0.38) + 0.01 * np.sin(2 * np.pi * 0.3 * t)
    heel_share = 0.6 + 0.01 * np.sin(2 * np.pi * 0.2 * t + 1.0)
    left, right = total * left_share, total * (1 - left_share)
    cells = np.column_stack([left * (1 - heel_share), right * (1 - heel_share), left * heel_share,
                             right * heel_share])
    return cells.astype(np.float32)
