"""The demo database: three patients over weekly sessions, one improving early, one late, one not at all.

Every number in it comes from the simulator and the real analysis, so every screen shows real results.
Each session has that day's calibration (from the simulated electrodes) and 8 Cook hip lifts per side.

`glutelab --demo` must paint within 5 s, so this module imports only what copying a cached database needs;
the simulator and the analysis (SciPy) load when something is seeded or simulated. The live rig's scenario
(50 simulated reps, seconds to build) is cached beside the demo database too.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import pickle
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from sqlalchemy.orm import Session, sessionmaker

from clinic.records import db
from clinic.records.audit import KEY_FILE_NAME
from clinic.records.db import unit_of_work
from clinic.records.editing import update_episode
from clinic.records.models import Session as VisitSession
from clinic.records.models import Trial
from clinic.records.patients import create_episode, create_patient, create_session, create_trial
from clinic.records.security import SYSTEM, Actor, create_first_admin, create_user
from clinic.signals.conditioning import ConditioningSettings

if TYPE_CHECKING:
    from devices.simulator.physiology import Scenario
    from devices.simulator.rig import SimulatedRig

DEMO_USERS = (("admin", "demo-admin-1", "administrator"), ("physio", "demo-physio-1", "physiotherapist"),
              ("frontdesk", "demo-viewer-1", "viewer"))
#: bump when the demo content changes, so a cached demo database is rebuilt
DEMO_VERSION = 4


@dataclass(frozen=True)
class DemoPatient:
    """One demo patient: a simulator profile per weekly session, and whether the episode ends after them."""

    mrn: str
    family_name: str
    given_name: str
    birth_date: dt.date
    sex: str
    profiles: tuple[str, ...]
    discharged: bool = False


DEMO_PATIENTS = (
    DemoPatient("DEMO-0001", "Berger", "Anna", dt.date(1978, 3, 14), "female",
                ("amnesic",) * 3 + ("typical",) * 2 + ("healthy",) * 3, discharged=True),
    DemoPatient("DEMO-0002", "Okafor", "James", dt.date(1985, 9, 2), "male", ("amnesic",) * 2 + ("healthy",) * 4),
    DemoPatient("DEMO-0003", "Lindqvist", "Maja", dt.date(1969, 12, 21), "female", ("amnesic",) * 6),
)
PAIN_BY_PROFILE = {"amnesic": 6, "typical": 4, "healthy": 2}


def store_scenario(factory: sessionmaker[Session], trial_id: int, seed: int, profile: str, side: str,
                   calibrate: Actor | None = None, reps: int = 3, exercise: str = "cook_hip_lift") -> None:
    """Store a simulated trial (EMG and plate recordings); with ``calibrate``, also that day's calibration (the
    simulated electrodes' resting level and MVC reference, in envelope microvolts). The sit-down test's plate
    runs at 1 kHz (landings need it, domain.md). Tests use it too."""
    from clinic.records.store import RecordingWriter
    from devices.simulator import rigs
    from devices.simulator.physiology import build_scenario
    from devices.types import SampleBlock

    sc = build_scenario(profile, exercise=exercise, side=side, reps=reps, hold_s=6.0, rest_s=2.0,
                        emg_rate_hz=1000.0, plate_rate_hz=1000.0 if exercise == "bench_sit_down" else 100.0,
                        seed=seed)
    for info, counts in ((rigs.emg_info(sc), rigs.emg_counts(sc)), (rigs.plate_info(sc), rigs.plate_counts(sc))):
        writer = RecordingWriter(factory, trial_id, info, flush_s=5.0)
        writer.add(SampleBlock(counts.astype("int32"), 0, 0.0))
        writer.close()
    if calibrate is not None:
        calibrate_scenario(factory, trial_id, sc, calibrate)


def calibrate_scenario(factory: sessionmaker[Session], trial_id: int, sc: Scenario, actor: Actor) -> None:
    """The calibration of the simulated electrodes, kept with the trial's session (once per day: the first
    trial of the session makes it)."""
    import numpy as np

    from clinic.records.calibration import add_calibration

    envelope_per_rms = float(np.sqrt(2.0 / np.pi))  # mean |x| of Gaussian EMG per uV RMS
    with unit_of_work(factory) as s:
        visit = s.get(Trial, trial_id).session  # type: ignore[union-attr]
        assert isinstance(visit, VisitSession)
        if visit.calibrations:
            return
        for muscle, mvc in sc.mvc_envelope_uv.items():
            add_calibration(s, actor, visit, muscle, sc.noise_uv[muscle] * envelope_per_rms, mvc,
                            channel=muscle, device={"model": "GluteLab EMG (simulated)"})


def create_demo_users(factory: sessionmaker[Session]) -> tuple[list[tuple[str, str, str]], Actor]:
    """The demo users (to print) and the physiotherapist who records the demo sessions."""
    with unit_of_work(factory) as s:
        (admin_name, admin_password, _), *others = DEMO_USERS
        admin = Actor.of(create_first_admin(s, admin_name, admin_password, admin_name.title()))
        users = [create_user(s, username, password, role, username.title(), by=admin)
                 for username, password, role in others]
        physio = next(Actor(u.id, u.username, u.role) for u in users if u.role == "physiotherapist")
    return list(DEMO_USERS), physio


def seed_demo_patients(factory: sessionmaker[Session], conditioning: ConditioningSettings, physio: Actor,
                       patients: tuple[DemoPatient, ...] = DEMO_PATIENTS, reps_per_side: int = 8,
                       sides: tuple[str, ...] = ("left", "right"), stop: threading.Event | None = None,
                       pause_s: float = 0.0) -> None:
    """Weekly sessions ending two days ago, each with one trial per side, analysed and stored. ``stop`` ends
    the seeding between trials (the window closing while it seeds in the background); ``pause_s`` between
    write transactions lets the window's own transactions in (SQLite has one writer at a time)."""
    from clinic.signals.onsets import OnsetSettings
    from clinic.usecases.trial_analysis import analyze_and_store

    now = dt.datetime.now(dt.UTC).replace(hour=9, minute=30, second=0, microsecond=0)
    for p_i, plan in enumerate(patients):
        n = len(plan.profiles)
        start = now - dt.timedelta(days=7 * (n - 1) + 3)  # session k on day 7k + 1 of the episode
        with unit_of_work(factory) as s:
            patient = create_patient(s, SYSTEM, plan.mrn, plan.family_name, plan.given_name, plan.birth_date,
                                     plan.sex, consent_given=True)
            episode = create_episode(s, SYSTEM, patient, "Chronic low back pain; delayed gluteus maximus onset",
                                     start.astimezone().date(),
                                     goals="Glute fires first in 8 of 10 Cook hip lifts; hold 5 s")
            trials = []
            for week, profile in enumerate(plan.profiles):
                visit = create_session(s, physio, episode, start + dt.timedelta(days=7 * week + 1),
                                       pain_score=PAIN_BY_PROFILE.get(profile, 5),
                                       notes=f"Week {week + 1}: Cook hip lift, both sides.")
                for side in sides:
                    trial = create_trial(s, physio, visit, "cook_hip_lift", side, reps=reps_per_side,
                                         hold_target_s=5.0)
                    trials.append((trial.id, week, profile, side))
            if plan.discharged:
                last_day = (start + dt.timedelta(days=7 * (n - 1) + 1)).astimezone().date()
                update_episode(s, SYSTEM, episode, status="discharged", discharge_date=last_day,
                               discharge_summary="Glute activation re-learned; continue the home programme.",
                               goals_met={1: True, 2: True})
        for trial_id, week, profile, side in trials:
            if stop is not None and stop.wait(pause_s):
                return
            seed = 1000 * p_i + 10 * week + (1 if side == "right" else 0)
            store_scenario(factory, trial_id, seed=seed, profile=profile, side=side, calibrate=physio,
                            reps=reps_per_side)
            if stop is not None and stop.wait(pause_s):
                return
            with unit_of_work(factory) as s:
                trial = s.get(Trial, trial_id)
                assert trial is not None
                analyze_and_store(s, physio, trial, conditioning, OnsetSettings())


