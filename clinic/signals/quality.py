"""Signal quality per EMG channel: a good / check / bad verdict with the reasons a user can act on.

Checks (raw samples in microvolts, samples x channels):

- not finite (NaN/inf, lost packets): bad above 1 % of samples;
- flat or disconnected: no variation, or a resting noise below 0.3 uV RMS (no amplifier is that quiet);
- clipping/saturation: samples stuck at the extreme values: check above 0.1 %, bad above 1 %;
- resting noise: RMS of the band-passed signal in its quietest second: check above 10 uV, bad above 25 uV
  (good surface EMG rests at a few uV);
- mains interference: power at the mains frequency (+-1 Hz) over the rest of the EMG-band power, in the
  quietest 2 s: check above 1 (the notch removes it, but it says the electrode contact or ground is poor),
  bad above 100;
- motion artefact bursts: large low-frequency (1-15 Hz) excursions: check at 2 or more per minute, bad at 10;
- sample rate: check below 1000 Hz (the raw signal aliases; onset timing is coarse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import signal

from clinic.signals.conditioning import ConditioningSettings, band_edges_hz, bandpass_notch_sos, block_mean_cm
from clinic.signals.onsets import runs

VERDICTS = ("good", "check", "bad")


@dataclass
class ChannelQuality:
    name: str
    verdict: str = "good"
    reasons: list[str] = field(default_factory=list)
    rest_rms_uv: float | None = None
    mains_ratio: float | None = None
    clipped_share: float = 0.0
    nonfinite_share: float = 0.0
    flat: bool = False
    motion_events: int = 0

    def flag(self, verdict: str, reason: str) -> None:
        if VERDICTS.index(verdict) > VERDICTS.index(self.verdict):
            self.verdict = verdict
        self.reasons.append(reason)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _clipped_share(x: np.ndarray) -> float:
    """Share of samples sitting at the channel's extreme values in runs of >= 3 samples (saturation)."""
    if len(x) < 10:
        return 0.0
    lo, hi = x.min(), x.max()
    if hi <= lo:
        return 0.0
    stuck = 0
    step = 8 if len(x) > 80_000 else 1
    for level in (lo, hi):
        if step > 1 and np.count_nonzero(x[::step] == level) < 2:
            continue  # fewer than ~0.01 % of the samples at this extreme: not worth a full pass
        at = x == level
        if np.count_nonzero(at) < 3:
            continue
        s, e = runs(at)
        stuck += int(((e - s)[(e - s) >= 3]).sum())
    return stuck / len(x)


