"""`glutelab analyze --session ID --versions | --set-current N --trial ID | --compare N M --trial ID`: a
stored session's analysis versions, the clinician's pick of the current one (audited, refused if another
workstation changed them since they were read), and two versions of a trial side by side, per rep."""

from __future__ import annotations

import argparse
from typing import Any

from ui.context import UserError


def version_dict(version: Any) -> dict[str, object]:
    """One ``TrialAnalysis`` as plain JSON-able values."""
    return {"id": version.id, "number": version.number, "current": version.is_current,
            "method": version.method.get("method"), "onset_settings": version.method,
            "mains_hz": version.mains_hz, "conditioning": version.conditioning, "calibration": version.calibration,
            "code_version": version.code_version, "created_at": version.created_at.isoformat(),
            "created_by": version.created_by, "reps": len(version.reps),
            "glute_first_share": (version.summary or {}).get("glute_first_share")}


def _rep_dict(row: Any) -> dict[str, object] | None:
    if row is None:
        return None
    return {"glute_first": row.glute_first, "glute_lead_hamstrings_ms": row.glute_lead_hamstrings_ms,
            "glute_lead_erector_spinae_ms": row.glute_lead_erector_ms, "glute_pct_mvc": row.glute_pct_mvc,
            "hold_s": row.hold_s, "onset_s": (row.metrics or {}).get("onset_s")}


def _trial_of(visit: Any, trial_id: int) -> Any:
    trial = next((t for t in visit.trials if t.id == trial_id), None)
    if trial is None:
        raise UserError(f"session {visit.id} has no trial {trial_id}")
    return trial


def _version_of(trial: Any, number: int) -> Any:
    found = next((a for a in trial.analyses if a.number == number), None)
    if found is None:
        raise UserError(f"trial {trial.id} has no analysis version {number} (it has "
                        f"{', '.join(str(a.number) for a in trial.analyses) or 'none'})")
    return found


def run_versions(args: argparse.Namespace) -> dict[str, object]:
    """List (``--versions``) or pick (``--set-current N --trial ID``) analysis versions of a stored session."""
    from sqlalchemy import select

    from clinic.records.audit import record_event
    from clinic.records.db import unit_of_work
    from clinic.records.editing import ConflictError
    from clinic.records.models import Session as VisitSession
    from clinic.records.results import compare_analyses, list_analyses, set_current_analysis
    from ui.commands._common import open_workstation

    with open_workstation(args, sign_in=True) as ws:
        assert ws.actor is not None
        ws.actor.require("change" if args.set_current is not None else "read")
        with unit_of_work(ws.factory) as s:
            visit = s.scalar(select(VisitSession).where(VisitSession.id == args.session))
            if visit is None:
                raise UserError(f"no session {args.session}")
            if args.compare is not None:
                trial = _trial_of(visit, args.trial)
                record_event(s, ws.actor.username, "read", "trial", trial.id,
                             f"analysis versions {args.compare[0]} and {args.compare[1]} compared")
                a, b = (_version_of(trial, n) for n in args.compare)
                return {"session_id": visit.id, "trial_id": trial.id, "versions": [version_dict(a), version_dict(b)],
                        "reps": [{"rep": c.rep, "a": _rep_dict(c.a), "b": _rep_dict(c.b)}
                                 for c in compare_analyses(a, b)]}
            if args.set_current is not None:
                trial = _trial_of(visit, args.trial)
                chosen = _version_of(trial, args.set_current)
                try:
                    set_current_analysis(s, ws.actor, trial, chosen.id, trial.version)
                except ConflictError as exc:
                    raise UserError(str(exc)) from exc
            trials = [{"trial_id": t.id, "exercise": t.exercise, "side": t.side, "trial_version": t.version,
                       "analyses": [version_dict(a) for a in list_analyses(s, ws.actor, t)]}
                      for t in visit.trials if t.exercise not in ("mvc", "rest")]
            return {"session_id": visit.id, "trials": trials}


def _fmt(v: object, unit: str) -> str:
    return "-" if v is None else f"{v:.1f}{unit}" if isinstance(v, float) else f"{v}{unit}"


def _rep_line(r: dict[str, Any] | None) -> str:
    if r is None:
        return "(no such rep)"
    first = {True: "glute first", False: "glute late", None: "order unknown"}[r["glute_first"]]
    return (f"{first}, lead vs hamstrings {_fmt(r['glute_lead_hamstrings_ms'], ' ms')}, "
            f"{_fmt(r['glute_pct_mvc'], ' %MVC')}, hold {_fmt(r['hold_s'], ' s')}")


def print_comparison(result: dict[str, Any]) -> None:
    a, b = result["versions"]
    print(f"trial {result['trial_id']}: version {a['number']} ({a['method'] or 'unknown method'}, mains "
          f"{a['mains_hz'] or '-'} Hz) | version {b['number']} ({b['method'] or 'unknown method'}, mains "
          f"{b['mains_hz'] or '-'} Hz)")
    for rep in result["reps"]:
        print(f"  rep {rep['rep']}: {_rep_line(rep['a'])} | {_rep_line(rep['b'])}")


def print_versions(result: dict[str, Any]) -> None:
    print(f"session {result['session_id']}: analysis versions (* = current)")
    for trial in result["trials"]:
        print(f"trial {trial['trial_id']} ({trial['exercise']}, {trial['side']}):")
        if not trial["analyses"]:
            print("  not analysed")
        for a in trial["analyses"]:
            share = a["glute_first_share"]
            calibration = a["calibration"]
            print(f"  {'*' if a['current'] else ' '} version {a['number']}: {a['method'] or 'unknown method'}, "
                  f"mains {a['mains_hz'] or '-'} Hz, "
                  f"{'calibration of session ' + str(calibration['session_id']) if calibration else 'no calibration'}"
                  f", {a['reps']} reps, glute first {'-' if share is None else f'{100 * share:.0f} %'}; "
                  f"{a['created_at'][:16]} by {a['created_by']}, GluteLab {a['code_version']}")
