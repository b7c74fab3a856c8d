"""Build a session report PDF from a stored session (the CLI, the window and the self-test share this)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from clinic.records.audit import record_event
from clinic.records.models import Session as VisitSession
from clinic.records.security import Actor
from clinic.reports.session_report import SessionReportData, write_session_report
from clinic.signals.conditioning import ConditioningSettings
from clinic.usecases.trial_analysis import analyze_stored_trial


def build_session_report(s: Session, actor: Actor, session_id: int, out: str | Path,
                         conditioning: ConditioningSettings) -> Path:
    actor.require("print")
    visit = s.get(VisitSession, session_id)
    if visit is None:
        raise KeyError(f"no session {session_id}")
    recorded = [t for t in visit.trials if t.recordings]
    # the exercise, not the calibration's raw capture (an ``mvc`` trial) when the session has both
    trial = next((t for t in recorded if t.exercise not in ("mvc", "rest")), recorded[0] if recorded else None)
    analysis = analyze_stored_trial(s, trial, conditioning) if trial else {}
    patient = visit.episode.patient
    local = visit.started_at.astimezone()
    data = SessionReportData(
        patient_name=patient.display_name, mrn=patient.mrn,
        session_label=f"Week {visit.week}, {local:%Y-%m-%d %H:%M}",
        exercise=trial.exercise if trial else "-", side=trial.side if trial else "-",
        simulated=any(r.simulated for r in (trial.recordings if trial else [])),
        recordings=[f"#{r.id} {r.kind} {r.n_samples / r.sample_rate_hz:.1f} s"
                    + (" (simulated)" if r.simulated else "") for r in (trial.recordings if trial else [])],
        analysis=analysis)
    path = write_session_report(out, data)
    record_event(s, actor.username, "print", "session", session_id, "session report")
    return path
