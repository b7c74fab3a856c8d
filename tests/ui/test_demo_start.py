"""`glutelab --demo` starts fast: it copies a cached demo database, or (first start) opens with the demo users
and seeds the patients on a worker thread that keeps the result for the next start and stops when asked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import replace

from sqlalchemy import func, select

from clinic.records import db as records_db
from clinic.records.models import Patient, RepResult
from clinic.signals.conditioning import ConditioningSettings
from ui.demo import (
    DEMO_PATIENTS,
    BackgroundDemo,
    copy_cached_demo,
    create_demo_users,
    demo_cache_path,
    live_demo_rig,
)

COND = ConditioningSettings(mains_hz=50.0)


def test_background_seeding_fills_the_cache_and_stops_when_asked(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("GLUTELAB_DEMO_CACHE", str(tmp_path / "cache"))
    db_path = tmp_path / "live.sqlite3"
    engine = records_db.make_engine(f"sqlite:///{db_path}")
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    _, physio = create_demo_users(factory)
    one_week = (replace(DEMO_PATIENTS[0], profiles=("healthy",), discharged=False),)
    bg = BackgroundDemo(factory, COND, physio, db_path, demo_cache_path(COND), patients=one_week).start()
    assert bg.done.wait(120)
    bg.stop()
    assert copy_cached_demo(demo_cache_path(COND), tmp_path / "copy.sqlite3")
    copy = records_db.make_engine(f"sqlite:///{tmp_path / 'copy.sqlite3'}")
    with records_db.session_factory(copy)() as s:
        assert s.scalar(select(func.count(Patient.id))) == 1 and s.scalar(select(func.count(RepResult.id))) == 16
    copy.dispose()

    stopped = BackgroundDemo(factory, COND, physio, db_path, tmp_path / "never.sqlite3",
                             patients=(replace(DEMO_PATIENTS[2], mrn="DEMO-X"),))
    stopped.stop_event.set()  # the window closed at once
    stopped.start().stop()
    assert not stopped.done.is_set() and not (tmp_path / "never.sqlite3").exists()
    assert not any(t.name == "demo-seed" for t in threading.enumerate())
    engine.dispose()


def test_demo_window_uses_the_cached_database(demo_database, tmp_path) -> None:  # noqa: ANN001
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GLUTELAB_DEMO_CACHE=str(tmp_path / "cache"))
    env.pop("GLUTELAB_DATABASE_URL", None)
    cache = tmp_path / "cache" / demo_cache_path(COND).relative_to(demo_cache_path(COND).parents[1])
    cache.parent.mkdir(parents=True)
    shutil.copyfile(demo_database, cache)
    proc = subprocess.run([sys.executable, "-m", "ui.cli", "--demo", "--quit-after", "0"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "demo user physio / demo-physio-1 (physiotherapist)" in proc.stdout
    assert "in the background" not in proc.stdout  # nothing seeded: the cached database was copied
    assert "first screen painted at" in proc.stdout


def test_the_live_rig_scenario_is_cached_and_a_damaged_cache_rebuilt(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import numpy as np

    import ui.demo

    monkeypatch.setenv("GLUTELAB_DEMO_CACHE", str(tmp_path))
    monkeypatch.setitem(ui.demo.LIVE_RIG, "reps", 2)  # the demo's 50 take seconds; the caching is the same
    first = live_demo_rig().scenario
    (cached,) = (tmp_path / "demo").glob("live-rig-*.pickle")
    again = live_demo_rig().scenario  # loaded, not simulated again
    assert np.array_equal(first.emg_uv, again.emg_uv) and len(again.truth) == 2
    cached.write_bytes(b"\x80\x05damaged")
    assert np.array_equal(live_demo_rig().scenario.emg_uv, first.emg_uv)  # rebuilt (the simulator is seeded)
    assert cached.stat().st_size > 1000