def seed_demo(factory: sessionmaker[Session], conditioning: ConditioningSettings,
              patients: tuple[DemoPatient, ...] = DEMO_PATIENTS, reps_per_side: int = 8,
              sides: tuple[str, ...] = ("left", "right")) -> list[tuple[str, str, str]]:
    """Create demo users and patients; returns (username, password, role) to print."""
    users, physio = create_demo_users(factory)
    seed_demo_patients(factory, conditioning, physio, patients, reps_per_side, sides)
    return users


def demo_cache_dir() -> Path:
    """The user's cache dir for the demo (``GLUTELAB_DEMO_CACHE`` overrides it)."""
    return Path(os.environ.get("GLUTELAB_DEMO_CACHE") or platformdirs.user_cache_dir("GluteLab")) / "demo"


def demo_cache_path(conditioning: ConditioningSettings) -> Path:
    """Where a finished demo database is kept for the next ``--demo`` start (keyed by schema, demo content and
    mains frequency, so a change rebuilds it)."""
    return demo_cache_dir() / f"demo-{db.head_revision()}-v{DEMO_VERSION}-{conditioning.mains_hz:.0f}hz.sqlite3"


#: the live demo rig: a typical patient doing 50 Cook hip lifts, looped (what --demo streams)
LIVE_RIG = {"profile": "typical", "reps": 50}
#: the window prepares the live rig on a worker this long after its event loop starts, so the first paint
#: does not share the GIL with the simulator's imports
LIVE_RIG_AFTER_MS = 200


