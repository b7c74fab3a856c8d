"""Workstation settings kept in ``settings.json`` of the data dir (``--data-dir`` moves them with the rest).

Small, typed and forgiving: unknown keys from a newer version are kept, a missing or damaged file gives the
defaults (and is rewritten on the next save), and values are checked so the UI can show a clear message.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic.protocol.progression import ProgressionThresholds

if TYPE_CHECKING:  # the filters (scipy) load when the conditioning is asked for, not with the settings
    from clinic.signals.conditioning import ConditioningSettings


class SettingsError(ValueError):
    """A setting value out of its range; the message names the setting and the range."""


@dataclass
class Settings:
    idle_lock_minutes: float = 5.0  # the workstation locks (hides patient data) after this idle time; 0 = never
    mains_hz: int = 50  # local mains frequency for the notch filter
    last_port_emg: str = ""
    last_port_plate: str = ""
    clinic_name: str = ""  # printed on every report
    clinic_logo: str = ""  # path to a PNG/JPEG logo for reports; empty = none
    # progression advice: targets the clinician sets (domain.md: no population norm is implied)
    progress_glute_first_share: float = 0.8  # share of reps (0-1) with the glute first
    progress_min_glute_pct_mvc: float = 20.0  # median glute %MVC during the hold
    progress_hold_reached_share: float = 0.8  # share of reps (0-1) reaching the hold target
    progress_sessions: int = 2  # recent sessions at one exercise that must all meet the targets
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know, kept as they were

    def validate(self) -> Settings:
        try:
            minutes = float(self.idle_lock_minutes)
        except (TypeError, ValueError):
            minutes = float("nan")
        if isinstance(self.idle_lock_minutes, bool) or not 0 <= minutes <= 240:
            raise SettingsError(f"idle_lock_minutes must be 0 (never) to 240, not {self.idle_lock_minutes!r}")
        if self.mains_hz not in (50, 60):
            raise SettingsError(f"mains_hz must be 50 or 60, not {self.mains_hz!r}")
        for name in ("clinic_name", "clinic_logo"):
            if not isinstance(getattr(self, name), str) or len(getattr(self, name)) > 500:
                raise SettingsError(f"{name} must be text of at most 500 characters")
        for name, low, high in (("progress_glute_first_share", 0.0, 1.0), ("progress_hold_reached_share", 0.0, 1.0),
                                ("progress_min_glute_pct_mvc", 0.0, 200.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise SettingsError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")
        if isinstance(self.progress_sessions, bool) or self.progress_sessions not in range(1, 11):
            raise SettingsError(f"progress_sessions must be a whole number from 1 to 10, not "
                                f"{self.progress_sessions!r}")
        return self

    @property
    def progression(self) -> ProgressionThresholds:
        """The clinic's targets for the progression advice."""
        return ProgressionThresholds(float(self.progress_glute_first_share), float(self.progress_min_glute_pct_mvc),
                                     float(self.progress_hold_reached_share), int(self.progress_sessions))

    @property
    def conditioning(self) -> ConditioningSettings:
        """The EMG conditioning this clinic uses (its mains frequency for the notch)."""
        from clinic.signals.conditioning import ConditioningSettings

        return ConditioningSettings(mains_hz=float(self.mains_hz))

    @property
    def idle_lock_seconds(self) -> float | None:
        return None if not self.idle_lock_minutes else float(self.idle_lock_minutes) * 60.0


def load(path: str | os.PathLike[str]) -> Settings:
    """The settings in ``path``; defaults for anything missing, damaged or out of range."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    known = {f.name for f in fields(Settings)} - {"extra"}
    values = {k: v for k, v in raw.items() if k in known}
    extra = {k: v for k, v in raw.items() if k not in known}
    defaults = Settings()
    try:
        return Settings(**values, extra=extra).validate()
    except (SettingsError, TypeError, ValueError):
        ok = {}
        for key, value in values.items():  # keep the good values, drop only the bad ones
            try:
                Settings(**{key: value}).validate()
                ok[key] = value
            except (SettingsError, TypeError, ValueError):
                continue
        return Settings(**{**asdict(defaults), **ok, "extra": extra})


def save(path: str | os.PathLike[str], settings: Settings) -> None:
    """Validate and write atomically (a crash never leaves half a file)."""
    settings.validate()
    data = {k: v for k, v in asdict(settings).items() if k != "extra"}
    data = {**settings.extra, **data}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=2, sort_keys=True))
        fh.flush()
        os.fsync(fh.fileno())  # durable before it replaces the old file (a power cut leaves one or the other)
    os.replace(tmp, path)


def update(path: str | os.PathLike[str], **changes: Any) -> Settings:
    current = load(path)
    for key, value in changes.items():
        if key not in {f.name for f in fields(Settings)} or key == "extra":
            raise SettingsError(f"unknown setting {key!r}")
        setattr(current, key, value)
    save(path, current)
    return current
