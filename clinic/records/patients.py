"""Patient, episode, session and trial records, validated at the boundary and audited on every touch."""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.records.audit import record_event
from clinic.records.models import Episode, Patient, Trial
from clinic.records.models import Session as VisitSession
from clinic.records.security import Actor

MAX_NOTES = 20000
SEXES = ("female", "male", "other", "unknown")
EXERCISES = ("cook_hip_lift", "glute_bridge", "supine_hip_extension", "one_leg_glute_bridge",
             "bench_sit_down", "mvc", "rest")


class ValidationError(ValueError):
    """A form value that cannot be stored; the message says which field and why."""


def fold(name: str) -> str:
    """Case- and accent-insensitive search key."""
    norm = unicodedata.normalize("NFKD", name.strip().casefold())
    return "".join(ch for ch in norm if not unicodedata.combining(ch))


def _require_text(field: str, value: str, max_len: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(f"{field} must not be empty")
    if len(value) > max_len:
        raise ValidationError(f"{field} is longer than {max_len} characters")
    return value


def create_patient(s: Session, actor: Actor, mrn: str, family_name: str, given_name: str,
                   birth_date: dt.date, sex: str = "unknown", contact: str = "",
                   consent_given: bool = False) -> Patient:
    actor.require("create")
    mrn = _require_text("MRN", mrn, 64)
    family = _require_text("family name", family_name, 100)
    given = _require_text("given name", given_name, 100)
    if not isinstance(birth_date, dt.date) or birth_date > dt.date.today() or birth_date.year < 1900:
        raise ValidationError(f"date of birth {birth_date} is not a plausible date")
    if sex not in SEXES:
        raise ValidationError(f"sex must be one of {', '.join(SEXES)}")
    if s.scalar(select(Patient.id).where(Patient.mrn == mrn)) is not None:
        raise ValidationError(f"MRN {mrn} is already used by another patient")
    p = Patient(mrn=mrn, family_name=family, given_name=given, family_name_fold=fold(family),
                given_name_fold=fold(given), birth_date=birth_date, sex=sex, contact=contact[:500],
                consent_given=consent_given,
                consent_at=dt.datetime.now(dt.UTC) if consent_given else None)
    s.add(p)
    s.flush()
    record_event(s, actor.username, "create", "patient", p.id)
    return p


def get_patient(s: Session, actor: Actor, patient_id: int) -> Patient:
    actor.require("read")
    p = s.get(Patient, patient_id)
    if p is None:
        raise KeyError(f"no patient {patient_id}")
    record_event(s, actor.username, "read", "patient", patient_id)
    return p


def search_patients(s: Session, actor: Actor, prefix: str, limit: int = 50) -> list[Patient]:
    actor.require("read")
    key = fold(prefix)
    q = select(Patient).where(Patient.family_name_fold.startswith(key, autoescape=True)) \
        .order_by(Patient.family_name_fold, Patient.given_name_fold).limit(limit)
    found = list(s.scalars(q))
    record_event(s, actor.username, "search", "patient", "", f"{len(found)} results")
    return found


def create_episode(s: Session, actor: Actor, patient: Patient, reason: str, start_date: dt.date,
                   goals: str = "") -> Episode:
    actor.require("create")
    ep = Episode(patient=patient, reason=_require_text("referral reason", reason, 500), start_date=start_date,
                 goals=goals)
    s.add(ep)
    s.flush()
    record_event(s, actor.username, "create", "episode", ep.id)
    return ep


def create_session(s: Session, actor: Actor, episode: Episode, started_at: dt.datetime | None = None,
                   pain_score: int | None = None, notes: str = "") -> VisitSession:
    actor.require("create")
    if pain_score is not None and not (isinstance(pain_score, int) and 0 <= pain_score <= 10):
        raise ValidationError(f"pain score must be a whole number from 0 to 10, not {pain_score!r}")
    if len(notes) > MAX_NOTES:
        raise ValidationError(f"notes are longer than {MAX_NOTES} characters")
    started_at = started_at or dt.datetime.now(dt.UTC)
    if started_at.date() < episode.start_date:
        raise ValidationError("a session cannot start before its episode")
    vs = VisitSession(episode=episode, started_at=started_at, pain_score=pain_score, notes=notes,
                      clinician_id=actor.user_id or None)
    s.add(vs)
    s.flush()
    record_event(s, actor.username, "create", "session", vs.id)
    return vs


def create_trial(s: Session, actor: Actor, session: VisitSession, exercise: str, side: str,
                 reps: int = 8, sets: int = 1, hold_target_s: float = 6.0) -> Trial:
    actor.require("record")
    if exercise not in EXERCISES:
        raise ValidationError(f"exercise must be one of {', '.join(EXERCISES)}")
    if side not in ("left", "right", "both"):
        raise ValidationError("side must be left, right or both")
    t = Trial(session=session, exercise=exercise, side=side, reps=reps, sets=sets, hold_target_s=hold_target_s)
    s.add(t)
    s.flush()
    record_event(s, actor.username, "create", "trial", t.id)
    return t


def find_patient_by_mrn(s: Session, actor: Actor, mrn: str) -> Patient:
    actor.require("read")
    p = s.scalar(select(Patient).where(Patient.mrn == mrn))
    if p is None:
        raise ValidationError(f"no patient with MRN {mrn}")
    record_event(s, actor.username, "read", "patient", p.id)
    return p


def start_trial(s: Session, actor: Actor, patient: Patient, exercise: str, side: str,
                when: dt.datetime | None = None, reps: int = 8) -> Trial:
    """A trial in today's session of the patient's active episode (both created when missing)."""
    when = when or dt.datetime.now(dt.UTC)
    active = [e for e in patient.episodes if e.status == "active"]
    episode = active[-1] if active else create_episode(s, actor, patient, "Low back pain: glute re-education",
                                                       when.date())
    today = [v for v in episode.sessions if v.started_at.date() == when.date()]
    visit = today[-1] if today else create_session(s, actor, episode, when)
    return create_trial(s, actor, visit, exercise, side, reps=reps)
