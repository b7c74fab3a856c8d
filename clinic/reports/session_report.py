"""The session report: every trial of the session with its per-rep results as stored (the same numbers the
screens show), and one example rep drawn as a timeline of the muscle onsets and the hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from clinic.protocol.exercises import exercise_name
from clinic.reports.layout import H2, SMALL, ReportFrame, fmt, grid_table, p, pct, signature_block, write_pdf
from clinic.signals.summary import dig, rep_summary

MUSCLES = (("glute_max", "Glute max", colors.HexColor("#1f5f99")),
           ("hamstrings", "Hamstrings", colors.HexColor("#c0392b")),
           ("erector_spinae", "Lumbar", colors.HexColor("#7d8c2a")))


@dataclass
class TrialSection:
    trial_id: int
    exercise: str
    side: str
    hold_target_s: float
    recordings: list[str]
    simulated: bool
    reps: list[dict[str, Any]] = field(default_factory=list)  # stored per-rep metrics
    problem: str | None = None  # why there are no results


@dataclass
class SessionReportData:
    patient_name: str
    mrn: str
    session_label: str  # e.g. "Week 3, 2026-11-26 10:40"
    has_mvc: bool
    pain_score: int | None
    notes: str
    trials: list[TrialSection] = field(default_factory=list)

    @property
    def simulated(self) -> bool:
        return any(t.simulated for t in self.trials)


def example_rep(reps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The rep whose glute lead over the hamstrings is the median one (a typical rep, not the best)."""
    with_lead = sorted((r for r in reps if r.get("glute_lead_hamstrings_ms") is not None),
                       key=lambda r: r["glute_lead_hamstrings_ms"])
    if with_lead:
        return with_lead[len(with_lead) // 2]
    return reps[0] if reps else None


def rep_timeline(rep: dict[str, Any], width: float = 170 * mm, height: float = 45 * mm) -> Drawing:
    """Onsets relative to movement start (ms) per muscle, activity to the end of the hold, the hold shaded."""
    d = Drawing(width, height)
    rel = rep.get("onset_rel_movement_ms") or {}
    ms = float(rep.get("movement_start_s") or 0.0)
    hold = ((float(rep.get("hold_start_s") or ms) - ms) * 1000, (float(rep.get("hold_end_s") or ms) - ms) * 1000)
    onsets = [v for v in rel.values() if v is not None]
    t0 = min([-300.0, *onsets]) - 50
    t1 = max(hold[1], 1000.0) + 200
    x0, x1 = 70.0, width - 10

    def x(t: float) -> float:
        return x0 + (t - t0) / (t1 - t0) * (x1 - x0)

    d.add(String(0, height - 10, f"Example rep {rep.get('rep')}: onsets (ms from movement start) and the hold",
                 fontName="Helvetica-Bold", fontSize=9))
    d.add(Rect(x(hold[0]), 12, x(hold[1]) - x(hold[0]), height - 30, fillColor=colors.HexColor("#eef3e6"),
               strokeColor=None))
    d.add(String(x(hold[0]) + 2, height - 22, f"hold {(hold[1] - hold[0]) / 1000:.1f} s", fontSize=7))
    d.add(Line(x(0), 10, x(0), height - 18, strokeColor=colors.grey, strokeDashArray=(2, 2)))
    d.add(String(x(0) + 2, 2, "movement start", fontSize=7, fillColor=colors.grey))
    for i, (key, name, colour) in enumerate(MUSCLES):
        y = height - 32 - i * 9
        d.add(String(0, y - 2, name, fontSize=7))
        onset = rel.get(key)
        if onset is None:
            d.add(String(x0, y - 2, "no onset found", fontSize=7, fillColor=colors.grey))
            continue
        d.add(Line(x(onset), y, x(hold[1]), y, strokeColor=colour, strokeWidth=3))
        d.add(String(x(onset) - 2, y - 2, f"{onset:.0f}", fontSize=6, textAnchor="end"))
    return d


def _rep_rows(reps: list[dict[str, Any]]) -> list[list[object]]:
    rows: list[list[object]] = [["Rep", "Firing order", "Glute lead vs hamstrings", "vs lumbar", "Glute %MVC",
                                 "G:H ratio", "Hold", "Load left"]]
    for r in reps:
        rows.append([r.get("rep"), " > ".join(m.replace("_", " ") for m in r.get("firing_order") or []) or "-",
                     fmt(r.get("glute_lead_hamstrings_ms"), " ms"), fmt(r.get("glute_lead_erector_spinae_ms"), " ms"),
                     fmt(dig(r, "hold_amplitude.glute_max.mean_pct_mvc"), " %"), fmt(r.get("glute_hamstring_ratio"),
                                                                                     "", 2),
                     fmt((r["hold_ms"] / 1000) if r.get("hold_ms") is not None else None, " s", 1)
                     + (" (reached)" if r.get("hold_reached") else ""), fmt(dig(r, "plate.left_pct"), " %")])
    return rows


def trial_story(t: TrialSection) -> list[Flowable]:
    head = f"Trial {t.trial_id}: {exercise_name(t.exercise)}, {t.side} side, hold target {t.hold_target_s:.0f} s"
    out: list[Flowable] = [p(head + (" - SIMULATED" if t.simulated else ""), H2)]
    out.append(p("Recordings: " + (", ".join(t.recordings) or "none"), SMALL))
    if t.problem:
        out.append(p(t.problem))
        return out
    s = rep_summary(t.reps)
    out.append(p(f"Reps: {s['reps']}; glute fired first in {pct(s['glute_first_share'])} of reps; median glute lead "  # type: ignore[arg-type]
                 f"over hamstrings {fmt(s.get('glute_lead_hamstrings_ms_median'), ' ms')}; hold target reached in "  # type: ignore[arg-type]
                 f"{pct(s.get('hold_reached_share'))} of reps."))  # type: ignore[arg-type]
    out += [Spacer(1, 2 * mm), grid_table(_rep_rows(t.reps),
                                          [10 * mm, 48 * mm, 24 * mm, 18 * mm, 17 * mm, 14 * mm, 24 * mm, 17 * mm])]
    return out + [Spacer(1, 4 * mm)]


def build_session_story(data: SessionReportData) -> list[Flowable]:
    story: list[Flowable] = [p(f"Patient: {data.patient_name} (MRN {data.mrn})"),
                             p(f"Session: {data.session_label}; pain score {fmt(data.pain_score)}")]
    if data.notes:
        story.append(p(f"Clinician notes: {data.notes}"))
    if not data.has_mvc:
        story.append(p("No MVC calibration in this session: amplitudes are in microvolts, %MVC and ratios are "
                       "not available."))
    if not data.trials:
        story.append(p("No trials were recorded in this session."))
    example = next(((t, example_rep(t.reps)) for t in data.trials if t.reps), None)
    if example is not None and example[1] is not None:
        story += [Spacer(1, 3 * mm), rep_timeline(example[1]),
                  p(f"Example from trial {example[0].trial_id} ({example[0].side} side): the rep with the median "
                    "glute lead.", SMALL)]
    for t in data.trials:
        story += trial_story(t)
    story.append(p("Positive lead = glute before the other muscle. Compare with this patient's earlier sessions; no "
                   "population norm is implied.", SMALL))
    return story + signature_block()


def write_session_report(path: str | Path, data: SessionReportData, frame: ReportFrame) -> Path:
    return write_pdf(path, frame, build_session_story(data))
