"""Patient, episode, session and trial records, validated at the boundary and audited on every touch."""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.records.audit import record_event
from clinic.records.models import Episode, Patient, Trial, local_date
from clinic.records.models import Session as VisitSession
from clinic.records.security import Actor
from clinic.vocabulary import EXERCISES

MAX_NOTES = 20000
SEXES = ("female", "male", "other", "unknown")


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


def check_birth_date(birth_date: object) -> dt.date:
    if isinstance(birth_date, dt.datetime) or not isinstance(birth_date, dt.date):
        raise ValidationError(f"date of birth must be a date (YYYY-MM-DD), not {birth_date!r}")
    if birth_date > dt.date.today() or birth_date.year < 1900:
        raise ValidationError(f"date of birth {birth_date} is not a plausible date (1900 to today)")
    return birth_date


def check_date(field: str, value: object) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(f"{field} must be a date (YYYY-MM-DD), not {value!r}")
    if not 1900 <= value.year <= 2200:
        raise ValidationError(f"{field} {value} is not a plausible date")
    return value


def check_time(field: str, value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ValidationError(f"{field} must be a date and time, not {value!r}")
    if value.tzinfo is None:
        raise ValidationError(f"{field} must carry its time zone (times are stored in UTC)")
    return value


def check_sex(sex: str) -> str:
    if sex not in SEXES:
        raise ValidationError(f"sex must be one of {', '.join(SEXES)}, not {sex!r}")
    return sex


def check_mrn_free(s: Session, mrn: str, patient_id: int | None = None) -> str:
    mrn = _require_text("MRN", mrn, 64)
    other = s.scalar(select(Patient.id).where(Patient.mrn == mrn))
    if other is not None and other != patient_id:
        raise ValidationError(f"MRN {mrn} is already used by another patient")
    return mrn


def check_contact(contact: str) -> str:
    contact = (contact or "").strip()
    if len(contact) > 500:
        raise ValidationError("contact is longer than 500 characters")
    return contact


def create_patient(s: Session, actor: Actor, mrn: str, family_name: str, given_name: str,
                   birth_date: dt.date, sex: str = "unknown", contact: str = "",
                   consent_given: bool = False, consent_at: dt.datetime | None = None) -> Patient:
    actor.require("create")
    mrn = check_mrn_free(s, mrn)
    family = _require_text("family name", family_name, 100)
    given = _require_text("given name", given_name, 100)
    birth_date = check_birth_date(birth_date)
    sex = check_sex(sex)
    if consent_at is not None:
        check_time("consent time", consent_at)
    p = Patient(mrn=mrn, family_name=family, given_name=given, family_name_fold=fold(family),
                given_name_fold=fold(given), birth_date=birth_date, sex=sex, contact=check_contact(contact),
                consent_given=consent_given,
                consent_at=(consent_at or dt.datetime.now(dt.UTC)) if consent_given else None)
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
    cond = Patient.family_name_fold.startswith(key, autoescape=True)
    if key and ord(key[-1]) < 0x10FFFF and s.get_bind().dialect.name == "sqlite":
        # LIKE ... ESCAPE cannot use an index in SQLite; a binary range on the folded key can (same rows).
        cond = cond & (Patient.family_name_fold >= key) & (Patient.family_name_fold < key[:-1] + chr(ord(key[-1]) + 1))
    q = select(Patient).where(cond).order_by(Patient.family_name_fold, Patient.given_name_fold).limit(limit)
    found = list(s.scalars(q))
    record_event(s, actor.username, "search", "patient", "", f"{len(found)} results")
    return found


def create_episode(s: Session, actor: Actor, patient: Patient, reason: str, start_date: dt.date,
                   goals: str = "") -> Episode:
    actor.require("create")
    if len(goals) > MAX_NOTES:
        raise ValidationError(f"goals are longer than {MAX_NOTES} characters")
    ep = Episode(patient=patient, reason=_require_text("referral reason", reason, 500),
                 start_date=check_date("episode start", start_date), goals=goals)
    s.add(ep)
    s.flush()
    record_event(s, actor.username, "create", "episode", ep.id)
    return ep


def check_pain(pain_score: object) -> int | None:
    if pain_score is not None and not (isinstance(pain_score, int) and not isinstance(pain_score, bool)
                                       and 0 <= pain_score <= 10):
        raise ValidationError(f"pain score must be a whole number from 0 to 10, not {pain_score!r}")
    return pain_score  # type: ignore[return-value]


def check_notes(notes: str) -> str:
    if len(notes) > MAX_NOTES:
        raise ValidationError(f"notes are longer than {MAX_NOTES} characters ({len(notes)})")
    return notes


def create_session(s: Session, actor: Actor, episode: Episode, started_at: dt.datetime | None = None,
                   pain_score: int | None = None, notes: str = "") -> VisitSession:
    actor.require("create")
    check_pain(pain_score)
    check_notes(notes)
    started_at = check_time("session start", started_at or dt.datetime.now(dt.UTC))
    if local_date(started_at) < episode.start_date:
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
    if not (isinstance(reps, int) and 1 <= reps <= 100):
        raise ValidationError(f"reps must be a whole number from 1 to 100, not {reps!r}")
    if not (isinstance(sets, int) and 1 <= sets <= 20):
        raise ValidationError(f"sets must be a whole number from 1 to 20, not {sets!r}")
    if not 0 <= hold_target_s <= 600:
        raise ValidationError(f"hold target must be 0 to 600 s, not {hold_target_s!r}")
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


def todays_session(s: Session, actor: Actor, patient: Patient, when: dt.datetime) -> VisitSession:
    """The session of ``when``'s clinic day in the patient's active episode (both created when missing)."""
    active = [e for e in patient.episodes if e.status == "active"]
    episode = active[-1] if active else create_episode(s, actor, patient, "Low back pain: glute re-education",
                                                       local_date(when))
    today = [v for v in episode.sessions if local_date(v.started_at) == local_date(when)]
    return today[-1] if today else create_session(s, actor, episode, when)


def start_trial(s: Session, actor: Actor, patient: Patient, exercise: str, side: str,
                when: dt.datetime | None = None, reps: int = 8, hold_target_s: float = 6.0) -> Trial:
    """A trial in today's session of the patient's active episode (both created when missing)."""
    visit = todays_session(s, actor, patient, when or dt.datetime.now(dt.UTC))
    return create_trial(s, actor, visit, exercise, side, reps=reps, hold_target_s=hold_target_s)
