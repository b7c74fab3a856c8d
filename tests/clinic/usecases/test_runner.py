"""The session runner on real ptys and real databases: its states, its rep count, calibration per day,
and each device's default channel map."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from clinic.channel_map import ChannelMap, ChannelMapError
from clinic.records.calibration import add_calibration
from clinic.records.channel_maps import default_map, save_default_map
from clinic.records.db import unit_of_work
from clinic.records.models import AuditEvent, Trial
from clinic.records.patients import create_patient, start_trial
from clinic.records.security import SYSTEM
from clinic.signals.conditioning import ConditioningSettings
from clinic.signals.onsets import OnsetSettings
from clinic.usecases.runner import DeviceSpec, ExercisePlan, RunnerError, SessionRunner, State
from clinic.usecases.trial_analysis import analyze_stored_trial

MAINS_50 = ConditioningSettings(mains_hz=50.0)
NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def _runner(factory, tmp_path, clock=lambda: NOW) -> SessionRunner:  # noqa: ANN001
    return SessionRunner(factory, SYSTEM, conditioning=MAINS_50, spool_dir=tmp_path / "spool", clock=clock)


def test_actions_out_of_order_are_refused(db, tmp_path) -> None:  # noqa: ANN001
    _, factory = db
    runner = _runner(factory, tmp_path)
    with pytest.raises(RunnerError, match="idle"):
        runner.start_trial(ExercisePlan("cook_hip_lift", "left"))
    with pytest.raises(RunnerError, match="at least one device"):
        runner.set_up(1, None, None)
    with pytest.raises(RunnerError, match="exercise must be one of"):
        ExercisePlan("squat", "left")


def test_a_trial_goes_through_every_state_and_counts_reps(db, tmp_path, sim_rig) -> None:  # noqa: ANN001
    _, factory = db
    with unit_of_work(factory) as s:
        patient_id = create_patient(s, SYSTEM, "RUN-1", "Runner", "Rae", dt.date(1980, 1, 1)).id
    runner = _runner(factory, tmp_path)
    seen: list[tuple[State, str]] = []
    runner.add_listener(lambda state, message: seen.append((state, message)))
    coaching: list[tuple[str, object]] = []
    runner.add_coaching_listener(lambda kind, event: coaching.append((kind, event)))
    try:
        runner.set_up(patient_id, DeviceSpec(sim_rig.emg_path, "glutelab", "emg"),
                      DeviceSpec(sim_rig.plate_path, "glutelab", "plate"))
        assert runner.state == State.SETUP and "SIMULATED" in seen[-1][1]
        runner.start_trial(ExercisePlan("cook_hip_lift", "left", target_reps=3))
        assert runner.wait_for_signal(sim_rig.scenario.duration_s, slack_s=20.0) == "done"
        runner.stop_trial()
        assert runner.state == State.ANALYSING
        outcome = runner.analyse()
    finally:
        runner.close()
    states = [state for state, _ in seen]
    assert states[:2] == [State.SETUP, State.RECORDING]
    assert [m for st, m in seen if st == State.RECORDING and m.startswith("rep ")][:3] == ["rep 1", "rep 2", "rep 3"]
    assert states[-3:] == [State.ANALYSING, State.SAVED, State.IDLE]
    assert outcome.errors == [] and {r["status"] for r in outcome.recordings} == {"complete"}
    assert outcome.analysis is not None and outcome.analysis["summary"]["reps"] == 3
    # live coaching: one verdict per rep, at its hold start, agreeing with the stored analysis
    verdicts = [event for kind, event in coaching if kind == "verdict"]
    assert [v.rep for v in verdicts] == [1, 2, 3] and runner.verdicts == verdicts
    assert [v.glute_lead_ms is not None for v in verdicts] == [True] * 3
    stored = [r["firing_order"][0] for r in outcome.analysis["reps"]]
    assert [v.firing_order[0] for v in verdicts] == stored
    kinds = [kind for kind, _ in coaching if kind in ("hold_start", "hold_end")]
    assert kinds == ["hold_start", "hold_end"] * 3


def test_a_later_day_never_reuses_an_earlier_calibration(db, tmp_path) -> None:  # noqa: ANN001
    from ui.demo import store_scenario

    _, factory = db
    with unit_of_work(factory) as s:
        patient = create_patient(s, SYSTEM, "CAL-9", "Cal", "Cy", dt.date(1980, 1, 1))
        first = start_trial(s, SYSTEM, patient, "cook_hip_lift", "left", when=NOW)
        later = start_trial(s, SYSTEM, patient, "cook_hip_lift", "left", when=NOW + dt.timedelta(days=7))
        first_id, later_id = first.id, later.id
    store_scenario(factory, first_id, seed=3, profile="healthy", side="left", calibrate=SYSTEM)
    store_scenario(factory, later_id, seed=4, profile="healthy", side="left")
    with unit_of_work(factory) as s:
        day1 = analyze_stored_trial(s, s.get(Trial, first_id), MAINS_50, OnsetSettings())
        day8 = analyze_stored_trial(s, s.get(Trial, later_id), MAINS_50, OnsetSettings())
    assert day1["amplitude_units"] == "%MVC" and day1["calibration"]["muscles"]
    assert day8["amplitude_units"] == "uV" and day8["calibration"] is None
    assert any("not reused" in n and str(NOW.date()) in n for n in day8["notes"])


def test_each_device_keeps_its_default_map_audited(db) -> None:  # noqa: ANN001
    _, factory = db
    cmap = ChannelMap.parse("ch1=glute_max_left,ch2=unused,ch3=hamstrings_left")
    with unit_of_work(factory) as s:
        assert not default_map(s, SYSTEM, "OpenBCI Cyton", "0x3E")
        save_default_map(s, SYSTEM, "OpenBCI Cyton", "0x3E", cmap)
    with unit_of_work(factory) as s:
        assert default_map(s, SYSTEM, "OpenBCI Cyton", "0x3E") == cmap
        assert not default_map(s, SYSTEM, "OpenBCI Cyton", "0x99")
        events = s.scalars(select(AuditEvent).where(AuditEvent.entity == "device_channel_map")).all()
        assert len(events) == 1 and "ch1=glute_max_left" in events[0].detail


def test_channel_maps_name_muscles_and_refuse_clashes() -> None:
    cmap = ChannelMap.parse(" ch1=glute_max_left , ch2=unused,ch3=hamstrings_left")
    assert cmap.labels(["ch1", "ch2", "ch3", "ch4"]) == ["glute_max_left", "ch2", "hamstrings_left", "ch4"]
    assert cmap.muscles() == ["glute_max_left", "hamstrings_left"]
    assert ChannelMap.parse(cmap.spec()) == cmap
    for spec, words in (("ch1=glute_max_left,ch1=glute_max_right", "mapped twice"),
                        ("ch1=hamstrings_right,ch2=hamstrings_right", "given to two channels"),
                        ("ch1", "not CHANNEL=MUSCLE"), ("=glute_max_left", "empty")):
        with pytest.raises(ChannelMapError, match=words):
            ChannelMap.parse(spec)
    with pytest.raises(ChannelMapError, match="ch9"):
        ChannelMap.parse("ch9=glute_max_left").labels(["ch1"])
    with pytest.raises(ChannelMapError, match="glute_max_left"):
        ChannelMap.parse("ch1=glute_max_left").labels(["ch1", "glute_max_left"])


def test_calibration_below_rest_is_refused_by_the_records_too(db) -> None:  # noqa: ANN001
    from clinic.records.patients import ValidationError

    _, factory = db
    with unit_of_work(factory) as s:
        patient = create_patient(s, SYSTEM, "CAL-8", "Cal", "Cy", dt.date(1980, 1, 1))
        visit = start_trial(s, SYSTEM, patient, "cook_hip_lift", "left", when=NOW).session
        with pytest.raises(ValidationError, match="above the resting baseline"):
            add_calibration(s, SYSTEM, visit, "glute_max_left", 5.0, 4.0)


def test_the_clinician_pauses_and_resumes_and_nothing_is_lost(db, tmp_path, sim_rig) -> None:  # noqa: ANN001
    _, factory = db
    with unit_of_work(factory) as s:
        patient_id = create_patient(s, SYSTEM, "RUN-2", "Runner", "Rae", dt.date(1980, 1, 1)).id
    runner = _runner(factory, tmp_path)
    try:
        runner.set_up(patient_id, DeviceSpec(sim_rig.emg_path, "glutelab", "emg"), None)
        with pytest.raises(RunnerError, match="recording"):
            runner.pause()
        runner.start_trial(ExercisePlan("cook_hip_lift", "left", target_reps=3))
        assert runner.wait_for_signal(2.0) == "done"
        runner.pause()
        assert runner.state == State.PAUSED
        paused_at = runner.seconds_recorded
        assert runner.wait_for_signal(paused_at + 2.0) == "done"  # the recorder goes on while paused
        runner.resume()
        assert runner.state == State.RECORDING
        runner.stop_trial()
        outcome = runner.analyse()
    finally:
        runner.close()
    (rec,) = outcome.recordings
    assert rec["status"] == "complete" and rec["seconds"] >= paused_at + 2.0


def test_the_live_rep_count_finds_the_lying_load_when_started_mid_rep() -> None:
    import numpy as np

    from clinic.signals.live_hold import PlateHoldTracker

    rate = 100.0
    lying, lifted = 100.0, 260.0
    # Start pressed during a hold: 2 s lifted, then 3 reps (2 s down, 3 s up) and down again
    parts = [np.full(200, lifted)]
    for _ in range(3):
        parts += [np.full(200, lying), np.full(300, lifted)]
    parts.append(np.full(200, lying))
    tracker = PlateHoldTracker(rate, 60.0, hold_target_s=2.0)
    events = []
    first = 0
    for block in np.array_split(np.concatenate(parts), 37):
        events += tracker.feed(block, first)
        first += len(block)
    assert tracker.baseline == pytest.approx(lying) and tracker.reps == 3
    assert [e.kind for e in events if e.kind in ("lift", "hold_end")] == ["lift", "hold_end"] * 3


def test_a_failing_live_coaching_is_switched_off_and_the_poll_goes_on(tmp_path) -> None:  # noqa: ANN001
    import numpy as np

    from devices.ring import SampleRing

    class Broken:
        tracker = None
        verdicts: list = []

        def feed_emg(self, rows, first):  # noqa: ANN001, ANN201
            raise FloatingPointError("a bad buffer")

        def close(self) -> None:
            pass

    class Emg:
        ring = SampleRing(100, 2)

    runner = _runner(None, tmp_path)
    runner.devices = {"emg": Emg()}  # type: ignore[dict-item]
    runner.coach = Broken()  # type: ignore[assignment]
    Emg.ring.write(np.zeros((10, 2)))
    runner.poll()  # does not raise
    runner.poll()
    assert runner.coaching_stopped.startswith("live coaching stopped for this trial: FloatingPointError")
    assert runner.notes == [runner.coaching_stopped]  # said once


def test_the_clinician_has_the_last_rep_redone_and_the_analysis_leaves_it_out(db, tmp_path) -> None:  # noqa: ANN001
    """4 reps on the simulator at 10x; after the second one's hold the clinician presses Redo: the count goes back,
    the verdicts are numbered as counted, every recording keeps all its samples and a rep_redone event, and
    the stored analysis has 3 reps with the redone one listed apart."""
    import time

    from pypdf import PdfReader

    from clinic.records.models import Recording
    from clinic.records.store import load_segments
    from clinic.settings import Settings
    from clinic.usecases.reports import build_session_report
    from devices.simulator.rig import SimulatedRig

    _, factory = db
    with unit_of_work(factory) as s:
        patient_id = create_patient(s, SYSTEM, "RUN-3", "Runner", "Rae", dt.date(1980, 1, 1)).id
    runner = _runner(factory, tmp_path)
    seen: list[str] = []
    runner.add_listener(lambda state, message: seen.append(message))
    coaching: list[tuple[str, object]] = []
    runner.add_coaching_listener(lambda kind, event: coaching.append((kind, event)))
    with SimulatedRig(speed=10.0, profile="healthy", reps=4, rest_s=2.0, seed=1) as rig:
        truth = rig.scenario.truth
        try:
            runner.set_up(patient_id, DeviceSpec(rig.emg_path, "glutelab", "emg"),
                          DeviceSpec(rig.plate_path, "glutelab", "plate"))
            runner.start_trial(ExercisePlan("cook_hip_lift", "left", target_reps=3))
            with pytest.raises(RunnerError, match="no rep to redo"):
                runner.redo_last_rep()
            deadline = time.monotonic() + 60.0  # a safety net only: the signal's own clock decides
            while not any(k == "hold_end" and e.rep == 2 for k, e in coaching) and time.monotonic() < deadline:
                runner.poll()
                time.sleep(0.02)
            assert runner.rep == 2
            redone = runner.redo_last_rep()
            assert redone.rep == 2 and runner.rep == 1 and seen[-1] == "rep 2 to redo"
            assert redone.start_s == pytest.approx(truth[1].movement_start_s, abs=0.5)
            assert redone.end_s == pytest.approx(truth[1].hold_end_s, abs=0.5)
            assert runner.wait_for_signal(rig.scenario.duration_s, slack_s=20.0) == "done"
            assert runner.rep == 3  # the patient repeated it
            runner.stop_trial()
            outcome = runner.analyse()
        finally:
            runner.close()
    assert [m for m in seen if m.startswith("rep ")] == ["rep 1", "rep 2", "rep 2 to redo", "rep 2", "rep 3"]
    assert [v.rep for v in runner.verdicts] == [1, 2, 3]  # attempts 1, 3, 4 as counted; none for the redone one
    assert [e.rep for k, e in coaching if k == "hold_end"] == [1, 2, 2, 3]
    assert outcome.redone == [redone] and outcome.as_dict()["redone"][0]["rep"] == 2
    analysis = outcome.analysis
    assert analysis is not None and "error" not in analysis
    assert analysis["summary"]["reps"] == 3 and [r["rep"] for r in analysis["reps"]] == [1, 2, 3]
    (entry,) = analysis["redone"]
    left_out = entry["left_out"]
    assert entry["rep"] == 2 and left_out is not None
    assert left_out["movement_start_s"] == pytest.approx(truth[1].movement_start_s, abs=0.5)
    kept = [r["movement_start_s"] for r in analysis["reps"]]
    assert kept == pytest.approx([truth[k].movement_start_s for k in (0, 2, 3)], abs=0.5)
    assert any("rep 2 was redone" in n for n in analysis["notes"])
    with unit_of_work(factory) as s:
        trial = s.get(Trial, outcome.trial_id)
        assert len(trial.analyses[-1].reps) == 3  # the stored per-rep results
        for rec in s.scalars(select(Recording).where(Recording.trial_id == outcome.trial_id)):
            (event,) = [e for e in rec.events if e["kind"] == "rep_redone"]
            assert event["rep"] == 2 and event["by"] == SYSTEM.username
            assert event["start_s"] == pytest.approx(truth[1].movement_start_s, abs=0.5)
            segments = load_segments(s, rec.id)  # nothing deleted: one run of samples across the redone rep
            assert len(segments) == 1 and segments[0][1].shape[0] == rec.n_samples
            assert rec.n_samples / rec.sample_rate_hz >= rig.scenario.duration_s - 0.5
        pdf = build_session_report(s, SYSTEM, outcome.session_id, tmp_path / "session.pdf", Settings(mains_hz=50),
                                   reason="test of the printed report")
    text = " ".join("".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    assert "rep 2 redone at" in text and "left out of the results" in text  # the printed report says so too


def test_a_redone_span_leaves_out_the_rep_it_overlaps_most() -> None:
    from clinic.usecases.trial_analysis import leave_out_redone

    reps = [{"rep": k + 1, "movement_start_s": 10.0 * k + 1.0, "hold_end_s": 10.0 * k + 7.0,
             "lower_end_s": 10.0 * k + 8.0, "glute_first": k != 1} for k in range(4)]
    result = {"reps": reps, "summary": {}, "notes": []}
    out = leave_out_redone(result, [(2, 10.8, 17.1), (9, 45.0, 46.0)])
    assert [r["movement_start_s"] for r in out["reps"]] == [1.0, 21.0, 31.0]
    assert [r["rep"] for r in out["reps"]] == [1, 2, 3] and out["summary"]["reps"] == 3
    assert out["summary"]["glute_first_share"] == 1.0
    assert out["redone"][0]["left_out"]["movement_start_s"] == 11.0 and out["redone"][1]["left_out"] is None
    assert "nothing was left out" in out["notes"][1]
    assert result["reps"] is reps and len(reps) == 4  # the input is not changed
    assert leave_out_redone(result, []) is result


def test_without_a_plate_there_is_no_rep_to_redo(db, tmp_path, sim_rig) -> None:  # noqa: ANN001
    _, factory = db
    with unit_of_work(factory) as s:
        patient_id = create_patient(s, SYSTEM, "RUN-4", "Runner", "Rae", dt.date(1980, 1, 1)).id
    runner = _runner(factory, tmp_path)
    try:
        runner.set_up(patient_id, DeviceSpec(sim_rig.emg_path, "glutelab", "emg"), None)
        with pytest.raises(RunnerError, match="recording"):
            runner.redo_last_rep()
        runner.start_trial(ExercisePlan("cook_hip_lift", "left", target_reps=3))
        with pytest.raises(RunnerError, match="force plate"):
            runner.redo_last_rep()
    finally:
        runner.close()
