"""Shared fixtures: a real database (SQLite file and the real PostgreSQL server), a pty-backed simulated
rig, and a qtbot-driven main window. Tests need nothing outside this repository: the recordings they use
live in tests/data/.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The clinic's audit secret for PostgreSQL (SQLite keeps its key file in the data dir); a fixed test value.
os.environ.setdefault("GLUTELAB_AUDIT_KEY", "5e" * 32)
settings.register_profile("ci", deadline=None, max_examples=150, derandomize=True)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

POSTGRES_URL = os.environ.get("GLUTELAB_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_admin_engine():  # noqa: ANN202
    try:
        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return engine
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"PostgreSQL is required for the database tests and is not reachable at {POSTGRES_URL}: "
                    f"{exc}. Start it (see .ci/run) - these tests fail rather than skip.", pytrace=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # noqa: ANN001
    """A fresh, empty database URL: a SQLite file, or a new database on the real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    admin = _postgres_admin_engine()
    name = f"glutelab_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(db_url: str):  # noqa: ANN201
    """(engine, session factory) on a migrated database, for both backends."""
    from clinic.records import db as records_db

    engine = records_db.make_engine(db_url)
    records_db.upgrade(engine)
    yield engine, records_db.session_factory(engine)
    engine.dispose()


@pytest.fixture
def sim_rig():  # noqa: ANN201
    """A simulated EMG amplifier and force plate on real ptys, streaming at 10x real time."""
    from devices.simulator.rig import SimulatedRig

    with SimulatedRig(speed=10.0, profile="healthy", reps=3, rest_s=2.0, seed=1) as rig:
        yield rig


@pytest.fixture
def main_window(qtbot, tmp_path):  # noqa: ANN001, ANN201
    """The workstation window on a real SQLite file with one physiotherapist ("physio" / "physio-pass-1")
    and one patient, no devices connected, driven by qtbot."""
    import datetime as dt

    from clinic.records import db as records_db
    from clinic.records.db import unit_of_work
    from clinic.records.patients import create_patient
    from clinic.records.security import SYSTEM, Actor, create_first_admin, create_user, sign_in
    from clinic.signals.conditioning import ConditioningSettings
    from ui.main_window import MainWindow

    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'window.sqlite3'}")
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    with unit_of_work(factory) as s:
        admin = Actor.of(create_first_admin(s, "admin", "admin-pass-window-1"))
        create_user(s, "physio", "physio-pass-1", "physiotherapist", by=admin)
        create_patient(s, SYSTEM, "W-1", "Window", "Wendy", dt.date(1980, 1, 1))

    window = MainWindow(factory, lambda u, p: sign_in(factory, u, p), [], idle_lock_minutes=10,
                        conditioning=ConditioningSettings(mains_hz=50.0), spool_dir=tmp_path / "spool")
    qtbot.addWidget(window)
    window.show()
    window.factory = factory  # for tests that look at what the window wrote
    yield window
    window.live.stop()
    for dev in window.live.devices:
        dev.close()
    window.workers.wait(10000)
    engine.dispose()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> str:  # noqa: ANN001
    """The demo database built once per test run by `glutelab demo --data-dir DIR` (DEMO-0001..0003, weekly
    sessions of simulated Cook hip lifts analysed for real). Tests copy it (``demo_copy``), never change it."""
    import contextlib
    import io

    from ui.cli import main

    root = tmp_path_factory.mktemp("demo")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(["demo", "--data-dir", str(root), "--database-url", f"sqlite:///{root / 'glutelab.sqlite3'}"])
    assert rc == 0, out.getvalue()
    assert "demo user physio / demo-physio-1 (physiotherapist)" in out.getvalue()
    return str(root / "glutelab.sqlite3")


@pytest.fixture
def demo_copy(demo_database: str, tmp_path):  # noqa: ANN001, ANN201
    """(engine, session factory, data dir) on a private copy of the demo database."""
    import shutil

    from clinic.records import db as records_db

    shutil.copyfile(demo_database, tmp_path / "glutelab.sqlite3")
    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'glutelab.sqlite3'}")
    yield engine, records_db.session_factory(engine), tmp_path
    engine.dispose()
