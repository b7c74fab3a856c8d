"""The discharge report, written for the patient: what the episode was, each goal and whether the physiotherapist
judged it met, which of the clinic's measured targets were reached, first vs. last measurements in plain words,
the home programme with written instructions, and follow-up advice. Of an episode that is still active it is an
interim report, and says so on its first page."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from clinic.protocol.exercises import BY_KEY, PROGRESSION
from clinic.records.editing import split_goals
from clinic.reports.layout import H2, LARGE, SMALL, ReportFrame, p, signature_block, write_pdf
from clinic.usecases.progress import EpisodeProgress, SessionProgress

FOLLOW_UP = ("Do the activation exercise at the start of every workout, not only while you are in treatment. "
             "If your back pain comes back or gets worse, or you feel the exercises in your back rather than your "
             "buttocks, contact the clinic. A follow-up visit in about 6 weeks lets us check the pattern again.")


def _times(share: float | None, n: int) -> str:
    if share is None or not n:
        return "could not be measured"
    return f"in {round(share * n)} of {n} lifts"


def _lead_words(ms: float | None) -> str:
    if ms is None:
        return "could not be measured"
    if ms >= 0:
        return f"started {ms:.0f} ms (thousandths of a second) before the back-of-thigh muscle"
    return f"started {-ms:.0f} ms (thousandths of a second) after the back-of-thigh muscle"


def first_vs_last(first: SessionProgress, last: SessionProgress) -> list[str]:
    """Plain-word comparison of the first and last session with results."""
    out = [f"Your buttock muscle (gluteus maximus) fired first {_times(first.glute_first_share.value, first.reps)} "
           f"at your first session ({first.label}), and {_times(last.glute_first_share.value, last.reps)} at your "
           f"last session ({last.label}).",
           f"On average it {_lead_words(first.glute_lead_hamstrings_ms.value)} at first; at the end it "
           f"{_lead_words(last.glute_lead_hamstrings_ms.value)}."]
    g0, g1 = first.pct_mvc.get("glute_max"), last.pct_mvc.get("glute_max")
    if g0 is not None and g1 is not None:
        out.append(f"During the hold it worked at about {g0:.0f} % of its maximum at first and {g1:.0f} % at the end.")
    else:
        out.append("How hard the buttock muscle worked (as a share of its maximum) was not measured at both "
                   "sessions (no maximum-effort test that day).")
    if first.pain_score is not None and last.pain_score is not None:
        out.append(f"Your pain score went from {first.pain_score} to {last.pain_score} out of 10.")
    return out


def goal_verdicts(ep: EpisodeProgress) -> list[tuple[str, str]]:
    """(goal, verdict) per goal written for the episode: "met" or "not met" as the physiotherapist judged it at
    discharge, otherwise said to be not judged (never guessed from the measurements)."""
    judged = {o["goal"]: bool(o["met"]) for o in ep.goal_outcomes}
    goals = split_goals(ep.goals)
    goals += [g for g in judged if g not in goals]  # judged before the goals text was edited: still shown
    pending = ("not judged yet (the episode is still going on)" if ep.status == "active"
               else "not judged by your physiotherapist at discharge")
    return [(g, ("met" if judged[g] else "not met") if g in judged else pending) for g in goals]


def measured_targets(ep: EpisodeProgress, last: SessionProgress) -> list[tuple[str, str]]:
    """(target, verdict) for the clinic's measured targets at the last session with results: met, not met
    yet, or not measured (no value that day)."""
    t = ep.thresholds
    checks = [
        ("Buttock muscle fires first", last.glute_first_share.value, t.glute_first_share,
         lambda v: f"{100 * v:.0f} % of lifts", f"{100 * t.glute_first_share:.0f} %"),
        ("Buttock muscle works hard enough", last.pct_mvc.get("glute_max"), t.min_glute_pct_mvc,
         lambda v: f"{v:.0f} % of maximum", f"{t.min_glute_pct_mvc:.0f} %"),
        ("Hold reached", last.hold_reached_share, t.hold_reached_share,
         lambda v: f"{100 * v:.0f} % of lifts", f"{100 * t.hold_reached_share:.0f} %"),
    ]
    out = []
    for name, value, target, words, target_words in checks:
        if value is None:
            out.append((name, f"not measured at the last session ({last.label}); target {target_words}"))
        else:
            met = "met" if value >= target else "not met yet"
            out.append((name, f"{met} ({words(value)} at the last session, {last.label}; target {target_words})"))
    return out


def goals_story(ep: EpisodeProgress, last: SessionProgress | None) -> list[Flowable]:
    out: list[Flowable] = [p("Your goals", H2)]
    verdicts = goal_verdicts(ep)
    if not verdicts:
        out.append(p("No goals were written down for this episode.", LARGE))
    out += [p(f"Goal {i}: {goal} - {verdict}.", LARGE) for i, (goal, verdict) in enumerate(verdicts, 1)]
    out.append(p("What we measured, against the clinic's targets", H2))
    if last is None:
        return out + [p("No measurements yet, so no target can be checked.", LARGE)]
    return out + [p(f"{name}: {verdict}.", LARGE) for name, verdict in measured_targets(ep, last)]


def home_programme(ep: EpisodeProgress) -> list[Flowable]:
    """The exercise the patient is on (and the next one if the advice says to move on), with instructions."""
    a = ep.advice
    keys = [a.current or PROGRESSION[0].key]
    if a.next:
        keys.append(a.next)
    out: list[Flowable] = [p("Your home programme", H2)]
    for key in keys:
        ex = BY_KEY[key]
        out += [p(ex.name + (" (each leg)" if ex.one_legged else ""), H2), p(ex.instructions, LARGE),
                p(f"How much: {ex.dose}", LARGE), p(f"When to progress: {ex.progress_when}", LARGE),
                Spacer(1, 3 * mm)]
    return out


def build_discharge_story(ep: EpisodeProgress) -> list[Flowable]:
    interim = ep.status == "active"
    story: list[Flowable] = []
    if interim:
        story.append(p("INTERIM REPORT - this episode is still active; this is not the final discharge report.",
                       H2))
    with_reps = [sp for sp in ep.sessions if sp.reps]
    story += [p(f"For: {ep.patient_name} (MRN {ep.mrn})", LARGE),
              p(f"Treatment for: {ep.reason}", LARGE),
              p(f"From {ep.start_date:%d %B %Y} to "
                f"{ep.discharge_date.strftime('%d %B %Y') if ep.discharge_date else 'today (ongoing)'}: "
                f"{len(ep.sessions)} session(s).", LARGE)]
    if ep.discharge_summary:
        story.append(p(f"Summary from your physiotherapist: {ep.discharge_summary}", LARGE))
    story += goals_story(ep, with_reps[-1] if with_reps else None)
    story.append(p("How your measurements changed", H2))
    if not with_reps:
        story.append(p("No measurements were stored in this episode, so there is nothing to compare yet.", LARGE))
    elif len(with_reps) == 1:
        story.append(p("Only one session was measured, so there is no change to show yet.", LARGE))
    else:
        story += [p(t, LARGE) for t in first_vs_last(with_reps[0], with_reps[-1])]
    story += home_programme(ep)
    story += [p("Follow-up", H2), p(FOLLOW_UP, LARGE),
              p("These numbers describe your own progress; they are not a diagnosis.", SMALL)]
    return story + signature_block()


def write_discharge_report(path: str | Path, ep: EpisodeProgress, frame: ReportFrame) -> Path:
    return write_pdf(path, frame, build_discharge_story(ep))
