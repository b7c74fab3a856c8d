"""`glutelab report`: print a stored session as a PDF."""

from __future__ import annotations

import argparse

from ui.commands._common import open_workstation, subparser
from ui.errors import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "report", "write a session report PDF", needs_user=True)
    p.add_argument("--session", type=int, required=True)
    p.add_argument("--out", help="PDF path (default: reports/ in the data dir)")
    p.add_argument("--reason", help="why, when you do not treat this patient (kept in the audit trail)")


def run(args: argparse.Namespace) -> int:
    from clinic.records.db import unit_of_work
    from clinic.signals.onsets import OnsetSettings
    from clinic.usecases.reports import build_session_report

    with open_workstation(args, sign_in=True) as ws, unit_of_work(ws.factory) as s:
        assert ws.actor is not None
        out = args.out or ws.data_dir.reports / f"session-{args.session}.pdf"
        try:
            path = build_session_report(s, ws.actor, args.session, out, ws.settings.conditioning,
                                        OnsetSettings(), args.reason)
        except (KeyError, ValueError, PermissionError) as exc:
            raise UserError(str(exc).strip("'\"")) from exc
        except OSError as exc:  # a full disk (ENOSPC, EFBIG): no partial PDF is left, nothing is audited
            raise UserError(f"cannot write the report {out}: {exc.strerror or exc}. No report was written; free "
                            "disk space or choose another --out") from exc
    print(path)
    return 0
