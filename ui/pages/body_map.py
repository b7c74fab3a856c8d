"""The body seen from behind (resources/body_back.svg) with each mapped electrode site coloured and named by
its channel, so the clinician places the electrodes where the map says."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources

from PySide6 import QtCore, QtSvgWidgets, QtWidgets

MAPPED = "#2e7d32"
UNMAPPED = "#cccccc"


def body_svg() -> str:
    return resources.files("resources").joinpath("body_back.svg").read_text(encoding="utf-8")


def coloured(svg: str, channel_of: Mapping[str, str]) -> str:
    """The picture with the sites of ``channel_of`` (muscle_side -> channel) filled and labelled."""
    def paint(match: re.Match[str]) -> str:
        muscle, body = match.group(1), match.group(2)
        channel = channel_of.get(muscle)
        if channel is None:
            return match.group(0)
        body = body.replace(f'fill="{UNMAPPED}"', f'fill="{MAPPED}"', 1)
        body = re.sub(r">([A-Za-z]+)</text>", lambda m: f">{m.group(1)} {channel}</text>", body, count=1)
        return f'<g id="site-{muscle}">{body}</g>'

    return re.sub(r'<g id="site-([a-z_]+)">(.*?)</g>', paint, svg, flags=re.S)


class BodyMap(QtSvgWidgets.QSvgWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bodyMap")
        self._svg = body_svg()
        self.setMinimumSize(QtCore.QSize(180, 312))
        self.show_map({})

    def show_map(self, channel_of: Mapping[str, str]) -> None:
        self.svg_text = coloured(self._svg, channel_of)
        self.load(QtCore.QByteArray(self.svg_text.encode("utf-8")))

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt API
        return QtCore.QSize(240, 416)
