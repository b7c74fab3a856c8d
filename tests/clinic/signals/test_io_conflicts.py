"""Conflicting or degenerate inputs to ``analyze FILE`` get an error naming both values or the real cause;
a time column that jumps keeps the jump as a gap."""

from __future__ import annotations

import numpy as np
import pytest

from clinic.signals.io import SignalFileError, load_csv


def _write(path, comment: str | None, t: np.ndarray, x: np.ndarray, fmt: str = "%.7f"):  # noqa: ANN001, ANN202
    with open(path, "w", encoding="utf-8") as fh:
        if comment:
            fh.write(comment + "\n")
        fh.write("time,a,b\n")
        np.savetxt(fh, np.column_stack([t, x]), delimiter=",", fmt=[fmt, "%.6g", "%.6g"])
    return path


def test_a_stated_rate_that_disagrees_with_the_time_column_is_an_error_naming_both(tmp_path):
    t = np.arange(4000) / 2000.0
    x = np.random.default_rng(1).normal(size=(4000, 2))
    path = _write(tmp_path / "c.csv", "# GluteLab recording 3, emg, 1000 Hz, units uV", t, x)
    with pytest.raises(SignalFileError, match=r"states 1000 Hz.*time column steps at 2000 Hz"):
        load_csv(path)


def test_a_stated_rate_within_a_tenth_of_a_percent_wins(tmp_path):
    t = np.arange(4000) / 2000.5  # 0.025 % off: the column's rounding, not another rate
    path = _write(tmp_path / "ok.csv", "# GluteLab recording 3, emg, 2000 Hz, units uV", t, np.zeros((4000, 2)))
    assert load_csv(path).rate_hz == 2000.0
    t = np.arange(4000) / 2004.0  # 0.2 % off: a conflict
    path = _write(tmp_path / "bad.csv", "# GluteLab recording 3, emg, 2000 Hz, units uV", t, np.zeros((4000, 2)))
    with pytest.raises(SignalFileError, match=r"2000 Hz.*2004 Hz"):
        load_csv(path)


def test_one_sample_names_the_real_cause(tmp_path):
    path = _write(tmp_path / "one.csv", None, np.array([0.0]), np.zeros((1, 2)))
    with pytest.raises(SignalFileError, match="only one sample") as err:
        load_csv(path)
    assert "missing values" not in str(err.value)


def test_a_time_column_that_jumps_keeps_the_gap_on_the_time_base(tmp_path):
    idx = np.r_[0:3000, 5000:8000]  # 2 s missing at 1 kHz
    x = np.column_stack([idx, -idx]).astype(float)
    path = _write(tmp_path / "gap.csv", "# GluteLab recording 3, emg, 1000 Hz, units uV", idx / 1000.0, x)
    sig = load_csv(path)
    assert sig.rate_hz == 1000.0 and sig.data.shape == (8000, 2)
    assert np.isnan(sig.data[3000:5000]).all()
    np.testing.assert_array_equal(sig.data[5000:, 0], np.arange(5000, 8000))
    assert any("gap" in n for n in sig.notes)
