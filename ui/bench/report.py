"""Report figures: load a 12-week episode's stored results and build its progress report with charts
(``report_12w_s``, target < 1 s), on a SQLite file with 16 reps a session copied from a real analysis; and how
long the main thread is stalled while a worker thread builds each week's session report, as the window's
worker pool does (``report_worker_stall_ms``, median of the longest stall per report, and its maximum: the
GIL held by the builder, e.g. by a garbage collection its allocations set off)."""

from __future__ import annotations

import datetime as dt
import gc
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from clinic.records import db
from clinic.records.calibration import add_calibration
from clinic.records.db import unit_of_work
from clinic.records.patients import create_episode, create_patient, create_session, create_trial
from clinic.records.results import save_trial_results
from clinic.records.security import SYSTEM
from clinic.settings import Settings
from clinic.signals.analysis import analyze_trial
from clinic.signals.summary import rep_summary
from clinic.usecases.reports import build_progress_report, build_session_report
from devices.simulator.physiology import build_scenario
from ui.bench import median_time

WEEKS = 12


def _template_reps(profile: str, settings: Settings) -> list[dict]:
    """Per-rep metrics of a real analysis of a simulated trial (8 reps)."""
    sc = build_scenario(profile, side="left", reps=8, hold_s=6.0, rest_s=2.0, emg_rate_hz=1000.0,
                        plate_rate_hz=100.0, seed=7)
    result = analyze_trial(sc.emg_uv, sc.emg_rate_hz, sc.emg_channels, side="left", force_cells_n=sc.force_n,
                           plate_rate_hz=sc.plate_rate_hz, plate_cells=sc.plate_cells, exercise="cook_hip_lift",
                           conditioning=settings.conditioning, mvc=sc.mvc_envelope_uv, hold_target_s=5.0)
    return list(result["reps"])


def build_episode(path: Path, settings: Settings) -> int:
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    factory = db.session_factory(engine)
    templates = {p: _template_reps(p, settings) for p in ("amnesic", "healthy")}
    rng = random.Random(12)
    start = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    with unit_of_work(factory) as s:
        patient = create_patient(s, SYSTEM, "BENCH-12W", "Bench", "Twelve", dt.date(1980, 1, 1))
        ep = create_episode(s, SYSTEM, patient, "Low back pain: glute re-education", start.date())
        for week in range(WEEKS):
            visit = create_session(s, SYSTEM, ep, start + dt.timedelta(days=7 * week + 1), pain_score=max(0, 7 - week),
                                   notes=f"Week {week + 1}")
            add_calibration(s, SYSTEM, visit, "glute_max_left", 3.0, 250.0)
            for side in ("left", "right"):
                trial = create_trial(s, SYSTEM, visit, "cook_hip_lift", side, hold_target_s=5.0)
                reps = [dict(rep, glute_lead_hamstrings_ms=(rep.get("glute_lead_hamstrings_ms") or 0)
                             + rng.gauss(0, 10)) for rep in templates["amnesic" if week < WEEKS // 2 else "healthy"]]
                save_trial_results(s, SYSTEM, trial, {"summary": rep_summary(reps), "reps": reps})
        episode_id = ep.id
    engine.dispose()
    return episode_id


def longest_stall_s(work: threading.Thread, tick_s: float = 0.005) -> float:
    """Start ``work`` and tick every ``tick_s`` on this thread until it ends: the longest gap between ticks."""
    longest, last = 0.0, time.perf_counter()
    work.start()
    while work.is_alive():
        time.sleep(tick_s)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    return longest


def worker_stalls(factory, settings: Settings, episode_id: int, out_dir: Path) -> list[float]:  # noqa: ANN001
    """The longest main-thread stall while a worker thread builds each session report of the episode, in a
    process holding what the window holds (its modules, the progress review's SciPy): a full garbage collection
    walks all of that, so a bare process would understate the stall."""
    import scipy.stats  # noqa: F401 - the progress review's bootstrap

    import ui.main_window  # noqa: F401 - the window's modules (Qt, pyqtgraph, the pages)
    from clinic.records.models import Episode

    gc.collect()  # the start-up garbage of those imports, collected as in a window that has been running
    with factory() as s:
        session_ids = [v.id for v in s.get(Episode, episode_id).sessions]

    def build(session_id: int) -> None:
        with unit_of_work(factory) as s:
            build_session_report(s, SYSTEM, session_id, out_dir / f"session-{session_id}.pdf", settings,
                                 reason="benchmark")

    return [longest_stall_s(threading.Thread(target=build, args=(sid,))) for sid in session_ids]


def run(quick: bool) -> dict[str, object]:
    settings = Settings(mains_hz=50, clinic_name="Bench clinic")
    with tempfile.TemporaryDirectory(prefix="glutelab-bench-report-") as tmp:
        path = Path(tmp) / "report.sqlite3"
        episode_id = build_episode(path, settings)
        engine = db.make_engine(f"sqlite:///{path}")
        factory = db.session_factory(engine)
        pages: list[int] = []

        def once() -> None:
            with unit_of_work(factory) as s:
                pdf = build_progress_report(s, SYSTEM, episode_id, Path(tmp) / "progress.pdf", settings,
                                            reason="benchmark")
            pages.append(pdf.stat().st_size)

        try:
            seconds = median_time(once, 3 if quick else 7)
            stalls = worker_stalls(factory, settings, episode_id, Path(tmp))
        finally:
            engine.dispose()
    return {"report_12w_s": round(seconds, 4), "report_12w_pdf_bytes": pages[-1],
            "report_worker_stall_ms": round(1000 * statistics.median(stalls), 1),
            "report_worker_stall_max_ms": round(1000 * max(stalls), 1)}
