"""Normalisation: resting baseline (noise floor) and MVC reference per muscle; envelopes in %MVC.

The MVC reference of a muscle is the peak of a ``window_ms`` (default 500 ms) moving average of its linear
envelope over an MVC trial (usually the best of 3 attempts; pass the attempts concatenated or take the max).
It is in the units of the envelope (uV of the rectified, low-passed EMG), so task envelopes divided by it are
%MVC. Without a reference, amplitudes stay in microvolts and ratios between muscles are ``None`` with the
reason: they are only meaningful in %MVC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from clinic.signals.conditioning import ConditioningSettings, condition_cm, envelope_decimated, moving_mean_cm

NO_MVC_REASON = "no MVC reference for {muscles}: amplitudes are in microvolts, and ratios between muscles are " \
                "only meaningful in %MVC"


def mvc_reference(raw_mvc: np.ndarray, rate_hz: float, names: Sequence[str], window_ms: float = 500.0, *,
                  conditioning: ConditioningSettings) -> dict[str, float]:
    """Per channel: the peak of a ``window_ms`` moving average of the linear envelope of an MVC trial."""
    filtered = condition_cm(np.asarray(raw_mvc).T, rate_hz, conditioning)
    env, env_rate = envelope_decimated(filtered, rate_hz, conditioning.envelope_lowpass_hz)
    smooth = moving_mean_cm(env, max(1, int(window_ms / 1000.0 * env_rate)))
    return {str(n): float(smooth[i].max()) for i, n in enumerate(names)}


def resting_baseline(envelope_cm: np.ndarray, env_rate_hz: float, names: Sequence[str],
                     window_s: float = 1.0) -> dict[str, float]:
    """Per channel: the mean envelope over its quietest ``window_s`` (the noise floor in envelope units)."""
    n = max(1, int(window_s * env_rate_hz))
    out = {}
    for i, name in enumerate(names):
        x = np.asarray(envelope_cm[i], dtype=np.float64)
        if len(x) <= n:
            out[str(name)] = float(x.mean()) if len(x) else 0.0
            continue
        c = np.concatenate([[0.0], np.cumsum(x)])
        means = (c[n:] - c[:-n]) / n
        out[str(name)] = float(means.min())
    return out


def to_percent_mvc(value_uv: float | None, mvc_uv: float | None, baseline_uv: float = 0.0) -> float | None:
    """A value in envelope microvolts as %MVC, with the resting noise floor removed; None without an MVC.

    Noise and muscle signal add in power, not in amplitude, so the floor is removed as
    ``sqrt(value^2 - baseline^2)`` (from both the value and the MVC reference).
    """
    if value_uv is None or not mvc_uv or mvc_uv <= baseline_uv:
        return None
    num = np.sqrt(max(value_uv * value_uv - baseline_uv * baseline_uv, 0.0))
    den = np.sqrt(mvc_uv * mvc_uv - baseline_uv * baseline_uv)
    return float(100.0 * num / den)


def ratio(numerator_pct: float | None, denominator_pct: float | None) -> float | None:
    """Ratio of two %MVC values; None when either is missing or the denominator is not positive."""
    if numerator_pct is None or denominator_pct is None or denominator_pct <= 0:
        return None
    return numerator_pct / denominator_pct


def missing_mvc(mvc: Mapping[str, float] | None, channels: Sequence[str]) -> list[str]:
    """Channels (of those given) with no usable MVC reference."""
    return [c for c in channels if not mvc or not mvc.get(c)]
