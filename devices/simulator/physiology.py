"""Signal models of a patient doing glute exercises on EMG electrodes and a force plate, with ground truth.

A scenario is generated whole and seeded, so a test can compare what the analysis finds with what the
model put in: the onset of every muscle in every rep, the phases of the movement and the hold times.

The model is meant to be honest rather than easy (see docs/analysis.md, "The simulator"):

- each rep varies (onset jitter, activation level, rise time, hold time, rest time);
- every channel has its own amplifier/skin noise floor (2-10 uV RMS in the EMG band) that drifts slowly,
  a DC offset with baseline wander, and mains interference (50 or 60 Hz plus a small 3rd harmonic);
- motion artefacts: low-frequency cable/skin movement at some movement starts and sharp cable knocks
  during rest (listed in ``Scenario.artefacts``);
- low-level activity between contractions: tonic activity near the noise floor and short flickers;
- crosstalk: each channel picks up a few % of its neighbouring muscles on the same side.

Ground truth onsets are exact: the sample time where that muscle's own envelope starts rising (an
exponential rise with a 6-20 ms time constant, i.e. a sharp onset as on real recordings). Offsets are
where the envelope starts decaying. Crosstalk is not a muscle onset. Hold start/end are where the force
comes within 2 % of the hold level (hips at the top), movement start is where the lift begins.

``exercise="bench_sit_down"`` models the bench sit-down screening test with two plates (under the feet and
under the bench; the four plate cells are then ``feet_left, feet_right, seat_left, seat_right``): quiet
standing, descent, and either a controlled landing (braking before seat contact) or a "plop" (barely any
braking, an impact peak on the seat plate). Truth per rep: descent start, seat contact, peak seat force,
loading rate, velocity at contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from devices.simulator.names import PROFILE_NAMES, SIM_EXERCISES

MUSCLES = ("glute_max", "hamstrings", "erector_spinae")
SIDES = ("left", "right")
DEFAULT_EMG_CHANNELS = tuple(f"{m}_{s}" for s in SIDES for m in MUSCLES)
PLATE_CELLS = ("front_left", "front_right", "back_left", "back_right")
SIT_DOWN_CELLS = ("feet_left", "feet_right", "seat_left", "seat_right")
GRAVITY = 9.81
#: neighbouring muscles on one side whose signal leaks into each other's electrodes (crosstalk)
NEIGHBOURS = {"glute_max": ("hamstrings", "erector_spinae"), "hamstrings": ("glute_max",),
              "erector_spinae": ("glute_max",)}
#: the hold starts/ends where the load is within this share of the hold level (hips at the top)
HOLD_BAND = 0.02
#: seat contact: seat force above this for >= 15 ms (primer, force plate)
SEAT_CONTACT_N = 20.0


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
    landing: str = "controlled"  # bench sit-down: "controlled" or "plop"


PROFILES: dict[str, Profile] = {
    "healthy": Profile("healthy", {
        "glute_max": MuscleModel(-90, 15, 35, 320),
        "hamstrings": MuscleModel(-30, 15, 18, 260),
        "erector_spinae": MuscleModel(10, 15, 15, 200),
    }, "glute fires first by tens of ms, 20-50 %MVC in a bridge", "controlled"),
    "typical": Profile("typical", {
        "glute_max": MuscleModel(-20, 15, 25, 320),
        "hamstrings": MuscleModel(-160, 25, 25, 260),
        "erector_spinae": MuscleModel(-70, 20, 20, 200),
    }, "hamstrings 100-200 ms before the glute, as in healthy prone hip extension", "controlled"),
    "amnesic": Profile("amnesic", {
        "glute_max": MuscleModel(140, 30, 15, 320),
        "hamstrings": MuscleModel(-150, 25, 35, 260),
        "erector_spinae": MuscleModel(-100, 25, 35, 200),
    }, "hamstrings and lumbar extensors first, glute late and weak", "plop"),
}

EXERCISES = SIM_EXERCISES
assert tuple(sorted(PROFILES)) == PROFILE_NAMES


@dataclass
class RepTruth:
    rep: int
    movement_start_s: float
    hold_start_s: float
    hold_end_s: float
    lower_end_s: float
    onsets_s: dict[str, float]  # per channel name
    offsets_s: dict[str, float]
    #: activation during the hold per channel, %MVC (the muscle's own signal, crosstalk excluded)
    pct_mvc: dict[str, float] = field(default_factory=dict)
    #: share of the plate load on the left during the hold (0-1)
    left_share: float | None = None
    #: bench sit-down only: "controlled" or "plop", and the landing figures the model put in
    landing: str | None = None
    seat_contact_s: float | None = None
    descent_s: float | None = None
    velocity_at_contact_m_s: float | None = None
    peak_seat_force_bw: float | None = None
    loading_rate_bw_s: float | None = None

    @property
    def hold_s(self) -> float:
        return self.hold_end_s - self.hold_start_s


@dataclass
class Artefact:
    channel: str
    start_s: float
    end_s: float
    kind: str  # "motion" (low-frequency movement) or "knock" (sharp cable knock)


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
    #: per channel: noise floor (uV RMS in 20-450 Hz, before drift) and the MVC amplitude (uV RMS)
    noise_uv: dict[str, float] = field(default_factory=dict)
    mvc_uv: dict[str, float] = field(default_factory=dict)
    artefacts: list[Artefact] = field(default_factory=list)
    rest_s: float = 3.0  # the quiet stretch at the start (resting baseline)

    @property
    def duration_s(self) -> float:
        return self.emg_uv.shape[0] / self.emg_rate_hz

    @property
    def mvc_envelope_uv(self) -> dict[str, float]:
        """MVC reference in the units of a rectified linear envelope (mean |x| = RMS * sqrt(2/pi))."""
        return {k: v * float(np.sqrt(2.0 / np.pi)) for k, v in self.mvc_uv.items()}


def _smooth_step(t: np.ndarray, start: float, rise: float) -> np.ndarray:
    x = np.clip((t - start) / rise, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _band_noise(rng: np.random.Generator, n: int, channels: int, rate_hz: float) -> np.ndarray:
    """Unit-RMS Gaussian noise band-limited to 20-450 Hz (clipped below Nyquist)."""
    sos = signal.butter(4, [20, min(450, 0.45 * rate_hz)], btype="band", fs=rate_hz, output="sos")
    x = signal.sosfilt(sos, rng.standard_normal((n, channels)), axis=0)
    return x / x.std(axis=0, keepdims=True)


def _burst_envelope(t: np.ndarray, onset: float, offset: float, level: float, tau_on: float,
                    tau_off: float) -> tuple[slice, np.ndarray]:
    """Envelope of one burst: exponential rise from ``onset``, exponential decay from ``offset``."""
    rate = 1.0 / (t[1] - t[0])
    i0 = max(0, int(np.ceil(onset * rate)))
    i1 = min(len(t), int(np.ceil((offset + 8 * tau_off) * rate)))
    tt = t[i0:i1]
    e = level * (1.0 - np.exp(-(tt - onset) / tau_on))
    after = tt > offset
    e[after] *= np.exp(-(tt[after] - offset) / tau_off)
    return slice(i0, i1), e


def build_scenario(profile: str = "healthy", exercise: str = "cook_hip_lift", side: str = "left",
                   reps: int = 5, emg_rate_hz: float = 2000.0, plate_rate_hz: float = 1000.0,
                   hold_s: float = 6.0, rest_s: float = 3.0, mains_hz: float = 50.0,
                   seed: int = 0, *, noise_uv: tuple[float, float] = (2.0, 10.0), crosstalk: float = 0.02,
                   artefacts: bool = True, low_level_activity: bool = True,
                   landing: str | None = None) -> Scenario:
    """Generate ``reps`` repetitions of ``exercise`` for a patient following ``profile``.

    Parameters
    ----------
    profile : "healthy", "typical" or "amnesic" (see ``PROFILES``).
    exercise : one of ``EXERCISES``; ``"bench_sit_down"`` models the sit-down test on two plates.
    side : the working side ("left" or "right").
    reps : number of repetitions.
    emg_rate_hz, plate_rate_hz : sample rates.
    hold_s, rest_s : mean hold (or seated) time and rest between reps, s; each rep varies.
    mains_hz : mains frequency (50 or 60); 0 or None for none.
    seed : everything is drawn from one seeded generator.
    noise_uv : range of the per-channel noise floors, uV RMS (drawn log-uniformly).
    crosstalk : share of a neighbouring muscle's signal picked up by each electrode.
    artefacts, low_level_activity : switch the motion artefacts / low-level activity off for clean tests.
    landing : bench sit-down only: "controlled" or "plop" (default: the profile's).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if side not in SIDES:
        raise ValueError(f"side must be left or right, not {side!r}")
    if exercise not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; choose one of {', '.join(EXERCISES)}")
    rng = np.random.default_rng(seed)
    prof = PROFILES[profile]
    sit = exercise == "bench_sit_down"
    landing = landing or prof.landing
    if landing not in ("controlled", "plop"):
        raise ValueError("landing must be 'controlled' or 'plop'")
    body_mass = float(rng.uniform(60, 90))
    channels = DEFAULT_EMG_CHANNELS

    # --- timeline: one movement per rep -------------------------------------------------------------
    phases = []  # (t0, hold_start, hold_end, lower_end, extra)
    t_cursor = rest_s
    for _ in range(reps):
        t0 = t_cursor + rng.uniform(0.0, 0.6)
        if sit:
            descent = (rng.uniform(1.6, 2.4) if landing == "controlled" else rng.uniform(0.7, 1.1))
            seated = max(1.0, hold_s / 3.0 + rng.uniform(-0.3, 0.3))
            rise = rng.uniform(1.2, 1.6)
            phases.append((t0, t0 + descent, t0 + descent + seated, t0 + descent + seated + rise, descent))
            t_cursor = t0 + descent + seated + rise + rest_s + rng.uniform(-0.3, 0.3)
        else:
            lift = rng.uniform(0.8, 1.2)
            lower = rng.uniform(0.8, 1.2)
            this_hold = hold_s + rng.uniform(-0.5, 0.5)
            phases.append((t0, t0 + lift, t0 + lift + this_hold, t0 + lift + this_hold + lower, lift))
            t_cursor = t0 + lift + this_hold + lower + rest_s + rng.uniform(-0.3, 0.3)
    duration = t_cursor
    n = int(round(duration * emg_rate_hz))
    t = np.arange(n) / emg_rate_hz

    # --- muscle activity, per rep -------------------------------------------------------------------
    own = np.zeros((n, len(channels)))
    truth: list[RepTruth] = []
    noise_lo, noise_hi = noise_uv
    noise = {c: float(np.exp(rng.uniform(np.log(noise_lo), np.log(noise_hi)))) for c in channels}
    mvc = {c: prof.muscles[c.rsplit("_", 1)[0]].mvc_uv * float(rng.uniform(0.85, 1.15)) for c in channels}
    for r, (t0, hs, he, le, _move_s) in enumerate(phases):
        onsets: dict[str, float] = {}
        offsets: dict[str, float] = {}
        pct: dict[str, float] = {}
        for c, name in enumerate(channels):
            muscle, ch_side = name.rsplit("_", 1)
            m = prof.muscles[muscle]
            working = ch_side == side
            onset = t0 + (m.onset_ms + rng.normal(0, m.onset_sd_ms)) / 1000.0
            offset = (le if not sit else hs + 0.2) + rng.uniform(0.05, 0.25)
            p = m.pct_mvc * (1.0 if working else 0.6) * float(rng.uniform(0.8, 1.2))
            if sit:
                p *= 0.8 if landing == "controlled" else 0.5
            sl, e = _burst_envelope(t, onset, offset, p / 100.0 * mvc[name], rng.uniform(0.004, 0.012),
                                    rng.uniform(0.04, 0.08))
            own[sl, c] += e
            onsets[name], offsets[name], pct[name] = onset, offset, p
        truth.append(RepTruth(r + 1, t0, hs, he, le, onsets, offsets, pct))
    # slow amplitude modulation within a contraction (force fluctuation, fatigue), +-8 %
    mod = signal.sosfiltfilt(signal.butter(2, 1.0, fs=emg_rate_hz, output="sos"),
                             rng.standard_normal((n, len(channels))), axis=0)
    mod = 1.0 + 0.08 * mod / mod.std(axis=0, keepdims=True)
    own *= np.clip(mod, 0.7, 1.3)
    muscle_sig = own * _band_noise(rng, n, len(channels), emg_rate_hz)

    # --- crosstalk between neighbouring muscles on one side -----------------------------------------
    emg = muscle_sig.copy()
    if crosstalk:
        index = {name: i for i, name in enumerate(channels)}
        for i, name in enumerate(channels):
            muscle, ch_side = name.rsplit("_", 1)
            for nb in NEIGHBOURS[muscle]:
                emg[:, i] += crosstalk * muscle_sig[:, index[f"{nb}_{ch_side}"]]

    # --- noise floor (drifting), mains, DC and wander -----------------------------------------------
    drift = 1.0 + 0.2 * np.sin(2 * np.pi * t[:, None] / rng.uniform(60, 240, len(channels))
                               + rng.uniform(0, 2 * np.pi, len(channels)))
    floor = np.array([noise[c] for c in channels])
    emg += _band_noise(rng, n, len(channels), emg_rate_hz) * floor * drift
    if mains_hz:
        amp = rng.uniform(1.0, 20.0, len(channels))
        ph = rng.uniform(0, 2 * np.pi, len(channels))
        emg += amp * np.sin(2 * np.pi * mains_hz * t[:, None] + ph)
        if 3 * mains_hz < emg_rate_hz / 2:
            emg += 0.1 * amp * np.sin(2 * np.pi * 3 * mains_hz * t[:, None] + 2 * ph)
    emg += rng.uniform(-200, 200, len(channels))
    emg += 20.0 * np.sin(2 * np.pi * 0.3 * t[:, None] + rng.uniform(0, 2 * np.pi, len(channels)))

    # --- low-level activity between contractions ----------------------------------------------------
    art: list[Artefact] = []
    quiet = _quiet_stretches(truth, duration, rest_s)
    if low_level_activity:
        carrier = _band_noise(rng, n, len(channels), emg_rate_hz)
        lowlevel = np.zeros((n, len(channels)))
        for a, b in quiet:
            for c, name in enumerate(channels):
                if rng.random() < 0.5:  # tonic activity at about the noise floor
                    i0, i1 = int(a * emg_rate_hz), int(b * emg_rate_hz)
                    lowlevel[i0:i1, c] += rng.uniform(0.2, 0.5) * noise[name]
                for _ in range(rng.integers(0, 3)):  # flickers: 20-80 ms, 1-2.5x the noise floor
                    fs_ = rng.uniform(a + 0.3, max(a + 0.3, b - 0.4))
                    fl = rng.uniform(0.02, 0.08)
                    i0, i1 = int(fs_ * emg_rate_hz), int((fs_ + fl) * emg_rate_hz)
                    lowlevel[i0:i1, c] += rng.uniform(1.0, 2.5) * noise[name] * np.hanning(max(i1 - i0, 1))
        emg += lowlevel * carrier

    # --- motion artefacts --------------------------------------------------------------------------
    if artefacts:
        for rep in truth:
            if rng.random() < 0.3:  # skin/cable movement as the hips start moving: mostly below 20 Hz
                c = int(rng.integers(len(channels)))
                start = rep.movement_start_s + rng.uniform(-0.05, 0.15)
                f0, amp, dec = rng.uniform(3, 10), rng.uniform(50, 300), rng.uniform(0.05, 0.12)
                i0, i1 = int(start * emg_rate_hz), min(n, int((start + 6 * dec) * emg_rate_hz))
                tt = t[i0:i1] - start
                emg[i0:i1, c] += amp * np.sin(2 * np.pi * f0 * tt) * np.exp(-tt / dec)
                art.append(Artefact(channels[c], start, start + 6 * dec, "motion"))
        for a, b in quiet:
            if rng.random() < 0.3 and b - a > 1.0:  # a cable knock: sharp, broadband, 5-30 ms
                c = int(rng.integers(len(channels)))
                start = rng.uniform(a + 0.3, b - 0.5)
                dur = rng.uniform(0.005, 0.03)
                i0, i1 = int(start * emg_rate_hz), int((start + dur) * emg_rate_hz)
                emg[i0:i1, c] += rng.uniform(100, 800) * rng.choice([-1, 1]) * np.hanning(max(i1 - i0, 1))
                art.append(Artefact(channels[c], start, start + dur, "knock"))

    if sit:
        force, cells = _sit_down_force(truth, duration, plate_rate_hz, body_mass, side, landing, rng)
    else:
        force, cells = _bridge_force(truth, duration, plate_rate_hz, body_mass, side, rng), PLATE_CELLS
    return Scenario(profile, exercise, side, emg_rate_hz, channels, emg.astype(np.float32), plate_rate_hz,
                    cells, force, body_mass, truth, noise, mvc, art, rest_s)


def _quiet_stretches(truth: list[RepTruth], duration: float, rest_s: float) -> list[tuple[float, float]]:
    """Stretches at least 0.4 s away from any muscle activity (where low-level activity may go)."""
    out, start = [], 0.5
    for rep in truth:
        first = min(rep.onsets_s.values()) - 0.4
        if first - start > 0.8:
            out.append((start, first))
        start = max(rep.offsets_s.values()) + 0.6
    if duration - 0.2 - start > 0.8:
        out.append((start, duration - 0.2))
    return out


def _lift_profile(t: np.ndarray, start: float, end: float) -> np.ndarray:
    """0 -> 1 between ``start`` and ``end``, C1-smooth, reaching 1 - HOLD_BAND at exactly ``end``.

    The smooth step is stretched so that the hold (load within ``HOLD_BAND`` of its level) starts at ``end``.
    """
    # smoothstep reaches 1 - HOLD_BAND at x = x98; scale time so that x98 falls on `end`
    x98 = _smoothstep_inverse(1.0 - HOLD_BAND)
    return _smooth_step(t, start, (end - start) / x98)


def _smoothstep_inverse(y: float) -> float:
    # solve 3x^2 - 2x^3 = y on [0, 1]
    roots = np.roots([-2.0, 3.0, 0.0, -y])
    real = [r.real for r in roots if abs(r.imag) < 1e-9 and -1e-9 <= r.real <= 1 + 1e-9]
    return float(min(real, key=lambda r: abs(r - 0.5)))


def _bridge_force(truth: list[RepTruth], duration: float, rate: float, mass: float, side: str,
                  rng: np.random.Generator) -> np.ndarray:
    """Foot load under a supine patient: ~15 % body weight lying, rising to ~35 % during the hold.

    Lift and lowering are smooth steps; the hold is where the load is within ``HOLD_BAND`` of its level,
    which is exactly [hold_start_s, hold_end_s] of the truth. Centre of pressure sways (filtered noise).
    """
    m = int(round(duration * rate))
    t = np.arange(m) / rate
    bw = mass * GRAVITY
    total = np.full(m, 0.15 * bw)
    x98 = _smoothstep_inverse(1.0 - HOLD_BAND)
    for rep in truth:
        up = _lift_profile(t, rep.movement_start_s, rep.hold_start_s)
        # lowering: mirror image, the load leaves the hold band at hold_end_s
        fall = (rep.lower_end_s - rep.hold_end_s) / x98  # leaves the hold band at hold_end_s
        down = _smooth_step(t, rep.lower_end_s - fall, fall)
        total += 0.20 * bw * np.clip(up - down, 0.0, 1.0)
    total += rng.normal(0, 1.5, m)
    sway_sos = signal.butter(2, min(1.0, 0.4 * rate), fs=rate, output="sos")
    sway = signal.sosfiltfilt(sway_sos, rng.standard_normal((m, 2)), axis=0)
    sway /= sway.std(axis=0, keepdims=True)
    left_base = 0.62 if side == "left" else 0.38
    left_share = left_base + 0.01 * sway[:, 0]
    heel_share = 0.6 + 0.01 * sway[:, 1]
    for rep in truth:
        rep.left_share = left_base
    left, right = total * left_share, total * (1 - left_share)
    cells = np.column_stack([left * (1 - heel_share), right * (1 - heel_share), left * heel_share,
                             right * heel_share])
    return cells.astype(np.float32)


def _sit_down_force(truth: list[RepTruth], duration: float, rate: float, mass: float, side: str,
                    landing: str, rng: np.random.Generator) -> tuple[np.ndarray, tuple[str, ...]]:
    """Feet plate + seat plate during repeated sit-downs (vertical forces, N).

    The centre-of-mass velocity is modelled directly (total vertical force = m (g + dv/dt)), a 0.45 m drop:

    - controlled: a minimum-jerk descent; the seat is touched at 90 % of it, still moving slowly, after a
      braking phase (force above body weight) before contact;
    - plop: the body accelerates downward the whole way (no braking) and is stopped by the seat within
      50-80 ms: an impact peak on the seat plate.
    """
    m = int(round(duration * rate))
    dt = 1.0 / rate
    t = np.arange(m) * dt
    bw = mass * GRAVITY
    v = np.zeros(m)
    seat_share = np.zeros(m)  # share of (total - seated foot load) carried by the seat
    drop = 0.45
    for rep in truth:
        t0, tc = rep.movement_start_s, rep.hold_start_s
        if landing == "controlled":
            d = (tc - t0) / 0.9  # contact at 90 % of the minimum-jerk descent
            i0, i1 = int(np.ceil(t0 * rate)), int(np.ceil((t0 + d) * rate))
            tau = (t[i0:i1] - t0) / d
            v[i0:i1] = -drop / d * 30 * tau ** 2 * (1 - tau) ** 2
            ramp = 0.2
        else:
            d = tc - t0
            peak_v = 2 * drop / d
            i0, ic = int(np.ceil(t0 * rate)), int(np.ceil(tc * rate))
            tau = (t[i0:ic] - t0) / d
            v[i0:ic] = -peak_v * (1 - np.cos(np.pi * tau)) / 2
            ramp = float(rng.uniform(0.05, 0.08))
            i_stop = int(np.ceil((tc + ramp) * rate))
            s = (t[ic:i_stop] - tc) / ramp
            v[ic:i_stop] = -peak_v * (1 + np.cos(np.pi * s)) / 2
        ic = int(np.ceil(tc * rate))
        seat_share[ic:] = np.minimum(1.0, (t[ic:] - tc) / ramp)
        # standing up: the seat unloads over the rise (slow, centre-of-mass dynamics ignored)
        ir, ie = int(np.ceil(rep.hold_end_s * rate)), int(np.ceil(rep.lower_end_s * rate))
        seat_share[ir:ie] = np.minimum(seat_share[ir:ie],
                                       1.0 - (t[ir:ie] - rep.hold_end_s) / (rep.lower_end_s - rep.hold_end_s))
        seat_share[ie:] = 0.0
        rep.landing = landing
        rep.seat_contact_s = tc
        rep.descent_s = tc - t0
        rep.velocity_at_contact_m_s = float(v[min(ic, m - 1)])
    total = mass * (GRAVITY + np.gradient(v, dt))
    seat = seat_share * (total - 0.15 * bw)
    feet = total - seat
    for rep in truth:
        ic = int(np.ceil(rep.hold_start_s * rate))
        win = seat[ic:ic + int(0.5 * rate)]
        if len(win):
            k = int(np.argmax(win))
            rep.peak_seat_force_bw = float(win[k] / bw)
            # loading rate: mean slope between 20 % and 80 % of the peak on the way up (BW/s)
            rise = win[:k + 1]
            i20, i80 = int(np.argmax(rise >= 0.2 * win[k])), int(np.argmax(rise >= 0.8 * win[k]))
            rep.loading_rate_bw_s = float(0.6 * win[k] / bw / max((i80 - i20) * dt, dt))
    feet = feet + rng.normal(0, 2.0, m)
    seat = seat + rng.normal(0, 1.0, m)
    left_share = (0.55 if side == "left" else 0.45) + 0.01 * np.sin(2 * np.pi * 0.3 * t)
    cells = np.column_stack([feet * left_share, feet * (1 - left_share), seat * 0.5, seat * 0.5])
    for rep in truth:
        rep.left_share = float(left_share.mean())
    return cells.astype(np.float32), SIT_DOWN_CELLS


def mvc_trial(scenario: Scenario, seed: int = 0, attempts: tuple[float, ...] = (0.9, 1.0, 0.95),
              contraction_s: float = 3.0, rest_s: float = 2.0) -> np.ndarray:
    """Raw EMG (samples x channels, uV, float32) of an MVC trial for ``scenario``'s electrodes.

    Each channel does ``attempts`` maximal contractions (share of its MVC amplitude; the best is 1.0) of
    ``contraction_s`` separated by ``rest_s``, on the same noise floors, so that the analysis pipeline
    (``clinic.signals.normalise.mvc_reference``) turns it into the reference the task is normalised by.
    """
    rng = np.random.default_rng(seed)
    rate = scenario.emg_rate_hz
    channels = scenario.emg_channels
    n = int(round((rest_s + len(attempts) * (contraction_s + rest_s)) * rate))
    t = np.arange(n) / rate
    env = np.zeros((n, len(channels)))
    for k, share in enumerate(attempts):
        onset = rest_s + k * (contraction_s + rest_s)
        for c, name in enumerate(channels):
            sl, e = _burst_envelope(t, onset, onset + contraction_s, share * scenario.mvc_uv[name], 0.02, 0.05)
            env[sl, c] += e
    floor = np.array([scenario.noise_uv.get(c, 3.0) for c in channels])
    emg = env * _band_noise(rng, n, len(channels), rate) + _band_noise(rng, n, len(channels), rate) * floor
    return emg.astype(np.float32)


@dataclass
class BurstTrain:
    """EMG-only recording of contractions of any length (quick reps, MVC efforts, failing holds), with truth."""

    emg_rate_hz: float
    emg_channels: tuple[str, ...]
    emg_uv: np.ndarray  # samples x channels, float32
    onsets_s: dict[str, list[float]]  # per channel: where that muscle's envelope starts rising
    offsets_s: dict[str, list[float]]  # per channel: where it has decayed (end of the contraction)
    amplitude_uv: dict[str, float]  # per channel: RMS of a full contraction (the patient's scale)
    noise_uv: dict[str, float]
    tonic: list[tuple[str, float, float]] = field(default_factory=list)  # (channel, start, end) of tonic stretches

    @property
    def duration_s(self) -> float:
        return self.emg_uv.shape[0] / self.emg_rate_hz


def build_burst_train(seed: int = 0, *, emg_rate_hz: float = 2000.0, duration_s: float = 60.0,
                      channels: int = 1, burst_s: tuple[float, float] = (0.1, 0.6),
                      period_s: tuple[float, float] = (3.0, 4.0), amplitude_uv: tuple[float, float] = (50.0, 300.0),
                      noise_uv: tuple[float, float] = (2.0, 6.0), tonic_x: tuple[float, float] = (0.0, 0.0),
                      tonic_share: float = 0.5, ramp_s: tuple[float, float] = (0.0, 0.0),
                      fail_after_s: tuple[float, float] | None = None, mains_hz: float = 50.0,
                      knocks: bool = False) -> BurstTrain:
    """Contractions at irregular intervals on one or more independent channels, with exact onsets.

    The cases the bridge scenario (``build_scenario``) does not cover, seen on real recordings: short crisp
    bursts (100-600 ms) every 3-4 s, bursts covering most of the time, tonic low-level activity between
    contractions, slow (ramped) onsets, holds that fail after about a second, amplitudes that differ 50x
    between patients.

    Parameters
    ----------
    seed : everything is drawn from one seeded generator.
    emg_rate_hz, duration_s, channels : the recording.
    burst_s : range of contraction durations, s (uniform).
    period_s : range of onset-to-onset intervals, s; a contraction never leaves less than 0.25 s of rest.
    amplitude_uv : range of the patient's contraction amplitude, uV RMS (drawn log-uniformly per channel; each
        contraction varies +-20 % around it).
    noise_uv : range of the noise floors, uV RMS (log-uniform per channel).
    tonic_x : tonic low-level activity between contractions, amplitude as a multiple of the noise floor (a
        range; (0, 0) for none); ``tonic_share`` of the rests have it, running up to 0.1-0.5 s before the next
        onset (the contraction then starts from the tonic level).
    ramp_s : range of rise times, s: the amplitude rises linearly over it (0: a sharp exponential rise, 4-12 ms
        time constant).
    fail_after_s : a failing hold: full amplitude for this long (range, s), then it sags to 20-40 % with a
        3-6 Hz tremor until the contraction ends.
    mains_hz : mains interference (1-10 uV) at this frequency; 0 for none.
    knocks : a sharp cable knock (5-30 ms, 100-800 uV) in every third rest.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * emg_rate_hz))
    t = np.arange(n) / emg_rate_hz
    names = tuple(f"ch{c + 1}" for c in range(channels))
    env = np.zeros((n, channels))
    tonic_env = np.zeros((n, channels))
    knock_sig = np.zeros((n, channels))
    onsets: dict[str, list[float]] = {}
    offsets: dict[str, list[float]] = {}
    tonic: list[tuple[str, float, float]] = []
    noise = {c: float(np.exp(rng.uniform(*np.log(noise_uv)))) for c in names}
    amp = {c: float(np.exp(rng.uniform(*np.log(amplitude_uv)))) for c in names}
    for c, name in enumerate(names):
        ons, offs = [], []
        cursor = rng.uniform(2.0, 3.0)
        while True:
            dur = rng.uniform(*burst_s)
            period = max(rng.uniform(*period_s), dur + 0.25)
            if cursor + dur + 0.5 > duration_s - 0.5:
                break
            level = amp[name] * rng.uniform(0.8, 1.2)
            ramp = rng.uniform(*ramp_s)
            tau_off = rng.uniform(0.02, 0.06)
            i0, i1 = int(np.ceil(cursor * emg_rate_hz)), min(n, int((cursor + dur + 6 * tau_off) * emg_rate_hz))
            tt = t[i0:i1] - cursor
            e = np.minimum(tt / ramp, 1.0) if ramp > 0 else 1.0 - np.exp(-tt / rng.uniform(0.004, 0.012))
            if fail_after_s is not None:
                fail = rng.uniform(*fail_after_s)
                sag = rng.uniform(0.2, 0.4)
                trem = 1.0 + 0.3 * np.sin(2 * np.pi * rng.uniform(3, 6) * tt)
                late = tt > fail
                e[late] *= (sag + (1 - sag) * np.exp(-(tt[late] - fail) / 0.15)) * trem[late]
            after = tt > dur
            e[after] *= np.exp(-(tt[after] - dur) / tau_off)
            env[i0:i1, c] += level * e
            ons.append(round(float(t[i0]), 6))
            offs.append(float(cursor + dur))
            nxt = cursor + period
            gap0, gap1 = cursor + dur + 0.2, nxt - rng.uniform(0.1, 0.5)
            if tonic_x[1] > 0 and rng.random() < tonic_share and gap1 - gap0 > 0.3:
                j0, j1 = int(gap0 * emg_rate_hz), int(min(gap1, duration_s - 0.5) * emg_rate_hz)
                tonic_env[j0:j1, c] = rng.uniform(*tonic_x) * noise[name] * np.hanning(max(j1 - j0, 1)) ** 0.2
                tonic.append((name, gap0, gap1))
            if knocks and len(ons) % 3 == 0 and gap1 - gap0 > 0.3:
                start = rng.uniform(gap0, gap1 - 0.05)
                k0 = int(start * emg_rate_hz)
                k1 = k0 + max(2, int(rng.uniform(0.005, 0.03) * emg_rate_hz))
                knock_sig[k0:k1, c] += rng.uniform(100, 800) * rng.choice([-1, 1]) * np.hanning(k1 - k0)
            cursor = nxt
        onsets[name], offsets[name] = ons, offs
    emg = env * _band_noise(rng, n, channels, emg_rate_hz) + tonic_env * _band_noise(rng, n, channels, emg_rate_hz)
    emg += _band_noise(rng, n, channels, emg_rate_hz) * np.array([noise[c] for c in names]) + knock_sig
    if mains_hz:
        emg += rng.uniform(1.0, 10.0, channels) * np.sin(2 * np.pi * mains_hz * t[:, None]
                                                          + rng.uniform(0, 2 * np.pi, channels))
    emg += rng.uniform(-200, 200, channels)
    return BurstTrain(emg_rate_hz, names, emg.astype(np.float32), onsets, offsets, amp, noise, tonic)
