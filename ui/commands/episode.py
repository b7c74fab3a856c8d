"""`glutelab episode open|close|baseline`: a patient's episode of care from the command line: open it with its
goals, close it with the outcome and which goals were met, mark the session progress is compared with."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from ui.commands._common import open_workstation, subparser
from ui.context import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "episode", "open or close a patient's episode of care, mark its baseline session",
                  needs_user=True)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    op = actions.add_parser("open", help="open an episode (one active episode per patient)")
    op.add_argument("--patient", required=True, metavar="MRN")
    op.add_argument("--complaint", default="Low back pain: glute re-education", help="the presenting complaint")
    op.add_argument("--goals", default="", help="the episode's goals")
    cl = actions.add_parser("close", help="discharge the active episode")
    cl.add_argument("--patient", required=True, metavar="MRN")
    cl.add_argument("--outcome", default="", help="the outcome at discharge")
    cl.add_argument("--met", type=int, action="append", default=[], metavar="N",
                    help="goal N (as `episode open` listed them) was met; repeat for more")
    cl.add_argument("--not-met", type=int, action="append", default=[], metavar="N", help="goal N was not met")
    bl = actions.add_parser("baseline", help="mark the session that progress is compared with (stored)")
    bl.add_argument("--patient", metavar="MRN", help="the patient (with --first; else implied by --session)")
    which = bl.add_mutually_exclusive_group(required=True)
    which.add_argument("--session", type=int, metavar="ID", help="this session of the episode is the baseline")
    which.add_argument("--first", action="store_true",
                       help="back to the default: the first session with results of the patient's latest episode")
    for a in (op, cl, bl):
        a.add_argument("--user", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        a.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        a.add_argument("--database-url", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def mark_baseline(ws, args: argparse.Namespace) -> int:  # noqa: ANN001
    """`episode baseline`: store the clinician's baseline (role-checked and audited in clinic/)."""
    from clinic.records.db import unit_of_work
    from clinic.records.editing import ConflictError
    from clinic.records.models import Episode
    from clinic.records.models import Session as VisitSession
    from clinic.records.patients import ValidationError, find_patient_by_mrn
    from clinic.usecases.progress import latest_episode_id, mark_episode_baseline

    try:
        with unit_of_work(ws.factory) as s:
            if args.session is not None:
                visit = s.get(VisitSession, args.session)
                if visit is None:
                    raise UserError(f"no session {args.session}")
                ep = visit.episode
                if args.patient is not None and ep.patient.mrn != args.patient:
                    raise UserError(f"session {args.session} is not a session of patient {args.patient}")
            else:
                if args.patient is None:
                    raise UserError("episode baseline --first needs --patient MRN")
                ep_id = latest_episode_id(s, find_patient_by_mrn(s, ws.actor, args.patient))
                ep = s.get(Episode, ep_id) if ep_id is not None else None
                if ep is None:
                    raise UserError(f"patient {args.patient} has no episode yet")
            mark_episode_baseline(s, ws.actor, ep.id, args.session, ep.version)
            print(json.dumps({"episode_id": ep.id, "patient": ep.patient.mrn, "baseline_session_id": args.session}))
    except (ValidationError, ConflictError, PermissionError) as exc:
        raise UserError(str(exc)) from exc
    return 0


def run(args: argparse.Namespace) -> int:
    from clinic.records.db import unit_of_work
    from clinic.records.editing import split_goals, update_episode
    from clinic.records.models import local_date
    from clinic.records.patients import ValidationError, create_episode, find_patient_by_mrn

    with open_workstation(args, sign_in=True) as ws:
        assert ws.actor is not None
        if args.action == "baseline":
            return mark_baseline(ws, args)
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
                    both = set(args.met) & set(args.not_met)
                    if both:
                        raise UserError(f"goal {min(both)} cannot be both --met and --not-met")
                    judged = {n: True for n in args.met} | {n: False for n in args.not_met}
                    ep = update_episode(s, ws.actor, active[-1], status="discharged",
                                        discharge_date=max(today, active[-1].start_date),
                                        discharge_summary=args.outcome, goals_met=judged or None)
                print(json.dumps({"episode_id": ep.id, "patient": patient.mrn, "status": ep.status,
                                  "start_date": ep.start_date.isoformat(), "goals": split_goals(ep.goals),
                                  "goal_outcomes": ep.goal_outcomes}))
        except ValidationError as exc:
            raise UserError(str(exc)) from exc
    return 0
