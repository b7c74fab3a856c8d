"""Exports and reports on a full disk and with gaps: a real file-size limit (RLIMIT_FSIZE, EFBIG) in a
subprocess leaves no truncated file and no audit row; a recording's gap has no rows in the CSV (the time
column jumps) and reads back as a gap on the same time base."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import textwrap

import numpy as np
from sqlalchemy import func, select

from clinic.records.db import unit_of_work
from clinic.records.exports import export_session
from clinic.records.models import AuditEvent
from clinic.records.patients import create_episode, create_patient, create_session, create_trial
from clinic.records.security import SYSTEM
from clinic.records.store import RecordingWriter
from clinic.signals.io import load_csv
from devices.types import DeviceInfo, SampleBlock

RATE = 2000.0
EMG = DeviceInfo("emg", "GluteLab amp", "A1", "1.0", "glutelab", RATE, ("glute_max_left", "hamstrings_left"),
                 "uV", (0.0223, 0.0223))
FIRST, SECOND = (0, 40_000), (46_000, 130_000)  # 20 s, a 3 s gap (cable pulled), 42 s


def _session_with_a_gap(factory) -> tuple[int, np.ndarray]:  # noqa: ANN001
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "GAP1", "Gap", "Greta", dt.date(1970, 1, 1), "female", consent_given=True)
        ep = create_episode(s, SYSTEM, p, "Gluteal amnesia", dt.date(2026, 10, 1))
        visit = create_session(s, SYSTEM, ep, dt.datetime(2026, 10, 9, 10, tzinfo=dt.UTC))
        trial = create_trial(s, SYSTEM, visit, "glute_bridge", "left")
        ids = visit.id, trial.id
    idx = np.arange(SECOND[1])
    counts = np.column_stack([idx % 30000, -(idx % 20000)]).astype(np.int32)
    w = RecordingWriter(factory, ids[1], EMG)
    for a, b in (FIRST, SECOND):
        for i in range(a, b, 1000):
            w.add(SampleBlock(counts[i:i + 1000], i, 0.0))
    w.close()
    return ids[0], counts


def test_a_gap_has_no_csv_rows_and_reads_back_on_the_true_time_base(db, tmp_path):
    _, factory = db
    sid, counts = _session_with_a_gap(factory)
    with unit_of_work(factory) as s:
        (path,) = export_session(s, SYSTEM, sid, "csv", tmp_path, reason="test export")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # patient data: its owner only
    lines = path.read_text().splitlines()
    assert lines[1].startswith("# gaps (no signal, no rows): 20.0000 s for 3.0000 s")
    rows = np.loadtxt(path, delimiter=",", comments="#", skiprows=3)
    assert len(rows) == (FIRST[1] - FIRST[0]) + (SECOND[1] - SECOND[0])  # no rows for the gap
    t = rows[:, 0]
    assert np.isclose(np.diff(t).max(), 3.0 + 1 / RATE) and t[-1] == (SECOND[1] - 1) / RATE  # the time jumps
    np.testing.assert_array_equal(np.round(t * RATE).astype(int), np.r_[FIRST[0]:FIRST[1], SECOND[0]:SECOND[1]])
    sig = load_csv(path)  # and reads back with the gap where it was, at the stated rate
    assert sig.rate_hz == RATE and sig.data.shape[0] == SECOND[1]
    assert np.isnan(sig.data[FIRST[1]:SECOND[0]]).all()
    np.testing.assert_allclose(sig.data[SECOND[0]:, 0], counts[SECOND[0]:, 0] * 0.0223, rtol=1e-6)


_EXPORT_UNDER_A_LIMIT = textwrap.dedent("""
    import errno, resource, signal, sys
    from clinic.records import db
    from clinic.records.exports import export_session
    from clinic.records.security import SYSTEM
    url, sid, out, limit = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    engine = db.make_engine(url)
    factory = db.session_factory(engine)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as a full disk does
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        with db.unit_of_work(factory) as s:
            export_session(s, SYSTEM, sid, "csv", out, reason="test export")
    except OSError as exc:
        print(errno.errorcode[exc.errno])
        sys.exit(3)
""")


def test_an_export_to_a_full_disk_leaves_no_file_and_no_audit_row(db, db_url, tmp_path):
    _, factory = db
    sid, _ = _session_with_a_gap(factory)
    out = tmp_path / "exports"
    out.mkdir()
    with unit_of_work(factory) as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export"))
    proc = subprocess.run([sys.executable, "-c", _EXPORT_UNDER_A_LIMIT, db_url, str(sid), str(out), "1000000"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3 and proc.stdout.strip() == "EFBIG", proc.stderr
    assert list(out.iterdir()) == []  # no truncated CSV, no temporary file
    with unit_of_work(factory) as s:
        after = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export"))
    assert after == before


_REPORT_UNDER_A_LIMIT = textwrap.dedent("""
    import errno, resource, signal, sys
    import datetime as dt
    from clinic.reports.layout import ReportFrame
    from clinic.reports.session_report import SessionReportData, write_session_report
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500))
    data = SessionReportData("Greta Gap", "GAP1", "Week 1", False, None, "")
    frame = ReportFrame("Session report", "Clinic", "", False, dt.datetime.now(dt.UTC))
    try:
        write_session_report(sys.argv[1], data, frame)
    except OSError as exc:
        print(errno.errorcode[exc.errno])
        sys.exit(3)
""")


def test_a_report_to_a_full_disk_leaves_no_pdf(tmp_path):
    target = tmp_path / "reports" / "session-1.pdf"
    target.parent.mkdir()
    proc = subprocess.run([sys.executable, "-c", _REPORT_UNDER_A_LIMIT, str(target)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 3 and proc.stdout.strip() == "EFBIG", proc.stderr
    assert list(target.parent.iterdir()) == []  # no 0-byte PDF, no temporary file


def test_an_edf_export_keeps_the_time_base_and_marks_the_gap(db, tmp_path):
    from .independent_readers import read_edf

    _, factory = db
    sid, counts = _session_with_a_gap(factory)
    with unit_of_work(factory) as s:
        (path,) = export_session(s, SYSTEM, sid, "edf", tmp_path, reason="test export")
    edf = read_edf(path)
    digital = edf["signals"]["glute_max_left"]["digital"]
    np.testing.assert_array_equal(digital[:FIRST[1]], counts[:FIRST[1], 0])
    np.testing.assert_array_equal(digital[SECOND[0]:SECOND[1]], counts[SECOND[0]:, 0])  # after the gap, on time
    assert (digital[FIRST[1]:SECOND[0]] == 0).all()  # 0 uV in the gap, and an annotation saying so
    notes = edf["annotations"]
    (at,) = [i for i, a in enumerate(notes) if a.startswith("gap: no signal recorded")]
    assert notes[at - 1].endswith("+20\x153")  # onset 20 s, duration 3 s (EDF+ TAL)
