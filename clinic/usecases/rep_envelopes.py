"""The average rep envelope of a session per muscle (e.g. to overlay week 1 and week 6): each stored rep's
window around its movement start, cut from the linear envelope of the recording, averaged over reps.

The rep timing comes from the stored results (``load_episode_reps``); the envelope from the raw recording,
normalised by that session's own MVC when it has one for every channel used (otherwise microvolts)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.orm import Session

from clinic.records.models import Session as VisitSession
from clinic.records.models import Trial
from clinic.records.store import CorruptRecording, load_physical
from clinic.signals.conditioning import ConditioningSettings, condition, linear_envelope
from clinic.usecases.progress import MUSCLES, load_episode_reps
from clinic.usecases.trial_analysis import session_mvc

WINDOW_S = (-0.5, 8.0)  # from movement start: the onsets before it, the lift and a 5-8 s hold
PLOT_RATE_HZ = 50.0  # the averaged curve is kept at this rate (enough for a 6 Hz envelope)


@dataclass
class AverageEnvelopes:
    session_id: int
    units: str  # "%MVC" or "uV"
    t_s: np.ndarray
    mean: dict[str, np.ndarray] = field(default_factory=dict)  # per muscle
    reps: int = 0
    problems: list[str] = field(default_factory=list)


def average_rep_envelopes(s: Session, session_id: int, conditioning: ConditioningSettings) -> AverageEnvelopes:
    visit = s.get(VisitSession, session_id)
    if visit is None:
        raise KeyError(f"no session {session_id}")
    stored = next(sr for sr in load_episode_reps(s, visit.episode_id) if sr.session_id == session_id)
    mvc = session_mvc(visit)
    n = int(round((WINDOW_S[1] - WINDOW_S[0]) * PLOT_RATE_HZ))
    t = WINDOW_S[0] + np.arange(n) / PLOT_RATE_HZ
    cuts: list[tuple[str, str, np.ndarray]] = []  # (muscle, channel, envelope window in uV)
    problems: list[str] = []
    for trial_id in dict.fromkeys(r.trial_id for r in stored.reps):
        trial = s.get(Trial, trial_id)
        emg = next((r for r in trial.recordings if r.kind == "emg"), None) if trial else None
        if emg is None:
            continue
        try:
            rec, values = load_physical(s, emg.id)
        except (CorruptRecording, ValueError) as exc:
            problems.append(f"recording {emg.id} cannot be read: {exc}")
            continue
        rate = rec.sample_rate_hz
        env = linear_envelope(condition(values, rate, conditioning), rate)
        names = list(rec.channel_names)
        step = max(1, int(round(rate / PLOT_RATE_HZ)))
        for row in (r for r in stored.reps if r.trial_id == trial_id):
            start = row.metrics.get("movement_start_s")
            channels = row.metrics.get("channels") or {}
            if start is None:
                continue
            first = int(round((start + WINDOW_S[0]) * rate))
            idx = first + np.arange(n) * step
            if first < 0 or idx[-1] >= len(env):
                continue  # a rep too close to the start or end of the recording
            for muscle in MUSCLES:
                ch = channels.get(muscle)
                if ch in names:
                    cuts.append((muscle, ch, env[idx, names.index(ch)]))
    normalised = bool(cuts) and all(ch in mvc for _, ch, _ in cuts)
    if mvc and not normalised:
        problems.append("not every channel has an MVC in this session: envelopes in microvolts")
    means = {}
    for muscle in MUSCLES:
        mine = [c / (mvc[ch] / 100.0) if normalised else c for m, ch, c in cuts if m == muscle]
        if mine:
            means[muscle] = np.mean(mine, axis=0)
    reps = max((sum(1 for m, _, _ in cuts if m == muscle) for muscle in MUSCLES), default=0)
    return AverageEnvelopes(session_id, "%MVC" if normalised else "uV", t, means, reps, problems)
