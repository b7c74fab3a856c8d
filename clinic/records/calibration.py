"""Per-session calibration: resting baseline and MVC per muscle, the electrode map and the device used.

The analysis reports %MVC only when an MVC exists (decisions.md); storing it per session keeps each week's
ratios tied to that day's electrode placement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from clinic.records.audit import record_event
from clinic.records.models import Calibration
from clinic.records.models import Session as VisitSession
from clinic.records.patients import ValidationError
from clinic.records.security import Actor


def add_calibration(s: Session, actor: Actor, visit: VisitSession, muscle: str, baseline_uv: float,
                    mvc_uv: float | None = None, channel: str = "", electrode_map: dict[str, Any] | None = None,
                    device: dict[str, Any] | None = None) -> Calibration:
    actor.require("record")
    muscle = (muscle or "").strip()
    if not muscle or len(muscle) > 64:
        raise ValidationError("muscle must be a name of 1 to 64 characters (e.g. glute_max_left)")
    if not baseline_uv >= 0:
        raise ValidationError(f"baseline must be 0 uV or more, not {baseline_uv!r}")
    if mvc_uv is not None and not mvc_uv > baseline_uv:
        raise ValidationError(f"MVC ({mvc_uv} uV) must be above the resting baseline ({baseline_uv} uV)")
    cal = Calibration(session=visit, muscle=muscle, channel=channel, baseline_uv=float(baseline_uv),
                      mvc_uv=None if mvc_uv is None else float(mvc_uv), electrode_map=dict(electrode_map or {}),
                      device=dict(device or {}))
    s.add(cal)
    s.flush()
    record_event(s, actor.username, "create", "calibration", cal.id)
    return cal
