"""The serial ports offered in a page's port boxes (device set-up and the live devices page share this)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6 import QtWidgets
from serial.tools import list_ports


def offer_ports(combos: Iterable[QtWidgets.QComboBox]) -> None:
    """Every port the system lists, plus an empty choice, keeping what each box showed (a simulator's path too)."""
    ports = [p.device for p in list_ports.comports()]
    for combo in combos:
        current = combo.currentText()
        combo.clear()
        combo.addItems([""] + ports)
        combo.setCurrentText(current)
