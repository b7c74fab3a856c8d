"""Two workstations (two engines, two real connections) edit the same record: the second save gets a clear
conflict instead of overwriting, and succeeds after a reload. On SQLite and on the real PostgreSQL server.

Like the window, each workstation loads in one short transaction and saves in another (nobody holds a
transaction open while a clinician types); the version number loaded with the record is what the save checks.
"""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.records import db as records_db
from clinic.records.db import unit_of_work
from clinic.records.editing import ConflictError, update_episode, update_patient, update_session
from clinic.records.models import Episode, Patient
from clinic.records.models import Session as VisitSession
from clinic.records.patients import create_episode, create_patient, create_session
from clinic.records.security import SYSTEM


@pytest.fixture
def two_workstations(db, db_url):  # noqa: ANN001, ANN201
    other = records_db.make_engine(db_url)
    yield db[1], records_db.session_factory(other)
    other.dispose()


def _seed(factory) -> tuple[int, int, int]:  # noqa: ANN001
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, "C1", "Conflict", "Cora", dt.date(1970, 1, 1))
        ep = create_episode(s, SYSTEM, p, "LBP", dt.date(2026, 1, 5))
        visit = create_session(s, SYSTEM, ep, dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC), pain_score=5)
        return p.id, ep.id, visit.id


def _load(factory, cls, pk):  # noqa: ANN001, ANN202
    with unit_of_work(factory) as s:
        return s.get(cls, pk)


def test_second_save_of_a_patient_gets_a_conflict_and_can_reload(two_workstations):
    fa, fb = two_workstations
    pid, _, _ = _seed(fa)
    pa, pb = _load(fa, Patient, pid), _load(fb, Patient, pid)
    assert pa.version == pb.version == 1
    with unit_of_work(fa) as s:
        s.add(pa)
        update_patient(s, SYSTEM, pa, contact="tel 111")
    with pytest.raises(ConflictError, match=r"Patient C1 was changed by another workstation.*reload"), \
            unit_of_work(fb) as s:
        s.add(pb)
        update_patient(s, SYSTEM, pb, contact="tel 222")
    pb = _load(fb, Patient, pid)  # reload shows the other workstation's change
    assert pb.contact == "tel 111" and pb.version == 2
    with unit_of_work(fb) as s:
        s.add(pb)
        update_patient(s, SYSTEM, pb, contact="tel 222")
    p = _load(fa, Patient, pid)
    assert p.contact == "tel 222" and p.version == 3


def test_second_save_of_a_session_or_episode_gets_a_conflict(two_workstations):
    fa, fb = two_workstations
    _, eid, vid = _seed(fa)
    va, vb = _load(fa, VisitSession, vid), _load(fb, VisitSession, vid)
    ea, eb = _load(fa, Episode, eid), _load(fb, Episode, eid)
    with unit_of_work(fa) as s:
        s.add_all([va, ea])
        update_session(s, SYSTEM, va, pain_score=3, notes="better")
        update_episode(s, SYSTEM, ea, goals="bridge 10 x 6 s")
    with pytest.raises(ConflictError, match="Session .* changed by another workstation"), unit_of_work(fb) as s:
        s.add(vb)
        update_session(s, SYSTEM, vb, pain_score=7)
    with pytest.raises(ConflictError, match="Episode .* changed by another workstation"), unit_of_work(fb) as s:
        s.add(eb)
        update_episode(s, SYSTEM, eb, goals="other")
    assert _load(fb, VisitSession, vid).pain_score == 3
    assert _load(fb, VisitSession, vid).notes == "better"
    assert _load(fb, Episode, eid).goals == "bridge 10 x 6 s"
