"""What every printed report shares: clinic name and logo, "SIMULATED DATA" on every page when the report
contains any, page "N of M", the generated date, a signature line, vector charts, and writing the file via a
temporary file and a rename (a crash never leaves half a PDF under the final name)."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

SIMULATED_MARK = "SIMULATED DATA - not a patient measurement"
# Binary (Flate) streams, not ASCII85 on top: without reportlab's C accelerator (not installed) ASCII85 is pure
# Python, seconds for a photo-sized logo, and ends in one multi-megabyte string encode that holds the GIL.
rl_config.useA85 = 0
#: the logo's printed box (mm) and the resolution it is kept at: a logo is never embedded larger than that
LOGO_BOX_MM = (50.0, 18.0)
LOGO_DPI = 300
STYLES = getSampleStyleSheet()
BODY = STYLES["Normal"]
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
H1, H2 = STYLES["Title"], STYLES["Heading2"]
LARGE = ParagraphStyle("large", parent=BODY, fontSize=12, leading=16)  # patient-readable text


@dataclass(frozen=True)
class ReportFrame:
    """The page furniture: who prints, what, and whether the data is simulated."""

    title: str
    clinic_name: str
    logo_path: str
    simulated: bool
    generated: dt.datetime


def p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text (markup characters in names are escaped, never interpreted)."""
    return Paragraph(escape(text), style)


def fmt(v: float | int | None, unit: str = "", digits: int = 0) -> str:
    if v is None:
        return "-"
    return f"{v:.{digits}f}{unit}"


def pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f} %"


