"""The simulator is honest (variation, noise floors, mains, artefacts, crosstalk) and keeps its interface."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from clinic.signals.conditioning import ConditioningSettings, condition
from devices.simulator.physiology import EXERCISES, PROFILES, build_scenario

MAINS_50 = ConditioningSettings(mains_hz=50.0)  # the simulator's mains


def test_build_scenario_signature_is_backward_compatible() -> None:
    params = list(inspect.signature(build_scenario).parameters)
    assert params[:10] == ["profile", "exercise", "side", "reps", "emg_rate_hz", "plate_rate_hz", "hold_s",
                           "rest_s", "mains_hz", "seed"]
    sc = build_scenario("healthy", "cook_hip_lift", "left", 2, 1000.0, 100.0, 6.0, 2.0, seed=1)
    assert sc.emg_uv.dtype == np.float32 and sc.emg_uv.shape[1] == len(sc.emg_channels) == 6
    assert sc.force_n.shape[1] == len(sc.plate_cells) == 4
    assert sc.body_mass_kg > 0 and len(sc.truth) == 2 and sc.truth[0].hold_s > 0
    assert set(PROFILES) == {"healthy", "typical", "amnesic"} and "bench_sit_down" in EXERCISES


def test_reps_vary_and_are_reproducible() -> None:
    a = build_scenario("typical", reps=4, seed=7)
    b = build_scenario("typical", reps=4, seed=7)
    assert np.array_equal(a.emg_uv, b.emg_uv)
    holds = [r.hold_s for r in a.truth]
    leads = [r.onsets_s["hamstrings_left"] - r.onsets_s["glute_max_left"] for r in a.truth]
    levels = [r.pct_mvc["glute_max_left"] for r in a.truth]
    assert np.std(holds) > 0.05 and np.std(leads) > 0.005 and np.std(levels) > 0.5


def test_noise_floors_between_2_and_10_uv_and_mains_present() -> None:
    sc = build_scenario("healthy", reps=2, seed=3, mains_hz=60.0)
    assert all(2.0 <= v <= 10.0 for v in sc.noise_uv.values())
    rest = sc.emg_uv[int(0.5 * sc.emg_rate_hz):int(2.0 * sc.emg_rate_hz)].astype(np.float64)
    spec = np.abs(np.fft.rfft(rest - rest.mean(axis=0), axis=0))
    f = np.fft.rfftfreq(len(rest), 1 / sc.emg_rate_hz)
    at60 = spec[np.argmin(np.abs(f - 60.0))]
    assert np.all(at60 > 5 * np.median(spec, axis=0))


def test_truth_onset_is_where_the_envelope_starts_rising() -> None:
    sc = build_scenario("healthy", reps=2, seed=5, artefacts=False, low_level_activity=False, crosstalk=0.0)
    rate = sc.emg_rate_hz
    f = condition(sc.emg_uv, rate, MAINS_50)
    for rep in sc.truth:
        for c, name in enumerate(sc.emg_channels):
            i = int(rep.onsets_s[name] * rate)
            before = np.sqrt(np.mean(f[i - int(0.2 * rate):i - int(0.02 * rate), c] ** 2))
            after = np.sqrt(np.mean(f[i + int(0.05 * rate):i + int(0.25 * rate), c] ** 2))
            assert after > 1.5 * before
            assert before < 2.0 * sc.noise_uv[name]


def test_artefacts_and_low_level_activity_are_there_and_listed() -> None:
    sc = build_scenario("amnesic", reps=8, seed=12)
    kinds = {a.kind for a in sc.artefacts}
    assert kinds == {"motion", "knock"}
    clean = build_scenario("amnesic", reps=8, seed=12, artefacts=False)
    assert not clean.artefacts


@pytest.mark.parametrize("landing", ["controlled", "plop"])
def test_bench_sit_down_truth(landing: str) -> None:
    sc = build_scenario("healthy", "bench_sit_down", reps=2, seed=2, landing=landing)
    assert sc.plate_cells == ("feet_left", "feet_right", "seat_left", "seat_right")
    for r in sc.truth:
        assert r.landing == landing and r.seat_contact_s == r.hold_start_s and r.descent_s > 0
        if landing == "plop":
            assert r.peak_seat_force_bw > 1.5 and r.velocity_at_contact_m_s < -0.5
        else:
            assert r.peak_seat_force_bw < 1.0 and r.velocity_at_contact_m_s > -0.2
    total = sc.force_n.sum(axis=1)
    standing = total[int(0.5 * sc.plate_rate_hz):int(2.5 * sc.plate_rate_hz)]
    assert standing.mean() == pytest.approx(sc.body_mass_kg * 9.81, rel=0.01)
