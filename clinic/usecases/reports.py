"""Build the printed reports from stored results (the CLI, the window and the self-test share this): a session
report, an episode's progress report and its discharge report. Every report written is audited. The data is
read here; the PDF is written by ``clinic.reports.child_process`` (in a child process when called from a GUI's
worker thread, so the GUI never stalls on reportlab's garbage)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from clinic.records.access import require_release
from clinic.records.audit import record_event
from clinic.records.models import Episode, Recording, Trial
from clinic.records.models import Session as VisitSession
from clinic.records.security import PERMISSIONS, Actor
from clinic.reports.child_process import write_report
from clinic.reports.discharge_report import write_discharge_report
from clinic.reports.layout import ReportFrame
from clinic.reports.progress_report import write_progress_report
from clinic.reports.session_report import SessionReportData, TrialSection, write_session_report
from clinic.settings import Settings
from clinic.signals.onsets import OnsetSettings
from clinic.usecases.progress import EpisodeProgress, episode_progress, load_episode_reps
from clinic.usecases.trial_analysis import analyze_and_store, redone_spans


def report_frame(settings: Settings, title: str, simulated: bool) -> ReportFrame:
    return ReportFrame(title, settings.clinic_name, settings.clinic_logo, simulated, dt.datetime.now().astimezone())


def _analyse_missing(s: Session, actor: Actor, visit: VisitSession, settings: Settings,
                     stored: set[int]) -> dict[int, str]:
    """Trials with recordings but no stored results are analysed and stored first (when the user may record),
    so the report and the screens show the same numbers; returns why a trial still has none."""
    problems = {}
    for t in visit.trials:
        if t.id in stored:
            continue
        if not t.recordings:
            problems[t.id] = "No recordings in this trial."
        elif "record" not in PERMISSIONS.get(actor.role, frozenset()):
            problems[t.id] = "Not analysed yet (a physiotherapist's 'glutelab analyze --store' stores results)."
        else:
            analysis = analyze_and_store(s, actor, t, settings.conditioning, OnsetSettings())
            if "error" in analysis:
                problems[t.id] = f"Analysis not possible: {analysis['error']}"
    return problems


def _redone_note(rec: Recording) -> str:
    """The reps redone in the trial, said once, on the EMG recording's time base (the analysis's)."""
    spans = redone_spans(rec) if rec.kind == "emg" else []
    return "".join(f"; rep {n} redone at {a:.1f}-{b:.1f} s (kept, left out of the results)" for n, a, b in spans)


def _trial_section(t: Trial, reps: list[dict], problem: str | None) -> TrialSection:
    return TrialSection(t.id, t.exercise, t.side, t.hold_target_s,
                        [f"#{r.id} {r.kind} {r.n_samples / r.sample_rate_hz:.1f} s"
                         + (" (simulated)" if r.simulated else "") + _redone_note(r) for r in t.recordings],
                        any(r.simulated for r in t.recordings), reps,
                        problem or (None if reps else "No reps found in this trial."))


def build_session_report(s: Session, actor: Actor, session_id: int, out: str | Path, settings: Settings,
                         reason: str | None = None) -> Path:
    """Every trial of the session with its stored per-rep results and one example rep. ``reason``: needed when
    the actor does not treat the patient (``clinic.records.access``); audited."""
    actor.require("print")
    visit = s.get(VisitSession, session_id)
    if visit is None:
        raise KeyError(f"no session {session_id}")
    why = require_release(s, actor, visit.episode.patient_id, "print", reason)

    def stored_reps() -> dict[int, list[dict]]:
        session = next(sr for sr in load_episode_reps(s, visit.episode_id) if sr.session_id == session_id)
        by_trial: dict[int, list[dict]] = {}
        for r in session.reps:
            by_trial.setdefault(r.trial_id, []).append(r.metrics)
        return by_trial

    by_trial = stored_reps()
    problems = _analyse_missing(s, actor, visit, settings, set(by_trial))
    if len(problems) < sum(1 for t in visit.trials if t.id not in by_trial):
        s.flush()
        by_trial = stored_reps()
    patient = visit.episode.patient
    data = SessionReportData(
        patient.display_name, patient.mrn, f"Week {visit.week}, {visit.started_at.astimezone():%Y-%m-%d %H:%M}",
        any(c.mvc_uv for c in visit.calibrations), visit.pain_score, visit.notes or "",
        [_trial_section(t, by_trial.get(t.id, []), problems.get(t.id)) for t in visit.trials])
    path = write_report(write_session_report, out, data, report_frame(settings, "Session report", data.simulated))
    record_event(s, actor.username, "print", "session", session_id, f"session report {path.name}; {why}")
    return path


#: how a report leaves the workstation, as audited: printed (the CLI's and the print dialog's PDF for paper) or
#: exported (saved as a file from a screen)
REPORT_ACTIONS = ("print", "export")


def _episode(s: Session, actor: Actor, episode_id: int, settings: Settings, baseline_session_id: int | None,
             reason: str | None, action: str = "print") -> tuple[EpisodeProgress, str]:
    if action not in REPORT_ACTIONS:
        raise ValueError(f"a report is audited as one of {', '.join(REPORT_ACTIONS)}, not {action!r}")
    actor.require(action)
    episode = s.get(Episode, episode_id)
    if episode is None:
        raise KeyError(f"no episode {episode_id}")
    why = require_release(s, actor, episode.patient_id, action, reason)
    return episode_progress(s, actor, episode_id, settings.progression, baseline_session_id), why


def build_progress_report(s: Session, actor: Actor, episode_id: int, out: str | Path, settings: Settings,
                          baseline_session_id: int | None = None, reason: str | None = None, *,
                          action: str = "print") -> Path:
    """The episode's progress report, audited once as ``action`` (``REPORT_ACTIONS``)."""
    ep, why = _episode(s, actor, episode_id, settings, baseline_session_id, reason, action)
    path = write_report(write_progress_report, out, ep, report_frame(settings, "Progress report", ep.simulated))
    record_event(s, actor.username, action, "episode", episode_id, f"progress report {path.name}; {why}")
    return path


def build_discharge_report(s: Session, actor: Actor, episode_id: int, out: str | Path, settings: Settings,
                           baseline_session_id: int | None = None, reason: str | None = None) -> Path:
    ep, why = _episode(s, actor, episode_id, settings, baseline_session_id, reason)
    title = "Discharge report" + (" (interim)" if ep.status == "active" else "")
    path = write_report(write_discharge_report, out, ep, report_frame(settings, title, ep.simulated))
    record_event(s, actor.username, "print", "episode", episode_id, f"discharge report {path.name}; {why}")
    return path
