"""Engine, sessions and migrations, the same code for embedded SQLite and a shared PostgreSQL.

SQLite gets per-connection pragmas (foreign keys, WAL, busy timeout) and real transactional DDL
(engineering.md, section 4). Migrations run automatically only on SQLite; on PostgreSQL a workstation whose
code and schema revisions differ refuses to start and an administrator runs ``glutelab db upgrade``.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


class SchemaMismatch(RuntimeError):
    """The shared database is at another schema revision than this workstation's code."""


def make_engine(url: str, **kwargs: object) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"isolation_level": None, "timeout": 30}, **kwargs)
        _sqlite_setup(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _private_sqlite_file(url: str) -> None:
    """The database file exists 0600 before SQLite opens it (its -wal and -shm files take the same mode)."""
    path = make_url(url).database
    if path in (None, "", ":memory:") or path.startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        _tighten(Path(path))
    except OSError:
        pass  # a missing folder or a read-only disk: SQLite says so in its own words when it opens it


def _tighten(path: Path) -> None:
    """0600 on a file of ours that is wider (an older version made them 0644); never fails the caller."""
    try:
        if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
            path.chmod(0o600)
    except OSError:
        pass


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: object) -> None:
        # IMMEDIATE: take the write lock up front so concurrent writers (two recording threads, two
        # processes) wait on busy_timeout instead of failing with "database is locked" when a deferred
        # read transaction tries to upgrade to a write in WAL mode.
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


# -- migrations -------------------------------------------------------------------------------------
def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("clinic.records") / "migrations"))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations (SQLite: backup copy first, foreign keys off, checked before commit)."""
    cfg = _alembic_config()
    if engine.dialect.name == "sqlite":
        _backup_sqlite_before_migration(engine)
        with engine.connect() as conn:
            raw = conn.connection.driver_connection  # pragmas must run outside any transaction
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if conn.in_transaction():
                    conn.commit()
                problems = raw.execute("PRAGMA foreign_key_check").fetchall()
            finally:
                raw.execute("PRAGMA foreign_keys=ON")
            if problems:
                raise RuntimeError(f"migration left broken foreign keys: {problems[:5]}")
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(772201)"))
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(772201)"))
            conn.commit()


def _backup_sqlite_before_migration(engine: Engine) -> None:
    path = engine.url.database
    if not path or path == ":memory:" or not Path(path).exists():
        return
    if current_revision(engine) in (None, head_revision()):
        return
    copy_sqlite(path, Path(path).with_suffix(f".before-{head_revision()}.sqlite3"))


def prepare(engine: Engine) -> None:
    """At start: migrate SQLite automatically; on a shared server, refuse a schema of another revision."""
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    current, head = current_revision(engine), head_revision()
    if current is None:
        upgrade(engine)  # a brand-new empty clinic database
    elif current != head:
        raise SchemaMismatch(
            f"The clinic database is at schema revision {current}, this workstation needs {head}. "
            "An administrator must run `glutelab db upgrade` (after a backup) before workstations start.")


def _sqlite_backup_api(src_path: str | Path, dst_path: str | Path, standalone: bool = False) -> None:
    """Page-by-page copy through sqlite3's backup API: consistent while others write, safe with WAL.
    ``standalone``: the copy is a single file (rollback journal), so opening it never leaves -wal/-shm
    files beside a backup."""
    src = sqlite3.connect(str(src_path))
    dst = sqlite3.connect(str(dst_path))
    try:
        src.backup(dst)
        if standalone:
            dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def copy_sqlite(src_path: str | Path, dst_path: str | Path) -> None:
    """Online, consistent copy of a live SQLite database into a new 0600 file (never a half-written one):
    written to a private temporary file in the destination's folder, renamed over the destination at the
    end, and removed on any failure."""
    dst = Path(dst_path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)  # 0600
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _sqlite_backup_api(src_path, tmp, standalone=True)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def timestamped(path: Path, label: str) -> Path:
    """``glutelab.<label>-20261202T164100Z.sqlite3`` beside ``path``, never an existing file's name."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1000):
        candidate = path.with_name(f"{path.stem}.{label}-{stamp}{f'-{n}' if n else ''}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"too many {label} copies of {path} within one second")


def restore_sqlite(backup_path: str | Path, live_path: str | Path) -> None:
    """Copy a backup into the live database (through the backup API, unlike a file copy under WAL)."""
    _sqlite_backup_api(backup_path, live_path)
