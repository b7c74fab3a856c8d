"""A simulated calibration: rest, then maximal efforts of one channel at a time, on a timetable it is given.

The timetable comes from the caller (``clinic.usecases.calibration.schedule``, through ``glutelab simulate
--exercise calibration``), so the simulator and ``glutelab calibrate`` follow the same steps without this
package knowing the clinic's protocol. Efforts are near-maximal (90-100 % of each channel's MVC amplitude)
on the noise floors and MVC amplitudes of a normal scenario, with a little crosstalk into the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from devices.simulator.physiology import Scenario, _band_noise, _burst_envelope, build_scenario

#: (start_s, end_s, channel index) of each maximal effort
Effort = tuple[float, float, int]


def calibration_scenario(efforts: Sequence[Effort], duration_s: float, emg_rate_hz: float = 2000.0,
                         plate_rate_hz: float = 1000.0, seed: int = 0, crosstalk: float = 0.02) -> Scenario:
    base = build_scenario("healthy", reps=0, emg_rate_hz=emg_rate_hz, plate_rate_hz=plate_rate_hz, seed=seed,
                          artefacts=False, low_level_activity=False)
    rng = np.random.default_rng(seed + 1)
    channels = base.emg_channels
    n = int(round(duration_s * emg_rate_hz))
    t = np.arange(n) / emg_rate_hz
    env = np.zeros((n, len(channels)))
    for start, end, ch in efforts:
        if not 0 <= ch < len(channels):
            continue  # the timetable names more muscles than the simulated rig has electrodes
        share = rng.uniform(0.9, 1.0)
        sl, e = _burst_envelope(t, start, end, share * base.mvc_uv[channels[ch]], 0.15, 0.1)
        env[sl, ch] += e
        for other in range(len(channels)):
            if other != ch:
                env[sl, other] += crosstalk * e
    floor = np.array([base.noise_uv[c] for c in channels])
    emg = env * _band_noise(rng, n, len(channels), emg_rate_hz) + _band_noise(rng, n, len(channels),
                                                                              emg_rate_hz) * floor
    m = int(round(duration_s * plate_rate_hz))
    lying = np.repeat(base.force_n[:1], m, axis=0)  # lying still on the plate
    return replace(base, exercise="calibration", emg_uv=emg.astype(np.float32), force_n=lying, truth=[],
                   artefacts=[])


def followed_by(first: Scenario, then: Scenario) -> Scenario:
    """``first`` then ``then`` on one stream (e.g. a calibration, then the exercise), as one patient: the plate
    keeps ``then``'s resting load throughout, so the join is not a step a rep counter could take for a rep."""
    if (first.emg_rate_hz, first.plate_rate_hz, first.emg_channels) != (then.emg_rate_hz, then.plate_rate_hz,
                                                                         then.emg_channels):
        raise ValueError("scenarios to join need the same sample rates and channels")
    shift = first.duration_s
    resting = np.repeat(then.force_n[:1], first.force_n.shape[0], axis=0)
    truth = [replace(r, movement_start_s=r.movement_start_s + shift, hold_start_s=r.hold_start_s + shift,
                     hold_end_s=r.hold_end_s + shift, lower_end_s=r.lower_end_s + shift,
                     onsets_s={k: v + shift for k, v in r.onsets_s.items()},
                     offsets_s={k: v + shift for k, v in r.offsets_s.items()}) for r in then.truth]
    artefacts = [*first.artefacts, *(replace(a, start_s=a.start_s + shift, end_s=a.end_s + shift)
                                     for a in then.artefacts)]
    return replace(then, emg_uv=np.vstack([first.emg_uv, then.emg_uv]),
                   force_n=np.vstack([resting, then.force_n]).astype(np.float32), truth=truth, artefacts=artefacts,
                   rest_s=first.rest_s)
