"""Per-rep verdicts and the coaching cue that goes with each: the one table the live view and reports read.

A verdict names which muscle fired first in the rep's onset window. The cue is the protocol's correction for
that pattern (the Cook Hip Lift teaching of the primer); the clinician sets what counts as the goal, so the
table says what to *say*, never a diagnosis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

GLUTE_FIRST = "glute first"
HAMSTRINGS_FIRST = "hamstrings first"
LUMBAR_FIRST = "lumbar first"
NO_CLEAR_ONSET = "no clear onset"
VERDICTS = (GLUTE_FIRST, HAMSTRINGS_FIRST, LUMBAR_FIRST, NO_CLEAR_ONSET)

#: the first muscle of a rep's firing order -> its verdict
FIRST_MUSCLE_VERDICT = {"glute_max": GLUTE_FIRST, "hamstrings": HAMSTRINGS_FIRST, "erector_spinae": LUMBAR_FIRST}


@dataclass(frozen=True)
class Cue:
    pattern: str  # what was seen, in the clinician's words
    text: str  # what to tell the patient


#: The cue table (docs/live.md). Order matters: the first pattern that applies gives the cue.
CUES: tuple[Cue, ...] = (
    Cue("lumbar first", "keep the ball pinned under the rib, don't arch"),
    Cue("hamstrings first or dominant", "push your foot a little farther away"),
    Cue("glute late", "squeeze the glute before you lift"),
)
_BY_PATTERN = {c.pattern: c for c in CUES}


def verdict_of(firing_order: list[str] | tuple[str, ...]) -> str:
    """The verdict of a rep from its firing order (muscles, earliest first; empty: no clear onset)."""
    return FIRST_MUSCLE_VERDICT.get(firing_order[0], NO_CLEAR_ONSET) if firing_order else NO_CLEAR_ONSET


def cue_for(verdict: str, glute_fired: bool = True,
            hold_pct_mvc: Mapping[str, float | None] | None = None) -> str | None:
    """The cue for a rep: its verdict, whether the glute fired at all in the window, and optionally the
    hold amplitudes in %MVC (hamstrings above the glute = hamstrings dominant). None: nothing to correct."""
    pct = hold_pct_mvc or {}
    glute, hams = pct.get("glute_max"), pct.get("hamstrings")
    if verdict == LUMBAR_FIRST:
        return _BY_PATTERN["lumbar first"].text
    if verdict == HAMSTRINGS_FIRST or (glute is not None and hams is not None and hams > glute):
        return _BY_PATTERN["hamstrings first or dominant"].text
    if verdict == NO_CLEAR_ONSET or not glute_fired:
        return _BY_PATTERN["glute late"].text
    return None
