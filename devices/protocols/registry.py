"""Protocol name -> host driver. A new protocol is one module plus one line here."""

from __future__ import annotations

from typing import Any

from devices.protocols.glutelab import GluteLabDriver

_DRIVERS: dict[str, type[Any]] = {
    "glutelab": GluteLabDriver,
}


def names() -> list[str]:
    return sorted(_DRIVERS)


def driver(name: str) -> Any:
    try:
        return _DRIVERS[name]()
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}; known: {', '.join(names())}") from None
