"""Conditioning: streaming (carried state) vs offline (zero-phase) envelopes, moving RMS, filter design."""

from __future__ import annotations

import numpy as np
from scipy import signal

from clinic.signals.conditioning import (
    ConditioningSettings,
    StreamingConditioner,
    bandpass_notch_sos,
    block_mean_cm,
    condition,
    envelope_decimated,
    linear_envelope,
    moving_rms,
)
from devices.simulator.physiology import build_scenario

MAINS_50 = ConditioningSettings(mains_hz=50.0)  # the simulator's mains


def test_streaming_and_offline_envelopes_agree_within_5_percent_of_peak() -> None:
    """After aligning the streaming filters' delay: RMS difference <= 5 % of the peak, and the mean over each
    rep's hold (what the live view and the report show) within 5 % of the peak. Sample by sample the two
    differ more (the ripple of a rectified noise-like signal depends on the filters' phase)."""
    sc = build_scenario("healthy", reps=2, seed=5, artefacts=False)
    rate = sc.emg_rate_hz
    offline = linear_envelope(condition(sc.emg_uv, rate, MAINS_50), rate)
    stream = StreamingConditioner(rate, sc.emg_uv.shape[1], MAINS_50)
    blocks = np.array_split(sc.emg_uv, 97)  # uneven blocks, as from a device
    live = np.vstack([stream.process(b) for b in blocks])
    lag = int(round(stream.delay_s * rate))
    assert 0 < lag < 0.2 * rate
    aligned = np.full_like(live, np.nan)
    aligned[:-lag] = live[lag:]
    settle = int(2 * rate)  # the causal filters start from rest
    a, b = offline[settle:-lag - settle], aligned[settle:-lag - settle]
    peak = offline.max(axis=0)
    rms = np.sqrt(np.mean((a - b) ** 2, axis=0)) / peak
    print(f"RMS |streaming - offline| / peak per channel: {np.round(rms, 3)} (delay {stream.delay_s * 1000:.1f} ms)")
    assert np.all(rms <= 0.05)
    for rep in sc.truth:
        i0, i1 = int(rep.hold_start_s * rate), int(rep.hold_end_s * rate)
        diff = np.abs(offline[i0:i1].mean(axis=0) - aligned[i0:i1].mean(axis=0)) / peak
        assert np.all(diff <= 0.05)


def test_notch_is_folded_into_the_band_pass_and_removes_mains() -> None:
    rate = 2000.0
    sos = bandpass_notch_sos(rate, ConditioningSettings(mains_hz=60.0))
    assert sos.shape == (3, 6)  # 4th-order band-pass (two sections) + the notch, one cascade
    w, h = signal.sosfreqz(sos, worN=[60.0, 120.0], fs=rate)
    assert abs(h[0]) < 0.01 and abs(h[1]) > 0.9
    t = np.arange(int(4 * rate)) / rate
    x = (100 * np.sin(2 * np.pi * 60 * t) + 500)[:, None]  # mains + DC
    y = condition(x, rate, ConditioningSettings(mains_hz=60.0))
    assert y.dtype == np.float32 and np.abs(y[int(rate):-int(rate)]).max() < 1.0


def test_band_edge_clipped_below_nyquist_at_250_hz() -> None:
    x = np.random.default_rng(0).standard_normal((2500, 2)).astype(np.float32)
    y = condition(x, 250.0, MAINS_50)  # 450 Hz would be above Nyquist: clipped, no error
    assert np.all(np.isfinite(y))


def test_moving_rms_of_a_sine_and_block_means() -> None:
    rate = 1000.0
    t = np.arange(5000) / rate
    x = np.column_stack([np.sin(2 * np.pi * 50 * t) * 10, np.full_like(t, 3.0)])
    r = moving_rms(x, rate, 100.0)
    assert np.allclose(r[200:, 0], 10 / np.sqrt(2), rtol=0.01)
    assert np.allclose(r[:, 1], 3.0)
    assert np.allclose(block_mean_cm(np.arange(12.0)[None, :], 4), [[1.5, 5.5, 9.5]])


def test_decimated_envelope_matches_full_rate_envelope() -> None:
    sc = build_scenario("typical", reps=2, seed=2)
    rate = sc.emg_rate_hz
    f = condition(sc.emg_uv, rate, MAINS_50)
    full = linear_envelope(f, rate)
    dec, dec_rate = envelope_decimated(np.ascontiguousarray(f.T), rate)
    k = int(rate / dec_rate)
    centres = full[k // 2::k][:dec.shape[1]].T
    err = np.abs(dec - centres)[:, 200:-200].max(axis=1) / full.max(axis=0)
    assert np.all(err < 0.03)
