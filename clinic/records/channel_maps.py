"""Each device's default channel map (by model and serial), kept as the clinic's choice for the next session.

Changing it is an audited change with optimistic locking, so two workstations never silently overwrite each
other's choice.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.channel_map import ChannelMap
from clinic.records.audit import record_event
from clinic.records.models import DeviceChannelMap, utcnow
from clinic.records.security import Actor


def default_map(s: Session, actor: Actor, model: str, serial: str) -> ChannelMap:
    """The device's default map; an empty map when the clinic has not set one."""
    actor.require("read")
    row = s.scalar(select(DeviceChannelMap).where(DeviceChannelMap.model == model,
                                                  DeviceChannelMap.serial == serial))
    return ChannelMap.from_dict(row.channel_map) if row is not None else ChannelMap()


def save_default_map(s: Session, actor: Actor, model: str, serial: str, cmap: ChannelMap) -> None:
    """Keep ``cmap`` as the device's default (checked again: a stored map is always a valid one)."""
    actor.require("change")
    cmap = ChannelMap.from_pairs(cmap.entries)
    row = s.scalar(select(DeviceChannelMap).where(DeviceChannelMap.model == model,
                                                  DeviceChannelMap.serial == serial))
    if row is None:
        row = DeviceChannelMap(model=model, serial=serial)
        s.add(row)
    elif row.channel_map == cmap.as_dict():
        return
    row.channel_map = cmap.as_dict()
    row.updated_at = utcnow()
    row.updated_by = actor.username
    s.flush()
    record_event(s, actor.username, "change", "device_channel_map", row.id, f"{model} {serial}: {cmap.spec()}")
