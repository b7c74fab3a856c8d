"""The patients screen and a patient's page on the demo database: their episode week by week, from the real analysis of
simulated sessions that progress from the amnesic toward the healthy pattern."""

from __future__ import annotations

from sqlalchemy import select

from clinic.records.db import unit_of_work
from clinic.records.models import AuditEvent
from clinic.records.security import authenticate
from clinic.signals.conditioning import ConditioningSettings


def test_selecting_a_patient_shows_weekly_progress(qtbot, demo_copy, tmp_path) -> None:  # noqa: ANN001
    engine, factory, w = _demo_window(qtbot, demo_copy, tmp_path)
    page = w.patients
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=10000)
    qtbot.keyClicks(page.search, "ber")  # the search runs once typing pauses
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10000)
    assert page.model.text(0, 1) == "Berger, Anna"
    page.select_row(0)
    page.open_selected()
    patient = w.patient
    assert w.pages.currentWidget() is patient
    qtbot.waitUntil(lambda: patient.progress.rowCount() == 8, timeout=10000)
    assert "Berger, Anna" in patient.title.text()
    share = [int(patient.progress.text(r, 3).rstrip(" %")) for r in range(8)]
    assert share[0] <= 34, share  # week 1: amnesic profile, glute (almost) never first
    assert share[7] >= 66, share  # week 8: healthy profile, glute first in (almost) every rep
    assert patient.sessions.rowCount() >= 8
    with factory() as s:
        reads = s.scalars(select(AuditEvent.entity).where(AuditEvent.username == "physio",
                                                          AuditEvent.action == "read")).all()
    assert "patient" in reads and "episode_progress" in reads
    w.lock()
    assert page.model.rowCount() == 0 and patient.progress.rowCount() == 0
    assert "Berger" not in patient.title.text()
    w.live.stop()
    w.workers.wait(10000)
    engine.dispose()


def test_search_by_mrn_and_birth_date(demo_copy) -> None:  # noqa: ANN001
    from clinic.records.queries import find_patients
    from clinic.records.security import SYSTEM

    engine, factory, _ = demo_copy
    with unit_of_work(factory) as s:
        berger = find_patients(s, SYSTEM, "ber")[0]
        assert [p.id for p in find_patients(s, SYSTEM, berger.mrn)] == [berger.id]
        assert berger.id in [p.id for p in find_patients(s, SYSTEM, berger.birth_date.isoformat())]
        assert find_patients(s, SYSTEM, "1800-01-01") == []
    engine.dispose()


def test_ctrl_6_opens_the_progress_review_of_the_shown_episode(qtbot, demo_copy, tmp_path) -> None:  # noqa: ANN001
    engine, factory, w = _demo_window(qtbot, demo_copy, tmp_path)
    qtbot.waitUntil(lambda: w.patients.model.rowCount() == 3, timeout=10000)
    w.patients.select_row(0)
    w.patients.open_selected()
    qtbot.waitUntil(lambda: w.patient.view is not None and w.patient.view.shown_episode is not None, timeout=10000)
    w.act_review.trigger()  # Ctrl+6
    review = w.review
    assert review is not None and w.pages.currentWidget() is review
    qtbot.waitUntil(lambda: review.progress is not None, timeout=20000)
    assert review.table.rowCount() >= 6
    w.lock()
    assert review.progress is None and review.table.rowCount() == 0  # hidden while locked
    w.workers.wait(10000)
    engine.dispose()


def _demo_window(qtbot, demo_copy, tmp_path):  # noqa: ANN001, ANN202
    """The window on a copy of the demo database, the demo physiotherapist signed in."""
    from ui.main_window import MainWindow

    engine, factory, _ = demo_copy

    def sign_in(username: str, password: str):  # noqa: ANN202
        with unit_of_work(factory) as s:
            return authenticate(s, username, password)

    w = MainWindow(factory, sign_in, [], conditioning=ConditioningSettings(mains_hz=50.0),
                   spool_dir=tmp_path / "spool")
    qtbot.addWidget(w)
    w.on_signed_in(sign_in("physio", "demo-physio-1"))
    return engine, factory, w
