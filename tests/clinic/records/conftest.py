"""Helpers shared by the records tests: a patient with one trial, synthetic device info and blocks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from argon2 import PasswordHasher

from clinic.records import security
from clinic.records.db import unit_of_work
from clinic.records.patients import create_patient, start_trial
from clinic.records.security import SYSTEM
from devices.types import DeviceInfo

EMG_INFO = DeviceInfo("emg", "Test amp", "1", "1", "glutelab", 1000.0, ("glute_max_left", "hamstrings_left"),
                      "uV", (0.0223, 0.0223))


PRODUCTION_HASHER = security._hasher


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch):  # noqa: ANN001, ANN201
    """Argon2id with tiny costs in tests (still Argon2id); test_security checks the production costs."""
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def make_trial(factory, mrn: str = "T1") -> int:  # noqa: ANN001
    with unit_of_work(factory) as s:
        p = create_patient(s, SYSTEM, mrn, "Trial", "Tess", dt.date(1975, 3, 4))
        return start_trial(s, SYSTEM, p, "glute_bridge", "left",
                           when=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)).id


@pytest.fixture
def trial_id(db) -> int:  # noqa: ANN001
    return make_trial(db[1])


def noise_counts(n: int, n_channels: int = 2, seed: int = 0, bits: int = 16) -> np.ndarray:
    """Incompressible counts (so size limits bite quickly) in the signed range of ``bits``."""
    lim = 2 ** (bits - 1)
    return np.random.default_rng(seed).integers(-lim, lim, size=(n, n_channels)).astype(np.int32)
