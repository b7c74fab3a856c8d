"""Min/max decimation keeps every peak and turns lost-packet gaps into gaps, without warnings."""

from __future__ import annotations

import warnings

import numpy as np

from ui.live_plot import minmax_decimate


def test_decimation_keeps_extremes_and_bounds_points() -> None:
    rng = np.random.default_rng(0)
    y = rng.standard_normal((20_000, 3)).astype(np.float32)
    y[12_345, 1] = 50.0
    y[777, 2] = -40.0
    x, d = minmax_decimate(y, 500)
    assert d.shape == (1000, 3) and x.shape == (1000,)
    assert d[:, 1].max() == 50.0 and d[:, 2].min() == -40.0
    assert np.all(np.diff(x) >= 0) and x[-1] == 19_999


def test_all_nan_bins_stay_gaps_without_warning() -> None:
    y = np.ones((1000, 2), dtype=np.float32)
    y[200:400] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, d = minmax_decimate(y, 10)
    assert np.isnan(d).any() and np.isfinite(d).sum() > 0
