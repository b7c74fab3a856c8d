"""Total vertical force and centre of pressure from four corner cells."""

from __future__ import annotations

import numpy as np
import pytest

from devices.plate import cells_in_order, plate_forces
from devices.types import DeviceInfo

W, L = 400.0, 600.0


def test_even_load_is_centred_and_corners_map_to_corners() -> None:
    cells = np.array([[100, 100, 100, 100], [0, 500, 0, 0], [0, 0, 500, 0], [250, 0, 250, 0]], dtype=float)
    f = plate_forces(cells, W, L)
    np.testing.assert_allclose(f.fz_n, [400, 500, 500, 500])
    np.testing.assert_allclose(f.cop_x_mm, [0, W / 2, -W / 2, -W / 2])
    np.testing.assert_allclose(f.cop_y_mm, [0, L / 2, -L / 2, 0])


def test_point_load_is_found_where_it_was_put() -> None:
    """A load at (x, y) splits over the corners bilinearly; the formula must give (x, y) back."""
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-W / 2, W / 2, 50), rng.uniform(-L / 2, L / 2, 50)
    u, v = (x + W / 2) / W, (y + L / 2) / L  # 0..1 toward right, toward front
    load = 700.0
    cells = load * np.column_stack([(1 - u) * v, u * v, (1 - u) * (1 - v), u * (1 - v)])
    f = plate_forces(cells, W, L)
    np.testing.assert_allclose(f.fz_n, load)
    np.testing.assert_allclose(f.cop_x_mm, x, atol=1e-9)
    np.testing.assert_allclose(f.cop_y_mm, y, atol=1e-9)


def test_empty_plate_has_no_centre_of_pressure() -> None:
    f = plate_forces(np.array([[1.0, 2.0, 0.5, 0.0]]), W, L)
    assert f.fz_n[0] == pytest.approx(3.5) and np.isnan(f.cop_x_mm[0]) and np.isnan(f.cop_y_mm[0])
    with pytest.raises(ValueError):
        plate_forces(np.zeros((3, 3)), W, L)


def test_counts_to_newtons_with_tare_and_scale_then_reordered_by_name() -> None:
    info = DeviceInfo(kind="plate", model="P", serial="1", firmware="1", protocol="glutelab",
                      sample_rate_hz=1000.0,
                      channel_names=("back_right", "back_left", "front_right", "front_left"), units="N",
                      scale=(0.01,) * 4, offset=(8000.0,) * 4, plate_width_mm=W, plate_length_mm=L)
    counts = np.array([[8000 + 10000, 8000, 8000, 8000]])  # 100 N on the back-right cell only
    cells = cells_in_order(info.channel_names, info.to_physical(counts))
    f = plate_forces(cells, info.plate_width_mm or 0, info.plate_length_mm or 0)
    assert f.fz_n[0] == pytest.approx(100.0)
    assert (f.cop_x_mm[0], f.cop_y_mm[0]) == pytest.approx((W / 2, -L / 2))
    with pytest.raises(ValueError, match="front_left"):
        cells_in_order(("a", "b", "c", "d"), counts)
