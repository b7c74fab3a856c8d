"""What every page needs from the shell: the database, the signed-in user, the clock and the worker pool."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from clinic.records.db import unit_of_work
from clinic.records.security import Actor
from clinic.settings import Settings
from clinic.signals.conditioning import ConditioningSettings
from ui.worker import Task, Workers


@dataclass
class WindowEnv:
    factory: sessionmaker[Session]
    workers: Workers
    clock: Callable[[], dt.datetime]  # the clinic's "now" (aware UTC): tests set the date with it
    conditioning: ConditioningSettings
    #: the clinic's settings.json (reports: clinic name and logo, progression thresholds)
    settings: Settings
    actor: Actor | None = None

    def query(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None],
              on_error: Callable[[BaseException], None] | None = None) -> Task:
        """``fn(session, actor, *args)`` in one unit of work on a worker; ``on_done`` gets what it returns
        (plain values: ORM objects must not leave the worker's session)."""
        actor = self.actor
        if actor is None:
            raise PermissionError("nobody is signed in")

        def job() -> Any:
            with unit_of_work(self.factory) as s:
                return fn(s, actor, *args)

        return self.workers.submit(job, on_done=on_done, on_error=on_error, name=getattr(fn, "__name__", "query"))

    def today(self) -> dt.date:
        from clinic.records.models import local_date

        return local_date(self.clock())
