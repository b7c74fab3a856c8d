"""Progress, discharge and session reports read back with an independent reader (pypdf) and rendered to an
image by poppler's pdftoppm: the patient, every week's values, the advice with its reasons, the CI method,
SIMULATED on every page; sparse data (no sessions, one session, no MVC) said in the document."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from clinic.records.db import unit_of_work
from clinic.records.editing import update_episode
from clinic.records.models import AuditEvent, Episode, Trial
from clinic.records.patients import (
    ValidationError,
    create_episode,
    create_patient,
    find_patient_by_mrn,
    start_trial,
)
from clinic.records.security import SYSTEM
from clinic.settings import Settings
from clinic.signals.onsets import OnsetSettings
from clinic.usecases.progress import episode_progress, latest_episode_id
from clinic.usecases.reports import build_discharge_report, build_progress_report, build_session_report
from clinic.usecases.trial_analysis import analyze_and_store
from ui.demo import store_scenario

SETTINGS = Settings(mains_hz=50, clinic_name="Praxis Nord")


def pages_text(pdf) -> list[str]:  # noqa: ANN001
    return [" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages]


def render_first_page(pdf, tmp_path):  # noqa: ANN001, ANN201
    """Page 1 as a PNG by poppler (an independent renderer); returns its pixels' grey levels."""
    import numpy as np
    from PySide6.QtGui import QImage

    exe = shutil.which("pdftoppm")
    if exe is None:
        pytest.fail("pdftoppm is needed to render report pages (apt-get install poppler-utils)", pytrace=False)
    subprocess.run([exe, "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True,
                   timeout=60)
    png = next(tmp_path.glob("page*.png"))
    img = QImage(str(png)).convertToFormat(QImage.Format.Format_Grayscale8)
    ptr = img.constBits()
    return np.frombuffer(ptr, np.uint8, img.bytesPerLine() * img.height()).reshape(img.height(), -1)


def episode_id(factory, mrn: str) -> int:  # noqa: ANN001
    with factory() as s:
        return latest_episode_id(s, find_patient_by_mrn(s, SYSTEM, mrn))


def test_progress_report_of_demo_0001(demo_copy, tmp_path) -> None:  # noqa: ANN001
    _, factory, _ = demo_copy
    ep_id = episode_id(factory, "DEMO-0001")
    with unit_of_work(factory) as s:
        pdf = build_progress_report(s, SYSTEM, ep_id, tmp_path / "progress.pdf", SETTINGS, reason="test")
        ep = episode_progress(s, SYSTEM, ep_id, SETTINGS.progression)
    pages = pages_text(pdf)
    text = " ".join(pages)
    assert "Berger, Anna" in text and "DEMO-0001" in text and "Praxis Nord" in text
    for sp in ep.sessions:  # every week's values
        lead = sp.glute_lead_hamstrings_ms
        assert f"{sp.label} {sp.date:%Y-%m-%d} 16 {lead.value:.0f} (CI {lead.low:.0f} to {lead.high:.0f})" in text
        assert f"{sp.label} - session {sp.session_id}" in text
    assert "percentile bootstrap over reps (2000 resamples, scipy.stats.bootstrap), 95 % CI" in text
    assert "changed since baseline" in text and "no clear change yet" in text
    assert "Advice: Move on from the Cook Hip Lift to the Glute Bridge." in text
    assert "Week 8: glute first in 100 % of reps (meets the target of 80 %)" in text
    assert "Clinician signature" in text and "Week 1: Cook hip lift, both sides." in text
    n = len(pages)
    for i, page in enumerate(pages, 1):
        assert "SIMULATED DATA" in page and f"Page {i} of {n}" in page and "generated" in page
    grey = render_first_page(pdf, tmp_path)
    assert grey.shape[0] > 500 and (grey < 128).mean() > 0.01  # text and charts drawn, not a blank page
    reader = PdfReader(pdf)
    assert not reader.pages[0].images and any(not page.images for page in reader.pages)  # charts are vectors
    with factory() as s:
        detail = s.scalar(select(AuditEvent.detail).where(AuditEvent.action == "print", AuditEvent.entity == "episode",
                                                          AuditEvent.entity_id == str(ep_id)))
    assert detail == "progress report progress.pdf; reason: test"  # the reason SYSTEM (no treating clinician) gave
    assert not list(tmp_path.glob("*.tmp"))


def test_discharge_reports_final_and_interim(demo_copy, tmp_path) -> None:  # noqa: ANN001
    _, factory, _ = demo_copy
    closed, active = episode_id(factory, "DEMO-0001"), episode_id(factory, "DEMO-0002")
    with unit_of_work(factory) as s:
        final = build_discharge_report(s, SYSTEM, closed, tmp_path / "d1.pdf", SETTINGS, reason="test")
        interim = build_discharge_report(s, SYSTEM, active, tmp_path / "d2.pdf", SETTINGS, reason="test")
    text = " ".join(pages_text(final))
    assert "interim" not in text.lower()
    assert "Berger, Anna" in text and "fired first in 0 of 16 lifts" in text and "in 16 of 16 lifts" in text
    assert "Goal 1: Glute fires first in 8 of 10 Cook hip lifts - met." in text  # judged at discharge
    assert "Goal 2: hold 5 s - met." in text and "Buttock muscle fires first: met (100 % of lifts" in text
    assert "tennis ball just under your lowest rib" in text and "through the heel" in text
    assert "Glute Bridge" in text and "When to progress" in text and "Follow-up" in text
    first_page = pages_text(interim)[0]
    assert "INTERIM REPORT" in first_page and "Okafor, James" in first_page
    assert "Goal 1: Glute fires first in 8 of 10 Cook hip lifts - not judged yet (the episode is still going on)." \
        in " ".join(pages_text(interim))


def test_discharge_report_says_per_goal_met_not_met_or_not_judged(db, tmp_path) -> None:  # noqa: ANN001
    """The goals as the physiotherapist judged them at discharge, one by one; a goal not judged is said to be
    not judged (never guessed from the numbers); a goal judged before its text was edited is still shown."""
    _, factory = db
    with unit_of_work(factory) as s:
        patient = create_patient(s, SYSTEM, "G-1", "Goal", "Gina", dt.date(1980, 5, 6))
        ep = create_episode(s, SYSTEM, patient, "Back pain", dt.date(2026, 11, 2),
                            goals="Walk 30 min without pain\nLift the grandchild; sleep through the night")
        with pytest.raises(ValidationError, match="goal number 4 does not exist: the episode has 3 goal"):
            update_episode(s, SYSTEM, ep, goals_met={4: True})
        update_episode(s, SYSTEM, ep, status="discharged", discharge_date=dt.date(2026, 12, 1),
                       goals_met={1: True, 3: False})
        update_episode(s, SYSTEM, ep, goals="Walk 30 min without pain; lift the grandchild")  # edited later
        ep_id = ep.id
    with unit_of_work(factory) as s:
        pdf = build_discharge_report(s, SYSTEM, ep_id, tmp_path / "d.pdf", SETTINGS, reason="test")
    text = " ".join(pages_text(pdf))
    assert "Goal 1: Walk 30 min without pain - met." in text
    assert "Goal 2: lift the grandchild - not judged by your physiotherapist at discharge." in text
    assert "Goal 3: sleep through the night - not met." in text
    assert "No measurements yet, so no target can be checked." in text
    with factory() as s:
        details = s.scalars(select(AuditEvent.detail).where(AuditEvent.entity == "episode",
                                                            AuditEvent.entity_id == str(ep_id))).all()
    assert "status=discharged; goals judged: 1 met, 3 not met" in details


def test_session_report_covers_every_trial_from_stored_results(demo_copy, tmp_path) -> None:  # noqa: ANN001
    _, factory, _ = demo_copy
    ep_id = episode_id(factory, "DEMO-0002")
    with unit_of_work(factory) as s:
        ep = s.get(Episode, ep_id)
        visit = ep.sessions[-1]
        trial_ids = [t.id for t in visit.trials]
        pdf = build_session_report(s, SYSTEM, visit.id, tmp_path / "s.pdf", SETTINGS, reason="test")
        leads = [r.glute_lead_hamstrings_ms for t in visit.trials for r in t.rep_results]
    text = " ".join(pages_text(pdf))
    assert len(trial_ids) == 2 and all(f"Trial {t}: Cook Hip Lift" in text for t in trial_ids)
    assert "Example rep" in text and "the rep with the median glute lead" in text
    assert all(f"{v:.0f} ms" in text for v in leads)  # the stored per-rep values, every one
    assert text.count("Reps: 8;") == 2


def test_sparse_data_is_said_in_the_document(db, tmp_path) -> None:  # noqa: ANN001
    """No sessions, one session without MVC: every report still prints and says what is missing."""
    _, factory = db
    with unit_of_work(factory) as s:
        empty = create_patient(s, SYSTEM, "SP-0", "Empty", "Eve", dt.date(1970, 1, 1))
        empty_ep = create_episode(s, SYSTEM, empty, "Back pain", dt.date(2026, 11, 2)).id
        one = create_patient(s, SYSTEM, "SP-1", "Once", "Otto", dt.date(1971, 1, 1))
        trial = start_trial(s, SYSTEM, one, "cook_hip_lift", "left", when=dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC))
        trial_id, session_id, one_ep = trial.id, trial.session_id, trial.session.episode_id
    store_scenario(factory, trial_id, seed=5, profile="healthy", side="left")  # no calibration: microvolts
    with unit_of_work(factory) as s:
        analyze_and_store(s, SYSTEM, s.get(Trial, trial_id), SETTINGS.conditioning, OnsetSettings())
    with unit_of_work(factory) as s:
        out = {
            "empty_progress": build_progress_report(s, SYSTEM, empty_ep, tmp_path / "e1.pdf", SETTINGS, reason="test"),
            "empty_discharge": build_discharge_report(s, SYSTEM, empty_ep, tmp_path / "e2.pdf", SETTINGS,
                                                      reason="test"),
            "one_progress": build_progress_report(s, SYSTEM, one_ep, tmp_path / "o1.pdf", SETTINGS, reason="test"),
            "one_discharge": build_discharge_report(s, SYSTEM, one_ep, tmp_path / "o2.pdf", SETTINGS, reason="test"),
            "one_session": build_session_report(s, SYSTEM, session_id, tmp_path / "o3.pdf", SETTINGS, reason="test"),
        }
    text = {k: " ".join(pages_text(v)) for k, v in out.items()}
    assert "No sessions recorded in this episode yet" in text["empty_progress"]
    assert "No measurements were stored in this episode" in text["empty_discharge"]
    assert "INTERIM REPORT" in text["empty_discharge"]
    assert "Only one session with results" in text["one_progress"]
    assert "No MVC calibration in Week 1" in text["one_progress"]
    assert "Only one session was measured" in text["one_discharge"]
    assert "not measured at the last session" in text["one_discharge"]
    assert "No MVC calibration in this session" in text["one_session"] and "Reps: 3;" in text["one_session"]
    assert "SIMULATED DATA" in text["one_progress"] and "SIMULATED DATA" not in text["empty_progress"]


