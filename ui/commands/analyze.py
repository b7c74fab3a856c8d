"""`glutelab analyze`: per-rep metrics of a signal file or a stored session, as text or JSON."""

from __future__ import annotations

import argparse
import json

from sqlalchemy import select

from clinic.records.audit import record_event
from clinic.records.db import unit_of_work
from clinic.records.models import Session as VisitSession
from clinic.signals.analysis import analyze_trial
from clinic.signals.io import SignalFileError, load_csv
from clinic.trial_analysis import analyze_stored_trial
from ui.commands._common import open_workstation, subparser
from ui.context import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "analyze", "onsets, firing order and per-rep metrics of a file or a stored session",
                  needs_user=True)
    p.add_argument("file", nargs="?", help="a CSV file (header row; a 'time' column in seconds or --rate)")
    p.add_argument("--session", type=int, help="analyse a stored session (needs --user)")
    p.add_argument("--rate", type=float, help="sample rate in Hz when the file has no time column")
    p.add_argument("--side", choices=("left", "right"), default="left")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.session):
        raise UserError("give either a FILE or --session ID")
    if args.file:
        try:
            sig = load_csv(args.file, args.rate)
        except SignalFileError as exc:
            raise UserError(str(exc)) from exc
        result: dict[str, object] = analyze_trial(sig.data, sig.rate_hz, sig.channel_names, side=args.side)
        result["source"] = sig.source
    else:
        ws = open_workstation(args, sign_in=True)
        assert ws.actor is not None
        ws.actor.require("read")
        with unit_of_work(ws.factory) as s:
            visit = s.scalar(select(VisitSession).where(VisitSession.id == args.session))
            if visit is None:
                raise UserError(f"no session {args.session}")
            record_event(s, ws.actor.username, "read", "session", visit.id, "analyze")
            result = {"session_id": visit.id, "week": visit.week,
                      "trials": [analyze_stored_trial(s, t) for t in visit.trials]}
    if args.json:
        print(json.dumps(result, default=float))
    else:
        _print_text(result)
    return 0


def _print_text(result: dict[str, object]) -> None:
    trials = result.get("trials", [result])
    for trial in trials:  # type: ignore[union-attr]
        summary = trial.get("summary", {})
        print(f"trial {trial.get('trial_id', '-')}: {summary}")
        for rep in trial.get("reps", []):
            print(f"  rep {rep['rep']}: order {' > '.join(rep['firing_order']) or '-'}; "
                  f"glute lead vs hamstrings {rep['glute_lead_hamstrings_ms']} ms; hold {rep['hold_ms']:.0f} ms")
