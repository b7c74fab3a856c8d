"""`glutelab report`: print a stored session as a PDF."""

from __future__ import annotations

import argparse

from clinic.records.db import unit_of_work
from clinic.signals.onsets import OnsetSettings
from clinic.usecases.reports import build_session_report
from ui.commands._common import open_workstation, subparser
from ui.context import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "report", "write a session report PDF", needs_user=True)
    p.add_argument("--session", type=int, required=True)
    p.add_argument("--out", help="PDF path (default: reports/ in the data dir)")


def run(args: argparse.Namespace) -> int:
    ws = open_workstation(args, sign_in=True)
    assert ws.actor is not None
    out = args.out or ws.data_dir.reports / f"session-{args.session}.pdf"
    with unit_of_work(ws.factory) as s:
        try:
            path = build_session_report(s, ws.actor, args.session, out, ws.settings.conditioning,
                                        OnsetSettings())
        except (KeyError, PermissionError) as exc:
            raise UserError(str(exc).strip("'\"")) from exc
    print(path)
    return 0
