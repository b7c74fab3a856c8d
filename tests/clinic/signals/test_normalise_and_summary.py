"""%MVC normalisation, ratios only with an MVC, trial/session summaries and the episode comparison."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from clinic.signals.analysis import analyze_trial
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.normalise import mvc_reference, to_percent_mvc
from clinic.signals.summary import compare_sessions, describe, rep_summary, session_summary
from devices.simulator.physiology import build_scenario, mvc_trial

MAINS_50 = ConditioningSettings(mains_hz=50.0)  # the simulator's mains


@pytest.fixture(scope="module")
def scenario():  # noqa: ANN201
    return build_scenario("healthy", reps=3, seed=31)


def test_percent_mvc_matches_the_simulated_activation(scenario) -> None:  # noqa: ANN001
    sc = scenario
    mvc = mvc_reference(mvc_trial(sc, seed=1), sc.emg_rate_hz, sc.emg_channels, conditioning=MAINS_50)
    r = analyze_trial(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, sc.side, sc.force_n, sc.plate_rate_hz, mvc=mvc,
                      conditioning=MAINS_50)
    assert r["amplitude_units"] == "%MVC" and r["amplitude_note"] is None
    for rep, truth in zip(r["reps"], sc.truth):
        for muscle in ("glute_max", "hamstrings", "erector_spinae"):
            got = rep["hold_amplitude"][muscle]["mean_pct_mvc"]
            want = truth.pct_mvc[f"{muscle}_{sc.side}"]
            assert got == pytest.approx(want, rel=0.15, abs=2.0)
        assert rep["glute_hamstring_ratio"] > 1.0  # healthy profile: glute works harder
        assert rep["ratio_reason"] is None


def test_without_mvc_amplitudes_stay_in_microvolts_and_ratios_are_null(scenario) -> None:  # noqa: ANN001
    sc = scenario
    r = analyze_trial(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, sc.side, sc.force_n, sc.plate_rate_hz,
                      conditioning=MAINS_50)
    assert r["amplitude_units"] == "uV" and "MVC" in r["amplitude_note"]
    rep = r["reps"][0]
    assert rep["glute_hamstring_ratio"] is None and rep["lumbar_glute_ratio"] is None
    assert "only meaningful in %MVC" in rep["ratio_reason"]
    assert rep["hold_amplitude"]["glute_max"]["mean_uv"] > 0
    assert rep["hold_amplitude"]["glute_max"]["mean_pct_mvc"] is None


def test_mvc_reference_from_an_mvc_trial() -> None:
    rate = 2000.0
    rng = np.random.default_rng(0)
    t = np.arange(int(6 * rate)) / rate
    amp = np.where((t > 2) & (t < 4), 200.0, 3.0)
    carrier = signal.sosfiltfilt(signal.butter(4, [40, 300], btype="band", fs=rate, output="sos"),
                                 rng.standard_normal(len(t)))  # inside the pass band
    x = (amp * carrier / carrier.std())[:, None]
    ref = mvc_reference(x, rate, ["glute_max_left"], conditioning=MAINS_50)["glute_max_left"]
    assert ref == pytest.approx(200 * np.sqrt(2 / np.pi), rel=0.1)  # mean |x| of a 200 uV RMS contraction
    assert to_percent_mvc(ref / 2, ref) == pytest.approx(50.0)
    assert to_percent_mvc(10.0, None) is None


def test_summaries_and_episode_comparison() -> None:
    reps = [{"firing_order": ["glute_max", "hamstrings"], "glute_first": True, "glute_lead_hamstrings_ms": 40.0,
             "hold_ms": 6000.0, "hold_reached": True},
            {"firing_order": ["hamstrings", "glute_max"], "glute_first": False, "glute_lead_hamstrings_ms": -20.0,
             "hold_ms": 5000.0, "hold_reached": True},
            {"firing_order": ["glute_max"], "glute_first": True, "glute_lead_hamstrings_ms": None,
             "hold_ms": 4000.0, "hold_reached": False}]
    s = rep_summary(reps)
    assert s["reps"] == 3 and s["glute_first_share"] == pytest.approx(2 / 3, abs=1e-3)
    assert s["glute_lead_hamstrings_ms_median"] == 10.0 and s["spread"]["glute_lead_hamstrings_ms"]["n"] == 2
    assert s["hold_ms_median"] == 5000.0 and s["hold_ms_iqr"] == 1000.0
    assert describe([None, float("nan")])["n"] == 0
    sess = session_summary([{"exercise": "cook_hip_lift", "reps": reps}, {"exercise": "glute_bridge",
                                                                            "reps": reps[:1]}])
    assert sess["reps"] == 4 and set(sess["by_exercise"]) == {"cook_hip_lift", "glute_bridge"}
    weeks = [{"week": 3, "glute_first_share": 0.8, "glute_lead_hamstrings_ms_median": 20.0},
             {"week": 1, "glute_first_share": 0.2, "glute_lead_hamstrings_ms_median": -120.0},
             {"week": 2, "glute_first_share": 0.5, "glute_lead_hamstrings_ms_median": None}]
    c = compare_sessions(weeks)
    assert c["weeks"] == [1, 2, 3]
    share = c["metrics"]["glute_first_share"]
    assert share["values"] == [0.2, 0.5, 0.8] and share["change"] == pytest.approx(0.6)
    assert share["slope_per_week"] == pytest.approx(0.3)
    lead = c["metrics"]["glute_lead_hamstrings_ms_median"]
    assert lead["change"] == pytest.approx(140.0) and lead["values"][1] is None


def test_demo_progression_shows_in_the_comparison() -> None:
    """Amnesic -> typical -> healthy over weeks (as the demo seeds it): the glute lead rises."""
    summaries = []
    for week, profile in enumerate(("amnesic", "typical", "healthy"), start=1):
        sc = build_scenario(profile, reps=3, seed=40 + week, emg_rate_hz=1000.0, plate_rate_hz=100.0)
        r = analyze_trial(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, sc.side, sc.force_n, sc.plate_rate_hz,
                      conditioning=MAINS_50)
        summaries.append({"week": week, **r["summary"]})
    lead = compare_sessions(summaries)["metrics"]["glute_lead_hamstrings_ms_median"]
    assert lead["values"][0] < 0 < lead["values"][2] and lead["slope_per_week"] > 0
