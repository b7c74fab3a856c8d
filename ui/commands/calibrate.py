"""`glutelab calibrate`: today's resting baseline and each mapped muscle's MVC, stored with today's session.

It follows the fixed timetable of ``clinic.usecases.calibration`` from the start of the stream: rest, then each
muscle in map order, 3 efforts each. At a terminal it shows each step's instruction as the step begins (after
Enter); without one (scripts, CI, `glutelab simulate --exercise calibration`) it just follows the timetable.
Prints one JSON object: the session and, per muscle, the resting level and the MVC reference (envelope uV).
"""

from __future__ import annotations

import argparse
import json
import sys

from ui.commands._common import open_workstation, subparser
from ui.commands._session import StopSignals, add_device_options, note, session_runner
from ui.context import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "calibrate", "record today's resting baseline and each mapped muscle's MVC", needs_user=True)
    add_device_options(p)


def run(args: argparse.Namespace) -> int:
    from clinic.usecases.calibration import CalibrationError, TimedStep
    from clinic.usecases.runner import RunnerError

    interactive = bool(sys.stdin and sys.stdin.isatty())

    def announce(timed: TimedStep) -> None:
        note(f"{timed.start_s:5.0f} s  {timed.step.name}: {timed.step.instruction}")

    with open_workstation(args, sign_in=True) as ws, session_runner(args, ws) as runner, StopSignals() as stop:
        if interactive:
            input("Press Enter to start the calibration (rest first)... ")
        try:
            runner.begin_calibration()
            results = runner.run_schedule(on_step=announce, stop=stop)
        except (CalibrationError, RunnerError) as exc:
            if stop():
                note(f"stopped by {stop.name}; nothing was stored")
                return stop.exit_code
            raise UserError(f"{exc}; nothing was stored") from exc
        print(json.dumps({"session_id": runner.session_id, "channel_map": runner.channel_map.as_dict(),
                          "muscles": {m: {"rest_uv": round(b, 3), "mvc_uv": round(v, 3)}
                                      for m, (b, v) in results.items()}}))
    return 0
