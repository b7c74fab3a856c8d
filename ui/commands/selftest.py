"""`glutelab selftest`: the whole chain in a temp dir (simulate -> serial -> record -> analyse -> PDF).

Exits 0 only if every step worked, and names the PDF and the recordings it produced.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from ui.commands._common import subparser


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "selftest", "run the whole chain in a temporary folder; exit 0 only if it worked")
    p.add_argument("--keep", metavar="DIR", help="work in DIR (default: a new temporary folder, kept so the "
                                                 "PDF and database it names can be opened)")
    p.add_argument("--speed", type=float, default=4.0, help="simulator time factor")


def run(args: argparse.Namespace) -> int:
    from clinic.recorder import Recorder
    from clinic.records.db import unit_of_work
    from clinic.records.models import Trial
    from clinic.records.patients import create_patient, start_trial
    from clinic.records.security import SYSTEM, Actor, create_first_admin
    from clinic.session_report import build_session_report
    from clinic.trial_results import analyze_and_store
    from devices.device import Device
    from devices.simulator.rig import SimulatedRig
    from ui.context import Workstation

    root = Path(args.keep or tempfile.mkdtemp(prefix="glutelab-selftest-"))
    steps: list[str] = []
    ok = False
    try:
        ws = Workstation.open(str(root), f"sqlite:///{root / 'selftest.sqlite3'}")
        steps.append(f"database ready at {ws.url}")
        with unit_of_work(ws.factory) as s:
            user = create_first_admin(s, "selftest", "selftest-password")  # a fresh database: its first user
            actor = Actor(user.id, user.username, user.role)
            patient = create_patient(s, SYSTEM, "SELFTEST-1", "Selftest", "Pat", dt.date(1980, 1, 1))
            trial_id = start_trial(s, actor, patient, "cook_hip_lift", "left", reps=3).id
        rig = SimulatedRig(speed=args.speed, profile="healthy", reps=3, rest_s=2.0, seed=7)
        with rig:
            devices = [Device(rig.emg_path, stream_id="emg"), Device(rig.plate_path, stream_id="plate")]
            for dev in devices:
                dev.open()
            steps.append(f"simulated devices answered on {rig.emg_path} and {rig.plate_path}")
            recorder = Recorder(ws.factory, trial_id, devices, spool_dir=ws.data_dir.spool)  # type: ignore[arg-type]
            recorder.start()
            for dev in devices:
                dev.start()
            deadline = time.monotonic() + rig.scenario.duration_s / args.speed + 0.5
            while time.monotonic() < deadline and not recorder.errors:
                time.sleep(0.05)
            for dev in devices:
                dev.close()
            ids = recorder.stop()
        if recorder.errors:
            raise RuntimeError("; ".join(recorder.errors))
        steps.append(f"recordings {ids} stored")
        with unit_of_work(ws.factory) as s:
            trial = s.get(Trial, trial_id)
            assert trial is not None
            analysis = analyze_and_store(s, actor, trial)
            reps = analysis.get("summary", {}).get("reps", 0)  # type: ignore[union-attr]
            if reps < 1:
                raise RuntimeError(f"analysis found no reps in the recording: {analysis.get('summary')}")
            steps.append(f"analysis found {reps} reps")
            pdf = build_session_report(s, actor, trial.session_id, root / "reports" / "selftest-report.pdf")
        if pdf.stat().st_size < 1000 or not pdf.read_bytes().startswith(b"%PDF"):
            raise RuntimeError(f"{pdf} is not a valid PDF")
        steps.append(f"report written to {pdf}")
        ws.close()
        ok = True
        print(json.dumps({"ok": True, "pdf": str(pdf), "recording_ids": ids, "steps": steps}))
    except Exception as exc:  # noqa: BLE001 - the self-test reports any failure as its result
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}", "steps": steps}))
    return 0 if ok else 1