def test_clinic_logo_is_printed_and_a_damaged_one_is_skipped(tmp_path) -> None:  # noqa: ANN001
    from PySide6.QtGui import QColor, QImage

    from clinic.records import db as records_db

    logo = tmp_path / "logo.png"
    img = QImage(120, 40, QImage.Format.Format_RGB32)
    img.fill(QColor("#1f5f99"))
    assert img.save(str(logo))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    with unit_of_work(factory) as s:
        ep = create_episode(s, SYSTEM, create_patient(s, SYSTEM, "L-1", "Logo", "Lu", dt.date(1990, 1, 1)),
                            "Back pain", dt.date(2026, 11, 2)).id
    with unit_of_work(factory) as s:
        good = build_progress_report(s, SYSTEM, ep, tmp_path / "good.pdf",
                                     Settings(mains_hz=50, clinic_name="Praxis Nord", clinic_logo=str(logo)),
                                     reason="test")
        broken = build_progress_report(s, SYSTEM, ep, tmp_path / "broken.pdf",
                                       Settings(mains_hz=50, clinic_name="Praxis Nord",
                                                clinic_logo=str(tmp_path / "broken.png")), reason="test")
    assert len(PdfReader(good).pages[0].images) == 1
    assert not PdfReader(broken).pages[0].images and "Praxis Nord" in pages_text(broken)[0]
    engine.dispose()
