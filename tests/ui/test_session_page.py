"""Pieces of the session screen on their own: the per-rep rows with a redone rep."""

from __future__ import annotations

from clinic.usecases.runner import TrialOutcome
from ui.pages.session import rep_rows


def test_a_redone_rep_is_a_row_of_its_own_in_time_order() -> None:
    def rep(n: int, start: float, order: list[str]) -> dict:
        return {"rep": n, "movement_start_s": start, "firing_order": order, "hold_ms": 6000.0,
                "glute_lead_hamstrings_ms": 40.0, "hold_amplitude": {"glute_max": {"mean_pct_mvc": 30.0}}}

    analysis = {"reps": [rep(1, 2.0, ["glute_max"]), rep(2, 22.0, ["glute_max"]), rep(3, 32.0, ["glute_max"])],
                "redone": [{"rep": 2, "start_s": 11.9, "end_s": 18.0,
                            "left_out": rep(2, 12.0, ["hamstrings", "glute_max"])},
                           {"rep": 3, "start_s": 40.0, "end_s": 41.0, "left_out": None}]}
    rows = rep_rows(TrialOutcome(7, 1, analysis=analysis))
    assert [r[1] for r in rows] == [1, "redone", 2, 3, "redone"]
    assert rows[1][2] == "hamstrings > glute_max (redone: left out)" and rows[1][6] == "30.0"
    assert rows[4][2] == "- (redone: left out)"  # a redone stretch with no rep found in it