def rest_and_motion(filtered_cm: np.ndarray | Sequence[np.ndarray], finite_raw_cm: np.ndarray,
                    rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Per channel: resting noise (RMS of the conditioned signal in its quietest second, uV) and the number of
    motion artefact bursts in the raw signal (missing samples as 0).

    Separate so that a caller that filters channel groups in parallel threads can do this there too
    (numpy and scipy release the GIL here).
    """
    rest = np.array([_quietest_rms(f, rate_hz) for f in filtered_cm])
    return rest, _motion_events(finite_raw_cm, rate_hz, np.maximum(rest, 1.0))


def channel_quality(raw_uv: np.ndarray, rate_hz: float, names: Sequence[str],
                    filtered_cm: np.ndarray | None = None, *,
                    conditioning: ConditioningSettings,
                    raw_cm: np.ndarray | None = None, all_finite: bool | None = None,
                    rest_motion: tuple[np.ndarray, np.ndarray] | None = None) -> list[ChannelQuality]:
    """Quality verdict per channel of raw EMG (samples x channels).

    ``filtered_cm`` (the conditioned signal), ``raw_cm`` (the raw signal, channel-major) and ``rest_motion``
    (``rest_and_motion`` of them) save passes when the caller has them.
    """
    if raw_cm is None:
        raw_cm = np.ascontiguousarray(np.asarray(raw_uv).T)
    n = raw_cm.shape[1]
    out = []
    mains = conditioning.mains_hz
    # whole-array passes first (cheap), per-channel work only where needed
    if all_finite is None:
        all_finite = bool(np.isfinite(raw_cm.sum())) if n else True
    nonfinite = (np.zeros(len(names), int) if all_finite else
                 n - np.count_nonzero(np.isfinite(raw_cm), axis=1))
    finite_cm = raw_cm if all_finite else np.where(np.isfinite(raw_cm), raw_cm, 0.0)
    if rest_motion is not None:
        rest, motion = rest_motion
    elif n >= 2:
        f_cm = filtered_cm if filtered_cm is not None else [_bandpass(x, rate_hz, conditioning) for x in finite_cm]
        rest, motion = rest_and_motion(f_cm, finite_cm, rate_hz)
    else:
        rest = np.ones(len(names))
        motion = _motion_events(finite_cm, rate_hz, np.maximum(rest, 1.0))
    for i, name in enumerate(names):
        q = ChannelQuality(str(name))
        x = raw_cm[i]
        q.nonfinite_share = round(float(nonfinite[i]) / n, 5) if n else 1.0
        if q.nonfinite_share > 0.01:
            q.flag("bad", f"{q.nonfinite_share:.1%} of the samples are missing (NaN): lost packets or a "
                          "broken stream")
        if nonfinite[i]:
            x = np.where(np.isfinite(x), x, 0.0)
        if n < 2 or np.ptp(x) == 0:
            q.flat = True
            q.flag("bad", "flat signal: the electrode is disconnected or the channel is off; check the lead")
            out.append(q)
            continue
        q.clipped_share = round(_clipped_share(x), 5)
        if q.clipped_share > 0.01:
            q.flag("bad", f"clipped: {q.clipped_share:.1%} of the samples sit at the amplifier's limit; lower "
                          "the gain or check the electrode")
        elif q.clipped_share > 0.001:
            q.flag("check", f"some clipping ({q.clipped_share:.2%} of the samples at the limit)")
        q.rest_rms_uv = round(float(rest[i]), 3)
        if q.rest_rms_uv < 0.3:
            q.flat = True
            q.flag("bad", f"almost no signal ({q.rest_rms_uv:.2f} uV RMS at rest): electrode disconnected?")
        elif q.rest_rms_uv > 25:
            q.flag("bad", f"noisy: {q.rest_rms_uv:.1f} uV RMS at rest (good contact gives a few uV); clean the "
                          "skin and re-apply the electrode")
        elif q.rest_rms_uv > 10:
            q.flag("check", f"rest noise {q.rest_rms_uv:.1f} uV RMS is high (good contact gives a few uV)")
        if mains and mains < rate_hz / 2:
            q.mains_ratio = _mains_ratio(x, rate_hz, mains, conditioning)
            if q.mains_ratio is not None:
                if q.mains_ratio > 100:
                    q.flag("bad", f"mains interference {q.mains_ratio:.0f}x the EMG power at rest: check the "
                                  "reference electrode and the cables")
                elif q.mains_ratio > 1:
                    q.flag("check", f"mains interference ({mains:g} Hz) {q.mains_ratio:.1f}x the EMG power at "
                                    "rest; removed by the notch, but the contact or ground may be poor")
        q.motion_events = int(motion[i])
        per_min = q.motion_events / max(n / rate_hz / 60.0, 1.0 / 6.0)
        if per_min >= 10:
            q.flag("bad", f"{q.motion_events} motion artefact bursts: fix the cable and electrode")
        elif per_min >= 2:
            q.flag("check", f"{q.motion_events} motion artefact bursts (cable or electrode movement)")
        if rate_hz < 1000:
            q.flag("check", f"sampled at {rate_hz:g} Hz: below 1 kHz surface EMG aliases and onset timing is "
                            "coarse")
        out.append(q)
    return out


def _bandpass(x: np.ndarray, rate_hz: float, s: ConditioningSettings) -> np.ndarray:
    """The conditioned signal (band-pass + notch, zero-phase) the analysis works on."""
    return signal.sosfiltfilt(bandpass_notch_sos(rate_hz, s), x - x.mean())


def _quietest_rms(f: np.ndarray, rate_hz: float, window_s: float = 1.0) -> float:
    n = max(1, min(len(f), int(window_s * rate_hz)))
    m = len(f) // n
    if m < 1:
        return float(np.sqrt(np.mean(np.square(f))))
    step = max(1, int(rate_hz // 500))  # every 2 ms is plenty for an RMS over 1 s
    n_s = n // step
    blocks = np.asarray(f[:m * n:step][:m * n_s], dtype=np.float64).reshape(m, n_s)
    # skip the edges where the filters settle
    rms = np.sqrt(np.mean(blocks * blocks, axis=1))
    inner = rms[1:-1] if m > 3 else rms
    return float(inner.min())


def _mains_ratio(x: np.ndarray, rate_hz: float, mains_hz: float, s: ConditioningSettings) -> float | None:
    """Mains power (+-1 Hz) over the EMG-band power (excluding mains), in the quietest 2 s of the record."""
    n = int(2.0 * rate_hz)
    if len(x) < n:
        n = len(x)
    if n < int(0.5 * rate_hz):
        return None
    m = len(x) // n
    step = max(1, int(rate_hz // 250))
    blocks = x[:m * n:step][:m * (n // step)].reshape(m, n // step)
    k = int(np.argmin(blocks.std(axis=1))) if m > 1 else 0
    quiet = x[k * n:(k + 1) * n]
    freqs, p = signal.welch(quiet - quiet.mean(), fs=rate_hz, nperseg=min(len(quiet), int(rate_hz)))
    low, high = band_edges_hz(rate_hz, s)
    at_mains = np.abs(freqs - mains_hz) <= 1.0
    band = (freqs >= low) & (freqs <= high) & ~(np.abs(freqs - mains_hz) <= 2.0)
    if not band.any() or not at_mains.any():
        return None
    df = float(freqs[1] - freqs[0])
    emg_power = float(p[band].sum()) * df  # integrated powers, uV^2: a sinusoid sits in one or two bins
    mains_power = float(p[at_mains].sum()) * df
    return round(mains_power / emg_power, 2) if emg_power > 0 else None


def _motion_events(raw_cm: np.ndarray, rate_hz: float, rest_rms_uv: np.ndarray) -> np.ndarray:
    """Large excursions of the 1-15 Hz band per channel (block means to ~200 Hz first, all channels at once)."""
    k = max(1, int(rate_hz // 200))
    if raw_cm.shape[1] // k < 64:
        return np.zeros(raw_cm.shape[0], dtype=int)
    y = block_mean_cm(raw_cm, k).astype(np.float64)
    y -= y.mean(axis=1, keepdims=True)
    r = rate_hz / k
    sos = signal.butter(4, [1.0, min(15.0, 0.4 * r)], btype="band", fs=r, output="sos")
    lf = np.abs(signal.sosfiltfilt(sos, y, axis=1))
    out = np.zeros(raw_cm.shape[0], dtype=int)
    for i in range(raw_cm.shape[0]):
        s, e = runs(lf[i] > max(50.0, 15.0 * rest_rms_uv[i]))
        if len(s):  # events closer than 0.5 s are one event
            out[i] = int(1 + np.count_nonzero((s[1:] - e[:-1]) > 0.5 * r))
    return out


def summarise(qualities: Sequence[ChannelQuality]) -> str:
    """The worst verdict over channels."""
    worst = 0
    for q in qualities:
        worst = max(worst, VERDICTS.index(q.verdict))
    return VERDICTS[worst]
