"""Muscle onset/offset detection on all channels at once, thresholds relative to each channel's resting baseline.

Two published detectors share one vectorised back end (``method``):

- ``"hodges_bui"`` (Hodges & Bui 1996): the rectified, band-passed EMG averaged over a short sliding window
  (``window_ms``, 25 ms; never the 6 Hz amplitude envelope, which smears onsets ~40 ms early) must exceed
  baseline mean + k * SD.
- ``"tkeo"`` (Solnik et al. 2010; the default): the same test on the Teager-Kaiser energy
  ``x[n]^2 - x[n-1] x[n+1]`` of the band-passed EMG, which weighs energy by frequency (low-frequency motion
  artefacts and crosstalk pedestals weigh less) and sharpens onsets at low SNR.

Steps (docs/analysis.md has the full description and the measured accuracy):

1. the detection signal is kept at ~500 Hz (block means of the per-sample energy; its window band-limits it);
2. a resting floor per channel from its quietest stretches only (``local_baseline``: rest blocks found near a
   low percentile, their mean within ``baseline_window_s``), so contractions covering most of the time never
   drag it up, while it follows a drifting noise floor; the baseline SD is that level times the channel's
   coefficient of variation in its rest blocks;
3. cores: at least ``min_on_ms`` continuously above mean + ``k_sd`` SD, merged across gaps < ``min_off_ms``,
   at least ``min_burst_ms`` (50 ms) long; a second pass raises the threshold to ``min_relative_db`` under the
   channel's strongest burst; bursts need a median amplitude ``min_snr_db`` over rest (``short_min_snr_db``
   when shorter than ``short_burst_ms``) and a plateau of ``min_plateau_ms`` near their peak (contractions
   of 100 ms to 30 s, not tonic activity, flickers or cable knocks); two bursts stay apart only where the
   rest between them is long enough to be told from a dip of the weaker one (``_join_dips``);
4. onset: back from where the burst reaches ``anchor_fraction`` of its median level to where the signal was
   last at the level it had just before (``pre_factor`` x that level, at least ``edge_fraction`` of the burst);
   offset: the mirror image, down to mean + ``k_off_sd`` SD at least (hysteresis);
5. refinement at the full rate: the maximum-likelihood start of a variance that grows quadratically (an
   amplitude rising linearly) within +-``ramp_ms``, on the raw EMG filtered forward only when the caller
   gives it (no zero-phase filter spreading the onset back in time);
6. a confidence (0-1) from the burst amplitude over the threshold.

Everything is numpy on channel-major arrays; Python loops run over channels and bursts, never over samples.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from clinic.signals.conditioning import (
    ConditioningSettings,
    block_mean_cm,
    causal_highpass,
    condition_cm,
    moving_mean_cm,
)
from clinic.vocabulary import ONSET_METHODS

METHODS = ONSET_METHODS
#: the onset refinement's fit needs a few samples at low rates (250 Hz: 10 ms is 2.5 samples): at least this
#: many for the growth after the onset, and for the resting variance before the search window
RAMP_MIN_POST_SAMPLES = 5
RAMP_MIN_PRE_SAMPLES = 40


@dataclass(frozen=True)
class OnsetSettings:
    """Detector parameters; recorded with every result (``as_dict``)."""

    method: str = "tkeo"
    k_sd: float = 3.0
    k_off_sd: float = 1.5
    window_ms: float = 25.0
    min_on_ms: float = 25.0
    min_off_ms: float = 100.0
    min_burst_ms: float = 50.0
    baseline_window_s: float = 60.0
    baseline_block_ms: float = 100.0
    baseline_percentile: float = 5.0
    rest_factor: float = 3.0
    min_snr_db: float = 3.0
    short_burst_ms: float = 250.0
    short_min_snr_db: float = 12.0
    min_plateau_ms: float = 50.0
    edge_ms: float = 150.0
    min_relative_db: float = -20.0
    refine: bool = True
    anchor_fraction: float = 0.25
    pre_level_ms: float = 300.0
    pre_gap_ms: float = 300.0
    pre_factor: float = 1.5
    edge_fraction: float = 0.04
    max_backtrack_ms: float = 500.0
    ramp_ms: float = 40.0
    ramp_post_ms: float = 10.0
    ramp_floor_fraction: float = 0.03

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown onset method {self.method!r}; choose one of {', '.join(METHODS)}")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Burst:
    onset_s: float
    offset_s: float
    peak: float  # peak of the detection signal over the burst, in baseline units (1 = the resting level)
    confidence: float = 1.0  # 0-1, from the burst amplitude over the threshold
    snr_db: float = 0.0  # burst amplitude over the resting level (amplitude, dB)

    @property
    def duration_ms(self) -> float:
        return (self.offset_s - self.onset_s) * 1000.0


@dataclass
class ChannelOnsets:
    name: str
    bursts: list[Burst] = field(default_factory=list)
    baseline_mean: float = 0.0  # median local baseline of the detection signal
    baseline_sd: float = 0.0
    threshold: float = 0.0
    method: str = "tkeo"


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the True runs of a 1-D boolean array."""
    d = np.diff(mask.view(np.int8), prepend=0, append=0)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def median(v: np.ndarray) -> np.floating:
    """``np.median`` of a non-empty 1-D array without NaNs, bit for bit, at a fraction of its cost.

    The detector takes a median per burst (a thousand or more per trial); ``np.median``'s axis handling and
    NaN check cost ~10x the partition itself on such short stretches. Same arithmetic: the middle element,
    or the mean of the two middle ones in the array's own precision.
    """
    h = len(v) // 2
    if len(v) % 2:
        return np.partition(v, h)[h]
    p = np.partition(v, (h - 1, h))
    return (p[h - 1] + p[h]) / 2


