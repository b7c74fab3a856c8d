"""`glutelab simulate`: a simulated device on a pseudo-terminal, speaking the real protocol in real time."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from devices.simulator.names import PROFILE_NAMES, SIM_EXERCISES
from ui.commands._common import subparser
from ui.errors import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "simulate", "serve a simulated EMG amplifier and/or force plate on a pty; the first line "
                                   "printed is the port path")
    p.add_argument("--device", choices=("emg", "plate", "both"), default="emg")
    p.add_argument("--protocol", choices=("glutelab", "cyton"), default="glutelab",
                   help="EMG protocol: GluteLab v1, or an emulated OpenBCI Cyton (8 ch, 250 Hz); the plate "
                        "always speaks GluteLab v1")
    p.add_argument("--profile", choices=PROFILE_NAMES, default="healthy")
    p.add_argument("--exercise", choices=(*SIM_EXERCISES, "calibration"), default="cook_hip_lift",
                   help="'calibration' plays the timetable `glutelab calibrate` follows without a terminal: rest, "
                        "then 3 maximal efforts of each EMG channel in channel order (docs/analysis.md)")
    p.add_argument("--side", choices=("left", "right"), default="left")
    p.add_argument("--reps", type=int, default=8)
    p.add_argument("--rate", type=float, default=2000.0,
                   help="EMG sample rate, Hz (GluteLab EMG; the Cyton runs at 250)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--speed", type=float, default=1.0, help="time factor (1 = real time)")
    p.add_argument("--seconds", type=float, default=None, help="stop after this long (default: until Ctrl-C)")
    p.add_argument("--truth", metavar="FILE", help="write the ground truth (JSON lines) here")
    p.add_argument("--link-dir", metavar="DIR", help="folder for the stable port symlinks")
    faults = p.add_argument_group("faults on demand")
    faults.add_argument("--drop-rate", type=float, default=0.0, help="probability that a packet is lost")
    faults.add_argument("--corrupt-rate", type=float, default=0.0, help="probability that a byte is corrupted")
    faults.add_argument("--unplug-after", type=float, metavar="S", help="pull the cable after S s of streaming")
    faults.add_argument("--replug-after", type=float, metavar="S",
                        help="plug it back in S s after the pull (same port path)")


def run(args: argparse.Namespace) -> int:
    from devices.simulator.faults import FaultPlan
    from devices.simulator.rig import SimulatedRig

    try:
        plan = FaultPlan(drop_rate=args.drop_rate, corrupt_rate=args.corrupt_rate,
                         unplug_after_s=args.unplug_after, replug_after_s=args.replug_after, seed=args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if args.replug_after is not None and args.unplug_after is None:
        raise UserError("--replug-after needs --unplug-after")
    for name, value in (("--speed", args.speed), ("--rate", args.rate)):
        if value <= 0:
            raise UserError(f"{name} must be positive, not {value}")
    if args.reps < 0:
        raise UserError(f"--reps must not be negative, not {args.reps}")
    if args.exercise == "calibration":
        rig = SimulatedRig(scenario=_calibration(args), speed=args.speed, link_dir=args.link_dir,
                           emg_protocol=args.protocol, faults=plan if plan.any else None)
    else:
        rig = SimulatedRig(speed=args.speed, link_dir=args.link_dir, emg_protocol=args.protocol,
                           faults=plan if plan.any else None, profile=args.profile, exercise=args.exercise,
                           side=args.side, reps=args.reps, emg_rate_hz=args.rate, seed=args.seed)
    try:
        rig.start()
    except OSError as exc:
        raise UserError(f"cannot create the simulated ports: {exc}") from exc
    try:
        if args.truth:
            try:
                rig.write_truth(args.truth)
            except OSError as exc:
                raise UserError(f"cannot write the ground truth to {args.truth}: {exc}") from exc
        if args.device in ("emg", "both"):
            print(rig.emg_path, flush=True)
        if args.device in ("plate", "both"):
            print(rig.plate_path, flush=True)
        if args.device in ("emg", "both") and args.protocol == "cyton":
            print("# EMG: emulated OpenBCI Cyton, 8 channels at 250 Hz, 115200 baud", file=sys.stderr, flush=True)
        print(f"# {rig.scenario.profile} profile, {rig.scenario.exercise}, {args.side} side, "
              f"{len(rig.scenario.truth)} reps looping every {rig.scenario.duration_s:.1f} s; Ctrl-C stops",
              file=sys.stderr, flush=True)
        deadline = None if args.seconds is None else time.monotonic() + args.seconds
        previous = signal.signal(signal.SIGTERM, _terminated)
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.1)
                if rig.emg.error or rig.plate.error:
                    raise UserError(rig.emg.error or rig.plate.error)
        except KeyboardInterrupt:
            pass
        except _Terminated:
            return 143
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        rig.stop()  # closes the ptys and removes their /tmp/glutelab-sim-* folders
    return 0


def _calibration(args: argparse.Namespace):  # noqa: ANN202 - a devices.simulator Scenario
    """The calibration timetable of ``clinic.usecases.calibration`` (defined once, there) for every channel."""
    from ui.simulated_day import CYTON_RATE_HZ, calibration_timetable

    return calibration_timetable(CYTON_RATE_HZ if args.protocol == "cyton" else args.rate, seed=args.seed)


class _Terminated(Exception):
    """SIGTERM: stop the simulated devices and clean up, as Ctrl-C does."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated
