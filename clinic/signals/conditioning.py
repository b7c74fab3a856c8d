"""EMG conditioning: band-pass + mains notch, rectification and envelopes.

Offline functions are zero-phase (``sosfiltfilt``; the notch runs forward only, see ``causal_notch``) for
stored recordings; ``StreamingConditioner`` carries
filter state block to block for the live view. Arrays are samples x channels; internally all channels are
filtered as one channel-major float32 array (contiguous along time, which is what ``sosfilt`` likes).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np


def _signal():  # noqa: ANN202 - scipy.signal, loaded at the first filter (~1 s), not with the settings
    from scipy import signal

    return signal


#: threads for the offline band-pass (channel groups; scipy's sosfilt runs without the GIL)
MAX_THREADS = 2


@dataclass(frozen=True, kw_only=True)
class ConditioningSettings:
    """How raw EMG is filtered. ``mains_hz`` has no default: it is the clinic's setting (50 or 60 Hz, or None
    for no notch), and a caller that forgot it must fail rather than silently notch 50 Hz."""

    mains_hz: float | None
    band_low_hz: float = 20.0
    band_high_hz: float = 450.0
    envelope_lowpass_hz: float = 6.0

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)


def band_edges_hz(rate_hz: float, s: ConditioningSettings) -> tuple[float, float]:
    """Band-pass edges actually used: the high edge is clipped to 90 % of Nyquist."""
    high = min(s.band_high_hz, 0.45 * rate_hz)
    low = min(s.band_low_hz, 0.5 * high)
    return low, high


def bandpass_notch_sos(rate_hz: float, s: ConditioningSettings) -> np.ndarray:
    """4th-order Butterworth band-pass (high edge clipped below Nyquist) with the mains notch folded in.

    A 4th-order band-pass is ``butter(N=2, btype="band")`` in scipy (the band-pass doubles the prototype
    order): two second-order sections, plus one for the notch. Run forward and backward offline (zero-phase),
    its magnitude response is squared.
    """
    low, high = band_edges_hz(rate_hz, s)
    sos = _signal().butter(2, [low, high], btype="band", fs=rate_hz, output="sos")
    if s.mains_hz and s.mains_hz < 0.95 * rate_hz / 2.0:
        b, a = _signal().iirnotch(s.mains_hz, Q=30.0, fs=rate_hz)
        sos = np.vstack([sos, _signal().tf2sos(b, a)])
    return sos


def _notch_warmup_samples(rate_hz: float, mains_hz: float, n: int) -> int:
    """About 1 s of whole mains periods that is also a whole number of samples (at most ``n``)."""
    per = rate_hz / mains_hz
    k = next((k for k in range(1, 101) if abs(k * per - round(k * per)) < 1e-6), 1)
    step = max(1, int(round(k * per)))
    return min(n, max(step, int(rate_hz) // step * step))


@lru_cache(maxsize=32)
def _highpass_design(rate_hz: float, low_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """2nd-order Butterworth high-pass (float32 sections) and its unit-step steady state (float64), designed
    once per rate: the onset refinement filters every channel's onsets with it. Shared: never modified
    (scipy's sosfilt reads its sections through a writable buffer, so they cannot be made read-only)."""
    signal = _signal()
    sos = signal.butter(2, low_hz, btype="high", fs=rate_hz, output="sos")
    return sos.astype(np.float32), signal.sosfilt_zi(sos)


@lru_cache(maxsize=32)
def _bandpass_design(rate_hz: float, low_hz: float, high_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """4th-order Butterworth band-pass sections and their unit-step steady state, float32, designed once;
    shared, never modified."""
    signal = _signal()
    sos = signal.butter(2, [low_hz, high_hz], btype="band", fs=rate_hz, output="sos").astype(np.float32)
    return sos, signal.sosfilt_zi(sos).astype(np.float32)


def causal_highpass(x_cm: np.ndarray, rate_hz: float, low_hz: float, mains_hz: float | None) -> np.ndarray:
    """Forward-only high-pass (2nd order, started in the steady state of the first sample) and mains notch.

    Nothing of a burst reaches back before its onset, unlike any zero-phase filter (whose low-pass edge near
    Nyquist spreads a crisp onset back by a few samples, -14 dB at 250 Hz): the onset refinement reads this.
    """
    x = np.asarray(x_cm, dtype=np.float32)
    sos, zi_unit = _highpass_design(float(rate_hz), float(low_hz))
    zi = zi_unit[:, None, :] * x[None, :, :1]
    y, _ = _signal().sosfilt(sos, x, axis=1, zi=zi.astype(np.float32))
    if mains_hz and mains_hz < 0.95 * rate_hz / 2.0 and y.shape[1] > 1:
        return causal_notch(y, rate_hz, mains_hz)
    return y.astype(np.float32, copy=False)


@lru_cache(maxsize=32)
def _notch_sos(rate_hz: float, mains_hz: float) -> np.ndarray:
    """The mains notch's section (float32), designed once per rate and mains; shared, never modified."""
    signal = _signal()
    b, a = signal.iirnotch(mains_hz, Q=30.0, fs=rate_hz)
    return signal.tf2sos(b, a).astype(np.float32)


def causal_notch(y: np.ndarray, rate_hz: float, mains_hz: float) -> np.ndarray:
    """The mains notch run forward only, started in the periodic steady state of the mains.

    A zero-phase notch (Q = 30) rings ~0.2 s *before* a sharp onset at several % of the burst amplitude (the
    burst's own mains-band energy, spread both ways); at 250 Hz, where the mains sit mid-band, that is
    -20 dB and walks onsets tens of ms early. Run forward, the ringing falls after the onset, inside the
    burst. Its start-up transient is avoided by first running it over about a second of whole mains periods:
    the state it ends in is the state a stationary mains hum has at the first sample.
    """
    signal = _signal()
    sos = _notch_sos(rate_hz, mains_hz)
    warm = _notch_warmup_samples(rate_hz, mains_hz, y.shape[1])
    zi = signal.sosfilt_zi(sos).astype(np.float32)[:, :, None] * y[None, None, :, 0]
    zi = np.moveaxis(zi, 2, 1)  # (sections, channels, 2)
    _, zi = signal.sosfilt(sos, y[:, :warm], axis=1, zi=zi)
    zi = np.ascontiguousarray(zi, dtype=np.float32)
    out, _ = signal.sosfilt(sos, y, axis=1, zi=zi)
    return out.astype(np.float32, copy=False)


def condition_cm(x_cm: np.ndarray, rate_hz: float,
                 s: ConditioningSettings, threads: int | None = None) -> np.ndarray:
    """Zero-phase band-pass with the mains notch run forward only (``causal_notch``), of channel-major raw EMG
    (channels x samples); DC removed; float32.

    What ``sosfiltfilt`` does, with the notch inside the forward pass only: the band-pass forward (from its
    steady state on an odd extension of ``padlen`` samples at each end, which also removes the DC), the notch
    forward, the band-pass backward. Five second-order passes instead of six.
    """
    signal = _signal()
    x = np.ascontiguousarray(x_cm, dtype=np.float32)
    n = x.shape[1]
    padlen = min(n - 1, 3 * int(rate_hz / max(s.band_low_hz, 1.0)))
    low, high = band_edges_hz(rate_hz, s)
    # float32 coefficients keep the whole cascade in float32 (half the memory traffic; error < 1e-5 of peak)
    sos_bp, zi_unit = _bandpass_design(float(rate_hz), float(low), float(high))
    zi_bp = zi_unit[:, None, :]
    notch = bool(s.mains_hz and s.mains_hz < 0.95 * rate_hz / 2.0) and n > 1
    # forward: band-pass and notch in one cascade; backward: the band-pass only
    sos_fwd = np.vstack([sos_bp, _notch_sos(rate_hz, float(s.mains_hz))]) if notch else sos_bp  # type: ignore[arg-type]

    def run(part: np.ndarray) -> np.ndarray:
        if padlen > 0:
            first, last = part[:, :1], part[:, -1:]
            part = np.concatenate([2 * first - part[:, padlen:0:-1], part, 2 * last - part[:, -2:-padlen - 2:-1]],
                                  axis=1)
        zi = zi_bp * part[None, :, :1]
        if notch:
            # the notch starts in the periodic steady state of the mains: its state after ~1 s of whole periods
            warm = _notch_warmup_samples(rate_hz, float(s.mains_hz), part.shape[1])  # type: ignore[arg-type]
            zi = np.concatenate([zi, np.zeros((1, part.shape[0], 2), np.float32)])
            _, z_end = signal.sosfilt(sos_fwd, part[:, :warm], axis=1, zi=zi)
            zi[-1] = z_end[-1]
        y, _ = signal.sosfilt(sos_fwd, part, axis=1, zi=zi)
        back = y[:, ::-1]
        y, _ = signal.sosfilt(sos_bp, back, axis=1, zi=zi_bp * back[None, :, :1])
        y = y[:, ::-1]
        return (y[:, padlen:padlen + n] if padlen > 0 else y).astype(np.float32, copy=False)

    workers = min(threads or MAX_THREADS, os.cpu_count() or 1, x.shape[0])
    if workers > 1 and x.size >= 1_000_000:
        # scipy's sosfilt releases the GIL: channel groups filter in parallel on a multi-core workstation
        with ThreadPoolExecutor(workers) as pool:
            return np.vstack(list(pool.map(run, np.array_split(x, workers, axis=0))))
    return run(x)


def condition(x: np.ndarray, rate_hz: float, s: ConditioningSettings) -> np.ndarray:
    """Zero-phase band-pass + notch of raw EMG (samples x channels), DC removed, float32."""
    return condition_cm(np.asarray(x).T, rate_hz, s).T


def linear_envelope(filtered: np.ndarray, rate_hz: float, cutoff_hz: float = 6.0) -> np.ndarray:
    """Full-wave rectification then a zero-phase 2nd-order low-pass (samples x channels, full rate)."""
    sos = _signal().butter(2, min(cutoff_hz, 0.45 * rate_hz), fs=rate_hz, output="sos")
    return _signal().sosfiltfilt(sos, np.abs(filtered), axis=0).astype(np.float32)


def block_mean_cm(x_cm: np.ndarray, k: int, rectify: bool = False) -> np.ndarray:
    """Means of consecutive blocks of ``k`` samples along time (channel-major; the tail is dropped), float32.

    A sum of products with a vector of 1/k (``einsum``) rather than ``mean`` over a short axis, which numpy
    does slowly; ``rectify`` averages ``|x|``.
    """
    c, n = x_cm.shape
    m = n // k
    x = x_cm[:, :m * k]
    if rectify:
        x = np.abs(x, dtype=np.float32)  # |x| written contiguously in one pass
    if k == 1:
        return np.array(x, dtype=np.float32)
    # (channels, blocks, k) is a view of float32 input, contiguous or not: no copy before the sum. einsum's
    # own loop rather than BLAS: a multi-threaded BLAS call leaves its workers spinning for a while
    # afterwards, which starves the filter threads of the next channel group or trial
    y = x.reshape(c, m, k).astype(np.float32, copy=False)
    return np.einsum("cmk,k->cm", y, np.full(k, 1.0 / k, dtype=np.float32))


def envelope_decimated(filtered_cm: np.ndarray, rate_hz: float, cutoff_hz: float = 6.0,
                       out_rate_hz: float = 200.0) -> tuple[np.ndarray, float]:
    """Linear envelope at a reduced rate (channels x blocks): rectify, block mean, zero-phase low-pass.

    The block mean is the anti-alias filter (its first null is at the output rate, far above the 6 Hz
    cut-off), so the result equals the full-rate envelope sampled at the block centres to well below 1 %,
    at a fraction of the cost. Returns the envelope and its rate in Hz.
    """
    k = max(1, int(rate_hz // out_rate_hz))
    blocks = block_mean_cm(filtered_cm, k, rectify=True)
    rate = rate_hz / k
    if blocks.shape[1] > 9:
        sos = _signal().butter(2, min(cutoff_hz, 0.45 * rate), fs=rate, output="sos")
        blocks = _signal().sosfiltfilt(sos, blocks, axis=1, padlen=min(blocks.shape[1] - 1, int(rate)))
    return blocks.astype(np.float32), rate


def moving_mean_cm(x_cm: np.ndarray, n: int) -> np.ndarray:
    """Centred moving mean over ``n`` samples along time of channel-major data (edges: nearest), float32."""
    n = max(1, min(int(n), x_cm.shape[1]))
    from scipy import ndimage

    return ndimage.uniform_filter1d(np.asarray(x_cm, dtype=np.float32), n, axis=1, mode="nearest")


def moving_rms(x: np.ndarray, rate_hz: float, window_ms: float = 100.0) -> np.ndarray:
    """Moving RMS over ``window_ms`` (trailing window; samples x channels), float32."""
    x = np.asarray(x)
    n = max(1, int(round(window_ms / 1000.0 * rate_hz)))
    sq = np.zeros((x.shape[0] + 1, x.shape[1]))
    np.cumsum(np.square(x, dtype=np.float64), axis=0, out=sq[1:])
    idx = np.arange(x.shape[0]) + 1
    lo = np.maximum(idx - n, 0)
    return np.sqrt(np.maximum((sq[idx] - sq[lo]) / (idx - lo)[:, None], 0.0)).astype(np.float32)


def streaming_lowpass_sos(rate_hz: float, cutoff_hz: float) -> np.ndarray:
    """Causal low-pass whose magnitude matches the offline zero-phase 2nd-order envelope filter.

    ``sosfiltfilt`` squares the magnitude of the 2nd-order filter (-6 dB at the cut-off); a 4th-order
    Butterworth at 0.8 x the cut-off has nearly the same magnitude, so only the phase differs.
    """
    return _signal().butter(4, min(0.8 * cutoff_hz, 0.45 * rate_hz), fs=rate_hz, output="sos")


def group_delay_s(sos: np.ndarray, freqs_hz: np.ndarray, rate_hz: float, step_hz: float = 0.01) -> np.ndarray:
    """Group delay (s) of an SOS filter at ``freqs_hz``, from the phase slope of its frequency response."""
    f = np.asarray(freqs_hz, dtype=np.float64)
    _, h1 = _signal().sosfreqz(sos, worN=f, fs=rate_hz)
    _, h2 = _signal().sosfreqz(sos, worN=f + step_hz, fs=rate_hz)
    return -np.angle(h2 / h1) / (2 * np.pi * step_hz)


class StreamingConditioner:
    """Band-pass + notch + rectify + low-pass, block by block with carried state (for the live view).

    ``delay_s`` is the envelope's delay against the offline (zero-phase) envelope: the low-frequency group
    delay of the low-pass plus the band-pass group delay in the EMG band.
    """

    def __init__(self, rate_hz: float, n_channels: int, s: ConditioningSettings) -> None:
        self._sos_bp = bandpass_notch_sos(rate_hz, s)
        self._sos_lp = streaming_lowpass_sos(rate_hz, s.envelope_lowpass_hz)
        self._z_bp = np.zeros((self._sos_bp.shape[0], 2, n_channels))
        self._z_lp = np.zeros((self._sos_lp.shape[0], 2, n_channels))
        self._started = False
        low, high = band_edges_hz(rate_hz, s)
        band = np.linspace(low + 0.25 * (high - low), low + 0.75 * (high - low), 32)  # inside the pass band
        bp_only = _signal().butter(2, [low, high], btype="band", fs=rate_hz, output="sos")  # the notch adds ~0
        self.delay_s = float(np.median(group_delay_s(bp_only, band, rate_hz))
                             + group_delay_s(self._sos_lp, np.array([0.5]), rate_hz)[0])

    def process(self, block: np.ndarray) -> np.ndarray:
        """Envelope of one block of raw samples (samples x channels), float32; state carries over."""
        block = np.asarray(block, dtype=np.float64)
        if not self._started and block.shape[0]:
            # start the band-pass in the steady state of the first sample (no DC step transient)
            self._z_bp = _signal().sosfilt_zi(self._sos_bp)[:, :, None] * block[0][None, None, :]
            self._started = True
        filtered, self._z_bp = _signal().sosfilt(self._sos_bp, block, axis=0, zi=self._z_bp)
        env, self._z_lp = _signal().sosfilt(self._sos_lp, np.abs(filtered), axis=0, zi=self._z_lp)
        return env.astype(np.float32)