def energy_signal(filtered_cm: np.ndarray, method: str, abs_value: bool = False) -> np.ndarray:
    """Per-sample signal the detector works on: |x| (or x^2) for Hodges-Bui, the TKE for ``tkeo``."""
    x = filtered_cm
    if method == "tkeo":
        e = np.empty_like(x)
        mid = e[:, 1:-1]
        np.multiply(x[:, 1:-1], x[:, 1:-1], out=mid)
        mid -= x[:, :-2] * x[:, 2:]
        e[:, 0], e[:, -1] = e[:, 1], e[:, -2]
        return np.abs(e, out=e) if abs_value else e
    return np.abs(x) if abs_value else x * x


def local_baseline(det_cm: np.ndarray, rate_hz: float,
                   settings: OnsetSettings) -> tuple[np.ndarray, np.ndarray, int]:
    """Resting floor per block (channels x blocks), coefficient of variation per channel, block length.

    The floor comes from the lowest-energy stretches only, so contractions covering most of the time (or
    tonic activity) never drag it up: (1) a low percentile (``baseline_percentile``) of ``baseline_block_ms``
    block means within ``baseline_window_s`` marks the quietest level near each block; (2) blocks within
    ``rest_factor`` of it are rest; (3) the floor at each block is the mean of the rest blocks within the
    window (cumulative sums), which is unbiased where a low percentile alone sits under the mean. The CV
    (SD / mean of the detection signal inside rest blocks) turns it into a baseline SD.
    """
    c, n = det_cm.shape
    b = max(1, int(round(settings.baseline_block_ms / 1000.0 * rate_hz)))
    nb = max(1, n // b)
    blocks = det_cm[:, :nb * b].reshape(c, nb, b)
    means = blocks.mean(axis=2, dtype=np.float64)
    w = max(1, int(round(settings.baseline_window_s * 1000.0 / settings.baseline_block_ms)))
    tiny = np.finfo(np.float32).tiny
    if nb <= w:
        low = np.repeat(np.percentile(means, settings.baseline_percentile, axis=1, keepdims=True), nb, axis=1)
    else:
        # row by row: scipy's 1-D rank filter is ~10x faster than its N-D one, with the same values
        low = np.vstack([ndimage.percentile_filter(row, settings.baseline_percentile, size=w | 1, mode="nearest")
                         for row in means])
    rest = means <= settings.rest_factor * np.maximum(low, tiny)
    # mean of the rest blocks within +-w/2 blocks (at least the quiet percentile itself where there are none)
    half = w // 2
    csum = np.concatenate([np.zeros((c, 1)), np.cumsum(np.where(rest, means, 0.0), axis=1)], axis=1)
    ccnt = np.concatenate([np.zeros((c, 1)), np.cumsum(rest, axis=1)], axis=1)
    lo = np.clip(np.arange(nb) - half, 0, nb)
    hi = np.clip(np.arange(nb) + half + 1, 0, nb)
    cnt = ccnt[:, hi] - ccnt[:, lo]
    # where the window holds no rest block: the whole recording's rest mean
    overall = np.where(ccnt[:, -1:] > 0, csum[:, -1:] / np.maximum(ccnt[:, -1:], 1), low)
    level = np.where(cnt > 0, (csum[:, hi] - csum[:, lo]) / np.maximum(cnt, 1), overall)
    level = np.maximum(level, tiny)
    # SDs of the rest blocks only (the others are never used)
    cv = np.array([np.median(blocks[i][rest[i]].std(axis=1, dtype=np.float64) / np.maximum(means[i][rest[i]], tiny))
                   if rest[i].any() else 0.0 for i in range(c)])
    return level, cv, b


#: the detection signal's ceiling in resting units (a floor at digital zero would make it inf): 1e12 is
#: 120 dB over the floor in amplitude for TKE, far beyond any real contraction
MAX_RESTING_UNITS = np.float32(1e12)


def _in_resting_units(det: np.ndarray, level: np.ndarray, b: int) -> np.ndarray:
    """``det`` (samples) over the resting level of its block (``b`` samples each; the tail takes the last
    block's level), float32: one broadcast division, no per-sample copy of the levels."""
    n = len(det)
    lv = level.astype(np.float32)
    nb = min(len(lv), n // b)
    z = np.empty(n, dtype=np.float32)
    # a channel that rests at digital zero (level = float32 tiny) puts any activity (practically) infinitely
    # far above its floor: float32 overflows there, and the result is capped so that burst peaks, SNRs and
    # the stored JSON stay finite numbers
    with np.errstate(over="ignore"):
        np.divide(det[:nb * b].reshape(nb, b), lv[:nb, None], out=z[:nb * b].reshape(nb, b))
        if nb * b < n:
            np.divide(det[nb * b:], lv[nb] if nb < len(lv) else lv[-1], out=z[nb * b:])
    np.minimum(z, MAX_RESTING_UNITS, out=z)
    return z


#: variance growth per sample^2 (baseline units) tried by the onset refinement
RAMP_GAINS = np.geomspace(1e-3, 10.0, 16)


def _ramp_onsets(x: np.ndarray, centres: np.ndarray, rate_hz: float, search_ms: float,
                 post_ms: float, floor_var: np.ndarray | None = None,
                 raw: np.ndarray | None = None, conditioning: ConditioningSettings | None = None) -> np.ndarray:
    """Onset where the variance starts to grow: fit v(t) = s0 + g (t - t0)^2 (t >= t0) near each centre.

    The amplitude of a contraction grows about linearly from its true onset, so its variance grows about
    quadratically; a step model puts the change where the variance is already large (late). ``s0`` comes
    from the stretch before the search window, at least ``floor_var`` per centre (the zero-phase band-pass
    spreads a strong burst's energy a little before its onset, -35 to -45 dB: without a floor a strong, crisp
    onset is placed where that spread starts); ``t0`` and ``g`` are found by maximum likelihood on a grid.
    With ``raw`` (the raw channel) the fit reads it high-passed and notched forward only around each centre
    (``conditioning.causal_highpass``, from a settled start about a second earlier) instead of ``x``: no
    filter spreads a crisp onset back in time then.
    """
    if not len(centres):
        return centres
    n = len(x)
    search = max(2, int(round(search_ms / 1000.0 * rate_hz)))
    post = max(RAMP_MIN_POST_SAMPLES, int(round(post_ms / 1000.0 * rate_hz)))
    pre = max(RAMP_MIN_PRE_SAMPLES, int(round(0.03 * rate_hz)))
    offs = np.arange(-search - pre, search + post)
    idx = np.clip(centres[:, None] + offs[None, :], 0, n - 1)
    if raw is None:
        y = np.square(x[idx], dtype=np.float64)
    else:
        if conditioning is None:
            raise ValueError("refining onsets on the raw EMG needs the conditioning it was filtered with (its mains)")
        cond = conditioning
        warm = int(0.5 * rate_hz)  # the high-pass settles within it; the notch warms up on its whole mains periods
        full = np.clip(idx[:, :1] - warm + np.arange(warm + idx.shape[1])[None, :], 0, n - 1)
        y = np.square(causal_highpass(raw[full], rate_hz, cond.band_low_hz, cond.mains_hz)[:, warm:],
                      dtype=np.float64)
    s0 = np.maximum(y[:, :pre].mean(axis=1), 1e-12)  # baseline variance
    if floor_var is not None:
        s0 = np.maximum(s0, floor_var)
    yy = y[:, pre:] / s0[:, None]  # in baseline units; window covers t0 candidates and the post window
    # -log likelihood per candidate t0 of v(t) = 1 + g min(t - t0, post)^2 (t >= t0), 1 before: with prefix sums
    # for the flat parts and a short sliding dot product for the ramp (no matrix product: a multi-threaded
    # BLAS call would leave its workers spinning against the analysis threads)
    t0 = np.arange(2 * search)
    length = yy.shape[1]  # 2 * search + post: every candidate's ramp fits inside
    csum = np.concatenate([np.zeros((len(centres), 1)), np.cumsum(yy, axis=1)], axis=1)
    before, after = csum[:, t0], csum[:, -1:] - csum[:, t0 + post]
    ramp_win = np.lib.stride_tricks.sliding_window_view(yy, post, axis=1)[:, :2 * search, :]
    k2 = np.arange(post, dtype=np.float64) ** 2
    inv_ramp = 1.0 / (1.0 + RAMP_GAINS[:, None] * k2[None, :])  # gains x post
    sat = 1.0 + RAMP_GAINS * post * post  # gains
    log_det = (-np.log(inv_ramp).sum(axis=1)[:, None]
               + (length - t0 - post)[None, :] * np.log(sat)[:, None])  # gains x t0
    ramp = np.einsum("btk,gk->bgt", ramp_win, inv_ramp)  # bursts x gains x t0
    tot = -(log_det[None] + before[:, None, :] + ramp + after[:, None, :] / sat[None, :, None])
    best_t0 = np.argmax(tot.reshape(len(centres), -1), axis=1) % (2 * search)  # the first best (gain, t0)
    return np.clip(centres - search + best_t0, 0, n - 1)


def _medians(z: np.ndarray, starts: np.ndarray, ends: np.ndarray, step: int) -> np.ndarray:
    """Median of ``z`` over each [start, end), on every ``step``-th sample."""
    return np.array([median(z[a:b:step]) for a, b in zip(starts, ends)])


def _cores(z: np.ndarray, threshold: float, min_on: int, min_off: int,
           min_burst: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs at least ``min_on`` samples above ``threshold``, merged across gaps < ``min_off``, >= ``min_burst``."""
    s, e = runs(z > threshold)
    keep = (e - s) >= min_on
    s, e = s[keep], e[keep]
    if len(s):
        gap_ok = (s[1:] - e[:-1]) >= min_off
        s = np.concatenate([s[:1], s[1:][gap_ok]])
        e = np.concatenate([e[:-1][gap_ok], e[-1:]])
        keep = (e - s) >= min_burst
        s, e = s[keep], e[keep]
    return s, e


def _join_dips(z: np.ndarray, s: np.ndarray, e: np.ndarray, med: np.ndarray, rests: np.ndarray, cv: float,
               window: int, k_sd: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join consecutive bursts whose rest is too short to be told from a dip of the weaker one.

    Over n independent windows the mean detection signal of rest is 1 +- cv / sqrt(n) (resting units), that of
    a burst at level L is L +- cv L / sqrt(n): they are ``k_sd`` SD apart once n >= (k_sd cv (L + 1) / (L - 1))^2.
    For a strong burst that is a window or two (``min_off_ms`` decides); for a weak one it is longer, and
    more so where the detection signal holds little evidence per window (250 Hz: only 20-112 Hz of band,
    cv ~0.5): a contraction at 3x the floor's energy needs ~0.2 s, at 2x ~0.35 s. A shorter "rest" inside a
    weak contraction is the detection signal dipping, not the muscle stopping; splitting there would report
    every piece as an onset.
    """
    need = window * (k_sd * cv * (med + 1.0) / np.maximum(med - 1.0, 1e-9)) ** 2
    joined = rests < np.maximum(need[:-1], need[1:])
    if not joined.any():
        return s, e, med
    s, e = s[np.concatenate([[True], ~joined])], e[np.concatenate([~joined, [True]])]
    return s, e, _medians(z, s, e, 4)


def _window_medians(z: np.ndarray, lo: np.ndarray, hi: np.ndarray, full: int) -> list[float]:
    """Median of ``z[lo:hi]`` per window (1.0 for windows of 10 samples or fewer).

    Most windows have the full length ``full`` (not cut short by a neighbouring burst): those are gathered
    into one 2-D array and take one ``np.median`` along rows, which gives the same values as one call each.
    """
    levels = [1.0] * len(lo)
    whole = (hi - lo) == full
    if full > 10 and whole.any():
        rows = np.median(z[lo[whole][:, None] + np.arange(full)], axis=1)
        for j, v in zip(np.flatnonzero(whole), rows):
            levels[j] = float(v)
    for j in np.flatnonzero(~whole & ((hi - lo) > 10)):
        levels[j] = float(median(z[lo[j]:hi[j]]))
    return levels


def _level_crossings(z: np.ndarray, anchors: np.ndarray, bounds: np.ndarray, meds: np.ndarray, on_z: float,
                     amp: object, to_z: object, rate_hz: float, settings: OnsetSettings,
                     forward: bool) -> np.ndarray:
    """Walk from each anchor to where the signal was last at the level it had beside the burst.

    Backward (onsets): the level before the burst is the median of the detection signal over
    ``pre_level_ms`` ending ``pre_gap_ms`` before the anchor, never reaching into the previous burst (``bounds``
    holds the previous burst's end): rest, low-level activity or crosstalk. The onset is the first sample after
    the last one at or below ``pre_factor`` x that level (amplitude units, never below the onset threshold),
    at most ``max_backtrack_ms`` from the anchor. Forward (offsets) mirrors this after the burst (``bounds``
    holds the next burst's start).
    """
    out = anchors.copy()
    pre = int(settings.pre_level_ms / 1000.0 * rate_hz)
    gap = int(settings.pre_gap_ms / 1000.0 * rate_hz)
    reach = int(settings.max_backtrack_ms / 1000.0 * rate_hz)
    if forward:
        lo, hi = np.minimum(bounds, anchors + gap), np.minimum(bounds, anchors + gap + pre)
    else:
        lo, hi = np.maximum(bounds, anchors - gap - pre), np.maximum(bounds, anchors - gap)
    levels = _window_medians(z, lo, hi, pre)
    for j, (a, bound) in enumerate(zip(anchors, bounds)):
        level = levels[j]
        edge = max(on_z, to_z(settings.pre_factor * amp(max(level, 1.0))),  # type: ignore[operator]
                   to_z(settings.edge_fraction * amp(meds[j])))  # type: ignore[operator]
        if forward:
            stop = min(bound, a + reach)
            k = np.flatnonzero(z[a:stop] <= edge)
            out[j] = a + int(k[0]) if len(k) else stop
        else:
            start = max(bound, a - reach)
            k = np.flatnonzero(z[start:a] <= edge)
            out[j] = start + int(k[-1]) + 1 if len(k) else start
    return out


def detection_decimation(rate_hz: float) -> int:
    """The detection signal is kept at ~500 Hz (its 25 ms window band-limits it): samples per block."""
    return max(1, int(rate_hz // 500))


def detection_blocks(filtered_cm: np.ndarray, rate_hz: float, settings: OnsetSettings = OnsetSettings()) -> np.ndarray:
    """The full-rate part of detection: per-sample energy (|x| or |TKE|) summed over blocks (channels x blocks).

    Separate so that a caller can run it on channel groups in parallel (numpy releases the GIL here).
    """
    dec = detection_decimation(rate_hz)
    nd = filtered_cm.shape[1] // dec
    energy = energy_signal(filtered_cm[:, :nd * dec], settings.method, abs_value=True)
    # block means: the baseline figures stay in the signal's units (uV, or uV^2 for the TKE)
    return block_mean_cm(energy, dec)


class DetectionBaseline(NamedTuple):
    """The smoothed detection signal and its local resting baseline (``local_baseline``)."""

    det: np.ndarray  # channels x blocks at ~500 Hz
    level: np.ndarray  # resting level per baseline block, channels x baseline blocks
    cv: np.ndarray  # per channel
    block: int  # detection samples per baseline block


def detection_baseline(blocks: np.ndarray, rate_hz: float,
                       settings: OnsetSettings = OnsetSettings()) -> DetectionBaseline:
    """``detection_blocks`` smoothed over ``window_ms``, and its local baseline (channel by channel).

    Separate, like ``detection_blocks``, so that a caller can run it on channel groups in parallel threads.
    """
    rate_d = rate_hz / detection_decimation(rate_hz)
    det = moving_mean_cm(blocks, max(1, int(round(settings.window_ms / 1000.0 * rate_d))))
    return DetectionBaseline(det, *local_baseline(det, rate_d, settings))


def detect_onsets_filtered(filtered_cm: np.ndarray, rate_hz: float, names: list[str] | tuple[str, ...],
                           settings: OnsetSettings = OnsetSettings(),
                           blocks: np.ndarray | None = None,
                           baseline: DetectionBaseline | None = None,
                           raw_cm: np.ndarray | None = None,
                           conditioning: ConditioningSettings | None = None) -> list[ChannelOnsets]:
    """Bursts per channel of band-passed EMG, see the module docstring.

    Parameters
    ----------
    filtered_cm : conditioned EMG, channels x samples, microvolts (``conditioning.condition_cm``).
    rate_hz : sample rate.
    names : channel names.
    settings : detector parameters.
    blocks : ``detection_blocks(filtered_cm, rate_hz, settings)`` when the caller already has it.
    baseline : ``detection_baseline(blocks, rate_hz, settings)`` when the caller already has it.
    raw_cm : the raw EMG (channels x samples, finite) when available: the onset refinement then reads it
        high-passed and notched forward only (``conditioning.causal_highpass``) rather than the zero-phase
        band-passed signal, which spreads a crisp onset back by a few samples.
    conditioning : the filter settings ``filtered_cm`` was made with (band low edge and mains for the above).

    Returns
    -------
    One ``ChannelOnsets`` per channel, bursts in time order (onset_s/offset_s from the first sample).
    """
    c, n = filtered_cm.shape
    dec = detection_decimation(rate_hz)
    nd = n // dec
    if nd < 8:
        return [ChannelOnsets(str(name), method=settings.method) for name in names]
    rate_d = rate_hz / dec
    if baseline is None:
        baseline = detection_baseline(blocks if blocks is not None else detection_blocks(filtered_cm, rate_hz,
                                                                                         settings),
                                      rate_hz, settings)
    det, level_b, cv, b = baseline
    tkeo = settings.method == "tkeo"
    amp = np.sqrt if tkeo else (lambda v: v)  # detection units -> amplitude units
    to_z = (lambda v: v * v) if tkeo else (lambda v: v)

    def samples(ms_: float) -> int:
        return max(1, int(round(ms_ / 1000.0 * rate_d)))

    min_on, min_off, min_burst = samples(settings.min_on_ms), samples(settings.min_off_ms), \
        samples(settings.min_burst_ms)
    min_plateau = samples(settings.min_plateau_ms)
    edge = min(nd // 4, samples(settings.edge_ms))
    head_n = samples(250.0)
    window = samples(settings.window_ms)
    out: list[ChannelOnsets] = []
    for i, name in enumerate(names):
        z = _in_resting_units(det[i], level_b[i], b)  # the detection signal in units of the resting level
        z[:edge], z[max(edge, nd - edge):] = 1.0, 1.0  # the filters settle there: not a contraction
        on_z, off_z = 1.0 + settings.k_sd * cv[i], 1.0 + settings.k_off_sd * cv[i]
        s, e = _cores(z, on_z, min_on, min_off, min_burst)
        if len(s):
            # contractions, not low-level activity: a second pass with the threshold raised to
            # ``min_relative_db`` under the channel's strongest burst (median level, robust to knocks; if above the
            # onset threshold)
            rel_z = float(to_z(amp(_medians(z, s, e, 8).max()) * 10 ** (settings.min_relative_db / 20.0)))
            if rel_z > on_z:
                s, e = _cores(z, rel_z, min_on, min_off, min_burst)
        med = _medians(z, s, e, 4)
        if len(med):
            # and not a flicker on low-level activity (median amplitude over the resting level) nor a cable
            # knock (a sharp transient: little time near its peak, where a contraction has a plateau)
            # a short burst needs more evidence: flickers and noise excursions are short and weak, the quick
            # contractions of real recordings short and strong
            snr_db = 20 * np.log10(np.maximum(amp(med), 1e-9))
            short = (e - s) < samples(settings.short_burst_ms)
            strong = (snr_db >= settings.min_snr_db) & (~short | (snr_db >= settings.short_min_snr_db))
            width = np.array([np.count_nonzero(z[a:b_] >= 0.25 * z[a:b_].max()) for a, b_ in zip(s, e)])
            keep = strong & (width >= min_plateau)
            kept = np.flatnonzero(keep)
            # the rest between consecutive kept bursts: the longest stretch without any core (kept or not)
            rests = np.maximum.reduceat(s[1:kept[-1] + 1] - e[:kept[-1]], kept[:-1]) if len(kept) > 1 else None
            s, e, med = s[keep], e[keep], med[keep]
            if rests is not None:
                s, e, med = _join_dips(z, s, e, med, rests, cv[i], window, settings.k_sd)
        onset_d, offset_d = s.copy(), e.copy()
        onset_idx = s * dec
        if len(s):
            level_z = np.maximum(on_z, settings.anchor_fraction * med)
            anchors = np.array([a + int(np.argmax(z[a:b_] >= lz)) for a, b_, lz in zip(s, e, level_z)])
            tails = np.array([b_ - 1 - int(np.argmax(z[a:b_][::-1] >= lz)) for a, b_, lz in zip(s, e, level_z)])
            if settings.refine:
                prev_ends = np.concatenate([[0], e[:-1]])
                next_starts = np.concatenate([s[1:], [nd]])
                onset_d = _level_crossings(z, anchors, prev_ends, med, on_z, amp, to_z, rate_d, settings, False)
                offset_d = _level_crossings(z, tails, next_starts, med, off_z, amp, to_z, rate_d, settings, True)
                onset_idx = onset_d * dec
                if settings.ramp_ms > 0:
                    # the burst's own variance over its first 250 ms (at most), for the refinement's floor
                    burst_var = np.array([float(np.mean(np.square(filtered_cm[i][a * dec:min(b_, a + head_n) * dec],
                                                                  dtype=np.float64)))
                                          for a, b_ in zip(anchors, e)])
                    onset_idx = _ramp_onsets(filtered_cm[i], onset_idx, rate_hz, settings.ramp_ms,
                                             settings.ramp_post_ms, settings.ramp_floor_fraction ** 2 * burst_var,
                                             None if raw_cm is None else raw_cm[i], conditioning)
        offset_idx = np.maximum(offset_d * dec + dec // 2, onset_idx + 1)
        bursts: list[Burst] = []
        for j in range(len(s)):
            head = z[onset_d[j]:min(nd, onset_d[j] + head_n)]
            ratio = float(amp(max(float(np.mean(head, dtype=np.float64)) if len(head) else on_z, 1e-9) / on_z))
            conf = min(max(float(np.log2(max(ratio, 1e-9)) / 2.0), 0.0), 1.0)  # np.clip costs ~10x on a scalar
            snr = float(20 * np.log10(max(float(amp(med[j])), 1e-9)))
            bursts.append(Burst(round(onset_idx[j] / rate_hz, 6), round(offset_idx[j] / rate_hz, 6),
                                round(float(amp(z[s[j]:e[j]].max())), 2), round(conf, 3), round(snr, 1)))
        mean = float(np.median(level_b[i]))
        out.append(ChannelOnsets(str(name), bursts, mean, mean * float(cv[i]), mean * on_z, settings.method))
    return out


def detect_onsets(raw: np.ndarray, rate_hz: float, names: list[str] | tuple[str, ...],
                  settings: OnsetSettings = OnsetSettings(), *,
                  conditioning: ConditioningSettings) -> list[ChannelOnsets]:
    """Bursts per channel of raw EMG: conditioning, then ``detect_onsets_filtered``.

    Parameters
    ----------
    raw : raw EMG, samples x channels (or one channel, 1-D), microvolts.
    rate_hz : sample rate.
    names : channel names.
    settings, conditioning : detector and filter parameters.
    """
    raw = np.asarray(raw)
    raw_cm = np.ascontiguousarray((raw[:, None] if raw.ndim == 1 else raw).T, dtype=np.float32)
    filtered = condition_cm(raw_cm, rate_hz, conditioning)
    return detect_onsets_filtered(filtered, rate_hz, names, settings, raw_cm=raw_cm, conditioning=conditioning)
