"""Min/max decimation keeps every peak, turns lost-packet gaps into gaps without warnings, and gives the same
points when it is kept up to date frame by frame as when it reduces the whole window at once."""

from __future__ import annotations

import warnings

import numpy as np

from devices.ring import SampleRing
from ui.live_plot import PeakBins


def _check_points(x: np.ndarray, y: np.ndarray, rows: np.ndarray) -> None:
    """Every pair of points is the min and the max of the samples between their x positions."""
    for i in range(0, len(x), 2):
        seg = rows[int(x[i]):int(x[i + 1]) + 1]
        assert np.array_equal(y[i], np.fmin.reduce(seg, axis=0), equal_nan=True)
        assert np.array_equal(y[i + 1], np.fmax.reduce(seg, axis=0), equal_nan=True)


def test_decimation_keeps_extremes_and_bounds_points() -> None:
    rng = np.random.default_rng(0)
    y = rng.standard_normal((20_000, 3)).astype(np.float32)
    y[12_345, 1] = 50.0
    y[777, 2] = -40.0
    ring = SampleRing(30_000, 3)
    ring.write(y)
    x, d, end = PeakBins(20_000).update(ring, 500)
    assert end == 20_000 and len(x) == len(d) <= 2 * 501
    assert d[:, 1].max() == 50.0 and d[:, 2].min() == -40.0
    assert np.all(np.diff(x) >= 0) and x[0] == 0 and x[-1] == 19_999
    _check_points(x, d, y)


def test_incremental_bins_equal_a_full_reduction_through_gaps_and_resizes() -> None:
    rng = np.random.default_rng(1)
    ring = SampleRing(5000, 4)
    bins = PeakBins(2000, columns=[1, 3], transform=lambda r: 2.0 * r)
    written = []
    for step in range(300):
        rows = rng.standard_normal((int(rng.integers(0, 90)), 4)).astype(np.float32)
        if step % 50 == 7:
            rows[:] = np.nan  # lost packets
        ring.write(rows)
        written.append(rows)
        x, y, end = bins.update(ring, 300 if step < 150 else 137)  # the plot is resized half-way
        every = 2.0 * np.concatenate(written)[:, [1, 3]].astype(np.float64)
        assert end == len(every) and y.shape[1] == 2
        if end:
            assert x[-1] == end - 1 and 0 <= x[0] <= max(0, end - 2000)  # the newest sample, the whole window
            _check_points(x, y, every)


def test_all_nan_bins_stay_gaps_without_warning() -> None:
    ring = SampleRing(2000, 2)
    y = np.ones((1000, 2), dtype=np.float32)
    y[200:400] = np.nan
    ring.write(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, d, _ = PeakBins(1000).update(ring, 10)
    assert np.isnan(d).any() and np.isfinite(d).sum() > 0


def test_a_new_ring_starts_again() -> None:
    """A replay's seek hands the plot a fresh ring that starts further back: nothing of the old one stays."""
    old, new = SampleRing(5000, 1), SampleRing(5000, 1)
    old.write(np.full((3000, 1), 5.0))
    new.write(np.full((1000, 1), -1.0))
    bins = PeakBins(2000)
    bins.update(old, 100)
    x, y, end = bins.update(new, 100)
    assert end == 1000 and x[-1] == 999 and np.all(y == -1.0)


def test_live_plot_paints_its_traces_up_to_now(qtbot) -> None:  # noqa: ANN001
    """A real widget: the traces end at the newest sample (t = 0), start a window back, keep a lost-packet gap
    as a gap, and each painted frame is counted after it is painted."""
    from ui.live_plot import LivePlot

    rate, ring = 1000.0, SampleRing(30_000, 2)
    plot = LivePlot(ring, rate, ["glute_max_left", "hamstrings_left"], "uV", window_s=5.0)
    qtbot.addWidget(plot)
    plot.resize(640, 400)
    plot.show()
    qtbot.waitExposed(plot)
    rows = np.sin(np.arange(8000)[:, None] / 50.0 + np.array([0.0, 1.0]))
    rows[6000:6100, 1] = np.nan
    ring.write(rows)
    painted = plot.frames
    plot.refresh()
    qtbot.waitUntil(lambda: plot.frames > painted, timeout=5_000)
    x, y = plot.curves[1].getData()
    assert abs(x[-1] + 1.0 / rate) < 1e-9 and -5.0 - 0.1 < x[0] <= -5.0 + 0.1  # the newest sample is "now"
    assert np.isnan(y).any() and np.nanmax(y) <= 1.0 - plot.lane_spacing + 1e-6  # the gap; lane 1 below lane 0
    ring.write(np.zeros((500, 2)))
    plot.refresh()
    assert plot.curves[0].getData()[1][-1] == 0.0  # the next frame shows the new samples
