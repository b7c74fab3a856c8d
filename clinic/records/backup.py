"""Backup and restore. SQLite: the online backup API (consistent while workstations write, safe with WAL).
PostgreSQL: pg_dump / pg_restore in custom format, when they are on PATH (docs/operations.md otherwise).

A restore first proves the file is a whole GluteLab database of a schema this code knows, keeps the current
database beside it (a new timestamped copy every time, never overwritten), and migrates the restored copy to
the code's revision. Backups are written 0600 to a temporary file in the destination folder and renamed at the
end; a destination that is not a regular-file path in an existing folder is refused. The PostgreSQL password
reaches pg_dump/pg_restore through their environment (PGPASSWORD), never their command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
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


def check_destination(dest: str | Path) -> Path:
    """A backup goes to a regular-file path in an existing folder: never a device, folder, link or pipe."""
    dest = Path(dest)
    if not dest.name or not dest.parent.is_dir():
        raise BackupError(f"cannot write a backup to {dest}: the folder {dest.parent} does not exist")
    try:
        mode = os.lstat(dest).st_mode
    except FileNotFoundError:
        return dest
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a link" if stat.S_ISLNK(mode) else "not a regular file"
        raise BackupError(f"cannot write a backup to {dest}: it is {kind}; give a file name in an existing folder")
    return dest


def backup(engine: Engine, dest: str | Path, actor: Actor) -> Path:
    """A consistent copy of the whole clinic database (administrators only; audited)."""
    actor.require("backup")
    dest = check_destination(dest)
    if engine.dialect.name == "sqlite":
        if dest.resolve() == Path(engine.url.database or "").resolve():
            raise BackupError(f"cannot write a backup over the live database {dest}")
        db.copy_sqlite(engine.url.database or "", dest)
        check_sqlite_backup(dest)
    else:
        dest = _pg_dump(engine, dest)
    _audit(engine, actor, "backup", str(dest))
    return dest


def restore(engine: Engine, src: str | Path, actor: Actor) -> Path:
    """Replace the database with the backup (administrators only; audited in the restored database);
    returns where the previous database was kept: a new timestamped copy beside the SQLite database, or a
    pg_dump beside the backup file, so a second restore never overwrites the first one's safety copy."""
    actor.require("backup")
    kept = _restore(engine, src)
    _audit(engine, actor, "restore", str(src))
    return kept


def _restore(engine: Engine, src: str | Path) -> Path:
    if engine.dialect.name != "sqlite":
        src = Path(src)
        _pg_check(src)
        kept = db.timestamped(src.resolve().parent / f"{engine.url.database}.pgdump", "before-restore")
        _pg_dump(engine, kept)
        _pg_restore(engine, src)
        db.upgrade(engine)
        return kept
    check_sqlite_backup(src)
    live = Path(engine.url.database or "")
    kept = db.timestamped(live, "before-restore")
    engine.dispose()
    if live.exists():
        db.copy_sqlite(live, kept)
    db.restore_sqlite(src, live)
    engine.dispose()
    db.upgrade(engine)
    return kept


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The connection URL without its password, and an environment that carries the password (never argv,
    which every local user can read in ``ps``)."""
    url = make_url(engine.url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    bare = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
    return bare.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on PATH: install the PostgreSQL client tools or follow "
                          "docs/operations.md on the database server")
    return path


def _pg_dump(engine: Engine, dest: Path) -> Path:
    url, env = _libpq(engine)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)  # 0600
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        run = subprocess.run([_tool("pg_dump"), "--format=custom", f"--file={tmp}", url],
                             capture_output=True, text=True, env=env)
        if run.returncode != 0:
            raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _pg_check(src: Path) -> None:
    if not src.is_file():
        raise BackupError(f"no backup file at {src}")
    listing = subprocess.run([_tool("pg_restore"), "--list", str(src)], capture_output=True, text=True)
    if listing.returncode != 0 or "alembic_version" not in listing.stdout:
        raise BackupError(f"{src} is not a GluteLab pg_dump backup (custom format with our tables)")


def _pg_restore(engine: Engine, src: Path) -> None:
    engine.dispose()
    url, env = _libpq(engine)
    run = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                          f"--dbname={url}", str(src)], capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise BackupError(f"pg_restore failed: {run.stderr.strip()}")