def live_demo_rig() -> SimulatedRig:
    """The ``--demo`` window's simulated devices (not started). Their scenario takes seconds to simulate, so it
    is kept in the demo cache (keyed by the demo version) and loaded from there on every later start; a
    damaged or unreadable cache file is rebuilt."""
    from devices.simulator.physiology import build_scenario
    from devices.simulator.rig import SimulatedRig

    path = demo_cache_dir() / f"live-rig-v{DEMO_VERSION}-{LIVE_RIG['profile']}-{LIVE_RIG['reps']}.pickle"
    try:
        with open(path, "rb") as fh:  # our own file in the user's cache dir, written below
            scenario = pickle.load(fh)  # noqa: S301
    except Exception:  # noqa: BLE001 - missing, truncated, from another version: simulated again
        scenario = build_scenario(**LIVE_RIG)  # type: ignore[arg-type]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".building-{os.getpid()}")
            with open(tmp, "wb") as fh:
                pickle.dump(scenario, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only costs the next start the same seconds
    return SimulatedRig(scenario=scenario)


def copy_cached_demo(cache: Path, database: Path) -> bool:
    """Put the cached demo database in place (seconds faster than seeding); False when there is none yet."""
    if not cache.is_file():
        return False
    try:
        shutil.copyfile(cache, database)
        key = cache.with_suffix(".key")  # the audit chain's key goes with its rows
        if key.is_file():
            shutil.copyfile(key, database.parent / KEY_FILE_NAME)
            os.chmod(database.parent / KEY_FILE_NAME, 0o600)
    except OSError:
        database.unlink(missing_ok=True)
        return False
    return True


def save_demo_cache(database: Path, cache: Path) -> None:
    """A consistent copy of the finished demo database (SQLite's online backup), moved into place atomically."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".building-{os.getpid()}")
    src, dst = sqlite3.connect(database), sqlite3.connect(tmp)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    key = database.parent / KEY_FILE_NAME
    if key.is_file():  # the audit chain's key goes with its rows (a cache is as private as the data dir)
        shutil.copyfile(key, cache.with_suffix(".key.tmp"))
        os.chmod(cache.with_suffix(".key.tmp"), 0o600)
        os.replace(cache.with_suffix(".key.tmp"), cache.with_suffix(".key"))
    os.replace(tmp, cache)


class BackgroundDemo:
    """Seeds the demo patients in a worker thread while the window is already open (the first ``--demo`` start),
    then keeps the result in the cache for the next start. ``stop`` ends it between trials.

    The window starts it ``START_AFTER_MS`` after its event loop runs: the seeding simulates and analyses (SciPy,
    numpy) and would take half the GIL from the window's start-up, doubling the time to the painted screen."""

    START_AFTER_MS = 500

    def __init__(self, factory: sessionmaker[Session], conditioning: ConditioningSettings, physio: Actor,
                 database: Path, cache: Path, patients: tuple[DemoPatient, ...] = DEMO_PATIENTS) -> None:
        self.stop_event = threading.Event()
        self.done = threading.Event()
        self.patients = patients
        self._thread = threading.Thread(target=self._run, args=(factory, conditioning, physio, database, cache),
                                        name="demo-seed", daemon=True)

    def start(self) -> BackgroundDemo:
        self._thread.start()
        return self

    def _run(self, factory: sessionmaker[Session], conditioning: ConditioningSettings, physio: Actor,
             database: Path, cache: Path) -> None:
        try:
            seed_demo_patients(factory, conditioning, physio, self.patients, stop=self.stop_event, pause_s=0.3)
            if not self.stop_event.is_set():
                save_demo_cache(database, cache)
                self.done.set()
        except Exception:  # noqa: BLE001 - a demo that could not finish only costs the demo patients
            logging.getLogger(__name__).exception("seeding the demo patients failed")

    def stop(self, timeout_s: float = 30.0) -> None:
        self.stop_event.set()
        if self._thread.is_alive():  # never started when the window closed before START_AFTER_MS
            self._thread.join(timeout_s)
