"""Reports written from a worker thread go to a child process (reportlab's garbage, and the full garbage
collections it sets off, stay out of the GUI's process); from the main thread they are written in-process; a
child that dies is replaced and the report still written. A photo-sized logo is embedded at print size."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

from PIL import Image as PILImage
from pypdf import PdfReader

from clinic.records import db as records_db
from clinic.records.db import unit_of_work
from clinic.records.patients import create_episode, create_patient
from clinic.records.security import SYSTEM
from clinic.reports.child_process import write_report
from clinic.reports.layout import LOGO_BOX_MM, LOGO_DPI, ReportFrame
from clinic.settings import Settings
from clinic.usecases.reports import build_progress_report

FRAME = ReportFrame("t", "Praxis Nord", "", False, dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC))


def pid_writer(path: Path, parent_pid: int, frame: ReportFrame) -> Path:
    """Writes the pid of the process that ran it; a child dies on its first report (a crash)."""
    if os.getpid() != parent_pid and path.name.startswith("crash"):
        os._exit(3)
    path.write_text(str(os.getpid()))
    return path


def in_thread(fn, *args):  # noqa: ANN001, ANN002, ANN201
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(fn(*args)))
    t.start()
    t.join(120)
    return out[0]


def test_off_the_main_thread_a_child_process_writes_the_pdf(tmp_path) -> None:  # noqa: ANN001
    me = os.getpid()
    assert write_report(pid_writer, tmp_path / "main.txt", me, FRAME).read_text() == str(me)
    child = in_thread(write_report, pid_writer, tmp_path / "worker.txt", me, FRAME)
    assert child.read_text() not in ("", str(me))
    again = in_thread(write_report, pid_writer, tmp_path / "worker2.txt", me, FRAME)
    assert again.read_text() == child.read_text()  # the same child serves the next report
    crashed = in_thread(write_report, pid_writer, tmp_path / "crash.txt", me, FRAME)
    assert crashed.read_text() == str(me)  # the child died: this report was written here instead
    assert in_thread(write_report, pid_writer, tmp_path / "after.txt", me, FRAME).read_text() not in (
        str(me), child.read_text())  # and a new child took over


def test_a_photo_sized_logo_is_embedded_at_print_size_from_a_worker(tmp_path) -> None:  # noqa: ANN001
    logo = tmp_path / "logo.jpg"
    PILImage.new("RGB", (4000, 1500), "#1f5f99").save(logo)
    engine = records_db.make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    records_db.upgrade(engine)
    factory = records_db.session_factory(engine)
    with unit_of_work(factory) as s:
        ep = create_episode(s, SYSTEM, create_patient(s, SYSTEM, "L-2", "Logo", "Lars", dt.date(1990, 1, 1)),
                            "Back pain", dt.date(2026, 11, 2)).id
    settings = Settings(mains_hz=50, clinic_name="Praxis Nord", clinic_logo=str(logo))

    def build() -> Path:
        with unit_of_work(factory) as s:
            return build_progress_report(s, SYSTEM, ep, tmp_path / "p.pdf", settings, reason="test")

    pdf = in_thread(build)
    (image,) = PdfReader(pdf).pages[0].images
    box = [round(side / 25.4 * LOGO_DPI) for side in LOGO_BOX_MM]  # 591 x 213 px
    assert image.image.size == (round(box[1] * 4000 / 1500), box[1])  # the height fills the box
    assert pdf.stat().st_size < 200_000
    engine.dispose()
