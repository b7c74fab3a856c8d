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
        if isinstance(dialog, QtPrintSupport.QPrintPreviewDialog):
            for _ in range(3):  # zooming or a page-setup change repaints the preview: not a print each time
                dialog.findChild(QtPrintSupport.QPrintPreviewWidget).updatePreview()
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
    qtbot.wait(500)  # the audit rows are written on the worker pool
    assert [d for a, d in audited() if a == "print" and "printed" in d] == [
        f"progress review printed ({tmp_path / 'printed.pdf'})"]  # the one real print, not the preview's paints
    assert [d for a, d in audited() if "print preview" in d] == ["progress review print preview"] * 2
    saved_events = [(a, d) for a, d in audited() if "review.pdf" in d]
    assert saved_events == [("export", "progress report review.pdf; treating clinician")]  # once, as an export

    page.set_actor(None)  # sign-out hides the patient
    assert page.table.rowCount() == 0 and "Berger" not in page.header.text()


def open_page(qtbot, factory, actor, episode_id):  # noqa: ANN001, ANN201
    page = ProgressReviewPage(factory, Settings(mains_hz=50, clinic_name="Praxis Nord"))
    qtbot.addWidget(page)
    page.set_actor(actor)
    with qtbot.waitSignal(page.loaded, timeout=30000):
        page.open_episode(episode_id)
    return page


def test_mark_a_session_as_baseline_on_the_worker_with_conflicts_reported(qtbot, demo_copy) -> None:  # noqa: ANN001
    """"Mark as baseline" stores the choice (the verdicts follow it, the next page opened sees it); a second
    page that loaded the episode before is told another workstation changed it, and shows the stored mark."""
    _, factory, _ = demo_copy
    with factory() as s:
        actor = authenticate(s, "physio", "demo-physio-1")
        episode_id = latest_episode_id(s, find_patient_by_mrn(s, actor, "DEMO-0001"))
        s.commit()
    page, other = open_page(qtbot, factory, actor, episode_id), open_page(qtbot, factory, actor, episode_id)
    verdict = page.table.columnCount() - 1
    assert page.table.item(6, verdict).text() == "changed since baseline"  # week 7 vs week 1
    page.baseline.setCurrentIndex(5)  # week 6
    with qtbot.waitSignal(page.loaded, timeout=30000):
        page.mark_baseline_button.click()
    assert page.table.item(5, verdict).text() == "baseline"
    assert page.table.item(6, verdict).text() == "no clear change yet"
    assert "Week 6 (marked by the clinician)" in page.ci_label.text()
    assert "Week 6 (marked by the clinician)" in open_page(qtbot, factory, actor, episode_id).ci_label.text()

    other.baseline.setCurrentIndex(2)  # week 3, on a page that still holds the episode as it was
    with qtbot.waitSignal(other.conflict, timeout=30000), qtbot.waitSignal(other.loaded, timeout=30000):
        other.mark_baseline_button.click()
    assert "changed by another workstation" in other.notice.text()
    assert "Week 6 (marked by the clinician)" in other.ci_label.text()  # reloaded: the stored mark stands
    with factory() as s:
        marks = s.scalars(select(AuditEvent.detail).where(AuditEvent.detail.like("baseline=%"))).all()
    assert marks == [f"baseline=session {page.progress.baseline_session_id}"]


PROBE = """
import sys, threading
from PySide6 import QtWidgets
app = QtWidgets.QApplication([])
import ui.main_window  # what the window has loaded before Ctrl+6
importers = {}

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "scipy":
            importers.setdefault(name, threading.current_thread().name)
        return None

sys.meta_path.insert(0, Watch())
import ui.pages.progress_review as pr
print("AFTER_IMPORT", sorted(m for m in ("scipy", "clinic.usecases.reports", "clinic.usecases.rep_envelopes")
                              if m in sys.modules))
from clinic.records import db
from clinic.records.security import authenticate
engine = db.make_engine("sqlite:///" + sys.argv[1])
factory = db.session_factory(engine)
with factory() as s:
    actor = authenticate(s, "physio", "demo-physio-1")
    s.commit()
from clinic.settings import Settings
page = pr.ProgressReviewPage(factory, Settings(mains_hz=50))
page.set_actor(actor)
page.loaded.connect(lambda ep: (print("LOADED", len(ep.sessions), "SCIPY_BY", importers.get("scipy")), app.quit()))
page.failed.connect(lambda m: (print("FAILED", m), app.quit()))
page.open_episode(1)
app.exec()
"""


def test_the_page_loads_scipy_on_the_worker_never_on_the_gui_thread(demo_copy) -> None:  # noqa: ANN001
    """Opening the review (Ctrl+6) imports the page on the GUI thread: that import must not load SciPy (1-2 s)
    or the report builders; the first load imports SciPy on a worker thread."""
    import os
    import subprocess
    import sys

    _, _, root = demo_copy
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", PROBE, str(root / "glutelab.sqlite3")], capture_output=True,
                          text=True, env=env, timeout=180)
    lines = proc.stdout.strip().splitlines()
    assert "AFTER_IMPORT []" in lines, proc.stdout + proc.stderr[-2000:]
    loaded = next(line for line in lines if line.startswith(("LOADED", "FAILED")))
    assert loaded.startswith("LOADED 8 SCIPY_BY ") and not loaded.endswith("MainThread"), loaded
