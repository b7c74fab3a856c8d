"""The patients screen on the demo database: a patient's episode week by week, from the real analysis of
simulated sessions that progress from the amnesic toward the healthy pattern."""

from __future__ import annotations

from sqlalchemy import select

from clinic.records.db import unit_of_work
from clinic.records.models import AuditEvent
from clinic.records.security import authenticate
from clinic.signals.conditioning import ConditioningSettings


def test_selecting_a_patient_shows_weekly_progress(qtbot, demo_copy) -> None:  # noqa: ANN001
    from ui.main_window import MainWindow

    engine, factory, _ = demo_copy

    def sign_in(username: str, password: str):  # noqa: ANN202
        with unit_of_work(factory) as s:
            return authenticate(s, username, password)

    w = MainWindow(factory, sign_in, [], conditioning=ConditioningSettings(mains_hz=50.0))
    qtbot.addWidget(w)
    w.on_signed_in(sign_in("physio", "demo-physio-1"))
    page = w.patients
    assert page.table.rowCount() == 3
    qtbot.keyClicks(page.search, "ber")  # the search runs once typing pauses
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10000)
    assert page.table.rowCount() == 1 and page.table.item(0, 1).text() == "Berger, Anna"
    page.select_row(0)
    assert "Berger, Anna" in page.episode_label.text()
    assert page.progress.rowCount() == 8
    share = [int(page.progress.item(r, 3).text().rstrip(" %")) for r in range(8)]
    assert share[0] <= 34, share  # week 1: amnesic profile, glute (almost) never first
    assert share[7] >= 66, share  # week 8: healthy profile, glute first in (almost) every rep
    with factory() as s:
        reads = s.scalars(select(AuditEvent.entity).where(AuditEvent.username == "physio",
                                                          AuditEvent.action == "read")).all()
    assert "patient" in reads and "episode_progress" in reads
    w.lock()
    assert page.table.rowCount() == 0 and page.progress.rowCount() == 0
    assert "Berger" not in page.episode_label.text()
    w.live.stop()
