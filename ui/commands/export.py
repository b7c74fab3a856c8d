"""`glutelab export`: a session's recordings as files other tools open (one file per recording), or one
patient as a FHIR R4 Bundle. The permission check and the audit entries live in clinic.records.exports."""

from __future__ import annotations

import argparse
import json

from clinic.vocabulary import RECORDING_FORMATS
from ui.commands._common import open_workstation, subparser
from ui.errors import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "export", "export a session's recordings (one file per recording) or a patient (FHIR)",
                  needs_user=True)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--session", type=int, help="session id: its recordings as csv, edf or c3d")
    what.add_argument("--patient", metavar="MRN", help="patient MRN: a FHIR R4 Bundle (--format fhir)")
    p.add_argument("--format", choices=(*RECORDING_FORMATS, "fhir"), default=None,
                   help="csv|edf|c3d for --session (default csv), fhir for --patient")
    p.add_argument("--out-dir", help="folder (default: exports/ in the data dir)")
    p.add_argument("--reason", help="why, when you do not treat this patient (kept in the audit trail)")


def run(args: argparse.Namespace) -> int:
    fmt = args.format or ("fhir" if args.patient else "csv")
    if args.patient and fmt != "fhir":
        raise UserError("a patient exports as --format fhir")
    if args.session is not None and fmt == "fhir":
        raise UserError("a session exports as --format csv, edf or c3d")
    from clinic.records.db import unit_of_work
    from clinic.records.exports import export_patient, export_session

    ws = open_workstation(args, sign_in=True)
    assert ws.actor is not None
    out_dir = args.out_dir or ws.data_dir.exports
    try:
        with unit_of_work(ws.factory) as s:
            if args.patient:
                written = [export_patient(s, ws.actor, args.patient, out_dir, args.reason)]
            else:
                written = export_session(s, ws.actor, args.session, fmt, out_dir, args.reason)
    except PermissionError as exc:
        raise UserError(str(exc)) from exc
    except (KeyError, ValueError) as exc:
        raise UserError(str(exc).strip("'\"")) from exc
    except OSError as exc:  # a full disk (ENOSPC, EFBIG), a folder that may not be written
        raise UserError(f"cannot write the export to {out_dir}: {exc.strerror or exc}. Nothing was exported "
                        "(no partial file is left); free disk space or choose another --out-dir") from exc
    finally:
        ws.close()
    print(json.dumps({"files": [str(p) for p in written]}))
    return 0
