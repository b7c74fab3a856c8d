"""`glutelab analyze --session ID --versions | --set-current N --trial ID`: a stored session's analysis
versions, and the clinician's pick of the current one (audited, refused if another workstation changed
them since they were read)."""

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


def run_versions(args: argparse.Namespace) -> dict[str, object]:
    """List (``--versions``) or pick (``--set-current N --trial ID``) analysis versions of a stored session."""
    from sqlalchemy import select

    from clinic.records.db import unit_of_work
    from clinic.records.editing import ConflictError
    from clinic.records.models import Session as VisitSession
    from clinic.records.results import list_analyses, set_current_analysis
    from ui.commands._common import open_workstation

    with open_workstation(args, sign_in=True) as ws:
        assert ws.actor is not None
        ws.actor.require("change" if args.set_current is not None else "read")
        with unit_of_work(ws.factory) as s:
            visit = s.scalar(select(VisitSession).where(VisitSession.id == args.session))
            if visit is None:
                raise UserError(f"no session {args.session}")
            if args.set_current is not None:
                trial = next((t for t in visit.trials if t.id == args.trial), None)
                if trial is None:
                    raise UserError(f"session {visit.id} has no trial {args.trial}")
                chosen = next((a for a in trial.analyses if a.number == args.set_current), None)
                if chosen is None:
                    raise UserError(f"trial {trial.id} has no analysis version {args.set_current} (it has "
                                    f"{', '.join(str(a.number) for a in trial.analyses) or 'none'})")
                try:
                    set_current_analysis(s, ws.actor, trial, chosen.id, trial.version)
                except ConflictError as exc:
                    raise UserError(str(exc)) from exc
            trials = [{"trial_id": t.id, "exercise": t.exercise, "side": t.side, "trial_version": t.version,
                       "analyses": [version_dict(a) for a in list_analyses(s, ws.actor, t)]}
                      for t in visit.trials if t.exercise not in ("mvc", "rest")]
            return {"session_id": visit.id, "trials": trials}


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
