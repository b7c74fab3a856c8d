"""Signal quality verdicts on injected faults, with the words a user needs."""

from __future__ import annotations

import numpy as np
import pytest

from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.quality import channel_quality, summarise
from devices.simulator.physiology import build_scenario

MAINS_50 = ConditioningSettings(mains_hz=50.0)  # the simulator's mains


@pytest.fixture(scope="module")
def clean() -> tuple[np.ndarray, float, tuple[str, ...]]:
    sc = build_scenario("healthy", reps=3, seed=11, mains_hz=0, artefacts=False)
    return sc.emg_uv.astype(np.float64), sc.emg_rate_hz, sc.emg_channels


def _one(x: np.ndarray, rate: float) -> object:
    return channel_quality(x[:, None], rate, ["glute_max_left"], conditioning=MAINS_50)[0]


def test_clean_channels_are_good(clean) -> None:  # noqa: ANN001
    x, rate, names = clean
    qs = channel_quality(x, rate, names, conditioning=MAINS_50)
    assert summarise(qs) == "good", [q.reasons for q in qs]
    assert all(2.0 <= q.rest_rms_uv <= 12.0 for q in qs)  # the simulator's 2-10 uV floors (drifting)


def test_flat_channel_is_bad(clean) -> None:  # noqa: ANN001
    x, rate, _ = clean
    q = _one(np.zeros(len(x)), rate)
    assert q.verdict == "bad" and q.flat and "disconnected" in q.reasons[0]


def test_clipped_channel_is_bad(clean) -> None:  # noqa: ANN001
    x, rate, _ = clean
    q = _one(np.clip(x[:, 0], -40, 40), rate)
    assert q.verdict == "bad" and q.clipped_share > 0.01 and "clipped" in q.reasons[0] and "gain" in q.reasons[0]


def test_mains_interference_is_flagged(clean) -> None:  # noqa: ANN001
    x, rate, _ = clean
    t = np.arange(len(x)) / rate
    q = _one(x[:, 0] + 60 * np.sin(2 * np.pi * 50 * t), rate)
    assert q.verdict in ("check", "bad") and q.mains_ratio > 1 and any("mains" in r for r in q.reasons)


def test_motion_artefact_bursts_are_flagged(clean) -> None:  # noqa: ANN001
    x, rate, _ = clean
    y = x[:, 0].copy()
    tt = np.arange(int(0.4 * rate)) / rate
    for k in range(12):
        s = int((2 + 2.5 * k) * rate)
        y[s:s + len(tt)] += 400 * np.sin(2 * np.pi * 4 * tt) * np.exp(-tt / 0.1)
    q = _one(y, rate)
    assert q.motion_events >= 10 and q.verdict in ("check", "bad") and any("motion" in r for r in q.reasons)


def test_missing_samples_and_noisy_contact(clean) -> None:  # noqa: ANN001
    x, rate, _ = clean
    y = x[:, 0].copy()
    y[::20] = np.nan
    q = _one(y, rate)
    assert q.verdict == "bad" and "missing" in q.reasons[0]
    noisy = _one(x[:, 0] + np.random.default_rng(1).normal(0, 60, len(x)), rate)
    assert noisy.verdict == "bad" and "noisy" in noisy.reasons[0]


def test_low_sample_rate_says_so() -> None:
    sc = build_scenario("healthy", reps=1, seed=3, emg_rate_hz=250.0, mains_hz=0, artefacts=False)
    q = channel_quality(sc.emg_uv, 250.0, sc.emg_channels, conditioning=MAINS_50)[0]
    assert any("250 Hz" in r and "aliases" in r for r in q.reasons)
