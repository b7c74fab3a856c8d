"""The window half of `glutelab selftest`: the real main window on the self-test's database, painted to images.

It proves what an installed bundle needs beyond the headless chain: Qt's platform plugin and fonts, the
widgets, pyqtgraph painting a live plot, and QtPrintSupport laying out a print preview. Each step that fails
raises ``WindowStepError`` naming the step and why; the images are kept beside the report for a human to look at.
Offscreen unless ``QT_QPA_PLATFORM`` says otherwise (e.g. ``xcb`` under xvfb-run, to prove the X11 libraries).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from clinic.records.security import Actor, sign_in

MIN_COLOURS = 4  # a painted screen has text, borders and a background; a blank or black one has 1-2 colours


class WindowStepError(RuntimeError):
    def __init__(self, step: str, why: str) -> None:
        super().__init__(f"window step '{step}' failed: {why}")
        self.step = step


def _step(name: str, action: Callable[[], str]) -> str:
    try:
        return action()
    except WindowStepError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure is the step's result, named
        raise WindowStepError(name, f"{type(exc).__name__}: {exc}") from exc


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


def run_window_steps(factory: sessionmaker[Session], actor: Actor, out_dir: Path, steps: list[str]) -> None:
    """Open the main window signed in as ``actor`` (sign-in itself is covered by the window's tests), render
    the patient page, a live plot and a print preview of the patient page into ``out_dir``; append one line
    per step done to ``steps`` (so a failure report shows how far it got)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtGui, QtWidgets

    from devices.ring import SampleRing
    from ui.live_plot import LivePlot
    from ui.main_window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["glutelab-selftest"])
    platform = QtGui.QGuiApplication.platformName()

    def open_window() -> MainWindow:
        window = MainWindow(factory, lambda u, p: sign_in(factory, u, p), [], idle_lock_minutes=0)
        window.resize(1280, 800)
        window.show()
        app.processEvents()
        return window

    window = _step("open the main window", open_window)
    try:
        steps.append(f"main window opened ({platform} platform, Qt {QtCore.qVersion()})")

        def show_patient() -> str:
            window.on_signed_in(actor)
            window.tabs.setCurrentWidget(window.patients)
            window.patients.refresh()
            if window.patients.table.rowCount() < 1:
                raise WindowStepError("patient page", "the patient list is empty")
            window.patients.select_row(0)
            app.processEvents()
            if window.patients.progress.rowCount() < 1:
                raise WindowStepError("patient page", "the analysed session is not in the weekly progress")
            return _save_painted(window.grab().toImage(), out_dir / "patient-page.png", "patient page")

        steps.append(_step("patient page", show_patient))
        steps.append(_step("live plot", lambda: _render_live_plot(LivePlot, SampleRing, out_dir)))
        steps.append(_step("print preview", lambda: _render_print_preview(window.patients, out_dir, app)))
    finally:
        window.live.stop()
        window.close()
        window.deleteLater()
        app.processEvents()


def _render_live_plot(live_plot_cls, ring_cls, out_dir: Path) -> str:  # noqa: ANN001
    """pyqtgraph painting for real (it imports QtOpenGL; a bundle without it fails here, not at a clinic)."""
    rate, channels = 1000.0, 3
    ring = ring_cls(int(rate * 12), channels)
    t = np.arange(int(rate * 10)) / rate
    ring.write(np.stack([np.sin(2 * np.pi * (0.5 + c) * t) * 50 for c in range(channels)], axis=1)
               .astype(np.float32))
    plot = live_plot_cls(ring, rate, [f"ch{c}" for c in range(channels)], "uV", window_s=10.0)
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
    """The patient page through QPrinter into a QPrintPreviewWidget, as File > Print would lay it out."""
    from PySide6 import QtCore, QtGui, QtPrintSupport

    gui, print_support = QtGui, QtPrintSupport
    printer = print_support.QPrinter(print_support.QPrinter.PrinterMode.ScreenResolution)
    printer.setPageSize(gui.QPageSize(gui.QPageSize.PageSizeId.A4))
    painted: list[str] = []  # "ok", or why painting failed (an exception in a Qt slot would only be printed)

    def paint(target) -> None:  # noqa: ANN001 - the preview's QPrinter
        painter = gui.QPainter(target)
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

    preview = print_support.QPrintPreviewWidget(printer)
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
