"""One-page session report (reportlab): who, when, what was recorded, and the per-rep firing order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from clinic.atomic_file import atomic_path


@dataclass
class SessionReportData:
    patient_name: str
    mrn: str
    session_label: str  # e.g. "Week 3, 2026-11-26 10:40"
    exercise: str
    side: str
    simulated: bool
    recordings: list[str] = field(default_factory=list)
    analysis: dict[str, object] = field(default_factory=dict)


def _fmt(v: object, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.0f}{unit}"
    return f"{v}{unit}"


def write_session_report(path: str | Path, data: SessionReportData) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        _build(tmp, data)
    return path


def _build(path: Path, data: SessionReportData) -> None:
    styles = getSampleStyleSheet()
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm, title=f"GluteLab session report {data.mrn}",
                            author="GluteLab")
    story = [Paragraph("GluteLab session report", styles["Title"])]
    if data.simulated:
        story.append(Paragraph("<b>SIMULATED DATA - not a patient measurement</b>", styles["Normal"]))
    story += [
        Paragraph(escape(f"Patient: {data.patient_name} (MRN {data.mrn})"), styles["Normal"]),
        Paragraph(escape(f"Session: {data.session_label}"), styles["Normal"]),
        Paragraph(escape(f"Exercise: {data.exercise.replace('_', ' ')}, {data.side} side"), styles["Normal"]),
        Spacer(1, 6 * mm),
    ]
    if data.analysis and data.analysis.get("error"):
        story.append(Paragraph(f"Analysis not possible: {escape(str(data.analysis['error']))}", styles["Normal"]))
    summary = data.analysis.get("summary", {}) if data.analysis else {}
    assert isinstance(summary, dict)
    share = summary.get("glute_first_share")
    story.append(Paragraph(
        f"Reps: {summary.get('reps', 0)}; glute fired first in "
        f"{'-' if share is None else f'{100 * share:.0f} %'} of reps; median glute lead over hamstrings "
        f"{_fmt(summary.get('glute_lead_hamstrings_ms_median'), ' ms')}.", styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    rows = [["Rep", "Firing order", "Glute lead vs hamstrings", "vs lumbar", "Hold"]]
    for rep in data.analysis.get("reps", []) if data.analysis else []:  # type: ignore[union-attr]
        rows.append([str(rep["rep"]), " > ".join(m.replace("_", " ") for m in rep["firing_order"]) or "-",
                     _fmt(rep["glute_lead_hamstrings_ms"], " ms"), _fmt(rep["glute_lead_erector_spinae_ms"], " ms"),
                     f"{rep['hold_ms'] / 1000:.1f} s"])
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                               ("FONTSIZE", (0, 0), (-1, -1), 9)]))
    story += [table, Spacer(1, 6 * mm)]
    story.append(Paragraph(escape("Recordings: " + (", ".join(data.recordings) or "none")), styles["Normal"]))
    story.append(Paragraph("Positive lead = glute before the other muscle. Compare with this patient's earlier "
                           "sessions; no population norm is implied.", styles["Italic"]))
    doc.build(story)
