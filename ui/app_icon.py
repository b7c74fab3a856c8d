"""The application icon (resources/icons), for windows, the taskbar and the About dialog."""

from __future__ import annotations

from importlib import resources

from PySide6 import QtGui

SIZES = (16, 24, 32, 48, 64, 128, 256)


def app_icon() -> QtGui.QIcon:
    """Every rendered PNG size (crisp at each size; no QtSvg needed to show it)."""
    folder = resources.files("resources") / "icons"
    icon = QtGui.QIcon()
    for size in SIZES:
        icon.addFile(str(folder / f"glutelab-{size}.png"))
    return icon
