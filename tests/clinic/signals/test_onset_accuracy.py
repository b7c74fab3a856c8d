"""Accuracy against the simulator's exact ground truth (issue 10, "Done when")."""

from __future__ import annotations

import numpy as np
import pytest

from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.evaluation import score_onsets
from clinic.signals.onsets import OnsetSettings, detect_onsets

MAINS_50 = ConditioningSettings(mains_hz=50.0)  # the simulator's mains


def _truth_and_found(runs):  # noqa: ANN001, ANN202
    true, found = {}, {}
    for k, run in enumerate(runs):
        for name in run.scenario.emg_channels:
            true[f"{k}:{name}"] = [r.onsets_s[name] for r in run.scenario.truth]
            found[f"{k}:{name}"] = [b["onset_s"] for b in run.result["channels"][name]["bursts"]]
    return true, found


def test_onset_error_misses_and_false_onsets(sim_runs) -> None:  # noqa: ANN001
    true, found = _truth_and_found(sim_runs)
    s = score_onsets(true, found)
    print(f"onset error median {s['median']:.2f} ms, p95 {s['p95']:.2f} ms, misses {s['misses']}, "
          f"false {s['false']} of {s['true_bursts']} bursts")
    assert s["true_bursts"] >= 500
    assert s["median"] <= 5.0
    assert s["p95"] <= 10.0
    assert s["misses"] <= 0.01 * s["true_bursts"]
    assert s["false"] <= 0.02 * s["true_bursts"]


def test_onset_error_at_250_hz(sim_runs_250) -> None:  # noqa: ANN001
    """Cyton rate: 4 ms samples, the raw signal aliases; the targets are median <= 8 ms and p95 <= 16 ms."""
    true, found = _truth_and_found(sim_runs_250)
    s = score_onsets(true, found)
    print(f"250 Hz: onset error median {s['median']:.2f} ms, p95 {s['p95']:.2f} ms, misses {s['misses']}, "
          f"false {s['false']} of {s['true_bursts']} bursts")
    assert s["true_bursts"] >= 250
    assert s["median"] <= 8.0
    assert s["p95"] <= 16.0
    assert s["misses"] <= 0.01 * s["true_bursts"]
    assert s["false"] <= 0.02 * s["true_bursts"]


@pytest.mark.parametrize("rate", ["1-2 kHz", "250 Hz"])
def test_second_seed_set_through_analyze_trial(rate: str, sim_runs_second, sim_runs_second_250) -> None:  # noqa: ANN001
    """The independent seed set of docs/analysis.md (720 bursts): every target at both rates. At 250 Hz its
    weak contralateral lumbar contractions (3-7 dB over the floor) were cut into pieces where the detection
    signal dipped (33 false onsets, 4.6 %); a rest now has to be long enough to be told from such a dip."""
    runs = sim_runs_second if rate == "1-2 kHz" else sim_runs_second_250
    true, found = _truth_and_found(runs)
    s = score_onsets(true, found)
    print(f"second set {rate}: onset error median {s['median']:.2f} ms, p95 {s['p95']:.2f} ms, misses "
          f"{s['misses']}, false {s['false']} of {s['true_bursts']} bursts")
    assert s["true_bursts"] == 720
    assert s["median"] <= (5.0 if rate == "1-2 kHz" else 8.0)
    assert s["p95"] <= (10.0 if rate == "1-2 kHz" else 16.0)
    assert s["misses"] <= 0.01 * s["true_bursts"]
    assert s["false"] <= 0.02 * s["true_bursts"]


def test_firing_order_where_true_onsets_differ_by_20_ms(sim_runs) -> None:  # noqa: ANN001
    eligible = correct = 0
    for run in sim_runs:
        side = run.scenario.side
        for truth, rep in zip(run.scenario.truth, run.result["reps"]):
            onsets = {m: truth.onsets_s[f"{m}_{side}"] for m in ("glute_max", "hamstrings", "erector_spinae")}
            times = sorted(onsets.values())
            if min(np.diff(times)) < 0.020:
                continue
            eligible += 1
            correct += rep["firing_order"] == sorted(onsets, key=onsets.get)
    print(f"firing order correct in {correct} of {eligible} reps")
    assert eligible >= 50
    assert correct >= 0.95 * eligible


def test_rep_count_exact_and_hold_within_100_ms(sim_runs) -> None:  # noqa: ANN001
    for run in sim_runs:
        assert run.result["summary"]["reps"] == len(run.scenario.truth)
        for truth, rep in zip(run.scenario.truth, run.result["reps"]):
            assert abs(rep["hold_ms"] / 1000.0 - truth.hold_s) <= 0.1
            assert abs(rep["movement_start_s"] - truth.movement_start_s) <= 0.15


def test_hodges_bui_also_finds_the_bursts(sim_runs) -> None:  # noqa: ANN001
    """The second published method: same bursts, looser timing (more sensitive to artefacts and crosstalk)."""
    true, found = {}, {}
    for k, run in enumerate(sim_runs[::3]):
        sc = run.scenario
        mains = ConditioningSettings(mains_hz=run.result["conditioning"]["mains_hz"])  # the scenario's mains
        res = detect_onsets(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, OnsetSettings(method="hodges_bui"),
                            conditioning=mains)
        for ch in res:
            true[f"{k}:{ch.name}"] = [r.onsets_s[ch.name] for r in sc.truth]
            found[f"{k}:{ch.name}"] = [b.onset_s for b in ch.bursts]
    s = score_onsets(true, found)
    print(f"hodges_bui: median {s['median']:.2f} ms, p95 {s['p95']:.2f} ms, misses {s['misses']}, "
          f"false {s['false']} of {s['true_bursts']}")
    assert s["median"] <= 5.0
    assert s["misses"] <= 0.03 * s["true_bursts"]
    assert s["false"] <= 0.05 * s["true_bursts"]


def test_method_and_parameters_recorded_with_each_result(sim_runs) -> None:  # noqa: ANN001
    r = sim_runs[0].result
    assert r["method"]["method"] == "tkeo" and r["method"]["k_sd"] > 0 and "min_on_ms" in r["method"]
    bursts = [b for ch in r["channels"].values() for b in ch["bursts"]]
    assert bursts and all(0.0 <= b["confidence"] <= 1.0 for b in bursts)
