"""Shared, seeded simulator runs for the analysis tests (built once per test session)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from clinic.signals.analysis import analyze_trial
from clinic.signals.conditioning import ConditioningSettings
from devices.simulator.physiology import Scenario, build_scenario

PROFILES = ("healthy", "typical", "amnesic")
SEEDS = range(8)


@dataclass
class SimRun:
    scenario: Scenario
    result: dict


def _run(profile: str, seed: int, rate: float | None = None, first_seed: int = 1000) -> SimRun:
    rate = rate or (2000.0 if seed % 2 == 0 else 1000.0)  # both >= 1 kHz unless given
    mains = 60.0 if seed % 3 == 0 else 50.0
    side = "left" if seed % 2 else "right"
    sc = build_scenario(profile, reps=4, seed=first_seed + seed, emg_rate_hz=rate, mains_hz=mains, side=side)
    result = analyze_trial(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, side, sc.force_n, sc.plate_rate_hz,
                           plate_cells=sc.plate_cells, mvc=sc.mvc_envelope_uv,
                           conditioning=ConditioningSettings(mains_hz=mains))
    return SimRun(sc, result)


@pytest.fixture(scope="session")
def sim_runs() -> list[SimRun]:
    """24 seeded recordings: 3 profiles x 8 seeds, 1 and 2 kHz, 50 and 60 Hz mains, artefacts on."""
    return [_run(p, s) for p in PROFILES for s in SEEDS]


@pytest.fixture(scope="session")
def sim_runs_250() -> list[SimRun]:
    """12 seeded recordings at 250 Hz (OpenBCI Cyton): 3 profiles x seeds 0-3, artefacts on."""
    return [_run(p, s, 250.0) for p in PROFILES for s in range(4)]


SECOND_SEEDS = range(100, 110)


@pytest.fixture(scope="session")
def sim_runs_second() -> list[SimRun]:
    """The independent second set: 3 profiles x seeds 100-109 (30 recordings), 1 and 2 kHz."""
    return [_run(p, s, first_seed=0) for p in PROFILES for s in SECOND_SEEDS]


@pytest.fixture(scope="session")
def sim_runs_second_250() -> list[SimRun]:
    """The same 30 scenarios at 250 Hz: the weakest contractions (contralateral lumbar, 3-7 dB over the floor)."""
    return [_run(p, s, 250.0, first_seed=0) for p in PROFILES for s in SECOND_SEEDS]
