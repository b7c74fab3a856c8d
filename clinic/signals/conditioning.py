"""EMG conditioning: band-pass + mains notch (one SOS cascade), rectification and envelopes.

Offline functions are zero-phase (``sosfiltfilt``) for stored recordings; ``StreamingConditioner`` carries
filter state block to block for the live view. All channels are filtered as one 2-D float32 array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal


@dataclass(frozen=True)
class ConditioningSettings:
    band_low_hz: float = 20.0
    band_high_hz: float = 450.0
    mains_hz: float | None = 50.0
    envelope_lowpass_hz: float = 6.0
    onset_lowpass_hz: float = 50.0


def bandpass_notch_sos(rate_hz: float, s: ConditioningSettings = ConditioningSettings()) -> np.ndarray:
    """4th-order Butterworth band-pass (high edge clipped below Nyquist) with the mains notch folded in."""
    nyq = rate_hz / 2.0
    high = min(s.band_high_hz, 0.9 * nyq)
    low = min(s.band_low_hz, 0.5 * high)
    sos = signal.butter(4, [low, high], btype="band", fs=rate_hz, output="sos")
    if s.mains_hz and s.mains_hz < 0.95 * nyq:
        b, a = signal.iirnotch(s.mains_hz, Q=30.0, fs=rate_hz)
        sos = np.vstack([sos, signal.tf2sos(b, a)])
    return sos


def condition(x: np.ndarray, rate_hz: float, s: ConditioningSettings = ConditioningSettings()) -> np.ndarray:
    """Zero-phase band-pass + notch of raw EMG (samples x channels), DC removed, float32."""
    x = np.asarray(x, dtype=np.float32)
    x = x - x.mean(axis=0, keepdims=True)
    return signal.sosfiltfilt(bandpass_notch_sos(rate_hz, s), x, axis=0).astype(np.float32)


def linear_envelope(filtered: np.ndarray, rate_hz: float, cutoff_hz: float = 6.0) -> np.ndarray:
    """Full-wave rectification then a zero-phase 2nd-order low-pass (the amplitude envelope)."""
    sos = signal.butter(2, min(cutoff_hz, 0.45 * rate_hz), fs=rate_hz, output="sos")
    return signal.sosfiltfilt(sos, np.abs(filtered), axis=0).astype(np.float32)


def moving_rms(x: np.ndarray, rate_hz: float, window_ms: float = 100.0) -> np.ndarray:
    n = max(1, int(round(window_ms / 1000.0 * rate_hz)))
    sq = np.cumsum(np.square(x, dtype=np.float64), axis=0)
    sq = np.vstack([np.zeros((1, x.shape[1])), sq])
    out = np.empty_like(x, dtype=np.float32)
    idx = np.arange(x.shape[0]) + 1
    lo = np.maximum(idx - n, 0)
    out[:] = np.sqrt((sq[idx] - sq[lo]) / (idx - lo)[:, None])
    return out


class StreamingConditioner:
    """Band-pass + notch + rectify + low-pass, block by block with carried state (for the live view)."""

    def __init__(self, rate_hz: float, n_channels: int, s: ConditioningSettings = ConditioningSettings()) -> None:
        self._sos_bp = bandpass_notch_sos(rate_hz, s)
        self._sos_lp = signal.butter(2, min(s.envelope_lowpass_hz, 0.45 * rate_hz), fs=rate_hz, output="sos")
        self._z_bp = np.zeros((self._sos_bp.shape[0], 2, n_channels))
        self._z_lp = np.zeros((self._sos_lp.shape[0], 2, n_channels))

    def process(self, block: np.ndarray) -> np.ndarray:
        filtered, self._z_bp = signal.sosfilt(self._sos_bp, block, axis=0, zi=self._z_bp)
        env, self._z_lp = signal.sosfilt(self._sos_lp, np.abs(filtered), axis=0, zi=self._z_lp)
        return env.astype(np.float32)
