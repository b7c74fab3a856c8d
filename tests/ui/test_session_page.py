"""Pieces of the session screen on their own: the per-rep rows with a redone rep, and the plate panel's time
axis (the panel is part of the live coaching shown on that screen)."""

from __future__ import annotations

import numpy as np

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


def test_the_plate_panel_draws_the_last_seconds_at_now_equals_zero(qtbot) -> None:  # noqa: ANN001
    from devices.ring import SampleRing
    from ui.coaching.plate_panel import PlatePanel
    from ui.coaching.readout import Readout

    ring = SampleRing(30000, 4)
    ring.write(np.full((25000, 4), 50.0))  # 25 s of a 1 kHz plate: the window's first sample is no. 15000
    panel = PlatePanel(ring, 1000.0, 400.0, 600.0, 10.0)
    qtbot.addWidget(panel)
    panel.refresh(Readout([], {}, {}, {}))
    t, load = panel.total_curve.getData()
    assert -10.0 <= t.min() < -9.0 and -0.01 < t.max() <= 0.0  # it was drawn 15 s to the right, off the axis
    assert np.allclose(load, 200.0)
