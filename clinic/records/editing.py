"""Changes to existing records, guarded by an optimistic version check.

Two workstations may open the same patient or session. Each row carries a version number that every UPDATE
checks and increments (``version_id_col``), so the second save finds the row changed and gets a
``ConflictError`` instead of silently overwriting; the caller rolls back, reloads and re-applies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from clinic.records.audit import record_event
from clinic.records.models import EPISODE_STATUSES, Episode, Patient
from clinic.records.models import Session as VisitSession
from clinic.records.patients import (
    MAX_NOTES,
    ValidationError,
    _require_text,
    check_birth_date,
    check_contact,
    check_date,
    check_mrn_free,
    check_notes,
    check_pain,
    check_sex,
    fold,
)
from clinic.records.security import Actor


class ConflictError(RuntimeError):
    """Someone else saved the same record first; reload it and make the change again."""


def save(s: Session, label: str) -> None:
    """Flush pending changes; a stale version becomes a clear ``ConflictError``."""
    try:
        s.flush()
    except StaleDataError as exc:
        raise ConflictError(f"{label} was changed by another workstation since you opened it. Your change was "
                            "not saved: reload it and make your change again.") from exc


def check_body_mass(value: Any) -> float | None:
    """None, or a body mass of 10 to 400 kg as a float."""
    if value is None:
        return None
    try:
        kg = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        kg = None
    if kg is None or not 10 <= kg <= 400:
        raise ValidationError(f"body mass must be 10 to 400 kg, not {value!r}")
    return kg


PATIENT_FIELDS = ("mrn", "family_name", "given_name", "birth_date", "sex", "contact", "consent_given",
                  "body_mass_kg")


def update_patient(s: Session, actor: Actor, patient: Patient, **changes: Any) -> Patient:
    actor.require("change")
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise ValidationError(f"cannot change {', '.join(sorted(unknown))} of a patient")
    if "mrn" in changes:
        changes["mrn"] = check_mrn_free(s, changes["mrn"], patient.id)
    for field in ("family_name", "given_name"):
        if field in changes:
            changes[field] = _require_text(field.replace("_", " "), changes[field], 100)
            setattr(patient, f"{field}_fold", fold(changes[field]))
    if "birth_date" in changes:
        check_birth_date(changes["birth_date"])
    if "sex" in changes:
        check_sex(changes["sex"])
    if "contact" in changes:
        changes["contact"] = check_contact(changes["contact"])
    if "body_mass_kg" in changes:
        changes["body_mass_kg"] = check_body_mass(changes["body_mass_kg"])
    if changes.get("consent_given") and not patient.consent_given:
        patient.consent_at = dt.datetime.now(dt.UTC)
    elif changes.get("consent_given") is False:
        patient.consent_at = None
    for field, value in changes.items():
        setattr(patient, field, value)
    save(s, f"Patient {patient.mrn}")
    record_event(s, actor.username, "change", "patient", patient.id, ",".join(sorted(changes)))
    return patient


def update_session(s: Session, actor: Actor, visit: VisitSession, *, pain_score: Any = ...,
                   notes: Any = ..., body_mass_kg: Any = ...) -> VisitSession:
    actor.require("change")
    changed = []
    if pain_score is not ...:
        visit.pain_score = check_pain(pain_score)
        changed.append("pain_score")
    if notes is not ...:
        visit.notes = check_notes(notes)
        changed.append("notes")
    if body_mass_kg is not ...:
        visit.body_mass_kg = check_body_mass(body_mass_kg)
        changed.append("body_mass_kg")
    save(s, f"Session {visit.id}")
    record_event(s, actor.username, "change", "session", visit.id, ",".join(changed))
    return visit


def split_goals(goals: str) -> list[str]:
    """The episode's goals one by one: the goals text is split at line breaks and semicolons (how clinicians
    write a list in one field), empty pieces dropped."""
    return [g.strip() for line in goals.splitlines() for g in line.split(";") if g.strip()]


def check_goal_outcomes(goals: str, met: dict[int, bool]) -> list[dict[str, Any]]:
    """``met``: goal number (1-based, as ``split_goals`` lists them) -> met or not. Returns the stored form,
    one entry per judged goal with its text (so a later edit of the goals cannot shift a verdict to another
    goal)."""
    listed = split_goals(goals)
    bad = sorted(n for n in met if not 1 <= n <= len(listed))
    if bad:
        raise ValidationError(f"goal number {bad[0]} does not exist: the episode has {len(listed)} goal(s)"
                              + (f" ({'; '.join(f'{i}. {g}' for i, g in enumerate(listed, 1))})" if listed else ""))
    return [{"goal": listed[n - 1], "met": bool(v)} for n, v in sorted(met.items())]


def update_episode(s: Session, actor: Actor, episode: Episode, *, reason: str | None = None,
                   goals: str | None = None, status: str | None = None, discharge_date: dt.date | None = None,
                   discharge_summary: str | None = None, goals_met: dict[int, bool] | None = None) -> Episode:
    """Edit an episode; discharging sets the status, the date (not before the start) and a summary.
    ``goals_met``: the clinician's verdict per goal number (``check_goal_outcomes``), usually at discharge."""
    actor.require("change")
    if reason is not None:
        episode.reason = _require_text("referral reason", reason, 500)
    for field, value in (("goals", goals), ("discharge summary", discharge_summary)):
        if value is not None and len(value) > MAX_NOTES:
            raise ValidationError(f"{field} is longer than {MAX_NOTES} characters")
    if goals is not None:
        episode.goals = goals
    if discharge_summary is not None:
        episode.discharge_summary = discharge_summary
    if status is not None:
        if status not in EPISODE_STATUSES:
            raise ValidationError(f"status must be one of {', '.join(EPISODE_STATUSES)}, not {status!r}")
        episode.status = status
    if discharge_date is not None:
        check_date("discharge date", discharge_date)
        if discharge_date < episode.start_date:
            raise ValidationError(f"discharge date {discharge_date} is before the episode start "
                                  f"{episode.start_date}")
        episode.discharge_date = discharge_date
    if episode.status == "discharged" and episode.discharge_date is None:
        raise ValidationError("a discharged episode needs its discharge date")
    if goals_met is not None:
        episode.goal_outcomes = check_goal_outcomes(episode.goals or "", goals_met)
    save(s, f"Episode {episode.id}")
    detail = f"status={episode.status}" + ("" if goals_met is None else "; goals judged: " + ", ".join(
        f"{n} {'met' if v else 'not met'}" for n, v in sorted(goals_met.items())))
    record_event(s, actor.username, "change", "episode", episode.id, detail)
    return episode


def mark_baseline(s: Session, actor: Actor, episode: Episode, session_id: int | None, seen_version: int) -> Episode:
    """Store the clinician's baseline session of the episode (None: back to the first session with results).
    ``seen_version``: the episode's version when the clinician looked at it; when another workstation changed
    the episode since, ``ConflictError`` and nothing is stored. Audited."""
    actor.require("change")
    if session_id is not None:
        visit = s.get(VisitSession, session_id)
        if visit is None or visit.episode_id != episode.id:
            raise ValidationError(f"session {session_id} is not a session of episode {episode.id}")
    if episode.version != seen_version:
        raise ConflictError(f"Episode {episode.id} was changed by another workstation since you opened it "
                            f"(its baseline may have been marked there). Your change was not saved: reload it and "
                            "mark the baseline again.")
    episode.baseline_session_id = session_id  # the UPDATE checks and bumps the version (version_id_col)
    save(s, f"Episode {episode.id}")
    record_event(s, actor.username, "change", "episode", episode.id,
                 f"baseline=session {session_id}" if session_id is not None else "baseline=first session")
    return episode
