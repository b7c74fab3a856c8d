"""Progress review of an episode: per-week charts (pyqtgraph) with the bootstrap CIs, a table of every
session's measures and its verdict against the baseline, the progression advice with reasons, two sessions'
average rep envelopes overlaid, and printing (print preview, the OS print dialog) and saving as PDF.

Self-contained: the shell gives it a session factory and the clinic's settings, then ``set_actor`` and
``open_episode``. Loading (and with it SciPy's first import, for the bootstrap), envelopes, the PDF, the
baseline mark and the audit writes run on a worker thread; results come back through signals. Importing this
module loads neither SciPy nor the report builders, so opening the page never stalls the GUI thread. Dialogs
are opened window-modal with ``open()``, never ``exec()``, so nothing waits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtPrintSupport, QtWidgets
from sqlalchemy.orm import Session, sessionmaker

from clinic.protocol.exercises import exercise_name
from clinic.records.audit import record_event
from clinic.records.db import unit_of_work
from clinic.records.editing import ConflictError
from clinic.records.security import Actor
from clinic.settings import Settings
from clinic.usecases.progress import (
    BASELINE_CHOSEN,
    EpisodeProgress,
    Estimate,
    episode_progress,
    mark_episode_baseline,
    stage_label,
)
from ui.worker import Workers

if TYPE_CHECKING:
    from clinic.usecases.rep_envelopes import AverageEnvelopes

COLUMNS = ("Week", "Date", "Reps", "Glute lead vs hamstrings (ms)", "Glute lead vs lumbar (ms)", "Glute first",
           "Glute %MVC", "Ham %MVC", "Lumbar %MVC", "G:H", "L:G", "Hold (s) / target", "Load left",
           "Sit-down", "Pain", "Stage", "L-R lead (ms)", "vs baseline")
#: the columns that fit a printed page (the full table is on screen and in the PDF report)
PRINT_COLUMNS = (0, 1, 2, 3, 5, 6, 11, 14, 15, 17)
MUSCLE_PENS = {"glute_max": ("#1f5f99", "glute"), "hamstrings": ("#c0392b", "hamstrings"),
               "erector_spinae": ("#7d8c2a", "lumbar")}


def _num(v: float | None, digits: int = 0) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _ci(e: Estimate, share: bool = False) -> str:
    if e.value is None:
        return "-"
    k = 100.0 if share else 1.0
    unit = " %" if share else ""
    ci = "" if e.low is None else f" [{k * e.low:.0f}, {k * e.high:.0f}]"  # type: ignore[operator]
    return f"{k * e.value:.0f}{unit}{ci}"


def session_row(ep: EpisodeProgress, i: int) -> list[str]:
    sp = ep.sessions[i]
    verdict = ("baseline" if sp.session_id == ep.baseline_session_id
               else "changed since baseline" if sp.changed else "no clear change yet" if sp.reps else "no results")
    sit = sp.sit_down.get("velocity_at_contact_m_s") if sp.sit_down else None
    return [sp.label, f"{sp.date:%Y-%m-%d}", str(sp.reps), _ci(sp.glute_lead_hamstrings_ms),
            _ci(sp.glute_lead_erector_ms), _ci(sp.glute_first_share, share=True),
            _num(sp.pct_mvc.get("glute_max")), _num(sp.pct_mvc.get("hamstrings")),
            _num(sp.pct_mvc.get("erector_spinae")), _num(sp.glute_hamstring_ratio, 2),
            _num(sp.lumbar_glute_ratio, 2), f"{_num(sp.hold_median_s, 1)} / {_num(sp.hold_target_s, 1)}",
            _num(sp.plate_left_pct), "-" if sit is None else f"{sit:.2f} m/s", _num(sp.pain_score),
            stage_label(sp), _num(sp.asymmetry.get("glute_lead_hamstrings_ms")), verdict]



class ProgressReviewPage(QtWidgets.QWidget):
    loaded = QtCore.Signal(object)  # EpisodeProgress
    overlay_ready = QtCore.Signal(object)  # (AverageEnvelopes, AverageEnvelopes)
    exported = QtCore.Signal(str)  # path of the saved PDF
    printed = QtCore.Signal()
    failed = QtCore.Signal(str)
    baseline_stored = QtCore.Signal(int)  # episode id, after the clinician's baseline mark was saved
    conflict = QtCore.Signal(int, str)  # episode id, what happened: another workstation changed it first

    def __init__(self, factory: sessionmaker[Session], settings: Settings, workers: Workers | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        """``workers``: the window's worker pool (queries, statistics, PDF and audit writes run there); a page
        shown on its own gets one of its own."""
        super().__init__(parent)
        self.factory = factory
        self.settings = settings
        self.actor: Actor | None = None
        self.progress: EpisodeProgress | None = None
        self.workers = workers if workers is not None else Workers(parent=self)
        self.header = QtWidgets.QLabel("No episode open.", objectName="progressHeader", wordWrap=True)
        self.ci_label = QtWidgets.QLabel("", objectName="ciMethod", wordWrap=True)
        self.notice = QtWidgets.QLabel("", objectName="progressNotice", wordWrap=True)
        self.advice = QtWidgets.QLabel("", objectName="progressAdvice", wordWrap=True)
        self.charts = pg.GraphicsLayoutWidget()
        self.lead_plot = self.charts.addPlot(row=0, col=0, title="Glute lead over hamstrings (ms, median, 95 % CI)")
        self.share_plot = self.charts.addPlot(row=0, col=1, title="Reps with the glute first (%, 95 % CI)")
        self.mvc_plot = self.charts.addPlot(row=1, col=0, title="Activation during the hold (%MVC)")
        self.pain_plot = self.charts.addPlot(row=1, col=1, title="Pain (0-10)")
        self.mvc_plot.addLegend(offset=(5, 5))
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS), objectName="progressReviewTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.session_a = QtWidgets.QComboBox(objectName="overlayA")
        self.session_b = QtWidgets.QComboBox(objectName="overlayB")
        self.baseline = QtWidgets.QComboBox(objectName="baselineChoice")
        self.mark_baseline_button = QtWidgets.QPushButton("Mark as baseline", objectName="markBaselineButton",
                                                          toolTip="Store this session as the episode's baseline: "
                                                          "the reports and every workstation compare with it")
        self.overlay_button = QtWidgets.QPushButton("Overlay average reps", objectName="overlayButton")
        self.overlay = pg.PlotWidget(title="Average rep envelopes (solid: first choice, dashed: second)")
        self.overlay.addLegend(offset=(5, 5))
        self.overlay.setLabel("bottom", "time from movement start (s)")
        self.preview_button = QtWidgets.QPushButton("Print preview...")
        self.print_button = QtWidgets.QPushButton("Print...")
        self.pdf_button = QtWidgets.QPushButton("Save as PDF...")
        pick = QtWidgets.QHBoxLayout()
        for w in (QtWidgets.QLabel("Baseline:"), self.baseline, self.mark_baseline_button,
                  QtWidgets.QLabel("Overlay:"), self.session_a,
                  QtWidgets.QLabel("with"), self.session_b, self.overlay_button):
            pick.addWidget(w)
        pick.addStretch(1)
        for b in (self.preview_button, self.print_button, self.pdf_button):
            pick.addWidget(b)
        layout = QtWidgets.QVBoxLayout(self)
        for w in (self.header, self.ci_label, self.notice):
            layout.addWidget(w)
        layout.addLayout(pick)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        upper = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        upper.addWidget(self.charts)
        upper.addWidget(self.overlay)
        split.addWidget(upper)
        split.addWidget(self.table)
        layout.addWidget(split, 1)
        layout.addWidget(self.advice)
        self.loaded.connect(self._show)
        self.overlay_ready.connect(self._show_overlay)
        self.failed.connect(self.notice.setText)
        self.failed.connect(lambda _: self.mark_baseline_button.setEnabled(True))
        self.overlay_button.clicked.connect(self.overlay_selected)
        self.baseline.activated.connect(self._rebase)
        self.mark_baseline_button.clicked.connect(self.mark_baseline)
        self.baseline_stored.connect(self.open_episode)
        self.conflict.connect(self._reload_after_conflict)
        self._after_load = ""  # said on the page once the next load is shown (why it was reloaded)
        self.preview_button.clicked.connect(self.open_print_preview)
        self.print_button.clicked.connect(self.open_print_dialog)
        self.pdf_button.clicked.connect(self.ask_pdf_path)

    # --- loading -------------------------------------------------------------------------------------------
    def set_actor(self, actor: Actor | None) -> None:
        self.actor = actor
        if actor is None:
            self.clear()

    def clear(self) -> None:
        """Hide everything about the patient (sign-out, idle lock)."""
        self.progress = None
        self.header.setText("No episode open.")
        for w in (self.ci_label, self.notice, self.advice):
            w.setText("")
        self.table.setRowCount(0)
        for plot in (self.lead_plot, self.share_plot, self.mvc_plot, self.pain_plot, self.overlay.getPlotItem()):
            plot.clear()
        for combo in (self.session_a, self.session_b, self.baseline):
            combo.clear()

    def open_episode(self, episode_id: int, baseline_session_id: int | None = None) -> None:
        """Load the episode's progress on the worker; ``loaded`` fires when it is shown."""
        actor = self.actor
        if actor is None:
            return
        thresholds = self.settings.progression

        def load() -> None:
            try:
                with unit_of_work(self.factory) as s:
                    self.loaded.emit(episode_progress(s, actor, episode_id, thresholds, baseline_session_id))
            except Exception as exc:  # noqa: BLE001 - shown on the page, the page stays usable
                self.failed.emit(f"Cannot load the progress of episode {episode_id}: {exc}")

        self.workers.submit(load, name="progress review")

    def _show(self, ep: EpisodeProgress) -> None:
        if self.actor is None:
            return  # signed out while loading
        self.progress = ep
        self.mark_baseline_button.setEnabled(True)
        status = "active" if ep.status == "active" else f"{ep.status} {ep.discharge_date or ''}"
        self.header.setText(f"<b>{escape(ep.patient_name)}</b> (MRN {escape(ep.mrn)}) - {escape(ep.reason)}; "
                            f"started {ep.start_date:%d %b %Y}, {escape(status)}."
                            + (" <b>SIMULATED DATA</b>" if ep.simulated else ""))
        base = ep.baseline
        self.ci_label.setText(f"CI method: {ep.ci_method}. Baseline: "
                              f"{f'{base.label} ({ep.baseline_source})' if base else 'none'}; "
                              "'changed since baseline' only when the CIs do not overlap.")
        self.notice.setText(self._after_load or ("" if ep.sessions else "No sessions in this episode yet."))
        self._after_load = ""
        a = ep.advice
        self.advice.setText(f"<b>Stage:</b> {escape(exercise_name(a.current) if a.current else 'none yet')}. "
                            f"<b>Advice:</b> {escape(a.summary)}<br>" + "<br>".join(escape(r) for r in a.reasons))
        self.table.setRowCount(len(ep.sessions))
        for r in range(len(ep.sessions)):
            for c, value in enumerate(session_row(ep, r)):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        for combo in (self.session_a, self.session_b, self.baseline):
            combo.clear()
            for sp in ep.sessions:
                combo.addItem(f"{sp.label} ({sp.date:%d %b})", sp.session_id)
        if ep.sessions:
            self.session_b.setCurrentIndex(len(ep.sessions) - 1)
            self.baseline.setCurrentIndex(next((i for i, sp in enumerate(ep.sessions)
                                                if sp.session_id == ep.baseline_session_id), 0))
        self._plot_weeks(ep)

    def _rebase(self, index: int) -> None:
        """Compare with the chosen session on screen (not stored until "Mark as baseline")."""
        if self.progress is not None and index >= 0:
            self.open_episode(self.progress.episode_id, self.baseline.itemData(index))

    def mark_baseline(self) -> None:
        """Store the chosen session as the episode's baseline, on the worker; checked against the episode's
        version this page loaded (another workstation's change first: ``conflict``, and the page reloads)."""
        ep, actor, session_id = self.progress, self.actor, self.baseline.currentData()
        if ep is None or actor is None or session_id is None:
            return
        self.mark_baseline_button.setEnabled(False)

        def store() -> None:
            try:
                with unit_of_work(self.factory) as s:
                    mark_episode_baseline(s, actor, ep.episode_id, session_id, ep.episode_version)
                self.baseline_stored.emit(ep.episode_id)
            except ConflictError as exc:
                self.conflict.emit(ep.episode_id, str(exc))
            except Exception as exc:  # noqa: BLE001 - no permission, a lost connection: said on the page
                self.failed.emit(f"Cannot mark the baseline: {exc}")

        self.workers.submit(store, name="mark baseline")

    def _reload_after_conflict(self, episode_id: int, message: str) -> None:
        self._after_load = message + " The page shows it as it is now."
        self.notice.setText(message)
        self.open_episode(episode_id)

    def _plot_weeks(self, ep: EpisodeProgress) -> None:
        ss = [sp for sp in ep.sessions if sp.reps]
        x = list(range(1, len(ss) + 1))
        ticks = [[(i, sp.label) for i, sp in zip(x, ss)]]
        for plot in (self.lead_plot, self.share_plot, self.mvc_plot, self.pain_plot):
            plot.clear()
            plot.getAxis("bottom").setTicks(ticks)
        for plot, ests, k in ((self.lead_plot, [sp.glute_lead_hamstrings_ms for sp in ss], 1.0),
                              (self.share_plot, [sp.glute_first_share for sp in ss], 100.0)):
            pts = [(xi, e) for xi, e in zip(x, ests) if e.value is not None]
            plot.plot([xi for xi, _ in pts], [k * e.value for _, e in pts], pen=pg.mkPen("#1f5f99", width=2),
                      symbol="o")
            ci = [(xi, e) for xi, e in pts if e.low is not None]
            if ci:
                plot.addItem(pg.ErrorBarItem(x=np.array([xi for xi, _ in ci], float),
                                             y=np.array([k * e.value for _, e in ci], float),
                                             top=np.array([k * (e.high - e.value) for _, e in ci], float),
                                             bottom=np.array([k * (e.value - e.low) for _, e in ci], float),
                                             beam=0.2))
        for muscle, (colour, name) in MUSCLE_PENS.items():
            pts = [(xi, sp.pct_mvc.get(muscle)) for xi, sp in zip(x, ss) if sp.pct_mvc.get(muscle) is not None]
            if pts:
                self.mvc_plot.plot([p[0] for p in pts], [p[1] for p in pts], pen=pg.mkPen(colour, width=2),
                                   symbol="o", name=name)
        pain = [(xi, sp.pain_score) for xi, sp in zip(x, ss) if sp.pain_score is not None]
        if pain:
            self.pain_plot.plot([p[0] for p in pain], [p[1] for p in pain], pen=pg.mkPen("#555", width=2), symbol="o")

    # --- overlay of two sessions' average reps ---------------------------------------------------------------
    def overlay_selected(self) -> None:
        first, second = self.session_a.currentData(), self.session_b.currentData()
        if first is None or second is None or self.actor is None:
            return
        conditioning = self.settings.conditioning

        def compute() -> None:
            from clinic.usecases.rep_envelopes import average_rep_envelopes  # SciPy: loaded on the worker

            try:
                with unit_of_work(self.factory) as s:
                    pair = tuple(average_rep_envelopes(s, sid, conditioning) for sid in (first, second))
                self.overlay_ready.emit(pair)
            except Exception as exc:  # noqa: BLE001 - a damaged recording: say so, keep the page
                self.failed.emit(f"Cannot overlay the sessions: {exc}")

        self.workers.submit(compute, name="rep envelope overlay")

    def _show_overlay(self, pair: tuple[AverageEnvelopes, AverageEnvelopes]) -> None:
        plot = self.overlay.getPlotItem()
        plot.clear()
        labels = {self.session_a.itemData(i): self.session_a.itemText(i) for i in range(self.session_a.count())}
        units = {env.units for env in pair}
        self.overlay.setLabel("left", "envelope", units=" / ".join(sorted(units)))
        for style, env in zip((QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenStyle.DashLine), pair):
            for muscle, mean in env.mean.items():
                colour, name = MUSCLE_PENS[muscle]
                plot.plot(env.t_s, mean, pen=pg.mkPen(colour, width=2, style=style),
                          name=f"{labels.get(env.session_id, env.session_id)} {name}")
        problems = [p for env in pair for p in env.problems]
        if len(units) > 1:
            problems.append("the two sessions are in different units (one without MVC): compare shapes only")
        self.notice.setText("; ".join(problems))

    # --- printing and saving ---------------------------------------------------------------------------------
    def print_document(self) -> QtGui.QTextDocument:
        """What is printed: the page's header, advice, the session table and the charts as they are shown."""
        doc = QtGui.QTextDocument(self)
        ep = self.progress
        if ep is None:
            doc.setHtml("<p>No episode open.</p>")
            return doc
        image = self.charts.grab().toImage()
        doc.addResource(QtGui.QTextDocument.ResourceType.ImageResource, QtCore.QUrl("charts://weeks"), image)
        clinic = escape(self.settings.clinic_name or "GluteLab")
        rows = "".join("<tr>" + "".join(f"<td>{escape(session_row(ep, i)[c])}</td>" for c in PRINT_COLUMNS)
                       + "</tr>" for i in range(len(ep.sessions)))
        sim = "<p style='color:red'><b>SIMULATED DATA - not a patient measurement</b></p>" if ep.simulated else ""
        doc.setHtml(
            f"<h3>{clinic}</h3><h2>Progress review</h2>{sim}<p>{self.header.text()}</p>"
            f"<p>{escape(self.ci_label.text())}</p><p>{self.advice.text()}</p>"
            f"<img src='charts://weeks' width='640'><table border='1' cellspacing='0' cellpadding='2' "
            "style='font-size:8pt'><tr>" + "".join(f"<th>{escape(COLUMNS[c])}</th>" for c in PRINT_COLUMNS)
            + f"</tr>{rows}</table>"
            "<p>Clinician signature: ______________________ Date: __________</p>")
        return doc

    def print_to(self, printer: QtPrintSupport.QPrinter) -> None:
        """Paint the document onto ``printer`` (the preview's, the OS dialog's, or a PDF file printer)."""
        self.print_document().print_(printer)

    def build_print_preview(self, parent: QtWidgets.QWidget | None = None) -> QtPrintSupport.QPrintPreviewWidget:
        """A print preview widget (tests build it offscreen; the dialog below embeds the same painting)."""
        printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.HighResolution)
        preview = QtPrintSupport.QPrintPreviewWidget(printer, parent or self)
        preview.paintRequested.connect(self.print_to)
        preview.updatePreview()
        self._audit("print", "progress review print preview")
        return preview

    def open_print_preview(self) -> QtPrintSupport.QPrintPreviewDialog:
        """The OS print preview. It repaints on every zoom or page-setup change, so the painting is not what
        is audited: opening it is, once, and printing from it (Qt accepts the dialog after printing)."""
        dialog = QtPrintSupport.QPrintPreviewDialog(self)
        dialog.paintRequested.connect(self.print_to)
        dialog.accepted.connect(lambda: self._printed(dialog.printer()))
        QtWidgets.QDialog.open(dialog)  # window-modal, returns at once (not the (receiver, member) overload)
        self._audit("print", "progress review print preview")
        return dialog

    def open_print_dialog(self) -> QtPrintSupport.QPrintDialog:
        printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.HighResolution)
        dialog = QtPrintSupport.QPrintDialog(printer, self)
        dialog.accepted.connect(lambda: self._print_and_audit(printer))
        QtWidgets.QDialog.open(dialog)
        return dialog

    def _print_and_audit(self, printer: QtPrintSupport.QPrinter) -> None:
        self.print_to(printer)
        self._printed(printer)

    def _printed(self, printer: QtPrintSupport.QPrinter) -> None:
        self._audit("print", f"progress review printed ({printer.printerName() or printer.outputFileName()})")
        self.printed.emit()

    def _audit(self, action: str, detail: str) -> None:
        ep, actor = self.progress, self.actor
        if ep is None or actor is None:
            return

        def write() -> None:
            try:
                with unit_of_work(self.factory) as s:
                    actor.require(action)
                    record_event(s, actor.username, action, "episode", ep.episode_id, detail)
            except Exception as exc:  # noqa: BLE001
                self.failed.emit(f"Could not record the {action} in the audit log: {exc}")

        self.workers.submit(write, name="audit")

    def ask_pdf_path(self) -> QtWidgets.QFileDialog:
        dialog = QtWidgets.QFileDialog(self, "Save progress report as PDF", "", "PDF (*.pdf)")
        dialog.setAcceptMode(QtWidgets.QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda path: self.save_pdf(Path(path)))
        QtWidgets.QDialog.open(dialog)
        return dialog

    def save_pdf(self, path: Path) -> None:
        """The printed progress report (reportlab, as the command line writes it), built on the worker and
        audited there once, as an export; ``exported`` fires with the path."""
        ep, actor = self.progress, self.actor
        if ep is None or actor is None:
            return
        baseline = ep.baseline_session_id if ep.baseline_source == BASELINE_CHOSEN else None  # else: the stored

        def build() -> None:
            from clinic.usecases.reports import build_progress_report  # reportlab and SciPy: on the worker

            try:
                with unit_of_work(self.factory) as s:
                    out = build_progress_report(s, actor, ep.episode_id, path, self.settings, baseline,
                                                action="export")
                self.exported.emit(str(out))
            except Exception as exc:  # noqa: BLE001 - full disk, no permission: said on the page
                self.failed.emit(f"Cannot save the PDF: {exc}")

        self.workers.submit(build, name="progress PDF")
