"""`glutelab report progress|discharge|session --patient MRN`: print a report as a PDF (and, as before,
`glutelab report --session ID`). The episode defaults to the patient's latest; every report is audited."""

from __future__ import annotations

import argparse

from clinic.vocabulary import REPORT_KINDS
from ui.commands._common import open_workstation, subparser
from ui.errors import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "report", "write a progress, discharge or session report PDF", needs_user=True)
    p.add_argument("kind", nargs="?", choices=REPORT_KINDS, help="which report (default: session, with --session)")
    p.add_argument("--patient", metavar="MRN", help="the patient (progress, discharge, session)")
    p.add_argument("--episode", type=int, help="episode ID (default: the patient's latest)")
    p.add_argument("--session", type=int, help="session ID (session report; default: the episode's latest)")
    p.add_argument("--baseline", type=int, metavar="SESSION", help="baseline session (default: the episode's first)")
    p.add_argument("--out", help="PDF path (default: reports/ in the data dir)")
    p.add_argument("--reason", help="why, when you do not treat this patient (kept in the audit trail)")


def _resolve(s, ws, args: argparse.Namespace) -> tuple[int | None, int | None]:  # noqa: ANN001
    """(episode id, session id) from --patient/--episode/--session, checked to belong together."""
    from clinic.records.models import Episode
    from clinic.records.models import Session as VisitSession
    from clinic.records.patients import ValidationError, find_patient_by_mrn
    from clinic.usecases.progress import latest_episode_id

    assert ws.actor is not None
    if args.patient is None:
        if args.kind in ("progress", "discharge") and args.episode is None:
            raise UserError(f"report {args.kind} needs --patient MRN (or --episode ID)")
        return args.episode, args.session
    try:
        patient = find_patient_by_mrn(s, ws.actor, args.patient)
    except ValidationError as exc:
        raise UserError(str(exc)) from exc
    episode_id = args.episode if args.episode is not None else latest_episode_id(s, patient)
    if episode_id is None:
        raise UserError(f"patient {args.patient} has no episode yet")
    ep = s.get(Episode, episode_id)
    if ep is None or ep.patient_id != patient.id:
        raise UserError(f"episode {episode_id} is not an episode of patient {args.patient}")
    session_id = args.session
    if args.kind == "session" and session_id is None:
        if not ep.sessions:
            raise UserError(f"episode {episode_id} has no sessions yet")
        session_id = ep.sessions[-1].id
    if session_id is not None:
        visit = s.get(VisitSession, session_id)
        if visit is None or visit.episode_id != episode_id:
            raise UserError(f"session {session_id} is not in episode {episode_id} of patient {args.patient}")
    return episode_id, session_id


def run(args: argparse.Namespace) -> int:
    from clinic.records.db import unit_of_work
    from clinic.usecases.reports import build_discharge_report, build_progress_report, build_session_report

    kind = args.kind or "session"
    if kind == "session" and args.session is None and args.patient is None:
        raise UserError("report session needs --session ID or --patient MRN")
    with open_workstation(args, sign_in=True) as ws, unit_of_work(ws.factory) as s:
        assert ws.actor is not None
        out = None
        try:
            episode_id, session_id = _resolve(s, ws, args)
            if kind == "session":
                out = args.out or ws.data_dir.reports / f"session-{session_id}.pdf"
                path = build_session_report(s, ws.actor, int(session_id), out, ws.settings,  # type: ignore[arg-type]
                                            reason=args.reason)
            else:
                build = build_progress_report if kind == "progress" else build_discharge_report
                out = args.out or ws.data_dir.reports / f"{kind}-episode-{episode_id}.pdf"
                path = build(s, ws.actor, int(episode_id), out, ws.settings, args.baseline,  # type: ignore[arg-type]
                             reason=args.reason)
        except (KeyError, ValueError, PermissionError) as exc:
            raise UserError(str(exc).strip("'\"")) from exc
        except OSError as exc:  # a full disk (ENOSPC, EFBIG): no partial PDF is left, nothing is audited
            raise UserError(f"cannot write the report {out}: {exc.strerror or exc}. No report was written; free "
                            "disk space or choose another --out") from exc
    print(path)
    return 0
