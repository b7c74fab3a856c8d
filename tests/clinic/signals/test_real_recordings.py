"""Real surface EMG (tests/data/recordings, see the README there): labelled bursts found, rest left alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.onsets import OnsetSettings, detect_onsets

MAINS_50 = ConditioningSettings(mains_hz=50.0)  # the simulator's mains

DATA = Path(__file__).resolve().parents[2] / "data" / "recordings"


def _biceps() -> tuple[np.ndarray, dict]:
    z = np.load(DATA / "biosignalsnotebooks_biceps_fatigue.npz")
    uv = (z["adc"].astype(np.float64) / 4096 - 0.5) * 3000  # the conversion in the JSON
    labels = json.loads((DATA / "biosignalsnotebooks_biceps_fatigue.json").read_text())
    return uv[:, None], labels["channels"]["biceps_brachii"]


@pytest.mark.parametrize("method", ["tkeo", "hodges_bui"])
def test_biceps_fatigue_labelled_bursts(method: str) -> None:
    x, lab = _biceps()
    bursts = detect_onsets(x, 1000.0, ["biceps"], OnsetSettings(method=method), conditioning=MAINS_50)[0].bursts
    onsets = np.array([b.onset_s for b in bursts])
    # every labelled burst (30) overlapped by a detected one, at most one extra (a short piece of the
    # low-level activity between contractions)
    assert len(lab["bursts"]) <= len(bursts) <= len(lab["bursts"]) + 1
    for a, b in lab["bursts"]:
        assert any(burst.onset_s < b and burst.offset_s > a for burst in bursts)
    # scored onsets: most inside the labellers' window, none far from it (real data: +-10-25 ms is usual
    # between good detectors; the labels mark the phasic rise, our onsets sit at its foot or up to ~0.15 s in)
    inside = 0
    for (w0, w1), scored in zip(lab["onset_windows"], lab["scored"]):
        if not scored:
            continue
        near = onsets[np.argmin(np.abs(onsets - (w0 + w1) / 2))]
        inside += w0 <= near <= w1
        assert w0 - 0.2 <= near <= w1 + 0.2
    # measured: 26 (TKE, the default; >= 90 % is the bar) and 24 (Hodges-Bui) of 28 inside
    assert inside >= (0.9 if method == "tkeo" else 0.75) * sum(lab["scored"])
    # no onset in the resting stretches; an offset may reach 0.1 s into one (the decay walked down to the floor,
    # where the labellers' 50 ms RMS envelope had already fallen under their threshold)
    for q0, q1 in lab["quiet"]:
        assert not [b for b in bursts if q0 <= b.onset_s <= q1], (q0, q1)
        assert not [b for b in bursts if b.onset_s < q1 and b.offset_s > q0 + 0.1], (q0, q1)


@pytest.mark.parametrize("method", ["tkeo", "hodges_bui"])
def test_biosppy_weak_recording_activity_only_around_37_58_s(method: str) -> None:
    """Only the 50-58 s activity is strong enough; the short weak flickers at 37-40 s (< 250 ms, < 12 dB over
    rest) are below the bar short bursts must clear."""
    z = np.load(DATA / "biosppy_emg_1000hz.npz")
    x = z["adc"].astype(np.float64)[:, None]
    bursts = detect_onsets(x, float(z["rate_hz"]), ["emg"], OnsetSettings(method=method),
                           conditioning=MAINS_50)[0].bursts
    assert bursts
    assert all(b.onset_s >= 35.0 and b.offset_s <= 60.0 for b in bursts)
    assert any(b.offset_s > 55.0 for b in bursts)
