"""`glutelab episode open|close`: a patient's episode of care from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from ui.commands._common import open_workstation, subparser
from ui.context import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "episode", "open or close a patient's episode of care", needs_user=True)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    op = actions.add_parser("open", help="open an episode (one active episode per patient)")
    op.add_argument("--patient", required=True, metavar="MRN")
    op.add_argument("--complaint", default="Low back pain: glute re-education", help="the presenting complaint")
    op.add_argument("--goals", default="", help="the episode's goals")
    cl = actions.add_parser("close", help="discharge the active episode")
    cl.add_argument("--patient", required=True, metavar="MRN")
    cl.add_argument("--outcome", default="", help="the outcome at discharge")
    for a in (op, cl):
        a.add_argument("--user", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        a.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        a.add_argument("--database-url", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from clinic.records.db import unit_of_work
    from clinic.records.editing import update_episode
    from clinic.records.models import local_date
    from clinic.records.patients import ValidationError, create_episode, find_patient_by_mrn

    with open_workstation(args, sign_in=True) as ws:
        assert ws.actor is not None
        today = local_date(dt.datetime.now(dt.UTC))
        try:
            with unit_of_work(ws.factory) as s:
                patient = find_patient_by_mrn(s, ws.actor, args.patient)
                active = [e for e in patient.episodes if e.status == "active"]
                if args.action == "open":
                    if active:
                        raise UserError(f"{args.patient} already has an active episode ({active[-1].id}, from "
                                        f"{active[-1].start_date}); close it first")
                    ep = create_episode(s, ws.actor, patient, args.complaint, today, goals=args.goals)
                else:
                    if not active:
                        raise UserError(f"{args.patient} has no active episode to close")
                    ep = update_episode(s, ws.actor, active[-1], status="discharged",
                                        discharge_date=max(today, active[-1].start_date),
                                        discharge_summary=args.outcome)
                print(json.dumps({"episode_id": ep.id, "patient": patient.mrn, "status": ep.status,
                                  "start_date": ep.start_date.isoformat()}))
        except ValidationError as exc:
            raise UserError(str(exc)) from exc
    return 0
