"""The progress review page on the demo database: DEMO-0001's weeks with CIs (method named on screen), two
sessions' average reps overlaid, the print preview built offscreen, printing to a PDF printer and saving the
report as PDF - all audited, and no dialog that waits."""

from __future__ import annotations

from pypdf import PdfReader
from PySide6 import QtPrintSupport
from sqlalchemy import select

from clinic.records.models import AuditEvent
from clinic.records.patients import find_patient_by_mrn
from clinic.records.security import authenticate
from clinic.settings import Settings
from clinic.usecases.progress import latest_episode_id
from ui.pages.progress_review import ProgressReviewPage


def test_review_overlay_preview_print_and_pdf(qtbot, demo_copy, tmp_path) -> None:  # noqa: ANN001
    _, factory, _ = demo_copy
    with factory() as s:
        actor = authenticate(s, "physio", "demo-physio-1")
        episode_id = latest_episode_id(s, find_patient_by_mrn(s, actor, "DEMO-0001"))
        s.commit()
    page = ProgressReviewPage(factory, Settings(mains_hz=50, clinic_name="Praxis Nord"))
    qtbot.addWidget(page)
    page.resize(1400, 900)
    page.show()
    page.set_actor(actor)
    with qtbot.waitSignal(page.loaded, timeout=30000):
        page.open_episode(episode_id)
    assert page.table.rowCount() == 8
    assert [page.table.item(r, 0).text() for r in range(8)] == [f"Week {w}" for w in range(1, 9)]
    assert "Berger, Anna" in page.header.text() and "SIMULATED" in page.header.text()
    assert "bootstrap" in page.ci_label.text() and "95 % CI" in page.ci_label.text()
    verdicts = [page.table.item(r, page.table.columnCount() - 1).text() for r in range(8)]
    assert verdicts[0] == "baseline" and verdicts[2] == "no clear change yet"
    assert verdicts[7] == "changed since baseline"
    assert "Glute Bridge" in page.advice.text() and "Week 8: glute first in 100 %" in page.advice.text()
    assert page.lead_plot.listDataItems() and page.mvc_plot.listDataItems()

    page.session_a.setCurrentIndex(0)  # week 1 vs week 6
    page.session_b.setCurrentIndex(5)
    with qtbot.waitSignal(page.overlay_ready, timeout=60000) as got:
        page.overlay_button.click()
    week1, week6 = got.args[0]
    assert week1.units == week6.units == "%MVC" and week1.reps == week6.reps == 16
    assert week6.mean["glute_max"].max() > week1.mean["glute_max"].max()  # stronger glute in week 6
    assert len(page.overlay.getPlotItem().listDataItems()) == 6  # 3 muscles x 2 sessions

    preview = page.build_print_preview()
    assert preview.pageCount() >= 1
    for dialog in (page.open_print_preview(), page.open_print_dialog(), page.ask_pdf_path()):
        assert dialog.isVisible()  # window-modal and returned at once: nothing waits
        dialog.reject()
    printer = QtPrintSupport.QPrinter()
    printer.setOutputFormat(QtPrintSupport.QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    with qtbot.waitSignal(page.printed, timeout=10000):
        page._print_and_audit(printer)
    printed = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(tmp_path / "printed.pdf").pages)
    assert "Berger, Anna" in printed and "Week 8" in printed and "bootstrap" in printed

    with qtbot.waitSignal(page.exported, timeout=30000) as saved:
        page.save_pdf(tmp_path / "review.pdf")
    assert "Praxis Nord" in PdfReader(saved.args[0]).pages[0].extract_text()

    def audited() -> list[tuple[str, str]]:
        with factory() as s:
            return s.execute(select(AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.username == "physio", AuditEvent.entity.in_(("episode", "episode_progress")))).all()

    qtbot.waitUntil(lambda: {a for a, _ in audited()} >= {"read", "print", "export"}, timeout=10000)
    assert any("printed" in d for a, d in audited() if a == "print")

    page.set_actor(None)  # sign-out hides the patient
    assert page.table.rowCount() == 0 and "Berger" not in page.header.text()
