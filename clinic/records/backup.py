"""Backup and restore. SQLite: the online backup API (consistent while workstations write, safe with WAL).
PostgreSQL: pg_dump / pg_restore in custom format, when they are on PATH (docs/operations.md otherwise).

A restore first proves the file is a whole GluteLab database of a schema this code knows, keeps the current
database beside it, and migrates the restored copy to the code's revision.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session as OrmSession

from clinic.records import db
from clinic.records.audit import record_event
from clinic.records.security import Actor


class BackupError(RuntimeError):
    """The backup cannot be made or the file cannot be restored; the message says why."""


def check_sqlite_backup(path: str | Path) -> str:
    """The schema revision of a GluteLab SQLite backup; ``BackupError`` for anything else."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} is not a GluteLab backup (not an SQLite database file)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise BackupError(f"{path} is damaged ({result[0][0]}); use another backup")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"alembic_version", "patients", "recordings"} <= tables:
                raise BackupError(f"{path} is not a GluteLab backup (no GluteLab tables in it)")
            rev = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a GluteLab backup or is damaged: {exc}") from exc
    if rev is None:
        raise BackupError(f"{path} is not a GluteLab backup (no schema revision)")
    scripts = ScriptDirectory.from_config(db._alembic_config())
    try:
        scripts.get_revision(rev[0])
    except Exception as exc:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        raise BackupError(f"{path} comes from a newer GluteLab (schema {rev[0]}); update this workstation "
                          "before restoring it") from exc
    return str(rev[0])


def _audit(engine: Engine, actor: Actor, action: str, detail: str) -> None:
    with OrmSession(engine) as s, s.begin():
        record_event(s, actor.username, action, "database", "", detail)


def backup(engine: Engine, dest: str | Path, actor: Actor) -> Path:
    """A consistent copy of the whole clinic database (administrators only; audited)."""
    actor.require("backup")
    dest = Path(dest)
    if engine.dialect.name == "sqlite":
        db.copy_sqlite(engine.url.database or "", dest)
        check_sqlite_backup(dest)
    else:
        dest = _pg_dump(engine, dest)
    _audit(engine, actor, "backup", str(dest))
    return dest


def restore(engine: Engine, src: str | Path, actor: Actor) -> Path | None:
    """Replace the database with the backup (administrators only; audited in the restored database);
    returns where the previous SQLite database was kept."""
    actor.require("backup")
    kept = _restore(engine, src)
    _audit(engine, actor, "restore", str(src))
    return kept


def _restore(engine: Engine, src: str | Path) -> Path | None:
    if engine.dialect.name != "sqlite":
        _pg_restore(engine, Path(src))
        db.upgrade(engine)
        return None
    check_sqlite_backup(src)
    live = Path(engine.url.database or "")
    kept = live.with_suffix(".before-restore.sqlite3")
    engine.dispose()
    if live.exists():
        db.copy_sqlite(live, kept)
    db.restore_sqlite(src, live)
    engine.dispose()
    db.upgrade(engine)
    return kept


def _libpq_url(engine: Engine) -> str:
    return make_url(engine.url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on PATH: install the PostgreSQL client tools or follow "
                          "docs/operations.md on the database server")
    return path


def _pg_dump(engine: Engine, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([_tool("pg_dump"), "--format=custom", f"--file={dest}", _libpq_url(engine)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
    return dest


def _pg_restore(engine: Engine, src: Path) -> None:
    if not src.is_file():
        raise BackupError(f"no backup file at {src}")
    listing = subprocess.run([_tool("pg_restore"), "--list", str(src)], capture_output=True, text=True)
    if listing.returncode != 0 or "alembic_version" not in listing.stdout:
        raise BackupError(f"{src} is not a GluteLab pg_dump backup (custom format with our tables)")
    engine.dispose()
    run = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                          f"--dbname={_libpq_url(engine)}", str(src)], capture_output=True, text=True)
    if run.returncode != 0:
        raise BackupError(f"pg_restore failed: {run.stderr.strip()}")
