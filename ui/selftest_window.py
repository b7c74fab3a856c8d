"""The window half of `glutelab selftest`: the real main window on the self-test's database, painted to images.

It proves what an installed bundle needs beyond the headless chain: Qt's platform plugin and fonts, the
widgets, pyqtgraph painting a live plot, and QtPrintSupport laying out a print preview. Each step that fails
raises ``WindowStepError`` naming the step and why; the images are kept beside the report for a human to look at.
Offscreen unless ``QT_QPA_PLATFORM`` says otherwise (e.g. ``xcb`` under xvfb-run, to prove the X11 libraries).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from clinic.records.security import Actor, sign_in
from clinic.signals.conditioning import ConditioningSettings

MIN_COLOURS = 4  # a painted screen has text, borders and a background; a blank or black one has 1-2 colours


class WindowStepError(RuntimeError):
    def __init__(self, step: str, why: str) -> None:
        super().__init__(f"window step '{step}' failed: {why}")
        self.step = step


class StepLog:
    """The steps done so far and the one running, so that any failure, even Qt aborting the process, names it."""

    def __init__(self, done: list[str]) -> None:
        self.done = done
        self.running = ""

    def run(self, name: str, action: Callable[[], str]) -> None:
        self.running = name
        try:
            self.done.append(action())
        except WindowStepError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure is the step's result, named
            raise WindowStepError(name, f"{type(exc).__name__}: {exc}") from exc

    def qt_message(self, kind, context, message: str) -> None:  # noqa: ANN001 - a Qt message handler
        """Qt aborts on a fatal error (e.g. no platform plugin loads): print the self-test's result line naming
        the step first. Other messages go to stderr as usual."""
        from PySide6 import QtCore

        if kind == QtCore.QtMsgType.QtFatalMsg:
            error = f"window step '{self.running}' failed: Qt: {message}"
            print(json.dumps({"ok": False, "error": error, "steps": self.done}), flush=True)
        print(message, file=sys.stderr, flush=True)


def distinct_colours(image, limit: int = 64) -> int:  # noqa: ANN001 - a QImage
    """How many different colours a 32 x 32 sample grid of ``image`` holds (up to ``limit``)."""
    seen: set[int] = set()
    for y in np.linspace(0, image.height() - 1, 32).astype(int):
        for x in np.linspace(0, image.width() - 1, 32).astype(int):
            seen.add(image.pixel(int(x), int(y)))
            if len(seen) >= limit:
                return len(seen)
    return len(seen)


def _save_painted(image, path: Path, step: str) -> str:  # noqa: ANN001 - a QImage
    if image.isNull() or image.width() < 100 or image.height() < 100:
        raise WindowStepError(step, f"the rendered image is empty ({image.width()} x {image.height()})")
    colours = distinct_colours(image)
    if colours < MIN_COLOURS:
        raise WindowStepError(step, f"the rendered image is blank ({colours} colours)")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path)):
        raise WindowStepError(step, f"could not write {path}")
    return f"{step}: {image.width()} x {image.height()} image ({colours} colours sampled) at {path}"


def run_window_steps(factory: sessionmaker[Session], actor: Actor, out_dir: Path, steps: list[str],
                     conditioning: ConditioningSettings) -> None:
    """Open the main window signed in as ``actor`` (sign-in itself is covered by the window's tests), render
    the patient page, a live plot and a print preview of the patient page into ``out_dir``; append one line
    per step done to ``steps`` (so a failure report shows how far it got)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    log = StepLog(steps)
    log.running = "load the window modules"
    try:
        from PySide6 import QtCore, QtWidgets

        from ui.main_window import MainWindow
    except ImportError as exc:  # a bundle missing a module or a library
        raise WindowStepError(log.running, str(exc)) from exc

    log.running = "start Qt"
    previous_handler = QtCore.qInstallMessageHandler(log.qt_message)
    try:
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["glutelab-selftest"])
        window = None

        def open_window() -> str:
            nonlocal window
            window = MainWindow(factory, lambda u, p: sign_in(factory, u, p), [], idle_lock_minutes=0,
                                conditioning=conditioning, spool_dir=out_dir / "spool")
            window.resize(1280, 800)
            window.show()
            app.processEvents()
            return f"main window opened ({app.platformName()} platform, Qt {QtCore.qVersion()})"

        try:
            log.run("open the main window", open_window)
            log.run("patient page", lambda: _render_patient_page(window, actor, out_dir, app))
            log.run("live plot", lambda: _render_live_plot(out_dir))
            log.run("print preview", lambda: _render_print_preview(window.patient, out_dir, app))
        finally:
            if window is not None:
                window.live.stop()
                window.workers.wait(10000)
                window.close()
                window.deleteLater()
            app.processEvents()
    finally:
        QtCore.qInstallMessageHandler(previous_handler)


