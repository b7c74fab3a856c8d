"""`glutelab record`: one trial from the EMG amplifier and/or force plate, through the session runner.

The last line of stdout is one JSON object (``trial_id``, ``session_id``, ``recordings`` with ``id``, ``kind``,
``status`` and seconds stored, ``errors``); notes and warnings go to stderr. A pulled cable, a failed write or
a stop signal end the trial with what was received kept and marked ``interrupted``, one line saying so, and a
non-zero exit (1, or 130/143 for SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import json

from ui.commands._common import open_workstation, subparser
from ui.commands._session import StopSignals, add_device_options, note, session_runner
from ui.errors import UserError

EXERCISE_CHOICES = ("cook_hip_lift", "glute_bridge", "supine_hip_extension", "one_leg_glute_bridge",
                    "bench_sit_down")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "record", "record a trial from an EMG amplifier and/or a force plate", needs_user=True)
    add_device_options(p)
    p.add_argument("--seconds", type=float, default=10.0,
                   help="seconds of signal to store (not wall time): recording stops once they are in, or at "
                        "the latest 10 s later, e.g. after a pulled cable")
    p.add_argument("--exercise", choices=EXERCISE_CHOICES, default="cook_hip_lift")
    p.add_argument("--side", choices=("left", "right", "both"), default="left")
    p.add_argument("--reps", type=int, default=10, help="target reps (8-12 per leg is usual)")
    p.add_argument("--hold", type=float, default=6.0, help="hold target, s (5-8 is usual)")
    p.add_argument("--list-ports", action="store_true",
                   help="list the serial ports (description, serial number, USB VID:PID, recognised adapter) "
                        "and exit")
    p.add_argument("--json", action="store_true", help="with --list-ports: one JSON array")


def _list_ports(as_json: bool) -> int:
    from devices.transport.ports import available_ports

    ports = available_ports()
    if as_json:
        print(json.dumps([p.as_dict() for p in ports]))
    elif not ports:
        print("no serial ports found (is the device plugged in and its driver loaded?)")
    else:
        for port in ports:
            print(port.line())
    return 0


def run(args: argparse.Namespace) -> int:

    if args.list_ports:
        return _list_ports(args.json)
    if not args.seconds > 0:
        raise UserError(f"--seconds must be positive, not {args.seconds}")
    from clinic.usecases.runner import ExercisePlan, RunnerError

    try:
        plan = ExercisePlan(args.exercise, args.side, args.reps, args.hold)
    except RunnerError as exc:
        raise UserError(str(exc)) from exc
    with open_workstation(args, sign_in=True) as ws, session_runner(args, ws) as runner, StopSignals() as stop:
        runner.start_trial(plan)
        why = runner.wait_for_signal(args.seconds, slack_s=10.0, stop=stop)
        stored = runner.seconds_recorded
        reason = ""
        if why == "stopped" and stored < args.seconds:
            reason = f"stopped by {stop.name} after {stored:.1f} s of {args.seconds:g} s"
        elif why == "timeout":
            events = "; ".join(e.line() for e in runner.link_events) or "the devices sent too little"
            reason = f"{events}: {stored:.1f} s of {args.seconds:g} s stored"
        runner.stop_trial(interrupted=reason)
        if why == "stopped":
            outcome = runner.analyse() if stored >= args.seconds else None
            rows = outcome.recordings if outcome else _recordings(runner)
            print(json.dumps({"trial_id": runner.trial_id, "session_id": runner.session_id, "recordings": rows,
                              "recording_ids": [r["id"] for r in rows], "errors": [reason] if reason else []}))
            note(reason or f"stopped by {stop.name} after the planned {args.seconds:g} s; the trial is complete")
            return stop.exit_code
        outcome = runner.analyse()
    analysis = outcome.analysis or {}
    for line in analysis.get("notes", []) if isinstance(analysis, dict) else []:
        note(line)
    summary = analysis.get("summary") or ({"error": analysis.get("error")} if analysis else {})
    print(json.dumps(outcome.as_dict() | {"recording_ids": [r["id"] for r in outcome.recordings],
                                          "summary": summary}, default=float))
    if outcome.errors:
        note("; ".join(outcome.errors) + " (what was received is kept; the trial is marked interrupted)")
        return 1
    return 0


def _recordings(runner) -> list[dict[str, object]]:  # noqa: ANN001 - a SessionRunner
    from clinic.records.db import unit_of_work
    from clinic.records.models import Trial
    from clinic.usecases.runner import recording_row

    with unit_of_work(runner.factory) as s:
        trial = s.get(Trial, runner.trial_id)
        return [recording_row(r) for r in trial.recordings] if trial else []
