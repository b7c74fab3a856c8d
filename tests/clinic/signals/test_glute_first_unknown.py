"""Unknown is null, never "no": a rep without a glute channel (or in which no muscle fired) has
``glute_first`` null, and the share of reps with the glute first skips it."""

from __future__ import annotations

from clinic.signals.analysis import rep_metrics
from clinic.signals.onsets import Burst, ChannelOnsets
from clinic.signals.reps import Rep
from clinic.signals.summary import rep_summary

REP = Rep(1, movement_start_s=2.0, hold_start_s=3.0, hold_end_s=8.0, lower_end_s=9.0)


def _onsets(**onset_s: float) -> dict[str, ChannelOnsets]:
    return {name: ChannelOnsets(name, [Burst(t, t + 5.0, 5.0)]) for name, t in onset_s.items()}


def test_no_glute_channel_gives_null_not_false():
    onsets = _onsets(hamstrings_left=1.9, erector_spinae_left=1.95)
    m = rep_metrics(REP, onsets, "left", names=["hamstrings_left", "erector_spinae_left"])
    assert m["firing_order"] == ["hamstrings", "erector_spinae"] and m["glute_first"] is None


def test_no_muscle_fired_gives_null_and_a_glute_that_fired_later_gives_false():
    names = ["glute_max_left", "hamstrings_left"]
    assert rep_metrics(REP, {}, "left", names=names)["glute_first"] is None
    late = rep_metrics(REP, _onsets(glute_max_left=2.1, hamstrings_left=1.9), "left", names=names)
    assert late["glute_first"] is False
    first = rep_metrics(REP, _onsets(glute_max_left=1.8, hamstrings_left=1.9), "left", names=names)
    assert first["glute_first"] is True


def test_summaries_skip_unknown_reps():
    reps = [{"firing_order": ["glute_max"], "glute_first": True},
            {"firing_order": ["hamstrings"], "glute_first": None},
            {"firing_order": ["hamstrings", "glute_max"], "glute_first": False}]
    summary = rep_summary(reps)
    assert summary["glute_first_share"] == 0.5 and summary["reps_with_order"] == 2
