"""`glutelab db`: schema upgrade, first administrator, users, backup, restore, recovery of interrupted
recordings and the audit chain check."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from clinic.vocabulary import ROLES
from ui.commands._common import subparser
from ui.errors import UserError

if TYPE_CHECKING:
    from ui.context import Workstation

ACTIONS = ("upgrade", "current", "init-admin", "add-user", "unlock-user", "backup", "restore", "recover",
           "verify-audit")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "db", "database maintenance: " + ", ".join(ACTIONS))
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("file", nargs="?", metavar="FILE|USERNAME",
                   help="backup file (backup/restore); the user name to unlock (unlock-user)")
    p.add_argument("--username", default="admin", help="init-admin, add-user: the new user's name")
    p.add_argument("--role", choices=ROLES, default="physiotherapist", help="add-user: the new user's role")
    p.add_argument("--user", help="add-user/unlock-user/backup/restore/recover/verify-audit: sign in as this "
                                  "administrator "
                                  "(the new user's password comes from GLUTELAB_NEW_PASSWORD or a prompt)")


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import exc as sa_exc

    from clinic.records.audit import AuditKeyError
    from ui.context import Workstation

    ws = Workstation.open(args.data_dir, args.database_url, migrate=False)
    try:
        return _run(args, ws)
    except AuditKeyError as exc:
        raise UserError(str(exc)) from exc
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:  # server down, unreadable file, wrong URL
        reason = " ".join(str(exc.orig or exc).split())
        raise UserError(f"Cannot use the database at {ws.engine.url.render_as_string()}: {reason}") from exc
    finally:
        ws.close()


def _run(args: argparse.Namespace, ws: Workstation) -> int:
    from clinic.records import db
    from clinic.records.backup import BackupError, backup, restore
    from clinic.records.recovery import recover_interrupted

    sqlite = ws.engine.dialect.name == "sqlite"
    if args.action in ("upgrade", "init-admin") or (args.action in ("backup", "recover") and sqlite):
        db.upgrade(ws.engine)  # on PostgreSQL under an advisory lock (clinic.records.db.upgrade)
    if args.action in ("upgrade", "current"):
        print(f"schema revision {db.current_revision(ws.engine)} (code expects {db.head_revision()})")
        return 0
    if args.action == "init-admin":
        return _init_admin(args, ws)
    if args.action == "add-user":
        return _add_user(args, ws)
    if args.action in ("unlock-user", "verify-audit"):
        return _unlock_or_verify(args, ws)
    if args.action != "recover" and not args.file:
        raise UserError(f"db {args.action} needs a FILE")
    if args.action != "restore" and not sqlite:
        try:
            db.prepare(ws.engine)
        except db.SchemaMismatch as exc:
            raise UserError(str(exc)) from exc
    actor = ws.sign_in(args.user)
    try:
        actor.require("admin" if args.action == "recover" else "backup")
    except PermissionError as exc:
        raise UserError(str(exc)) from exc
    if args.action == "recover":
        ids = recover_interrupted(ws.factory, actor=actor, spool_dir=ws.data_dir.spool)
        print(f"recovered recordings: {ids or 'none'}")
        return 0
    try:
        if args.action == "backup":
            print(backup(ws.engine, args.file, actor))
            return 0
        kept = restore(ws.engine, args.file, actor)
    except BackupError as exc:
        raise UserError(str(exc)) from exc
    print(f"restored {args.file}" + (f" (previous database kept as {kept})" if kept else ""))
    return 0


def _new_password(env: str, username: str) -> str:
    password = os.environ.get(env)
    if password is None:
        if not sys.stdin.isatty():
            raise UserError(f"set {env} or run from a terminal to choose the password")
        password = getpass.getpass(f"New password for {username}: ")
    return password


def _add_user(args: argparse.Namespace, ws: Workstation) -> int:
    from clinic.records import db
    from clinic.records.security import AuthError, create_user

    db.prepare(ws.engine)
    actor = ws.sign_in(args.user)
    password = _new_password("GLUTELAB_NEW_PASSWORD", args.username)
    with db.unit_of_work(ws.factory) as s:
        try:
            create_user(s, args.username, password, args.role, by=actor)
        except (ValueError, PermissionError, AuthError) as exc:
            raise UserError(str(exc)) from exc
    print(f"{args.role} {args.username} created")
    return 0


def _init_admin(args: argparse.Namespace, ws: Workstation) -> int:
    """Only on a database without users: every later user is created by a signed-in administrator."""
    from clinic.records import db
    from clinic.records.security import create_first_admin

    password = _new_password("GLUTELAB_PASSWORD", args.username)
    with db.unit_of_work(ws.factory) as s:
        try:
            create_first_admin(s, args.username, password)
        except (ValueError, PermissionError) as exc:
            raise UserError(str(exc)) from exc
    print(f"administrator {args.username} created")
    return 0


def _unlock_or_verify(args: argparse.Namespace, ws: Workstation) -> int:
    from clinic.records import db
    from clinic.records.audit import audit_key, record_event, verify_chain
    from clinic.records.security import unlock_user

    try:
        db.prepare(ws.engine)
    except db.SchemaMismatch as exc:
        raise UserError(str(exc)) from exc
    actor = ws.sign_in(args.user)
    try:
        actor.require("admin")
    except PermissionError as exc:
        raise UserError(str(exc)) from exc
    if args.action == "unlock-user":
        if not args.file:
            raise UserError("db unlock-user needs the USERNAME to unlock")
        with db.unit_of_work(ws.factory) as s:
            try:
                unlock_user(s, actor, args.file)
            except ValueError as exc:
                raise UserError(str(exc)) from exc
        print(f"sign-in of {args.file} unlocked")
        return 0
    with ws.factory() as s:
        report = verify_chain(s, audit_key(ws.engine))
    with db.unit_of_work(ws.factory) as s:
        record_event(s, actor.username, "verify", "audit", report.first_bad_id or "",
                     "ok" if report.first_bad_id is None else "broken")
    start = f"{report.unchained} row(s) from before the chain, sealed by its first row; " if report.unchained else ""
    if report.first_bad_id is not None:
        print(f"audit trail BROKEN at row {report.first_bad_id}: {report.reason} "
              f"({start}{report.checked} row(s) before it verified)")
        return 1
    print(f"audit trail verified: {start}{report.checked} chained row(s), last row {report.head_id} "
          f"MAC {report.head_mac[:16]} (note it: rows removed after it cannot be told from the trail alone)")
    return 0
