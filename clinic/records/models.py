"""Typed declarative models. Times are UTC; week numbers are derived from the episode start, never typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

EPISODE_STATUSES = ("active", "discharged", "cancelled")
RECORDING_STATUSES = ("recording", "complete", "interrupted", "recovered")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_date(when: dt.datetime | dt.date) -> dt.date:
    """The calendar day at the workstation: times are stored in UTC but days (episode start, "today's
    session", week numbers) are the clinic's local days, so 00:30 local is never yesterday's week."""
    if isinstance(when, dt.datetime):
        return (when.astimezone() if when.tzinfo is not None else when).date()
    return when


# SQLite AUTOINCREMENT: an id is never handed out twice, so an erased patient's "patient 3" in the audit
# trail is never somebody else later (PostgreSQL sequences never go back anyway). Revision 0003.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps them naive; we re-tag them on load)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; GluteLab stores UTC-aware times only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Versioned:
    """Optimistic concurrency: a stale UPDATE raises StaleDataError instead of overwriting."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (CheckConstraint("role IN ('physiotherapist','administrator','viewer')", name="role"),
                      NEVER_REUSE_IDS)


class Patient(Versioned, Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(64), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(16))
    contact: Mapped[str] = mapped_column(String(500), default="")
    consent_given: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    body_mass_kg: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    episodes: Mapped[list[Episode]] = relationship(back_populates="patient", cascade="all, delete-orphan",
                                                   order_by="Episode.start_date")
    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (
        CheckConstraint("length(trim(family_name)) > 0", name="family_name_not_empty"),
        CheckConstraint("length(trim(given_name)) > 0", name="given_name_not_empty"),
        CheckConstraint("length(trim(mrn)) > 0", name="mrn_not_empty"),
        CheckConstraint("sex IN ('female','male','other','unknown')", name="sex"),
        CheckConstraint("birth_date >= '1900-01-01'", name="birth_date_plausible"),
        Index("ix_patients_name_search", "family_name_fold", "given_name_fold"),
        NEVER_REUSE_IDS,
    )
    family_name_fold: Mapped[str] = mapped_column(String(100), default="")
    given_name_fold: Mapped[str] = mapped_column(String(100), default="")

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


class Episode(Versioned, Base):
    __tablename__ = "episodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    start_date: Mapped[dt.date] = mapped_column(Date)
    goals: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    discharge_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    discharge_summary: Mapped[str] = mapped_column(Text, default="")
    #: the session the clinician marked as baseline (None: the first session with results); revision 0007
    baseline_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL", use_alter=True), nullable=True)
    #: per stated goal, the clinician's judgement at discharge: [{"goal": text, "met": bool}]; revision 0007
    goal_outcomes: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    patient: Mapped[Patient] = relationship(back_populates="episodes")
    sessions: Mapped[list[Session]] = relationship(back_populates="episode", cascade="all, delete-orphan",
                                                   order_by="Session.started_at",
                                                   foreign_keys="Session.episode_id")
    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (
        CheckConstraint("status IN ('active','discharged','cancelled')", name="status"),
        CheckConstraint("length(trim(reason)) > 0", name="reason_not_empty"),
        CheckConstraint("discharge_date IS NULL OR discharge_date >= start_date", name="discharge_after_start"),
        NEVER_REUSE_IDS,
    )

    def week_of(self, when: dt.datetime | dt.date) -> int:
        """Episode week N covers days [7(N-1), 7N) from the start date (a date on the clinic's calendar)."""
        return (local_date(when) - self.start_date).days // 7 + 1


class Session(Versioned, Base):
    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    pain_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    body_mass_kg: Mapped[float | None] = mapped_column(Float, nullable=True)
    episode: Mapped[Episode] = relationship(back_populates="sessions", foreign_keys=[episode_id])
    trials: Mapped[list[Trial]] = relationship(back_populates="session", cascade="all, delete-orphan",
                                               order_by="Trial.id")
    calibrations: Mapped[list[Calibration]] = relationship(back_populates="session", cascade="all, delete-orphan",
                                                           order_by="Calibration.id")
    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (
        CheckConstraint("pain_score IS NULL OR (pain_score >= 0 AND pain_score <= 10)", name="pain_range"),
        CheckConstraint("length(notes) <= 20000", name="notes_length"),
        Index("ix_sessions_episode_started", "episode_id", "started_at"),
        NEVER_REUSE_IDS,
    )

    @property
    def week(self) -> int:
        return self.episode.week_of(self.started_at)


class Trial(Versioned, Base):
    """One exercise set. Its analyses are kept as versions (``TrialAnalysis``); exactly one is current, and
    choosing it bumps ``version`` so two workstations cannot silently overwrite each other's pick."""

    __tablename__ = "trials"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    exercise: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    sets: Mapped[int] = mapped_column(Integer, default=1)
    reps: Mapped[int] = mapped_column(Integer, default=8)
    hold_target_s: Mapped[float] = mapped_column(Float, default=6.0)
    session: Mapped[Session] = relationship(back_populates="trials")
    recordings: Mapped[list[Recording]] = relationship(back_populates="trial", cascade="all, delete-orphan",
                                                       order_by="Recording.id")
    analyses: Mapped[list[TrialAnalysis]] = relationship(back_populates="trial", cascade="all, delete-orphan",
                                                         order_by="TrialAnalysis.number")
    # bumped by hand (clinic.records.results) when its analyses change: no trial column changes then
    __mapper_args__ = {"version_id_col": Versioned.version, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("side IN ('left','right','both')", name="side"),
        CheckConstraint("sets >= 1 AND sets <= 20", name="sets_range"),
        CheckConstraint("reps >= 1 AND reps <= 100", name="reps_range"),
        CheckConstraint("hold_target_s >= 0 AND hold_target_s <= 600", name="hold_range"),
        NEVER_REUSE_IDS,
    )

    @property
    def current_analysis(self) -> TrialAnalysis | None:
        """The analysis every reader (progress, reports, exports, replay) uses; None before any."""
        return next((a for a in self.analyses if a.is_current), None)

    @property
    def rep_results(self) -> list[RepResult]:
        """The per-rep rows of the current analysis."""
        current = self.current_analysis
        return list(current.reps) if current is not None else []

    @property
    def summary(self) -> dict[str, Any]:
        """The summary of the current analysis ({} before any)."""
        current = self.current_analysis
        return dict(current.summary or {}) if current is not None else {}


class TrialAnalysis(Base):
    """One analysis of a trial with everything that produced it; never changed after it is stored, except
    which one is current. ``number`` counts 1, 2, ... per trial."""

    __tablename__ = "trial_analyses"
    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    method: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # onset detector and its thresholds
    conditioning: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # filters, mains frequency
    mains_hz: Mapped[float | None] = mapped_column(Float, nullable=True)
    calibration: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # the session's, or None
    code_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    trial: Mapped[Trial] = relationship(back_populates="analyses")
    reps: Mapped[list[RepResult]] = relationship(back_populates="analysis", cascade="all, delete-orphan",
                                                 order_by="RepResult.rep")
    __table_args__ = (
        UniqueConstraint("trial_id", "number", name="uq_trial_analyses_trial_number"),
        CheckConstraint("number >= 1", name="number_positive"),
        Index("uq_trial_analyses_one_current", "trial_id", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
        NEVER_REUSE_IDS,
    )


class RepResult(Base):
    __tablename__ = "rep_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("trial_analyses.id", ondelete="CASCADE"), index=True)
    rep: Mapped[int] = mapped_column(Integer)
    glute_first: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    glute_lead_hamstrings_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    glute_lead_erector_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    glute_pct_mvc: Mapped[float | None] = mapped_column(Float, nullable=True)
    hold_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    analysis: Mapped[TrialAnalysis] = relationship(back_populates="reps")
    __table_args__ = (CheckConstraint("rep >= 1", name="rep_positive"), NEVER_REUSE_IDS)


class Recording(Base):
    __tablename__ = "recordings"
    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # emg | plate
    device: Mapped[dict[str, Any]] = mapped_column(JSON)  # DeviceInfo as a dict
    sample_rate_hz: Mapped[float] = mapped_column(Float)
    channel_names: Mapped[list[Any]] = mapped_column(JSON)
    scale: Mapped[list[Any]] = mapped_column(JSON)
    offset: Mapped[list[Any]] = mapped_column(JSON)
    units: Mapped[str] = mapped_column(String(16))
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="recording")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    start_offset_s: Mapped[float] = mapped_column(Float, default=0.0)  # sample 0 on the session clock
    n_samples: Mapped[int] = mapped_column(BigInteger, default=0)
    workstation: Mapped[str] = mapped_column(String(128), default="")
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: device channel -> muscle (``clinic.channel_map``) as it was when recording; ``channel_names`` are the
    #: names it gave (the muscle, or the device's own name for an unmapped channel)
    channel_map: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: what happened to the link, in order: {"kind": "gap", "cause": "cable_pulled" | "lost_packets",
    #: "first_sample", "n_samples", "start_s", "duration_s", ...}; the samples of a gap are not stored
    events: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    trial: Mapped[Trial] = relationship(back_populates="recordings")
    chunks: Mapped[list[RecordingChunk]] = relationship(back_populates="recording", cascade="all, delete-orphan",
                                                        order_by="RecordingChunk.seq")
    __table_args__ = (
        CheckConstraint("status IN ('recording','complete','interrupted','recovered')", name="status"),
        CheckConstraint("sample_rate_hz > 0", name="rate_positive"),
        Index("ix_recordings_status", "status"),
        NEVER_REUSE_IDS,
    )


class Calibration(Base):
    """Per muscle of a session: resting baseline and MVC (for %MVC), where the electrodes sat, which device."""

    __tablename__ = "calibrations"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    muscle: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64), default="")
    baseline_uv: Mapped[float] = mapped_column(Float)
    mvc_uv: Mapped[float | None] = mapped_column(Float, nullable=True)
    electrode_map: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    device: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    session: Mapped[Session] = relationship(back_populates="calibrations")
    __table_args__ = (
        CheckConstraint("length(trim(muscle)) > 0", name="muscle_not_empty"),
        CheckConstraint("baseline_uv >= 0", name="baseline_not_negative"),
        CheckConstraint("mvc_uv IS NULL OR mvc_uv > 0", name="mvc_positive"),
        NEVER_REUSE_IDS,
    )


class DeviceChannelMap(Versioned, Base):
    """The clinic's default channel map of one device (by model and serial); a session may use another."""

    __tablename__ = "device_channel_maps"
    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(100))
    channel_map: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (UniqueConstraint("model", "serial", name="uq_device_channel_maps_model_serial"), NEVER_REUSE_IDS)


