"""Simulated devices for the window and `glutelab simulate --exercise calibration`: the calibration timetable
of ``clinic.usecases.calibration`` (defined only there) played on every EMG channel in channel order, and for
the window's session a rig that plays that calibration and then the exercise, as one patient would."""

from __future__ import annotations

from devices.simulator.calibration import calibration_scenario, followed_by
from devices.simulator.faults import FaultPlan
from devices.simulator.physiology import DEFAULT_EMG_CHANNELS, Scenario, build_scenario
from devices.simulator.rig import SimulatedRig

CYTON_RATE_HZ = 250.0


def calibration_timetable(emg_rate_hz: float, seed: int = 0, plate_rate_hz: float = 1000.0) -> Scenario:
    from clinic.usecases.calibration import schedule

    steps = schedule(len(DEFAULT_EMG_CHANNELS))
    efforts = [(a, b, k) for k, step in enumerate(steps[1:]) for a, b in step.efforts]
    return calibration_scenario(efforts, steps[-1].end_s + 5.0, emg_rate_hz=emg_rate_hz,
                                plate_rate_hz=plate_rate_hz, seed=seed)


def clinic_day_rig(protocol: str, speed: float = 1.0, exercise: str = "cook_hip_lift", side: str = "left",
                   reps: int = 8, seed: int = 0, plate_rate_hz: float = 250.0,
                   faults: FaultPlan | None = None) -> SimulatedRig:
    """Calibration on the timetable, then ``reps`` of ``exercise`` (healthy profile), looping; not started."""
    rate = CYTON_RATE_HZ if protocol == "cyton" else 2000.0
    day = followed_by(calibration_timetable(rate, seed, plate_rate_hz),
                      build_scenario("healthy", exercise, side, reps=reps, emg_rate_hz=rate,
                                     plate_rate_hz=plate_rate_hz, seed=seed, artefacts=False))
    return SimulatedRig(scenario=day, speed=speed, emg_protocol=protocol, faults=faults)
