"""The simulator's profile and exercise names, importable without numpy/scipy (command-line choices)."""

from __future__ import annotations

PROFILE_NAMES = ("amnesic", "healthy", "typical")
SIM_EXERCISES = ("cook_hip_lift", "glute_bridge", "supine_hip_extension", "one_leg_glute_bridge", "bench_sit_down")
