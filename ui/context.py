"""The workstation's open state for one run: data dir, database engine and the signed-in user.

Database, migration and settings modules are imported when a workstation is opened, not when this module is
imported, so that ``glutelab --help`` and argument parsing stay fast.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from typing import TYPE_CHECKING

from clinic.paths import DataDir
from ui.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from clinic import settings as settings_file
    from clinic.records.security import Actor

__all__ = ["UserError", "Workstation"]


def _startup_actor() -> Actor:
    """Start-up recovery acts as this user: it may recover only its own workstation's recordings."""
    from clinic.records.security import Actor

    return Actor(0, "startup-recovery", "physiotherapist")


@dataclass
class Workstation:
    data_dir: DataDir
    url: str
    engine: Engine
    factory: sessionmaker[Session]
    settings: settings_file.Settings
    actor: Actor | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, data_dir: str | None = None, database_url: str | None = None,
             migrate: bool = True) -> Workstation:
        from clinic import settings as settings_file
        from clinic.records import db

        dd = DataDir.resolve(data_dir)
        _setup_logging(dd)
        url = dd.database_url(database_url)
        try:
            engine = db.make_engine(url)
        except Exception as exc:  # noqa: BLE001 - a malformed URL or a driver that is not installed
            raise UserError(f"Cannot use the database URL: {exc}") from exc
        if migrate:
            from clinic.records.audit import AuditKeyError, audit_key

            try:
                audit_key(engine)  # PostgreSQL without the clinic's audit secret: say so now, not at sign-in
            except AuditKeyError as exc:
                engine.dispose()
                raise UserError(str(exc)) from exc
            try:
                db.prepare(engine)
            except db.SchemaMismatch as exc:
                engine.dispose()
                raise UserError(str(exc)) from exc
            except Exception as exc:  # noqa: BLE001 - wrong URL, server down, unreadable file
                engine.dispose()
                raise UserError(f"Cannot open the database at {engine.url.render_as_string()}: {exc}") from exc
        ws = cls(dd, url, engine, db.session_factory(engine), settings=settings_file.load(dd.settings_file))
        if migrate:
            ws.recover_recordings()
        return ws

    def recover_recordings(self) -> list[int]:
        """At start: replay this data dir's spool and mark this workstation's interrupted recordings as
        recovered (never another workstation's: only an administrator may, once its heartbeat is stale)."""
        from clinic.records.recovery import recover_interrupted

        try:
            ids = recover_interrupted(self.factory, actor=_startup_actor(), spool_dir=self.data_dir.spool)
        except Exception as exc:  # noqa: BLE001 - never block start-up; say so and leave the data as it is
            logging.getLogger(__name__).exception("recovery at start failed")
            self.notes.append(f"Could not check for interrupted recordings: {exc}")
            return []
        if ids:
            self.notes.append(f"Recovered interrupted recording(s) {', '.join(map(str, ids))}; "
                              "they are marked 'recovered'.")
        return ids

    def sign_in(self, username: str | None, password: str | None = None) -> Actor:
        """Sign in a named user; the password comes from GLUTELAB_PASSWORD or a prompt."""
        if not username:
            raise UserError("this command touches patient data: give --user NAME "
                            "(password from GLUTELAB_PASSWORD or the prompt)")
        if password is None:
            password = os.environ.get("GLUTELAB_PASSWORD")
        if password is None:
            if not sys.stdin or not sys.stdin.isatty():
                raise UserError("no password: set GLUTELAB_PASSWORD or run from a terminal to be asked")
            password = getpass.getpass(f"Password for {username}: ")
        from clinic.records.security import sign_in

        try:
            self.actor = sign_in(self.factory, username, password)
        except PermissionError as exc:
            raise UserError(str(exc)) from exc
        return self.actor

    def close(self) -> None:
        """Release the database connections (a command's last step; ``with Workstation.open(...)`` does it)."""
        self.engine.dispose()

    def __enter__(self) -> Workstation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _LogFileHandler(RotatingFileHandler):
    """The data dir's log file. When it cannot be written (a full disk), say so in one line, once, and stop
    logging to it, instead of logging's "--- Logging error ---" traceback for every record."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        exc = sys.exc_info()[1]
        why = getattr(exc, "strerror", None) or exc
        root = logging.getLogger()
        root.removeHandler(self)
        root.addHandler(logging.NullHandler())  # not logging's last resort: a stderr line per record
        try:
            print(f"glutelab: cannot write the log file {self.baseFilename} ({why}); logging to it is off "
                  "for this run", file=sys.stderr)
        except Exception:  # noqa: BLE001 - stderr gone too: nothing more to say
            pass
        try:
            self.close()
        except Exception:  # noqa: BLE001 - closing flushes to the same full disk
            pass


def _setup_logging(dd: DataDir) -> None:
    root = logging.getLogger()
    if any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        return
    try:
        handler = _LogFileHandler(dd.logs / "glutelab.log", maxBytes=2_000_000, backupCount=3)
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
