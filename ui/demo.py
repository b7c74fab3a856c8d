"""The demo database: a few patients progressing from the amnesic toward the healthy pattern over weeks.

Every number in it comes from the simulator and the real analysis, so every screen shows real results.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from clinic.records.calibration import add_calibration
from clinic.records.db import unit_of_work
from clinic.records.models import Session as VisitSession
from clinic.records.models import Trial, User
from clinic.records.patients import create_episode, create_patient, create_session, create_trial
from clinic.records.security import SYSTEM, Actor, create_first_admin, create_user
from clinic.records.store import RecordingWriter
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.onsets import OnsetSettings
from clinic.usecases.trial_analysis import analyze_and_store
from devices.simulator import rigs
from devices.simulator.physiology import Scenario, build_scenario
from devices.types import SampleBlock

DEMO_USERS = (("admin", "demo-admin-1", "administrator"), ("physio", "demo-physio-1", "physiotherapist"),
              ("frontdesk", "demo-viewer-1", "viewer"))
DEMO_PATIENTS = (("DEMO-0001", "Berger", "Anna", dt.date(1978, 3, 14), "female"),
                 ("DEMO-0002", "Okafor", "James", dt.date(1985, 9, 2), "male"),
                 ("DEMO-0003", "Lindqvist", "Maja", dt.date(1969, 12, 21), "female"))
WEEK_PROFILES = ("amnesic", "amnesic", "typical", "healthy")


def store_scenario(factory: sessionmaker[Session], trial_id: int, seed: int, profile: str, side: str,
                   calibrate: Actor | None = None, reps: int = 3) -> None:
    """Store a simulated trial (EMG and plate recordings); with ``calibrate``, also that day's calibration (the
    simulated electrodes' resting level and MVC reference, in envelope microvolts). Tests use it too."""
    sc = build_scenario(profile, side=side, reps=reps, hold_s=6.0, rest_s=2.0, emg_rate_hz=1000.0,
                        plate_rate_hz=100.0, seed=seed)
    for info, counts in ((rigs.emg_info(sc), rigs.emg_counts(sc)), (rigs.plate_info(sc), rigs.plate_counts(sc))):
        writer = RecordingWriter(factory, trial_id, info, flush_s=5.0)
        writer.add(SampleBlock(counts.astype("int32"), 0, 0.0))
        writer.close()
    if calibrate is not None:
        calibrate_scenario(factory, trial_id, sc, calibrate)


def calibrate_scenario(factory: sessionmaker[Session], trial_id: int, sc: Scenario, actor: Actor) -> None:
    """The calibration of the simulated electrodes, kept with the trial's session."""
    envelope_per_rms = float(np.sqrt(2.0 / np.pi))  # mean |x| of Gaussian EMG per uV RMS
    with unit_of_work(factory) as s:
        visit = s.get(Trial, trial_id).session  # type: ignore[union-attr]
        assert isinstance(visit, VisitSession)
        for muscle, mvc in sc.mvc_envelope_uv.items():
            add_calibration(s, actor, visit, muscle, sc.noise_uv[muscle] * envelope_per_rms, mvc,
                            channel=muscle, device={"model": "GluteLab EMG (simulated)"})


def seed_demo(factory: sessionmaker[Session], conditioning: ConditioningSettings,
              weeks: int = 4) -> list[tuple[str, str, str]]:
    """Create demo users and patients; returns (username, password, role) to print."""
    with unit_of_work(factory) as s:
        (admin_name, admin_password, _), *others = DEMO_USERS
        admin = Actor.of(create_first_admin(s, admin_name, admin_password, admin_name.title()))
        users = [s.get(User, admin.user_id)] + [create_user(s, username, password, role, username.title(), by=admin)
                                                for username, password, role in others]
        physio = next(Actor(u.id, u.username, u.role) for u in users if u.role == "physiotherapist")
    today = dt.datetime.now(dt.UTC).replace(hour=9, minute=30, second=0, microsecond=0)
    for p_i, (mrn, family, given, born, sex) in enumerate(DEMO_PATIENTS):
        side = "left" if p_i % 2 == 0 else "right"
        with unit_of_work(factory) as s:
            patient = create_patient(s, SYSTEM, mrn, family, given, born, sex, consent_given=True)
            start = (today - dt.timedelta(weeks=weeks)).date()
            episode = create_episode(s, SYSTEM, patient, "Chronic low back pain; delayed gluteus maximus onset",
                                     start, goals="Glute fires first in 8 of 10 Cook hip lifts; hold 8 s")
            trial_ids = []
            for week in range(weeks):
                visit = create_session(s, SYSTEM, episode, today - dt.timedelta(weeks=weeks - week - 0.2),
                                       pain_score=max(1, 7 - week - p_i % 2),
                                       notes=f"Week {week + 1}: Cook hip lift, {side} side.")
                trial_ids.append((create_trial(s, physio, visit, "cook_hip_lift", side, reps=3).id, week))
        for trial_id, week in trial_ids:
            profile = WEEK_PROFILES[min(week, len(WEEK_PROFILES) - 1)]
            store_scenario(factory, trial_id, seed=100 * p_i + week, profile=profile, side=side, calibrate=physio)
            with unit_of_work(factory) as s:
                trial = s.get(Trial, trial_id)
                assert trial is not None
                analyze_and_store(s, physio, trial, conditioning, OnsetSettings())
    return list(DEMO_USERS)
