"""Database figures (SQLite): patient search by name prefix, on a small throwaway database."""

from __future__ import annotations

import datetime as dt
import tempfile

from clinic.records import db
from clinic.records.patients import create_patient, search_patients
from clinic.records.security import SYSTEM
from ui.bench import median_time


def run(quick: bool) -> dict[str, object]:
    n = 500 if quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{tmp}/bench.sqlite3")
        db.upgrade(engine)
        factory = db.session_factory(engine)
        with db.unit_of_work(factory) as s:
            for i in range(n):
                create_patient(s, SYSTEM, f"B{i:06d}", f"Name{i % 997:03d}", "Test", dt.date(1970, 1, 1))

        def search() -> None:
            with db.unit_of_work(factory) as s:
                search_patients(s, SYSTEM, "name12")

        t = median_time(search, 15)
        engine.dispose()
    return {"db_search_ms": round(t * 1000, 2), "db_patients": n}
