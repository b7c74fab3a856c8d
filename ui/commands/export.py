"""`glutelab export`: write a session's recordings as files other tools open."""

from __future__ import annotations

import argparse
import json

from clinic.records.audit import record_event
from clinic.records.db import unit_of_work
from clinic.records.export_csv import export_recording_csv
from clinic.records.models import Session as VisitSession
from ui.commands._common import open_workstation, subparser
from ui.context import UserError

FORMATS = ("csv",)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "export", "export a session's recordings (one file per recording)", needs_user=True)
    p.add_argument("--session", type=int, required=True)
    p.add_argument("--format", choices=FORMATS, default="csv")
    p.add_argument("--out-dir", help="folder (default: exports/ in the data dir)")


def run(args: argparse.Namespace) -> int:
    ws = open_workstation(args, sign_in=True)
    assert ws.actor is not None
    ws.actor.require("export")
    out_dir = args.out_dir or ws.data_dir.exports
    written = []
    with unit_of_work(ws.factory) as s:
        visit = s.get(VisitSession, args.session)
        if visit is None:
            raise UserError(f"no session {args.session}")
        for trial in visit.trials:
            for rec in trial.recordings:
                path = f"{out_dir}/session{visit.id}-trial{trial.id}-{rec.kind}-rec{rec.id}.{args.format}"
                written.append(str(export_recording_csv(s, rec.id, path)))
                record_event(s, ws.actor.username, "export", "recording", rec.id, args.format)
    print(json.dumps({"files": written}))
    return 0
