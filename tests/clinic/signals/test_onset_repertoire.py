"""The contractions real clinics record beyond the 6 s hold (issue 16): short crisp bursts every 3-4 s, tonic
background, ramped onsets, failing holds, bursts covering most of the time, 30 s efforts, a 50x range of
amplitudes between patients; at 1-2 kHz and at 250 Hz. Simulator truth (``build_burst_train``), fixed seeds."""

from __future__ import annotations

import pytest

from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.evaluation import score_onsets
from clinic.signals.onsets import detect_onsets
from devices.simulator.physiology import build_burst_train

MAINS_50 = ConditioningSettings(mains_hz=50.0)  # the burst trains' mains

CASES = {
    "short_bursts": dict(burst_s=(0.1, 0.6), period_s=(3.0, 4.0)),
    # tonic activity at 2-4x the noise floor in half the rests; contractions 50-200x the floor (as in the
    # recordings the issue describes)
    "tonic_background": dict(burst_s=(0.1, 0.6), period_s=(3.0, 4.0), tonic_x=(2.0, 4.0),
                             amplitude_uv=(200.0, 400.0), noise_uv=(2.0, 4.0)),
    "failing_holds": dict(burst_s=(3.0, 6.0), period_s=(5.0, 8.0), fail_after_s=(0.8, 1.5)),
    # ~75 % of the time active, rests of 0.5-1.5 s (rests under ~0.3 s can merge two contractions)
    "high_duty_cycle": dict(burst_s=(2.5, 3.0), period_s=(3.5, 4.0)),
    "long_efforts": dict(burst_s=(10.0, 30.0), period_s=(33.0, 40.0), duration_s=150.0),
    "weak_patient": dict(amplitude_uv=(15.0, 25.0), noise_uv=(2.0, 4.0)),
    "strong_patient": dict(amplitude_uv=(750.0, 1250.0), noise_uv=(2.0, 4.0)),  # 50x the weak one
    "cable_knocks": dict(burst_s=(0.1, 1.0), knocks=True),
}


def _score(rate: float, case: dict, seeds: range = range(2)) -> dict:
    true, found = {}, {}
    for seed in seeds:
        kw = {"duration_s": 60.0, "channels": 2, **case}
        bt = build_burst_train(seed, emg_rate_hz=rate, **kw)
        for ch in detect_onsets(bt.emg_uv, rate, bt.emg_channels, conditioning=MAINS_50):
            true[f"{seed}:{ch.name}"] = bt.onsets_s[ch.name]
            found[f"{seed}:{ch.name}"] = [b.onset_s for b in ch.bursts]
    return score_onsets(true, found)


@pytest.mark.parametrize("rate", [2000.0, 1000.0])
@pytest.mark.parametrize("name", list(CASES))
def test_repertoire_at_1_and_2_khz(name: str, rate: float) -> None:
    s = _score(rate, CASES[name])
    print(f"{name} {rate:g} Hz: median {s['median']:.1f} ms, p95 {s['p95']:.1f} ms, misses {s['misses']}, "
          f"false {s['false']} of {s['true_bursts']}")
    assert s["median"] <= 5.0 and s["p95"] <= 10.0
    assert s["misses"] <= max(1, 0.02 * s["true_bursts"])
    assert s["false"] <= max(1, 0.02 * s["true_bursts"])


@pytest.mark.parametrize("name", ["short_bursts", "failing_holds", "long_efforts", "strong_patient"])
def test_repertoire_at_250_hz(name: str) -> None:
    s = _score(250.0, CASES[name])
    print(f"{name} 250 Hz: median {s['median']:.1f} ms, p95 {s['p95']:.1f} ms, misses {s['misses']}, "
          f"false {s['false']} of {s['true_bursts']}")
    assert s["median"] <= 8.0 and s["p95"] <= 16.0
    assert s["misses"] <= max(2, 0.05 * s["true_bursts"])
    assert s["false"] <= max(1, 0.02 * s["true_bursts"])


def test_ramped_onsets_are_found_near_the_foot_of_the_ramp() -> None:
    """Amplitude rising linearly over 50-300 ms: the onset lands where the rise leaves the floor, a few % of
    the burst amplitude up the ramp (so later by a few % of the ramp time), never before it."""
    s = _score(2000.0, dict(burst_s=(0.5, 3.0), period_s=(3.0, 5.0), ramp_s=(0.05, 0.3)))
    print(f"ramped: median {s['median']:.1f} ms, p95 {s['p95']:.1f} ms, bias {s['bias']:.1f} ms, misses "
          f"{s['misses']}, false {s['false']} of {s['true_bursts']}")
    assert s["misses"] == 0 and s["false"] == 0
    assert 0.0 <= s["bias"] <= 20.0 and s["p95"] <= 40.0


def test_the_detector_is_scale_free_across_a_50x_amplitude_range() -> None:
    """The same contractions at 20 and 1000 uV over the same 3 uV floor: the same bursts are found."""
    onsets = {}
    for amp in (20.0, 1000.0):
        bt = build_burst_train(7, emg_rate_hz=2000.0, duration_s=40.0, amplitude_uv=(amp, amp), noise_uv=(3.0, 3.0))
        found = detect_onsets(bt.emg_uv, 2000.0, bt.emg_channels, conditioning=MAINS_50)[0].bursts
        onsets[amp] = [b.onset_s for b in found]
        truth = bt.onsets_s["ch1"]
    assert len(onsets[20.0]) == len(onsets[1000.0]) == len(truth)
    assert max(abs(a - b) for a, b in zip(onsets[20.0], truth)) <= 0.01
    assert max(abs(a - b) for a, b in zip(onsets[1000.0], truth)) <= 0.01
