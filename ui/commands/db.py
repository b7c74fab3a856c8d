"""`glutelab db`: schema upgrade, first administrator, backup and restore."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from clinic.records import db
from clinic.records.audit import record_event
from clinic.records.security import create_user
from ui.commands._common import subparser
from ui.context import UserError, Workstation


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "db", "database maintenance: upgrade, init-admin, current, backup, restore")
    p.add_argument("action", choices=("upgrade", "current", "init-admin", "backup", "restore"))
    p.add_argument("file", nargs="?", help="backup file (backup/restore)")
    p.add_argument("--username", default="admin", help="init-admin: the administrator's user name")
    p.add_argument("--user", help="backup/restore: sign in as this administrator")


def run(args: argparse.Namespace) -> int:
    migrate = args.action not in ("current", "restore")
    ws = Workstation.open(args.data_dir, args.database_url, migrate=False)
    if args.action in ("upgrade", "init-admin") or (migrate and ws.engine.dialect.name == "sqlite"):
        db.upgrade(ws.engine)
    if args.action == "upgrade" or args.action == "current":
        print(f"schema revision {db.current_revision(ws.engine)} (code expects {db.head_revision()})")
        return 0
    if args.action == "init-admin":
        password = os.environ.get("GLUTELAB_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise UserError("set GLUTELAB_PASSWORD or run from a terminal to choose the password")
            import getpass

            password = getpass.getpass(f"New password for {args.username}: ")
        with db.unit_of_work(ws.factory) as s:
            try:
                create_user(s, args.username, password, "administrator", "Administrator")
            except ValueError as exc:
                raise UserError(str(exc)) from exc
        print(f"administrator {args.username} created")
        return 0
    if not args.file:
        raise UserError(f"db {args.action} needs a FILE")
    if ws.engine.dialect.name != "sqlite":
        raise UserError("on PostgreSQL use pg_dump/pg_restore (docs/operations.md); "
                        "this command backs up the embedded SQLite database")
    actor = ws.sign_in(args.user)
    actor.require("backup")
    src = Path(ws.engine.url.database or "")
    if args.action == "backup":
        db.copy_sqlite(src, args.file)
        with db.unit_of_work(ws.factory) as s:
            record_event(s, actor.username, "backup", "database", "", str(args.file))
        print(args.file)
        return 0
    backup = Path(args.file)
    if not backup.is_file():
        raise UserError(f"no backup file at {backup}")
    check = db.make_engine(f"sqlite:///{backup}")
    try:
        rev = db.current_revision(check)
    except Exception as exc:  # noqa: BLE001 - a corrupt or foreign file
        raise UserError(f"{backup} is not a GluteLab backup: {exc}") from exc
    finally:
        check.dispose()
    if rev is None:
        raise UserError(f"{backup} is not a GluteLab backup (no schema revision)")
    ws.engine.dispose()
    db.copy_sqlite(src, src.with_suffix(".before-restore.sqlite3"))
    db.restore_sqlite(backup, src)
    db.upgrade(ws.engine)
    with db.unit_of_work(ws.factory) as s:
        record_event(s, actor.username, "restore", "database", "", str(backup))
    print(f"restored {backup} (previous database kept as {src.with_suffix('.before-restore.sqlite3')})")
    return 0
