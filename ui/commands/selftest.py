"""`glutelab selftest`: the whole chain in a temp dir (simulate -> serial -> record -> analyse -> PDF).

Exits 0 only if every step worked, and names the PDF and the recordings it produced.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path

from ui.commands._common import subparser


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "selftest", "run the whole chain in a temporary folder; exit 0 only if it worked")
    p.add_argument("--keep", metavar="DIR", help="work in DIR (default: a new temporary folder, kept so the "
                                                 "PDF and database it names can be opened)")
    p.add_argument("--speed", type=float, default=4.0, help="simulator time factor")
    p.add_argument("--mains", type=int, choices=(50, 60), help="mains frequency for the notch (default: the "
                                                               "settings.json of the working folder, else 50)")


def run(args: argparse.Namespace) -> int:
    from clinic import settings
    from clinic.records.db import unit_of_work
    from clinic.records.patients import create_patient
    from clinic.records.security import SYSTEM, Actor, create_first_admin
    from clinic.usecases.reports import build_session_report
    from clinic.usecases.runner import DeviceSpec, ExercisePlan, SessionRunner
    from devices.simulator.rig import SimulatedRig
    from ui.context import Workstation

    root = Path(args.keep or tempfile.mkdtemp(prefix="glutelab-selftest-"))
    steps: list[str] = []
    ok = False
    try:
        ws = Workstation.open(str(root), f"sqlite:///{root / 'selftest.sqlite3'}")
        if args.mains:
            settings.update(ws.data_dir.settings_file, mains_hz=int(args.mains))
            ws.settings = settings.load(ws.data_dir.settings_file)
        steps.append(f"database ready at {ws.url} (mains {ws.settings.mains_hz} Hz)")
        with unit_of_work(ws.factory) as s:
            user = create_first_admin(s, "selftest", "selftest-password")  # a fresh database: its first user
            actor = Actor(user.id, user.username, user.role)
            patient_id = create_patient(s, SYSTEM, "SELFTEST-1", "Selftest", "Pat", dt.date(1980, 1, 1)).id
        rig = SimulatedRig(speed=args.speed, profile="healthy", reps=3, rest_s=2.0, seed=7)
        runner = SessionRunner(ws.factory, actor, conditioning=ws.settings.conditioning, spool_dir=ws.data_dir.spool,
                               clock=lambda: dt.datetime.now(dt.UTC))
        with rig:
            try:
                runner.set_up(patient_id, DeviceSpec(rig.emg_path, "glutelab", "emg"),
                              DeviceSpec(rig.plate_path, "glutelab", "plate"))
                steps.append(f"simulated devices answered on {rig.emg_path} and {rig.plate_path}")
                runner.start_trial(ExercisePlan("cook_hip_lift", "left", target_reps=3))
                why = runner.wait_for_signal(rig.scenario.duration_s, slack_s=10.0)
                runner.stop_trial(interrupted="" if why == "done" else f"recording ended early ({why})")
                outcome = runner.analyse()
            finally:
                runner.close()
        if outcome.errors:
            raise RuntimeError("; ".join(outcome.errors))
        ids = [r["id"] for r in outcome.recordings]
        steps.append(f"recordings {ids} stored")
        reps = ((outcome.analysis or {}).get("summary") or {}).get("reps", 0)
        if reps < 1:
            raise RuntimeError(f"analysis found no reps in the recording: {outcome.analysis}")
        steps.append(f"analysis found {reps} reps")
        with unit_of_work(ws.factory) as s:
            pdf = build_session_report(s, actor, outcome.session_id, root / "reports" / "selftest-report.pdf",
                                       ws.settings)
        if pdf.stat().st_size < 1000 or not pdf.read_bytes().startswith(b"%PDF"):
            raise RuntimeError(f"{pdf} is not a valid PDF")
        steps.append(f"report written to {pdf}")
        from ui.selftest_window import run_window_steps  # main window, patient page, live plot, print preview

        run_window_steps(ws.factory, actor, root / "window", steps, ws.settings.conditioning)
        ws.close()
        ok = True
        print(json.dumps({"ok": True, "pdf": str(pdf), "recording_ids": ids, "steps": steps}))
    except Exception as exc:  # noqa: BLE001 - the self-test reports any failure as its result
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}", "steps": steps}))
    return 0 if ok else 1
