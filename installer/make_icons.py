"""Render resources/icons/glutelab.svg to the PNG sizes and the Windows ICO (run after editing the SVG).

    QT_QPA_PLATFORM=offscreen python installer/make_icons.py

QtSvg draws the SVG; Pillow (a reportlab dependency) writes the multi-size ICO.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image
from PySide6 import QtCore, QtGui, QtSvg

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, size: int) -> QtGui.QImage:
    renderer = QtSvg.QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    QtGui.QGuiApplication(sys.argv[:1])
    svg = ICONS / "glutelab.svg"
    pngs = []
    for size in SIZES:
        out = ICONS / f"glutelab-{size}.png"
        if not render(svg, size).save(str(out)):
            raise SystemExit(f"could not write {out}")
        pngs.append(out)
    biggest = Image.open(pngs[-1])
    biggest.save(ICONS / "glutelab.ico", sizes=[(s, s) for s in SIZES])
    print(f"wrote {len(pngs)} PNGs and glutelab.ico in {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
