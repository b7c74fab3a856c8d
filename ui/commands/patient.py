"""`glutelab patient add|list|show`: register and look up patients from the command line (scripting, support)."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from ui.commands._common import open_workstation, subparser
from ui.context import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "patient", "register a patient, list patients, show one patient's record", needs_user=True)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="register a patient")
    add.add_argument("--mrn", required=True, help="the clinic's medical record number (unique)")
    add.add_argument("--family", required=True, help="family name")
    add.add_argument("--given", required=True, help="given name")
    add.add_argument("--birth-date", required=True, metavar="YYYY-MM-DD")
    add.add_argument("--sex", choices=("female", "male", "other", "unknown"), default="unknown")
    add.add_argument("--consent", action="store_true", help="the patient consented to data storage (now)")
    lst = actions.add_parser("list", help="patients whose family name starts with PREFIX")
    lst.add_argument("prefix", nargs="?", default="")
    lst.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="one patient with episodes and sessions")
    show.add_argument("mrn")
    show.add_argument("--json", action="store_true")
    for a in (add, lst, show):  # options accepted after the action too
        a.add_argument("--user", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        a.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        a.add_argument("--database-url", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{what} must be a date YYYY-MM-DD, not {text!r}") from None


def patient_dict(p) -> dict[str, object]:  # noqa: ANN001 - a clinic.records.models.Patient
    return {"id": p.id, "mrn": p.mrn, "family_name": p.family_name, "given_name": p.given_name,
            "birth_date": p.birth_date.isoformat(), "sex": p.sex, "consent_given": p.consent_given}


def run(args: argparse.Namespace) -> int:
    from clinic.records.db import unit_of_work
    from clinic.records.patients import ValidationError, create_patient, find_patient_by_mrn, search_patients

    birth = parse_date(args.birth_date, "--birth-date") if args.action == "add" else None
    with open_workstation(args, sign_in=True) as ws:
        assert ws.actor is not None
        try:
            with unit_of_work(ws.factory) as s:
                if args.action == "add":
                    assert birth is not None
                    p = create_patient(s, ws.actor, args.mrn, args.family, args.given, birth, sex=args.sex,
                                       consent_given=args.consent)
                    print(json.dumps(patient_dict(p)))
                elif args.action == "list":
                    found = [patient_dict(p) for p in search_patients(s, ws.actor, args.prefix, limit=500)]
                    if args.json:
                        print(json.dumps(found))
                    for p in [] if args.json else found:
                        print(f"{p['mrn']}\t{p['family_name']}, {p['given_name']}\t{p['birth_date']}")
                else:
                    p = find_patient_by_mrn(s, ws.actor, args.mrn)
                    out = patient_dict(p) | {"episodes": [_episode_dict(e) for e in p.episodes]}
                    print(json.dumps(out) if args.json else _text(out))
        except ValidationError as exc:
            raise UserError(str(exc)) from exc
    return 0


def _episode_dict(e) -> dict[str, object]:  # noqa: ANN001 - a clinic.records.models.Episode
    return {"id": e.id, "status": e.status, "start_date": e.start_date.isoformat(), "complaint": e.reason,
            "goals": e.goals, "discharge_date": e.discharge_date.isoformat() if e.discharge_date else None,
            "outcome": e.discharge_summary,
            "sessions": [{"id": v.id, "week": v.week, "started_at": v.started_at.isoformat(),
                          "pain_score": v.pain_score, "trials": [t.id for t in v.trials],
                          "calibrated_muscles": sorted({c.muscle for c in v.calibrations if c.mvc_uv})}
                         for v in e.sessions]}


def _text(p: dict[str, object]) -> str:
    lines = [f"{p['mrn']}: {p['family_name']}, {p['given_name']} (born {p['birth_date']}, {p['sex']})"]
    for e in p["episodes"]:  # type: ignore[attr-defined]
        lines.append(f"  episode {e['id']} {e['status']} from {e['start_date']}: {e['complaint']}")
        for v in e["sessions"]:
            lines.append(f"    session {v['id']} week {v['week']} {v['started_at'][:16]}: trials {v['trials']}"
                         + (f", calibrated {', '.join(v['calibrated_muscles'])}" if v["calibrated_muscles"] else ""))
    return "\n".join(lines)
