"""A recording with a gap (a pulled cable): the analysis uses the parts on either side of it instead of
rejecting the whole trial, and keeps the reps on the recording's time base. Short holes of lost packets are
bridged for the analysis only."""

from __future__ import annotations

import numpy as np

from clinic.signals.analysis import analyze_trial
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.gaps import Gap, bridge, find_gaps, parts_between
from devices.simulator.physiology import build_scenario


def _with_gap(x: np.ndarray, rate: float, start_s: float, dur_s: float) -> np.ndarray:
    y = np.array(x, dtype=np.float32, copy=True)
    y[int(start_s * rate):int((start_s + dur_s) * rate)] = np.nan
    return y


def test_the_reps_on_either_side_of_a_cable_pull_are_analysed_on_the_true_time_base():
    sc = build_scenario("healthy", reps=4, seed=7, emg_rate_hz=1000.0, rest_s=6.0)
    t2, t3 = sc.truth[1], sc.truth[2]
    gap_start = round(t2.lower_end_s + 1.5, 3)  # the cable is out for 2.5 s of the rest between reps 2 and 3
    assert gap_start + 2.5 < t3.movement_start_s - 1.0
    emg = _with_gap(sc.emg_uv, sc.emg_rate_hz, gap_start, 2.5)
    force = _with_gap(sc.force_n, sc.plate_rate_hz, gap_start, 2.5)
    result = analyze_trial(emg, sc.emg_rate_hz, sc.emg_channels, sc.side, force, sc.plate_rate_hz,
                           plate_cells=sc.plate_cells, conditioning=ConditioningSettings(mains_hz=50.0))
    assert "error" not in result, result.get("error")
    assert result["gaps"] == [{"start_s": round(gap_start, 4), "duration_s": 2.5}]
    assert any("analysed separately" in n for n in result["notes"])
    reps = result["reps"]
    assert [r["rep"] for r in reps] == [1, 2, 3, 4]
    for rep, truth in zip(reps, sc.truth):  # times stay on the recording's clock after the gap
        assert abs(rep["hold_start_s"] - truth.hold_start_s) < 0.3
    assert reps[2]["rest_before_ms"] is None  # the rest before rep 3 is partly missing
    assert result["duration_s"] == round(len(emg) / sc.emg_rate_hz, 4)
    onsets = [b["onset_s"] for b in result["channels"][f"glute_max_{sc.side}"]["bursts"]]
    assert any(o > gap_start + 2.5 for o in onsets) and any(o < gap_start for o in onsets)


def test_short_holes_of_lost_packets_are_bridged_for_the_analysis_and_said_so():
    sc = build_scenario("healthy", reps=3, seed=3, emg_rate_hz=1000.0)
    emg = np.array(sc.emg_uv, copy=True)
    for start in range(3000, len(emg) - 100, 1500):  # 10 ms lost every 1.5 s
        emg[start:start + 10] = np.nan
    result = analyze_trial(emg, sc.emg_rate_hz, sc.emg_channels, sc.side, sc.force_n, sc.plate_rate_hz,
                           plate_cells=sc.plate_cells, conditioning=ConditioningSettings(mains_hz=50.0))
    assert "error" not in result and len(result["reps"]) == 3 and result["gaps"] == []
    assert any("bridged" in n for n in result["notes"])


def test_gap_helpers():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    x[2:4] = np.nan
    x[9] = np.nan
    x[5, 0] = np.nan  # one channel only: not a gap
    gaps = find_gaps(x)
    assert gaps == [Gap(2, 4), Gap(9, 10)]
    assert parts_between(10, gaps) == [(0, 2), (4, 9)]
    bridged = bridge(x, gaps)
    np.testing.assert_allclose(bridged[2:4, 1], [5.0, 7.0])  # 3 ... 9 in a straight line
    np.testing.assert_allclose(bridged[9], x[8])
