"""Left/right asymmetry: the symmetry index of Robinson et al. (1987), in percent.

``SI = 100 * (L - R) / (0.5 * (L + R))``: 0 is symmetric, positive means the left is larger, +-200 is all on
one side. Shown next to every live and per-rep measure that has a left and a right.
"""

from __future__ import annotations


def asymmetry_index(left: float | None, right: float | None) -> float | None:
    """Symmetry index in % (positive: left larger); None when a side is missing or both are ~zero."""
    if left is None or right is None:
        return None
    mean = 0.5 * (abs(left) + abs(right))
    if mean <= 1e-12:
        return None
    return round(100.0 * (left - right) / mean, 1)


def paired_asymmetry(values: dict[str, float | None]) -> dict[str, float | None]:
    """Per measure with ``<name>_left`` and ``<name>_right`` keys, its asymmetry index under ``<name>``."""
    out: dict[str, float | None] = {}
    for key in values:
        if key.endswith("_left"):
            base = key[: -len("_left")]
            if f"{base}_right" in values:
                out[base] = asymmetry_index(values[key], values[f"{base}_right"])
    return out
