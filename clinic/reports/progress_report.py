"""The progress report of an episode: charts across the weeks, one table per session, the change against the
patient's own baseline with the CI method named, the stage reached and the progression advice with reasons."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from clinic.protocol.exercises import exercise_name
from clinic.reports.layout import (
    BODY,
    H2,
    MUSCLE_COLOURS,
    SMALL,
    ReportFrame,
    fmt,
    grid_table,
    p,
    pct,
    signature_block,
    week_chart,
    write_pdf,
)
from clinic.usecases.progress import EpisodeProgress, Estimate, SessionProgress, stage_label

MUSCLE_NAMES = {"glute_max": "glute", "hamstrings": "hamstrings", "erector_spinae": "lumbar"}


def ci_text(e: Estimate, unit: str = "", share: bool = False) -> str:
    if e.value is None:
        return "-"
    if share:
        value = pct(e.value)
        ci = "" if e.low is None else f" (CI {pct(e.low)} to {pct(e.high)})"
        return value + ci
    ci = "" if e.low is None else f" (CI {e.low:.0f} to {e.high:.0f})"
    return f"{e.value:.0f}{unit}{ci}"


def patient_lines(ep: EpisodeProgress) -> list[Flowable]:
    status = "active" if ep.status == "active" else f"{ep.status} {ep.discharge_date or ''}".strip()
    return [p(f"Patient: {ep.patient_name} (MRN {ep.mrn}), born {ep.birth_date:%Y-%m-%d}"),
            p(f"Episode {ep.episode_id}: {ep.reason}; started {ep.start_date:%Y-%m-%d}; {status}"),
            p(f"Goals: {ep.goals or 'none recorded'}")]


def sparse_notes(ep: EpisodeProgress) -> list[str]:
    """What the report cannot show, said in the report rather than failing."""
    with_reps = [sp for sp in ep.sessions if sp.reps]
    notes = []
    if not ep.sessions:
        notes.append("No sessions recorded in this episode yet: there is no progress to show.")
    elif not with_reps:
        notes.append("No session of this episode has stored results yet: there is no progress to show.")
    elif len(with_reps) == 1:
        notes.append("Only one session with results: it is the baseline; change can be judged from the "
                     "second session on.")
    no_mvc = [sp.label for sp in with_reps if not sp.has_mvc]
    if no_mvc:
        notes.append(f"No MVC calibration in {', '.join(no_mvc)}: amplitudes there are not in %MVC, and %MVC and "
                     "ratios are left empty.")
    return notes


def session_table(sp: SessionProgress, base: SessionProgress | None) -> Flowable:
    rows: list[list[object]] = [["Measure", "Both sides", "Left", "Right", "Left - right"]]
    left, right = sp.by_side.get("left", {}), sp.by_side.get("right", {})
    asym = sp.asymmetry

    def side(d: dict[str, float | None], key: str, unit: str = "", share: bool = False, digits: int = 0) -> str:
        v = d.get(key)
        return pct(v) if share else fmt(v, unit, digits)

    rows += [
        ["Glute lead over hamstrings, median (ms)", ci_text(sp.glute_lead_hamstrings_ms, " ms"),
         side(left, "glute_lead_hamstrings_ms", " ms"), side(right, "glute_lead_hamstrings_ms", " ms"),
         fmt(asym.get("glute_lead_hamstrings_ms"), " ms")],
        ["Glute lead over lumbar, median (ms)", ci_text(sp.glute_lead_erector_ms, " ms"), "", "", ""],
        ["Spread of glute lead over hamstrings (IQR)", fmt(sp.glute_lead_hamstrings_ms.iqr, " ms"), "", "", ""],
        ["Reps with the glute first", ci_text(sp.glute_first_share, share=True),
         side(left, "glute_first_share", share=True), side(right, "glute_first_share", share=True),
         pct(asym.get("glute_first_share")) if asym.get("glute_first_share") is not None else "-"],
        ["Glute %MVC (hold, median)", fmt(sp.pct_mvc.get("glute_max"), " %"),
         side(left, "glute_pct_mvc", " %"), side(right, "glute_pct_mvc", " %"), fmt(asym.get("glute_pct_mvc"), " %")],
        ["Hamstrings / lumbar %MVC", f"{fmt(sp.pct_mvc.get('hamstrings'), ' %')} / "
                                    f"{fmt(sp.pct_mvc.get('erector_spinae'), ' %')}", "", "", ""],
        ["Glute:hamstring / lumbar:glute ratio", f"{fmt(sp.glute_hamstring_ratio, '', 2)} / "
                                                f"{fmt(sp.lumbar_glute_ratio, '', 2)}", "", "", ""],
        ["Hold achieved vs target", f"{fmt(sp.hold_median_s, ' s', 1)} of {fmt(sp.hold_target_s, ' s', 1)}; "
                                    f"reached in {pct(sp.hold_reached_share)}",
         side(left, "hold_s", " s", digits=1), side(right, "hold_s", " s", digits=1), fmt(asym.get("hold_s"), " s", 1)],
        ["Plate load on the left (50 % = even)", fmt(sp.plate_left_pct, " %"), "", "", ""],
        ["Bench sit-down control", sit_down_text(sp), "", "", ""],
        ["Pain score (0-10)", fmt(sp.pain_score), "", "", ""],
        ["Exercise stage reached", stage_label(sp), "", "", ""],
    ]
    if base is not None:
        rows.append(["Versus baseline (" + base.label + ")",
                     f"glute lead: {sp.verdicts.get('glute_lead_hamstrings_ms', '-')}; glute first: "
                     f"{sp.verdicts.get('glute_first_share', '-')}", "", "", ""])
    title = f"{sp.label} - session {sp.session_id}, {sp.date:%Y-%m-%d}, {sp.reps} reps" + (
        "" if sp.has_mvc else " (no MVC calibration: %MVC not available)") + (" - simulated" if sp.simulated else "")
    parts: list[Flowable] = [p(title, H2), grid_table(rows, [58 * mm, 52 * mm, 18 * mm, 18 * mm, 22 * mm])]
    if sp.notes:
        parts.append(p(f"Clinician notes: {sp.notes}", SMALL))
    return KeepTogether(parts + [Spacer(1, 4 * mm)])


def sit_down_text(sp: SessionProgress) -> str:
    if not sp.sit_down:
        return "not recorded"
    d = sp.sit_down
    return (f"descent {fmt(d.get('descent_ms'), ' ms')}, contact velocity "
            f"{fmt(d.get('velocity_at_contact_m_s'), ' m/s', 2)}, "
            f"seat peak {fmt(d.get('peak_seat_force_bw'), ' BW', 2)}")


def overview_table(ep: EpisodeProgress) -> Flowable:
    rows: list[list[object]] = [["Week", "Date", "Reps", "Glute lead vs hamstrings (ms, 95 % CI)",
                                 "Glute first (95 % CI)", "Glute %MVC", "Pain", "vs baseline"]]
    for sp in ep.sessions:
        verdict = "baseline" if sp.session_id == ep.baseline_session_id else (
            "changed since baseline" if sp.changed else ("no clear change yet" if sp.reps else "no results"))
        rows.append([sp.label, f"{sp.date:%Y-%m-%d}", sp.reps, ci_text(sp.glute_lead_hamstrings_ms),
                     ci_text(sp.glute_first_share, share=True), fmt(sp.pct_mvc.get("glute_max"), " %"),
                     fmt(sp.pain_score), verdict])
    return grid_table(rows, [15 * mm, 20 * mm, 11 * mm, 38 * mm, 33 * mm, 16 * mm, 11 * mm, 30 * mm], 7.5)


def charts(ep: EpisodeProgress) -> list[Flowable]:
    ss = [sp for sp in ep.sessions if sp.reps]
    if not ss:
        return []
    weeks = [sp.week for sp in ss]
    lead = [sp.glute_lead_hamstrings_ms for sp in ss]
    share = [sp.glute_first_share for sp in ss]
    return [
        week_chart("Glute lead over hamstrings, median over reps", weeks,
                   [("median", [e.value for e in lead]), ("CI low", [e.low for e in lead]),
                    ("CI high", [e.high for e in lead])], "ms"),
        week_chart("Reps with the glute first", weeks,
                   [("share", [None if e.value is None else 100 * e.value for e in share]),
                    ("CI low", [None if e.low is None else 100 * e.low for e in share]),
                    ("CI high", [None if e.high is None else 100 * e.high for e in share])], "%",
                   y_range=(0, 100)),
        week_chart("Mean activation during the hold", weeks,
                   [(MUSCLE_NAMES[m], [sp.pct_mvc.get(m) for sp in ss]) for m in MUSCLE_NAMES], "%MVC",
                   palette=MUSCLE_COLOURS),
        week_chart("Pain score", weeks, [("pain", [sp.pain_score for sp in ss])], "0-10", y_range=(0, 10)),
    ]


def advice_story(ep: EpisodeProgress) -> list[Flowable]:
    a = ep.advice
    t = ep.thresholds
    out: list[Flowable] = [p("Stage and progression advice", H2),
                           p(f"Stage reached: {exercise_name(a.current) if a.current else 'none yet'}."),
                           p(f"Advice: {a.summary}")]
    out += [p(f"- {r}", SMALL) for r in a.reasons]
    out.append(p(f"Targets set by the clinic: glute first in at least {pct(t.glute_first_share)} of reps, glute at "
                 f"least {t.min_glute_pct_mvc:.0f} %MVC, hold target reached in at least "
                 f"{pct(t.hold_reached_share)} of reps, over the last {t.sessions} session(s) at one exercise. "
                 "The advice supports the clinician's decision; it is not a diagnosis.", SMALL))
    return out


def build_progress_story(ep: EpisodeProgress) -> list[Flowable]:
    story: list[Flowable] = patient_lines(ep) + [Spacer(1, 3 * mm)]
    story += [p(n, BODY) for n in sparse_notes(ep)]
    base = ep.baseline
    story.append(p(f"Baseline: {base.label} (session {base.session_id}, {ep.baseline_source})" if base
                   else "Baseline: none yet"))
    story.append(p(f"Confidence intervals: {ep.ci_method}. A measure is called 'changed since baseline' only when "
                   "its CI does not overlap the baseline's; otherwise 'no clear change yet'. Positive lead = glute "
                   "before the other muscle. Values are this patient's own; no population norm is implied.", SMALL))
    if ep.sessions:
        story += [Spacer(1, 3 * mm), overview_table(ep), Spacer(1, 3 * mm)]
    story += charts(ep)
    story += advice_story(ep)
    story += [Spacer(1, 3 * mm)] + [session_table(sp, base) for sp in ep.sessions]
    return story + signature_block()


def write_progress_report(path: str | Path, ep: EpisodeProgress, frame: ReportFrame) -> Path:
    return write_pdf(path, frame, build_progress_story(ep))