def _render_patient_page(window, actor: Actor, out_dir: Path, app) -> str:  # noqa: ANN001
    """Signed in, the self-test's patient opened from the Patients page, with its analysed week shown (the pages
    load on worker threads: wait for them, as a clinician would)."""
    window.on_signed_in(actor)
    patients, patient = window.patients, window.patient
    if not _wait_for(app, lambda: patients.model.rowCount() >= 1):
        raise WindowStepError("patient page", "the patient list is empty")
    patients.select_row(0)
    patients.open_selected()
    if not _wait_for(app, lambda: patient.progress.rowCount() >= 1):
        raise WindowStepError("patient page", "the analysed session is not in the weekly progress")
    return _save_painted(window.grab().toImage(), out_dir / "patient-page.png", "patient page")


def _wait_for(app, condition: Callable[[], bool], timeout_s: float = 20.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.01)
    return True


def _render_live_plot(out_dir: Path) -> str:
    """pyqtgraph painting for real (it imports QtOpenGL; a bundle without it fails here, not at a clinic)."""
    from devices.ring import SampleRing
    from ui.live_plot import LivePlot

    rate, channels = 1000.0, 3
    ring = SampleRing(int(rate * 12), channels)
    t = np.arange(int(rate * 10)) / rate
    ring.write(np.stack([np.sin(2 * np.pi * (0.5 + c) * t) * 50 for c in range(channels)], axis=1)
               .astype(np.float32))
    plot = LivePlot(ring, rate, [f"ch{c}" for c in range(channels)], "uV", window_s=10.0)
    plot.resize(800, 400)
    plot.show()
    try:
        plot.refresh()
        image = plot.grab().toImage()  # paints the plot's viewport for real
        if plot.frames < 1:
            raise WindowStepError("live plot", "pyqtgraph painted no frame")
        return _save_painted(image, out_dir / "live-plot.png", "live plot")
    finally:
        plot.close()


def _render_print_preview(page, out_dir: Path, app) -> str:  # noqa: ANN001
    """``page`` through QPrinter into a QPrintPreviewWidget, as printing would lay it out on A4."""
    from PySide6 import QtCore, QtGui, QtPrintSupport

    printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.ScreenResolution)
    printer.setPageSize(QtGui.QPageSize(QtGui.QPageSize.PageSizeId.A4))
    painted: list[str] = []  # "ok", or why painting failed (an exception in a Qt slot would only be printed)

    def paint(target) -> None:  # noqa: ANN001 - the preview's QPrinter
        painter = QtGui.QPainter(target)
        try:
            area = painter.viewport()
            scale = min(area.width() / max(1, page.width()), area.height() / max(1, page.height()))
            painter.scale(scale, scale)
            page.render(painter, QtCore.QPoint(0, 0))
            painted.append("ok")
        except Exception as exc:  # noqa: BLE001 - reported by the step below
            painted.append(f"{type(exc).__name__}: {exc}")
        finally:
            painter.end()

    preview = QtPrintSupport.QPrintPreviewWidget(printer)
    preview.paintRequested.connect(paint)
    preview.resize(700, 900)
    preview.show()
    try:
        preview.updatePreview()
        app.processEvents()
        if not painted or set(painted) != {"ok"} or preview.pageCount() < 1:
            raise WindowStepError("print preview", f"the page was not painted ({painted or 'never asked'}, "
                                                   f"{preview.pageCount()} pages)")
        preview.fitInView()
        app.processEvents()
        return _save_painted(preview.grab().toImage(), out_dir / "print-preview.png", "print preview")
    finally:
        preview.close()
