"""Force plate: bridge reps (5 SD / 175 ms), sway, load split, bench sit-down landings, low plate rates."""

from __future__ import annotations

import numpy as np
import pytest

from clinic.signals.analysis import analyze_trial
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.plate import PlateTraces, hold_plate_metrics, sit_down_reps, sway
from clinic.signals.reps import Rep, segment_reps, segment_reps_from_envelopes
from devices.simulator.physiology import build_scenario

MAINS_50 = ConditioningSettings(mains_hz=50.0)  # the simulator's mains


@pytest.mark.parametrize("plate_rate", [1000.0, 100.0])
def test_bridge_reps_and_holds_from_the_plate(plate_rate: float) -> None:
    sc = build_scenario("typical", reps=5, seed=21, plate_rate_hz=plate_rate)
    reps = segment_reps(sc.force_n.sum(axis=1), plate_rate)
    assert len(reps) == 5
    for r, t in zip(reps, sc.truth):
        assert abs(r.hold_s - t.hold_s) <= 0.1
        assert -0.02 <= r.movement_start_s - t.movement_start_s <= 0.15  # one sample at 100 Hz
        assert abs(r.lower_end_s - t.lower_end_s) <= 0.2


def test_sway_of_a_known_circle() -> None:
    rate = 100.0
    t = np.arange(int(10 * rate)) / rate
    cop = np.column_stack([5 * np.cos(2 * np.pi * 0.5 * t), 5 * np.sin(2 * np.pi * 0.5 * t)])
    s = sway(cop, rate)
    assert s["path_length_mm"] == pytest.approx(2 * np.pi * 5 * 5, rel=0.02)  # 5 turns of a 5 mm circle
    assert s["mean_velocity_mm_s"] == pytest.approx(2 * np.pi * 5 * 0.5, rel=0.02)
    assert s["rms_mm"] == pytest.approx(5.0, rel=0.01)
    # covariance eigenvalues 12.5 and 12.5 mm^2 -> pi * 5.991 * 12.5
    assert s["ellipse95_area_mm2"] == pytest.approx(np.pi * 5.991 * 12.5, rel=0.02)
    assert "note" in sway(cop, 20.0)


def test_left_right_split_over_the_hold() -> None:
    for side, expected in (("left", 62.0), ("right", 38.0)):
        sc = build_scenario("healthy", reps=2, seed=4, side=side)
        reps = segment_reps(sc.force_n.sum(axis=1), sc.plate_rate_hz)
        tr = PlateTraces(sc.force_n, sc.plate_cells, sc.plate_rate_hz)
        m = hold_plate_metrics(sc.force_n, sc.plate_cells, sc.plate_rate_hz, reps[0], traces=tr)
        assert m["left_pct"] == pytest.approx(expected, abs=1.0)
        assert m["sway"]["path_length_mm"] > 0


@pytest.mark.parametrize("landing", ["controlled", "plop"])
def test_bench_sit_down_metrics_against_truth(landing: str) -> None:
    sc = build_scenario("healthy", "bench_sit_down", reps=3, seed=8, plate_rate_hz=1000.0, landing=landing)
    reps, metrics = sit_down_reps(sc.force_n, sc.plate_cells, sc.plate_rate_hz)
    assert len(reps) == 3
    for r, m, t in zip(reps, metrics, sc.truth):
        assert m["seat_contact_s"] == pytest.approx(t.seat_contact_s, abs=0.02)
        assert m["descent_ms"] == pytest.approx(t.descent_s * 1000, abs=200)
        assert m["peak_seat_force_bw"] == pytest.approx(t.peak_seat_force_bw, rel=0.05)
        assert m["loading_rate_bw_s"] == pytest.approx(t.loading_rate_bw_s, rel=0.25)
        assert m["velocity_at_contact_m_s"] == pytest.approx(t.velocity_at_contact_m_s, abs=0.1)
        assert m["braking_before_contact"] is (landing == "controlled")
        assert abs(r.hold_s - t.hold_s) <= 0.1
        assert not m["notes"]


def test_plop_and_controlled_are_told_apart() -> None:
    out = {}
    for landing in ("controlled", "plop"):
        sc = build_scenario("typical", "bench_sit_down", reps=3, seed=9, landing=landing)
        _, metrics = sit_down_reps(sc.force_n, sc.plate_cells, sc.plate_rate_hz)
        out[landing] = metrics
    assert min(m["peak_seat_force_bw"] for m in out["plop"]) > 1.5 > max(
        m["peak_seat_force_bw"] for m in out["controlled"])
    assert min(m["loading_rate_bw_s"] for m in out["plop"]) > 5 * max(
        m["loading_rate_bw_s"] for m in out["controlled"])


def test_low_plate_rate_says_so_instead_of_computing_the_landing() -> None:
    sc = build_scenario("amnesic", "bench_sit_down", reps=2, seed=3, plate_rate_hz=100.0)
    result = analyze_trial(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, "left", sc.force_n, sc.plate_rate_hz,
                           plate_cells=sc.plate_cells, exercise="bench_sit_down", conditioning=MAINS_50)
    landing = result["reps"][0]["landing"]
    assert landing["peak_seat_force_bw"] is None and landing["loading_rate_bw_s"] is None
    assert any("100 Hz" in n and "1000 Hz" in n for n in landing["notes"])
    assert landing["descent_ms"] is not None


def test_reps_from_envelopes_without_a_plate() -> None:
    sc = build_scenario("healthy", reps=4, seed=6)
    result = analyze_trial(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, "left", conditioning=MAINS_50)
    assert result["summary"]["reps"] == 4
    assert result["reps"][0]["segmented_from"] == "emg"
    assert any("no force plate" in n for n in result["notes"])
    env = np.zeros((2, 1000))
    assert segment_reps_from_envelopes(env, 100.0) == []
    assert isinstance(Rep(1, 0, 1, 2, 3).hold_s, int | float)


@pytest.mark.parametrize("plate_rate", [float("nan"), float("inf"), -80.0])
@pytest.mark.parametrize("n_plate", [0, 400])
def test_an_invalid_plate_rate_or_empty_plate_is_skipped_with_a_note(plate_rate: float, n_plate: int) -> None:
    emg = np.random.default_rng(0).normal(0, 5, (5000, 2)).astype(np.float32)
    result = analyze_trial(emg, 1000.0, ["glute_max_left", "hamstrings_left"],
                           force_cells_n=np.full((n_plate, 4), 200.0), plate_rate_hz=plate_rate, conditioning=MAINS_50)
    assert "error" not in result
    assert any("plate" in note for note in result["notes"])  # type: ignore[union-attr]
