"""`glutelab report progress|discharge|session --patient MRN` and `glutelab demo` on the command line: the
default episode is the patient's latest, `report --session ID` keeps working, every report is audited, and
bad input gets one clear line."""

from __future__ import annotations

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from clinic.records.models import AuditEvent
from ui.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:  # noqa: ANN001
    capsys.readouterr()
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out.strip(), err


def text_of(path: str) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(path).pages)


def test_reports_by_patient(demo_copy, capsys, monkeypatch) -> None:  # noqa: ANN001
    _, factory, root = demo_copy
    monkeypatch.setenv("GLUTELAB_PASSWORD", "demo-physio-1")
    common = ["--user", "physio", "--data-dir", str(root), "--database-url", f"sqlite:///{root / 'glutelab.sqlite3'}"]
    rc, out, err = run(capsys, "report", "progress", "--patient", "DEMO-0002", "--out", str(root / "p.pdf"), *common)
    assert rc == 0, err
    assert out == str(root / "p.pdf") and "Okafor, James" in text_of(out) and "Week 6" in text_of(out)
    rc, out, err = run(capsys, "report", "discharge", "--patient", "DEMO-0003", *common)
    assert rc == 0, err
    assert out.endswith("discharge-episode-3.pdf") and "INTERIM REPORT" in PdfReader(out).pages[0].extract_text()
    rc, out, err = run(capsys, "report", "session", "--patient", "DEMO-0001", *common)  # the latest session
    assert rc == 0, err
    assert "Week 8" in text_of(out)
    rc, out, err = run(capsys, "report", "--session", "1", "--out", str(root / "s1.pdf"), *common)  # as before
    assert rc == 0, err
    assert "Berger, Anna" in text_of(out) and "Week 1" in text_of(out)
    with factory() as s:
        printed = s.execute(select(AuditEvent.entity, AuditEvent.entity_id).where(
            AuditEvent.username == "physio", AuditEvent.action == "print")).all()
    assert set(printed) == {("episode", "2"), ("episode", "3"), ("session", "8"), ("session", "1")}


@pytest.mark.parametrize(("args", "words"), [
    (["report", "progress", "--patient", "NOPE-1"], "no patient with MRN NOPE-1"),
    (["report", "progress", "--patient", "DEMO-0001", "--episode", "2"], "not an episode of patient DEMO-0001"),
    (["report", "session", "--patient", "DEMO-0001", "--session", "9"], "session 9 is not in episode 1"),
    (["report", "progress"], "needs --patient MRN"),
    (["report"], "needs --session ID or --patient MRN"),
    (["report", "progress", "--patient", "DEMO-0001", "--baseline", "9"], "not in episode 1"),
])
def test_bad_report_requests_say_why(demo_copy, capsys, monkeypatch, args, words) -> None:  # noqa: ANN001
    _, _, root = demo_copy
    monkeypatch.setenv("GLUTELAB_PASSWORD", "demo-physio-1")
    rc, _, err = run(capsys, *args, "--user", "physio", "--data-dir", str(root))
    assert rc == 2 and words in err and "Traceback" not in err


def test_viewer_may_not_print(demo_copy, capsys, monkeypatch) -> None:  # noqa: ANN001
    _, _, root = demo_copy
    monkeypatch.setenv("GLUTELAB_PASSWORD", "demo-viewer-1")
    rc, _, err = run(capsys, "report", "progress", "--patient", "DEMO-0001", "--user", "frontdesk",
                     "--data-dir", str(root))
    assert rc == 2 and "may not print" in err


def test_demo_refuses_a_database_with_users_and_postgresql(demo_copy, tmp_path, capsys) -> None:  # noqa: ANN001
    _, _, root = demo_copy
    rc, _, err = run(capsys, "demo", "--data-dir", str(root))
    assert rc == 2 and "already has users" in err
    rc, _, err = run(capsys, "demo", "--data-dir", str(tmp_path / "x"), "--database-url",
                     "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    assert rc == 2 and "never on a PostgreSQL server" in err


def test_episode_baseline_is_stored_and_the_reports_use_it(demo_copy, capsys, monkeypatch) -> None:  # noqa: ANN001
    """`glutelab episode baseline --session ID` stores the mark; `report progress` then compares with it
    (without --baseline); `--first` goes back; a viewer may not mark one."""
    _, factory, root = demo_copy
    common = ["--data-dir", str(root)]
    monkeypatch.setenv("GLUTELAB_PASSWORD", "demo-viewer-1")
    rc, _, err = run(capsys, "episode", "baseline", "--session", "6", "--user", "frontdesk", *common)
    assert rc == 2 and "may not change" in err
    monkeypatch.setenv("GLUTELAB_PASSWORD", "demo-physio-1")
    rc, out, err = run(capsys, "episode", "baseline", "--session", "6", "--user", "physio", *common)
    assert rc == 0 and '"baseline_session_id": 6' in out, err
    rc, out, err = run(capsys, "report", "progress", "--patient", "DEMO-0001", "--out", str(root / "p.pdf"),
                       "--user", "physio", *common)
    assert rc == 0, err
    assert "Baseline: Week 6 (session 6, marked by the clinician)" in text_of(out)
    rc, _, err = run(capsys, "episode", "baseline", "--session", "9", "--patient", "DEMO-0001", "--user", "physio",
                     *common)
    assert rc == 2 and "not a session of patient DEMO-0001" in err
    rc, out, err = run(capsys, "episode", "baseline", "--first", "--patient", "DEMO-0001", "--user", "physio",
                       *common)
    assert rc == 0, err
    rc, out, err = run(capsys, "report", "progress", "--patient", "DEMO-0001", "--out", str(root / "p2.pdf"),
                       "--user", "physio", *common)
    assert "Baseline: Week 1 (session 1, the first session with results)" in text_of(out)
    with factory() as s:
        marks = s.scalars(select(AuditEvent.detail).where(AuditEvent.username == "physio",
                                                          AuditEvent.detail.like("baseline=%"))).all()
    assert marks == ["baseline=session 6", "baseline=first session"]


def test_episode_close_records_which_goals_were_met(demo_copy, capsys, monkeypatch) -> None:  # noqa: ANN001
    _, _, root = demo_copy
    monkeypatch.setenv("GLUTELAB_PASSWORD", "demo-physio-1")
    common = ["--user", "physio", "--data-dir", str(root)]
    rc, _, err = run(capsys, "episode", "close", "--patient", "DEMO-0003", "--met", "1", "--not-met", "1", *common)
    assert rc == 2 and "both --met and --not-met" in err
    rc, _, err = run(capsys, "episode", "close", "--patient", "DEMO-0003", "--met", "3", *common)
    assert rc == 2 and "goal number 3 does not exist: the episode has 2 goal(s)" in err
    rc, out, err = run(capsys, "episode", "close", "--patient", "DEMO-0003", "--outcome", "referred on",
                       "--not-met", "1", "--met", "2", *common)
    assert rc == 0, err
    rc, out, err = run(capsys, "report", "discharge", "--patient", "DEMO-0003", "--out", str(root / "d.pdf"), *common)
    text = text_of(out)
    assert "Goal 1: Glute fires first in 8 of 10 Cook hip lifts - not met." in text
    assert "Goal 2: hold 5 s - met." in text and "Buttock muscle fires first: not met yet" in text
