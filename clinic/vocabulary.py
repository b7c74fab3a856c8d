"""Names the command line offers as choices, in a module that imports nothing, so that ``glutelab --help``
and argument parsing never load numpy, scipy or SQLAlchemy (the modules that use them import from here)."""

from __future__ import annotations

EXERCISES = ("cook_hip_lift", "glute_bridge", "supine_hip_extension", "one_leg_glute_bridge",
             "bench_sit_down", "mvc", "rest")
ROLES = ("physiotherapist", "administrator", "viewer")
RECORDING_FORMATS = ("csv", "edf", "c3d")
ONSET_METHODS = ("hodges_bui", "tkeo")
DEFAULT_ONSET_METHOD = "tkeo"
REPORT_KINDS = ("progress", "discharge", "session")
REPLAY_SPEEDS = (0.25, 8.0)  # slowest and fastest replay, x real time
