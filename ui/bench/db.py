"""Database figures on SQLite, for a clinic of 10,000 patients with 20 sessions each (``--quick``: 1,000).

The database is built once with bulk inserts (sqlite3 executemany, not the ORM row by row) and cached under
the user cache dir, keyed by schema revision and size. The timings go through the same functions the window
uses (search, open an episode with all its sessions, per-week progress), audit writes included, as medians.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
import time
from pathlib import Path

import platformdirs

from clinic.records import db
from clinic.records.patients import search_patients
from clinic.records.queries import open_episode, weekly_progress
from clinic.records.security import SYSTEM
from ui.bench import median_time

SYLLABLES = ("an", "ber", "ca", "del", "er", "fa", "gon", "ha", "in", "jo", "ka", "lu", "mar", "no", "ol", "pe",
             "qui", "ro", "sa", "to", "ul", "ve", "wi", "xa", "yo", "zu", "mü", "ße")
REPS_PER_TRIAL = 3


def cache_dir() -> Path:
    return Path(os.environ.get("GLUTELAB_BENCH_CACHE") or platformdirs.user_cache_dir("GluteLab")) / "bench"


def bench_database(n_patients: int, n_sessions: int) -> Path:
    """The cached benchmark database, built on first use (atomically, so an interrupted build is redone)."""
    path = cache_dir() / f"clinic-{db.head_revision()}-{n_patients}x{n_sessions}.sqlite3"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".building-{os.getpid()}")
    for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        stale.unlink(missing_ok=True)
    engine = db.make_engine(f"sqlite:///{tmp}")
    db.upgrade(engine)
    engine.dispose()
    _fill(tmp, n_patients, n_sessions)
    os.replace(tmp, path)
    return path


def _fill(path: Path, n_patients: int, n_sessions: int) -> None:
    rng = random.Random(20261126)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    created = "2026-01-01 08:00:00.000000"
    patients, episodes, sessions, trials, analyses, reps = [], [], [], [], [], []
    sid = 0
    for pid in range(1, n_patients + 1):
        family = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        given = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
        patients.append((pid, f"MRN{pid:07d}", family, given, f"19{rng.randint(30, 99)}-0{rng.randint(1, 9)}-1"
                         f"{rng.randint(0, 9)}", rng.choice(("female", "male")), "", 1, created, None, created,
                         db_fold(family), db_fold(given), 1))
        start = dt.date(2025, 1, 6) + dt.timedelta(days=rng.randint(0, 300))
        episodes.append((pid, pid, "Low back pain: glute re-education", start.isoformat(), "", "active", None, "",
                         1))
        for k in range(n_sessions):
            sid += 1
            when = dt.datetime.combine(start, dt.time(9)) + dt.timedelta(days=3 * k + (k % 2))
            sessions.append((sid, pid, None, when.strftime("%Y-%m-%d %H:%M:%S.000000"), rng.randint(0, 10), "",
                             None, 1))
            trials.append((sid, sid, "glute_bridge", "left", 1, 8, 6.0, 2))
            analyses.append((sid, sid, 1, 0, created))  # an earlier version, not current
            analyses.append((n_patients * n_sessions + sid, sid, 2, 1, created))  # the current version
            for rep in range(1, REPS_PER_TRIAL + 1):
                first = int(rng.random() < 0.3 + k / (2 * n_sessions))
                reps.append((sid, n_patients * n_sessions + sid, rep, first, 20.0 + k + rep, 5.5))
    conn.executemany("INSERT INTO patients (id, mrn, family_name, given_name, birth_date, sex, contact, "
                     "consent_given, consent_at, body_mass_kg, created_at, family_name_fold, given_name_fold, "
                     "version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", patients)
    conn.executemany("INSERT INTO episodes (id, patient_id, reason, start_date, goals, status, discharge_date, "
                     "discharge_summary, version) VALUES (?,?,?,?,?,?,?,?,?)", episodes)
    conn.executemany("INSERT INTO sessions (id, episode_id, clinician_id, started_at, pain_score, notes, "
                     "body_mass_kg, version) VALUES (?,?,?,?,?,?,?,?)", sessions)
    conn.executemany("INSERT INTO trials (id, session_id, exercise, side, sets, reps, hold_target_s, version) "
                     "VALUES (?,?,?,?,?,?,?,?)", trials)
    conn.executemany("INSERT INTO trial_analyses (id, trial_id, number, is_current, method, conditioning, "
                     "code_version, created_at, created_by, summary, notes) "
                     "VALUES (?,?,?,?,'{}','{}','bench',?,'bench','{}','[]')", analyses)
    conn.executemany("INSERT INTO rep_results (trial_id, analysis_id, rep, glute_first, glute_pct_mvc, hold_s, "
                     "metrics) VALUES (?,?,?,?,?,?,'{}')", reps)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def db_fold(name: str) -> str:
    from clinic.records.patients import fold

    return fold(name)


def run(quick: bool) -> dict[str, object]:
    n_patients, n_sessions = (1000, 20) if quick else (10_000, 20)
    t_build = time.perf_counter()
    path = bench_database(n_patients, n_sessions)
    build_s = time.perf_counter() - t_build
    engine = db.make_engine(f"sqlite:///{path}")
    db.prepare(engine)
    factory = db.session_factory(engine)
    rng = random.Random(1)
    prefixes = [a + b[0] for a in SYLLABLES[:12] for b in SYLLABLES[:3]]
    episode_ids = [rng.randint(1, n_patients) for _ in range(64)]
    state = {"i": 0}

    def nxt(items: list) -> object:
        state["i"] += 1
        return items[state["i"] % len(items)]

    def search() -> None:
        with db.unit_of_work(factory) as s:
            search_patients(s, SYSTEM, str(nxt(prefixes)))

    def episode() -> None:
        with db.unit_of_work(factory) as s:
            ep = open_episode(s, SYSTEM, int(nxt(episode_ids)))
            assert len(ep.sessions) == n_sessions

    def progress() -> None:
        with db.unit_of_work(factory) as s:
            weekly_progress(s, SYSTEM, int(nxt(episode_ids)))

    repeats = 15 if quick else 31
    result = {"db_search_ms": round(median_time(search, repeats) * 1000, 2),
              "db_episode_ms": round(median_time(episode, repeats) * 1000, 2),
              "db_progress_ms": round(median_time(progress, repeats) * 1000, 2),
              "db_patients": n_patients, "db_sessions": n_patients * n_sessions,
              "db_build_s": round(build_s, 2)}
    engine.dispose()
    return result
