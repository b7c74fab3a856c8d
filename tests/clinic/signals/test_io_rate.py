"""A time column written with a few decimals gives the rate it means (1000 Hz, not 999.9999999999991 Hz),
so a 1 kHz recording is not flagged as "below 1 kHz"."""

from __future__ import annotations

import numpy as np

from clinic.signals.io import load_csv


def test_rate_from_a_rounded_time_column(tmp_path) -> None:  # noqa: ANN001
    t = np.arange(5000) / 1000.0
    path = tmp_path / "rounded.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("time,emg\n")
        for ti, xi in zip(t, np.sin(t)):
            fh.write(f"{ti:.3f},{xi:.3f}\n")
    assert load_csv(path).rate_hz == 1000.0
