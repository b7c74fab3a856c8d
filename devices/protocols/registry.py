"""Protocol name -> host driver. A new protocol is one module plus one line here."""

from __future__ import annotations

from typing import Any

from devices.protocols.cyton import CytonDriver
from devices.protocols.glutelab import GluteLabDriver

_DRIVERS: dict[str, type[Any]] = {
    "glutelab": GluteLabDriver,
    "cyton": CytonDriver,
}


def names() -> list[str]:
    return sorted(_DRIVERS)


def driver(name: str, **options: Any) -> Any:
    """A fresh driver; ``options`` go to its constructor (e.g. ``gain=12`` for the Cyton)."""
    try:
        return _DRIVERS[name](**options)
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}; known: {', '.join(names())}") from None