def grid_table(rows: Sequence[Sequence[object]], widths: Sequence[float] | None = None,
               font_size: float = 8) -> Table:
    cells = [[c if isinstance(c, Flowable) else Paragraph(escape(str(c)), ParagraphStyle(
        "cell", parent=BODY, fontSize=font_size, leading=font_size + 2)) for c in row] for row in rows]
    t = Table(cells, colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


def signature_block() -> list[Flowable]:
    return [Spacer(1, 12 * mm), p("Clinician signature: ______________________________    "
                                  "Date: ________________"), Spacer(1, 2 * mm)]


@lru_cache(maxsize=4)
def _logo_png(path: str, mtime_ns: int) -> bytes:
    """The logo scaled down to its printed box at ``LOGO_DPI`` (a 4000-pixel photo would otherwise be
    compressed into every report), as PNG; cached per file version."""
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        im.load()
        box = tuple(round(side / 25.4 * LOGO_DPI) for side in LOGO_BOX_MM)
        im.thumbnail(box)  # keeps the aspect ratio, never enlarges
        out = io.BytesIO()
        im.save(out, "PNG")
    return out.getvalue()


def logo(frame: ReportFrame) -> Image | None:
    """The clinic's logo, or None when none is set or it cannot be read (the report still prints)."""
    if not frame.logo_path or not Path(frame.logo_path).is_file():
        return None
    try:
        img = Image(io.BytesIO(_logo_png(frame.logo_path, Path(frame.logo_path).stat().st_mtime_ns)))
        scale = min(1.0, (LOGO_BOX_MM[1] * mm) / img.imageHeight, (LOGO_BOX_MM[0] * mm) / img.imageWidth)
        img.drawHeight, img.drawWidth = img.imageHeight * scale, img.imageWidth * scale
        return img
    except Exception:  # noqa: BLE001 - a damaged logo file must not stop a report
        return None


def header_story(frame: ReportFrame) -> list[Flowable]:
    top: list[Flowable] = []
    img = logo(frame)
    name = frame.clinic_name or "GluteLab"
    head = Table([[img or "", p(name, H2)]], colWidths=[55 * mm, None]) if img else p(name, H2)
    top += [head, p(frame.title, H1)]
    return top


def _numbered_canvas(frame: ReportFrame) -> type[Canvas]:
    """A canvas that knows the page count when it finishes, for "page N of M" on every page."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self._pages: list[dict[str, object]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            width, _ = A4
            self.setFont("Helvetica", 8)
            self.setFillColor(colors.black)
            self.drawString(18 * mm, 10 * mm, f"{frame.clinic_name or 'GluteLab'} - {frame.title} - generated "
                                               f"{frame.generated:%Y-%m-%d %H:%M}")
            self.drawRightString(width - 18 * mm, 10 * mm, f"Page {self._pageNumber} of {total}")
            if frame.simulated:
                self.setFont("Helvetica-Bold", 9)
                self.setFillColor(colors.red)
                self.drawCentredString(width / 2, A4[1] - 10 * mm, SIMULATED_MARK)

    return NumberedCanvas


def write_pdf(path: str | Path, frame: ReportFrame, story: list[Flowable]) -> Path:
    """Build the PDF next to ``path`` and move it into place (see ``replace_atomically``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def build(tmp: Path) -> None:
        doc = SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                                topMargin=16 * mm, bottomMargin=18 * mm, title=frame.title, author="GluteLab")
        doc.build(header_story(frame) + story, canvasmaker=_numbered_canvas(frame))

    replace_atomically(path, build)
    return path


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write via ``path.tmp`` then rename: readers see the old file or the whole new one, never a part.
    (The one place to switch to clinic/atomic_file.py once it exists.)"""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


SERIES_COLOURS = (colors.HexColor("#1f5f99"), colors.HexColor("#9a9a9a"), colors.HexColor("#9a9a9a"))
MUSCLE_COLOURS = (colors.HexColor("#1f5f99"), colors.HexColor("#c0392b"), colors.HexColor("#7d8c2a"))


def week_chart(title: str, weeks: Sequence[int], series: Sequence[tuple[str, Sequence[float | None]]],
               unit: str, width: float = 170 * mm, height: float = 55 * mm,
               palette: Sequence[colors.Color] = SERIES_COLOURS, y_range: tuple[float, float] | None = None) -> Drawing:
    """A vector line chart over the sessions, x labelled "Week N"; series named "CI ..." are dashed."""
    d = Drawing(width, height)
    d.add(String(0, height - 10, f"{title} ({unit})" if unit else title, fontName="Helvetica-Bold", fontSize=9))
    xs = list(range(1, len(weeks) + 1))
    data = []
    for _, values in series:
        pts = [(x, float(v)) for x, v in zip(xs, values) if v is not None]
        data.append(pts or [(1, 0.0)])
    lp = LinePlot()
    lp.x, lp.y, lp.width, lp.height = 30, 25, width - 140, height - 45
    lp.data = data
    for i, (name, _) in enumerate(series):
        lp.lines[i].strokeColor = palette[i % len(palette)]
        lp.lines[i].strokeWidth = 1.5 if i == 0 else 0.8
        if name.startswith("CI"):
            lp.lines[i].strokeDashArray = (2, 2)
        else:
            lp.lines[i].symbol = makeMarker("FilledCircle", size=3)
    lp.xValueAxis.valueMin, lp.xValueAxis.valueMax = 0.5, len(xs) + 0.5
    lp.xValueAxis.valueSteps = xs
    labels = {x: f"Week {w}" for x, w in zip(xs, weeks)}
    lp.xValueAxis.labelTextFormat = lambda v: labels.get(int(round(v)), "")
    lp.xValueAxis.labels.fontSize = 7
    lp.xValueAxis.labels.angle = 30 if len(xs) > 8 else 0
    lp.xValueAxis.labels.boxAnchor = "ne" if len(xs) > 8 else "n"
    lp.yValueAxis.labels.fontSize = 7
    if y_range is not None:
        lp.yValueAxis.valueMin, lp.yValueAxis.valueMax = y_range
    d.add(lp)
    legend = Legend()
    legend.x, legend.y = width - 100, height - 20
    legend.fontSize = 7
    legend.alignment = "right"
    legend.colorNamePairs = [(palette[i % len(palette)], name) for i, (name, _) in enumerate(series)]
    d.add(legend)
    return d