class RecordingChunk(Base):
    """A run of raw integer counts, compressed, with its own checksum (checked on read)."""

    __tablename__ = "recording_chunks"
    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    first_sample: Mapped[int] = mapped_column(BigInteger)
    n_samples: Mapped[int] = mapped_column(Integer)
    dtype: Mapped[str] = mapped_column(String(8))
    codec: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    recording: Mapped[Recording] = relationship(back_populates="chunks")
    __table_args__ = (UniqueConstraint("recording_id", "seq", name="uq_recording_chunks_recording_seq"),
                      NEVER_REUSE_IDS)


class AuditEvent(Base):
    """Append-only: database triggers reject UPDATE, DELETE, TRUNCATE, REPLACE and any insert that is not a
    new, chained row (revision 0003). ``chain_mac`` is the HMAC chain (``audit.py``); rows written before
    revision 0003 have none and are sealed by the first chained row."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # read, create, change, export, print, sign_in, ...
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    workstation: Mapped[str] = mapped_column(String(128), default="")
    chain_mac: Mapped[str | None] = mapped_column(String(64), nullable=True)
    __table_args__ = (Index("ix_audit_events_username_action", "username", "action"),
                      Index("ix_audit_events_entity", "entity", "entity_id"), NEVER_REUSE_IDS)
