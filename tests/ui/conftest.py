"""Window test helpers: an event-loop watchdog and a window on an empty database with a settable clock."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest


class EventLoopWatchdog:
    """A 10 ms GUI timer that records how late each tick comes: a late tick is a stall of the event loop (the
    GUI thread was busy: a query, a hash or a join on it would show here).

    The machine is shared (2 cores, other test runs): time the GUI thread spent runnable but waiting for a CPU
    (the kernel's run-queue wait, /proc/<pid>/task/<tid>/schedstat) is the OS's doing, not the window's, and
    is taken off each stall. Sleeping (a join, I/O, waiting for the GIL) is not run-queue wait and counts.
    ``raw_ms`` keeps the plain lateness too.
    """

    def __init__(self, interval_ms: int = 10) -> None:
        import threading

        from PySide6 import QtCore

        self.interval_s = interval_ms / 1000.0
        self.stalls_ms: list[float] = []
        self.raw_ms: list[float] = []
        self.big: list[tuple[float, float, str]] = []  # (stall, raw, what was going on) over 100 ms
        self.context = lambda: ""  # a test may say what runs (printed with the big stalls)
        self._last: float | None = None
        self._stat = f"/proc/self/task/{threading.get_native_id()}/schedstat"
        self._waited = 0.0
        self.timer = QtCore.QTimer(interval=interval_ms)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)

    def _queue_wait_s(self) -> float:
        try:
            with open(self._stat) as fh:
                return int(fh.read().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0  # no schedstat: every stall counts in full

    def start(self) -> None:
        self.resume()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now, waited = time.perf_counter(), self._queue_wait_s()
        if self._last is not None:
            raw = max(0.0, (now - self._last - self.interval_s) * 1000.0)
            stall = max(0.0, raw - (waited - self._waited) * 1000.0)
            self.raw_ms.append(raw)
            self.stalls_ms.append(stall)
            if stall > 100:
                self.big.append((round(stall), round(raw), self.context()))
        self._last, self._waited = now, waited

    def pause(self) -> None:
        """The test itself is about to block the loop (not the window's doing): do not count that gap."""
        self._last = None

    def resume(self) -> None:
        self._last, self._waited = time.perf_counter(), self._queue_wait_s()

    def summary(self) -> tuple[float, float, int]:
        a = np.asarray(self.stalls_ms or [0.0])
        return float(np.percentile(a, 99)), float(a.max()), len(self.stalls_ms)

    def raw_summary(self) -> tuple[float, float]:
        a = np.asarray(self.raw_ms or [0.0])
        return float(np.percentile(a, 99)), float(a.max())


@pytest.fixture
def loop_watchdog(qtbot) -> Iterator[EventLoopWatchdog]:  # noqa: ANN001
    dog = EventLoopWatchdog()
    yield dog
    dog.stop()


class Clock:
    """The clinic's "now" for a test: starts on a fixed day, moved by the test (a week later, ...)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clinic_window(qtbot, tmp_path: Path):  # noqa: ANN001, ANN201
    """The window on an empty SQLite file (first start: create the administrator), a test clock, and a
    simulator button that starts a calibration-then-exercise rig at 25x real time."""
    from clinic.records import db as records_db
    from clinic.records.db import unit_of_work
    from clinic.records.security import create_first_admin, sign_in
    from clinic.signals.conditioning import ConditioningSettings
    from ui.main_window import MainWindow
    from ui.simulated_day import clinic_day_rig

    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'day.sqlite3'}")
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    clock = Clock(dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC))
    rigs = []
    options: dict = {}  # a test may set "faults" (a FaultPlan), "speed" or "reps" before it clicks "Use the simulator"

    def create_admin(username: str, password: str) -> None:
        with unit_of_work(factory) as s:
            create_first_admin(s, username, password)

    def simulator(protocol: str) -> tuple[str, str]:
        rig = clinic_day_rig(protocol, speed=options.get("speed", 25.0), reps=options.get("reps", 4), seed=len(rigs),
                             faults=options.get("faults")).start()
        rigs.append(rig)
        return rig.emg_path, rig.plate_path

    window = MainWindow(factory, lambda u, p: sign_in(factory, u, p), [], idle_lock_minutes=0,
                        create_first_admin=create_admin, conditioning=ConditioningSettings(mains_hz=50.0),
                        spool_dir=tmp_path / "spool", clock=clock, start_simulator=simulator,
                        reports_dir=tmp_path / "reports")
    qtbot.addWidget(window)
    window.factory = factory
    window.clock = clock
    window.simulator_options = options
    yield window
    window.host.timer.stop()
    window.workers.cancel_all()
    window.workers.wait(20000)
    if window.host.runner is not None:
        window.host.runner.close()
    window.workers.cancel_all()
    window.workers.wait(20000)
    for rig in rigs:
        rig.stop()
    engine.dispose()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001, ANN201
    """On a failed window test, print what the window's message labels said (a timeout alone says little)."""
    outcome = yield
    report = outcome.get_result()
    window = item.funcargs.get("clinic_window") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and window is not None:
        from PySide6 import QtWidgets

        said = [f"{lbl.objectName()}={lbl.text()!r}" for lbl in window.findChildren(QtWidgets.QLabel)
                if lbl.objectName() and lbl.text()]
        steps = window.calibration.step_list
        said += [f"step {i}: {steps.item(i).text()}" for i in range(steps.count())]
        runner = window.host.runner
        if runner is not None:
            tracker = runner._tracker
            said.append(f"runner: {runner.state} rep {runner.rep}, {runner.seconds_recorded:.1f} s recorded, "
                        f"tracker baseline {getattr(tracker, 'baseline', None)} reps {getattr(tracker, 'reps', None)} "
                        f"phase {getattr(tracker, 'phase', None)} at {getattr(tracker, 'now_s', None)} s, redone "
                        f"{runner.redone}, busy {window.host.busy}, notes {runner.notes}, "
                        + ", ".join(f"{k}: {d.state} ring {d.ring.total if d.ring is not None else None}"
                                    for k, d in runner.devices.items()) + f" plate_next {runner._plate_next}")
        report.sections.append(("window labels", "\n".join(said)))


def sign_in_directly(window, role: str = "physiotherapist", mrn: str | None = "S-1"):  # noqa: ANN001, ANN201
    """A user (and a patient) made in the database, signed in without the sign-in screen: for tests about
    other screens. Returns the patient id (or None)."""
    import datetime as dt

    from clinic.records.db import unit_of_work
    from clinic.records.patients import create_patient
    from clinic.records.security import SYSTEM, Actor

    with unit_of_work(window.factory) as s:
        user = add_user(s, "physio", "physio-pass-1", role)
        actor = Actor(user.id, user.username, user.role)
        patient_id = create_patient(s, SYSTEM, mrn, "Session", "Sam", dt.date(1980, 1, 1)).id if mrn else None
    window.on_signed_in(actor)
    return patient_id


def add_user(s, username: str, password: str, role: str):  # noqa: ANN001, ANN201 - a Session, a User
    """A user in a test database: the first one is its administrator (``create_first_admin``), later ones are
    added by that administrator, as on a real workstation."""
    from sqlalchemy import select

    from clinic.records.models import User
    from clinic.records.security import Actor, create_first_admin, create_user

    admin = s.scalar(select(User).where(User.role == "administrator").order_by(User.id).limit(1))
    if admin is None:
        admin = create_first_admin(s, "test-admin", "test-admin-pass-9")
    return create_user(s, username, password, role, by=Actor.of(admin))
