"""Crash safety on both backends: kill -9 mid-recording, recovery at the next start, full disk, lost server."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, event, select, text, update
from sqlalchemy.engine import make_url

from clinic.recorder import Recorder
from clinic.records import db as records_db
from clinic.records import spool
from clinic.records.db import unit_of_work
from clinic.records.models import AuditEvent, Recording
from clinic.records.recovery import recover_interrupted
from clinic.records.security import Actor
from clinic.records.store import RecordingStopped, RecordingWriter, encode_chunk, load_counts
from devices.types import DeviceInfo, SampleBlock

from .conftest import EMG_INFO, make_trial, noise_counts

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from _crash_writer import synthetic  # noqa: E402

ADMIN = Actor(99, "boss", "administrator")


def test_kill9_mid_recording_loses_at_most_one_second(db, db_url, trial_id):
    _, factory = db
    root = HERE.parents[2]  # this checkout's code, whatever the installed package points at
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, str(HERE / "_crash_writer.py"), db_url, str(trial_id), "ws-crash"],
                            stdout=subprocess.PIPE, text=True, cwd=root, env=env)
    assert proc.stdout is not None
    handed = 0
    deadline = time.monotonic() + 60
    while handed < 2700 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line, f"writer died early (exit {proc.poll()})"
        if line.startswith("handing"):
            handed = int(line.split()[1])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    for line in proc.stdout.read().splitlines():  # lines printed before the kill landed
        if line.startswith("handing"):
            handed = int(line.split()[1])
    assert handed >= 2700

    assert recover_interrupted(factory, "another-ws", min_age_s=0) == []  # not the owner
    recovered = recover_interrupted(factory, "ws-crash", min_age_s=0)
    assert len(recovered) == 1
    with unit_of_work(factory) as s:
        rec = s.get(Recording, recovered[0])
        assert rec is not None and rec.status == "recovered"
        counts = load_counts(s, rec.id)
        assert rec.n_samples == len(counts)
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.entity == "recording")) == "recover"
    lost_s = (handed - len(counts)) / 1000.0
    assert 0 <= lost_s <= 1.0, f"lost {lost_s:.3f} s"
    np.testing.assert_array_equal(counts, synthetic(0, len(counts)))
    assert recover_interrupted(factory, "ws-crash", min_age_s=0) == []  # done once


def test_only_the_owner_or_an_administrator_after_a_stale_heartbeat_recovers(db, trial_id):
    _, factory = db
    writer = RecordingWriter(factory, trial_id, EMG_INFO, workstation="ws-a")
    writer.add(SampleBlock(noise_counts(600), 0, 0.0))
    writer.flush()
    assert recover_interrupted(factory, "ws-a") == []  # heartbeat fresh: maybe still recording here
    assert recover_interrupted(factory, "ws-b", ADMIN, min_age_s=0) == []  # not stale yet
    with unit_of_work(factory) as s:
        s.execute(update(Recording).values(heartbeat_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)))
    assert recover_interrupted(factory, "ws-b", Actor(5, "physio", "physiotherapist")) == []
    assert recover_interrupted(factory, "ws-b", ADMIN) == [writer.recording_id]
    with unit_of_work(factory) as s:
        assert s.get(Recording, writer.recording_id).n_samples == 600


def test_writer_commits_at_least_every_second_of_wall_time(db, trial_id):
    """Slow streams (a 10 Hz plate) still commit on time: the flush is also driven by the clock."""
    _, factory = db
    writer = RecordingWriter(factory, trial_id, EMG_INFO, flush_s=0.4)
    writer.add(SampleBlock(noise_counts(5), 0, 0.0))
    time.sleep(0.25)
    writer.add(SampleBlock(noise_counts(5, seed=1), 5, 0.0))
    with unit_of_work(factory) as s:
        assert s.get(Recording, writer.recording_id).n_samples == 10
    writer.close()


def test_spool_left_by_a_crash_is_copied_in_at_the_next_start(db, trial_id, tmp_path):
    _, factory = db
    writer = RecordingWriter(factory, trial_id, EMG_INFO, workstation="ws-a")
    first = noise_counts(500)
    writer.add(SampleBlock(first, 0, 0.0))
    writer.flush()
    later = noise_counts(300, seed=2)
    data, dtype, digest = encode_chunk(later)
    for chunk in ({"recording_id": writer.recording_id, "seq": 0, "first_sample": 0, "n_samples": 500,
                   "dtype": dtype, "codec": "delta-zlib", **dict(zip(("data", "_", "sha256"), encode_chunk(first)))},
                  {"recording_id": writer.recording_id, "seq": 1, "first_sample": 500, "n_samples": 300,
                   "dtype": dtype, "codec": "delta-zlib", "data": data, "sha256": digest}):
        chunk.pop("_", None)
        spool.append(spool.spool_path(tmp_path, writer.recording_id), chunk)
    with open(spool.spool_path(tmp_path, writer.recording_id), "ab") as fh:
        fh.write(b"\x05\x00")  # a torn entry from the crash
    assert recover_interrupted(factory, "ws-a", spool_dir=tmp_path, min_age_s=0) == [writer.recording_id]
    assert list(tmp_path.glob("*.spool")) == []
    with unit_of_work(factory) as s:
        np.testing.assert_array_equal(load_counts(s, writer.recording_id), np.concatenate([first, later]))


def test_a_recording_whose_spool_is_replayed_at_start_is_recovered_in_the_same_start(db, trial_id, tmp_path):
    """Copying the spool in is not a sign of life: it must not make the crashed recording look fresh."""
    _, factory = db
    writer = RecordingWriter(factory, trial_id, EMG_INFO, workstation="ws-a")
    first, later = noise_counts(500), noise_counts(300, seed=2)
    writer.add(SampleBlock(first, 0, 0.0))
    writer.flush()
    data, dtype, digest = encode_chunk(later)
    spool.append(spool.spool_path(tmp_path, writer.recording_id),
                 {"recording_id": writer.recording_id, "seq": 1, "first_sample": 500, "n_samples": 300,
                  "dtype": dtype, "codec": "delta-zlib", "data": data, "sha256": digest})
    with unit_of_work(factory) as s:  # the crash was a while ago
        s.execute(update(Recording).values(heartbeat_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)))
    assert recover_interrupted(factory, "ws-a", spool_dir=tmp_path) == [writer.recording_id]
    with unit_of_work(factory) as s:
        rec = s.get(Recording, writer.recording_id)
        assert rec.status == "recovered" and rec.n_samples == 800


def test_a_damaged_spool_file_is_kept_and_does_not_block_the_other_recoveries(db, tmp_path):
    _, factory = db
    good = RecordingWriter(factory, make_trial(factory, "SP1"), EMG_INFO, workstation="ws-a")
    bad = RecordingWriter(factory, make_trial(factory, "SP2"), EMG_INFO, workstation="ws-a")
    data, dtype, digest = encode_chunk(noise_counts(300))
    spool.append(spool.spool_path(tmp_path, good.recording_id),
                 {"recording_id": good.recording_id, "seq": 0, "first_sample": 0, "n_samples": 300,
                  "dtype": dtype, "codec": "delta-zlib", "data": data, "sha256": digest})
    header = b"{not json"
    damaged = spool.spool_path(tmp_path, bad.recording_id)
    damaged.write_bytes(spool._HEAD.pack(len(header), 0) + header)
    assert sorted(recover_interrupted(factory, "ws-a", spool_dir=tmp_path, min_age_s=0)) == sorted(
        [good.recording_id, bad.recording_id])
    assert list(tmp_path.glob("*.spool")) == [damaged]  # kept for the administrator
    with unit_of_work(factory) as s:
        assert s.get(Recording, good.recording_id).n_samples == 300


def test_full_disk_stops_the_recording_with_a_clear_message_and_keeps_what_was_written(tmp_path, push_stream):
    url = f"sqlite:///{tmp_path / 'full.sqlite3'}"
    engine = records_db.make_engine(url)
    records_db.upgrade(engine)
    trial = make_trial(records_db.session_factory(engine))
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    engine.dispose()

    @event.listens_for(engine, "connect")
    def _limit(dbapi_conn, _rec) -> None:  # noqa: ANN001
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 12}")

    factory = records_db.session_factory(engine)
    stream = push_stream(DeviceInfo("emg", "Amp", "1", "1", "glutelab", 1000.0, ("a", "b", "c", "d"), "uV",
                                    (0.1,) * 4))
    recorder = Recorder(factory, trial, [stream])
    recorder.start()
    for i in range(200):
        stream.push(SampleBlock(noise_counts(100, 4, seed=i), i * 100, time.monotonic()))
        if recorder.errors:
            break
        time.sleep(0.005)
    deadline = time.monotonic() + 20
    while not recorder.errors and time.monotonic() < deadline:
        time.sleep(0.05)
    (rid,) = recorder.stop()
    assert recorder.errors, "a full database must stop the recording"
    message = recorder.errors[0]
    assert "full" in message and "kept" in message and f"Recording {rid}" in message
    engine.dispose()
    reader = records_db.make_engine(url)
    with unit_of_work(records_db.session_factory(reader)) as s:
        rec = s.get(Recording, rid)
        counts = load_counts(s, rid)
        assert rec.status == "interrupted"
        assert 0 < len(counts) == rec.n_samples < 20000 and len(counts) % 100 == 0
        np.testing.assert_array_equal(counts, np.concatenate([noise_counts(100, 4, seed=i)
                                                              for i in range(len(counts) // 100)]))
    reader.dispose()


def _pg_admin(db_url: str):  # noqa: ANN202
    admin_url = make_url(db_url).set(database="postgres")
    return create_engine(admin_url, isolation_level="AUTOCOMMIT"), make_url(db_url).database


def _kill_writer_connection(writer: RecordingWriter, db_url: str, allow: bool) -> None:
    assert writer._conn is not None
    pid = writer._conn.connection.driver_connection.info.backend_pid
    admin, name = _pg_admin(db_url)
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allow else "false"}'))
        assert conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    admin.dispose()


def _allow(db_url: str) -> None:
    admin, name = _pg_admin(db_url)
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    admin.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_lost_postgres_connection_spools_and_copies_in_when_back(db, db_url, trial_id, tmp_path):
    engine, factory = db
    writer = RecordingWriter(factory, trial_id, EMG_INFO, spool_dir=tmp_path, retry_s=0.0)
    blocks = [noise_counts(500, seed=i) for i in range(8)]
    for i in range(3):
        writer.add(SampleBlock(blocks[i], i * 500, 0.0))
    _kill_writer_connection(writer, db_url, allow=False)
    try:
        for i in range(3, 6):
            writer.add(SampleBlock(blocks[i], i * 500, 0.0))
        assert "Lost the connection to the clinic database" in writer.status.warning
        assert writer.spool_path is not None and writer.spool_path.exists()
        assert len(spool.read(writer.spool_path)) == 3
    finally:
        _allow(db_url)
    for i in range(6, 8):
        writer.add(SampleBlock(blocks[i], i * 500, 0.0))
    writer.close()
    assert "back" in writer.status.warning
    assert not writer.spool_path.exists()
    with unit_of_work(factory) as s:
        np.testing.assert_array_equal(load_counts(s, writer.recording_id), np.concatenate(blocks))
        assert s.get(Recording, writer.recording_id).status == "complete"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_lost_connection_and_unwritable_spool_stop_with_a_clear_message(db, db_url, trial_id, tmp_path):
    _, factory = db
    writer = RecordingWriter(factory, trial_id, EMG_INFO, spool_dir=tmp_path)
    writer.spool_path = Path("/dev/full")  # the spool's disk is full too
    first = noise_counts(500)
    writer.add(SampleBlock(first, 0, 0.0))
    _kill_writer_connection(writer, db_url, allow=False)
    try:
        with pytest.raises(RecordingStopped, match=r"cannot be reached and cannot write the local spool"):
            writer.add(SampleBlock(noise_counts(500, seed=1), 500, 0.0))
        with pytest.raises(RecordingStopped):
            writer.add(SampleBlock(noise_counts(500, seed=2), 1000, 0.0))
    finally:
        _allow(db_url)
    assert "0.5 s are kept" in writer.status.error
    with unit_of_work(factory) as s:
        np.testing.assert_array_equal(load_counts(s, writer.recording_id), first)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_close_on_a_database_that_stays_busy_keeps_the_last_samples_in_the_spool(db, trial_id, tmp_path):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from clinic.records.recovery import replay_spools

    _, factory = db
    writer = RecordingWriter(factory, trial_id, EMG_INFO, spool_dir=tmp_path)
    first, last = noise_counts(500), noise_counts(300, seed=1)
    writer.add(SampleBlock(first, 0, 0.0))
    real_write = writer._write

    def busy_write(chunks) -> None:  # noqa: ANN001 - another workstation holds the write lock
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    writer._write = busy_write  # type: ignore[method-assign]
    writer.add(SampleBlock(last, 500, 0.0))
    writer.flush()
    assert "busy" in writer.status.warning
    with pytest.raises(RecordingStopped, match="are safe in"):
        writer.close()
    writer._write = real_write  # type: ignore[method-assign]
    assert replay_spools(factory, tmp_path) == [writer.recording_id]
    with unit_of_work(factory) as s:
        np.testing.assert_array_equal(load_counts(s, writer.recording_id), np.concatenate([first, last]))
