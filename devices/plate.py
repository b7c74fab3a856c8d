"""Force plate arithmetic: total vertical force and centre of pressure from four corner load cells.

Cells sit at the corners of a plate ``width`` (x, left to right) by ``length`` (y, back to front), origin at
the centre. Each cell carries the share of the load that its distance from the centre of pressure leaves it,
so with forces in newtons::

    Fz   = FL + FR + BL + BR
    COPx = W/2 * ((FR + BR) - (FL + BL)) / Fz
    COPy = L/2 * ((FL + FR) - (BL + BR)) / Fz

Below ``min_fz_n`` nobody is standing on the plate and the centre of pressure is undefined (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELL_ORDER = ("front_left", "front_right", "back_left", "back_right")
MIN_FZ_N = 20.0


@dataclass(frozen=True)
class PlateForces:
    fz_n: np.ndarray
    cop_x_mm: np.ndarray  # + toward the right edge
    cop_y_mm: np.ndarray  # + toward the front edge


def plate_forces(cells_n: np.ndarray, width_mm: float, length_mm: float,
                 min_fz_n: float = MIN_FZ_N) -> PlateForces:
    """``cells_n``: samples x 4 cell forces in newtons, columns in ``CELL_ORDER``."""
    cells = np.asarray(cells_n, dtype=np.float64)
    if cells.ndim != 2 or cells.shape[1] != 4:
        raise ValueError(f"need samples x 4 load-cell forces, got shape {cells.shape}")
    fl, fr, bl, br = cells.T
    fz = fl + fr + bl + br
    loaded = fz >= min_fz_n
    safe = np.where(loaded, fz, 1.0)
    cop_x = np.where(loaded, width_mm / 2 * ((fr + br) - (fl + bl)) / safe, np.nan)
    cop_y = np.where(loaded, length_mm / 2 * ((fl + fr) - (bl + br)) / safe, np.nan)
    return PlateForces(fz, cop_x, cop_y)


def cells_in_order(channel_names: tuple[str, ...], physical: np.ndarray) -> np.ndarray:
    """Reorder a plate's physical channels into ``CELL_ORDER`` by name (devices may list them otherwise)."""
    missing = [c for c in CELL_ORDER if c not in channel_names]
    if missing:
        raise ValueError(f"a plate needs channels named {', '.join(CELL_ORDER)}; missing {', '.join(missing)}")
    return np.asarray(physical)[:, [channel_names.index(c) for c in CELL_ORDER]]
