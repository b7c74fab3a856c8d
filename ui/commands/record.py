"""`glutelab record`: record EMG and force-plate streams of one trial into the database."""

from __future__ import annotations

import argparse
import json
import time

from clinic.vocabulary import EXERCISES
from ui.commands._common import open_workstation, parse_port_spec, subparser
from ui.errors import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "record", "record a trial from an EMG amplifier and/or a force plate", needs_user=True)
    p.add_argument("--emg", metavar="PORT[:protocol]", help="EMG amplifier port, e.g. /dev/ttyACM0:glutelab")
    p.add_argument("--plate", metavar="PORT[:protocol]", help="force plate port")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--patient", metavar="MRN", help="required to record")
    p.add_argument("--list-ports", action="store_true",
                   help="list the serial ports (description, serial number, USB VID:PID, recognised adapter) "
                        "and exit")
    p.add_argument("--json", action="store_true", help="with --list-ports: one JSON array")
    p.add_argument("--exercise", choices=EXERCISES, default="cook_hip_lift")
    p.add_argument("--side", choices=("left", "right", "both"), default="left")


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
    from clinic.recorder import Recorder
    from clinic.records.db import unit_of_work
    from clinic.records.models import Trial
    from clinic.records.patients import ValidationError, find_patient_by_mrn, start_trial
    from clinic.trial_results import analyze_and_store
    from devices.device import Device
    from devices.errors import DeviceError

    if args.list_ports:
        return _list_ports(args.json)
    if not args.patient:
        raise UserError("give the patient to record: --patient MRN")
    if not args.emg and not args.plate:
        raise UserError("give at least one device: --emg PORT and/or --plate PORT")
    ws = open_workstation(args, sign_in=True)
    assert ws.actor is not None
    devices: list[Device] = []
    try:
        for spec, stream_id in ((args.emg, "emg"), (args.plate, "plate")):
            if spec:
                port, proto = parse_port_spec(spec)
                dev = Device(port, proto, stream_id=stream_id)
                dev.open()
                devices.append(dev)
        with unit_of_work(ws.factory) as s:
            patient = find_patient_by_mrn(s, ws.actor, args.patient)
            trial_id = start_trial(s, ws.actor, patient, args.exercise, args.side).id
        recorder = Recorder(ws.factory, trial_id, devices, spool_dir=ws.data_dir.spool)  # type: ignore[arg-type]
        recorder.start()
        for dev in devices:
            dev.start()
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline and not recorder.errors:
            time.sleep(0.05)
        for dev in devices:
            dev.stop()
        ids = recorder.stop()
    except (DeviceError, ValidationError) as exc:  # a port that does not answer, an unknown MRN
        raise UserError(str(exc)) from exc
    finally:
        for dev in devices:
            dev.close()
    summary: dict[str, object] = {}
    if ids and not recorder.errors:
        with unit_of_work(ws.factory) as s:
            trial = s.get(Trial, trial_id)
            assert trial is not None
            analysis = analyze_and_store(s, ws.actor, trial, ws.settings.conditioning)
            summary = analysis.get("summary") or {"error": analysis.get("error")}  # type: ignore[assignment]
    print(json.dumps({"trial_id": trial_id, "recording_ids": ids, "errors": recorder.errors,
                      "stats": {d.stream_id: d.stats.as_dict() for d in devices}, "summary": summary},
                     default=float))
    return 1 if recorder.errors else 0
