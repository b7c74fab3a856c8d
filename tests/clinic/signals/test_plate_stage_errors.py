"""When the EMG analysis of a trial ends early, the plate stage running in its own thread is waited for and
its error is logged with its traceback and reported, not lost with the thread."""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest

from clinic.signals import analysis
from clinic.signals.conditioning import ConditioningSettings


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the plate stage runs inline on a single core")
def test_a_failing_plate_stage_is_reported_when_the_emg_ends_early(monkeypatch, caplog):
    def broken_plate(*args: object) -> object:
        raise RuntimeError("plate cells out of order")

    monkeypatch.setattr(analysis, "_plate_stage", broken_plate)
    flat = np.zeros((10_000, 2), np.float32)  # no usable EMG channel: the analysis returns early
    with caplog.at_level(logging.ERROR, logger="clinic.signals.analysis"):
        result = analysis.analyze_trial(flat, 2000.0, ["glute_max_left", "hamstrings_left"], "left",
                                        np.ones((5000, 4)), 1000.0, conditioning=ConditioningSettings(mains_hz=50))
    assert "no usable EMG channel" in result["error"]
    assert result["notes"] == ["the plate analysis failed as well: plate cells out of order"]
    (record,) = [r for r in caplog.records if r.getMessage() == "plate analysis failed"]
    assert record.exc_info is not None and "plate cells out of order" in str(record.exc_info[1])
