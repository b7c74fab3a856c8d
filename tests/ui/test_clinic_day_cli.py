"""The clinic day on the command line, headless, against the simulators on real ptys (issue: the session
runner): patient add -> calibrate -> record --map with the plate -> analyze --session, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic.records import db
from clinic.records.models import Calibration, Patient, Recording, Trial
from ui.cli import main

MAP6 = ("ch1=glute_max_left,ch2=hamstrings_left,ch3=erector_spinae_left,ch4=glute_max_right,"
        "ch5=hamstrings_right,ch6=erector_spinae_right")


@contextmanager
def simulate(*args: str) -> Iterator[list[str]]:
    """`glutelab simulate ...` in a subprocess, as a user runs it; yields the port paths it printed."""
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "simulate", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        n = 2 if "both" in args else 1
        ports = [proc.stdout.readline().strip() for _ in range(n)]  # type: ignore[union-attr]
        assert all(ports), proc.stderr.read()  # type: ignore[union-attr]
        yield ports
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    monkeypatch.setenv("GLUTELAB_PASSWORD", "admin-password-1")
    assert main(["db", "init-admin", "--data-dir", str(tmp_path)]) == 0
    yield ["--user", "admin", "--data-dir", str(tmp_path)]


def _count(tmp_path: Path, model: type) -> int:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'glutelab.sqlite3'}")
    try:
        with db.session_factory(engine)() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def test_the_clinic_day_runs_headless_on_a_cyton(clinic: list[str], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert main(["patient", "add", "--mrn", "DAY-1", "--family", "Day", "--given", "Dana",
                 "--birth-date", "1975-04-03", "--consent", *clinic]) == 0
    with simulate("--protocol", "cyton", "--exercise", "calibration", "--speed", "25") as (port,):
        code = main(["calibrate", "--patient", "DAY-1", "--emg", f"{port}:cyton", "--map", MAP6, "--keep-map",
                     *clinic])
    out = capsys.readouterr().out
    assert code == 0, out
    cal = json.loads(out.strip().splitlines()[-1])
    assert set(cal["muscles"]) == set(MAP6.replace("=", ",").split(",")[1::2])
    assert all(m["mvc_uv"] > 10 * m["rest_uv"] for m in cal["muscles"].values())
    with simulate("--protocol", "cyton", "--device", "both", "--reps", "3", "--speed", "10") as (emg, plate):
        code = main(["record", "--patient", "DAY-1", "--emg", f"{emg}:cyton", "--plate", plate, "--map", MAP6,
                     "--seconds", "40", "--exercise", "cook_hip_lift", "--side", "left", *clinic])
    out = capsys.readouterr().out
    rec = json.loads(out.strip().splitlines()[-1])
    assert code == 0, rec
    assert rec["session_id"] == cal["session_id"] and rec["errors"] == []
    assert {r["kind"]: r["status"] for r in rec["recordings"]} == {"emg": "complete", "plate": "complete"}
    assert all(r["seconds"] >= 39.0 for r in rec["recordings"] if r["kind"] == "emg")
    assert main(["analyze", "--session", str(rec["session_id"]), "--json", *clinic]) == 0
    result = json.loads(capsys.readouterr().out)
    (trial,) = [t for t in result["trials"] if t["exercise"] == "cook_hip_lift"]
    assert trial["amplitude_units"] == "%MVC"
    assert trial["channel_map"] == dict(p.split("=") for p in MAP6.split(","))
    assert len(trial["reps"]) >= 3
    for rep in trial["reps"]:
        assert rep["firing_order"] and rep["firing_order"][0] == "glute_max"  # the healthy profile
        assert rep["hold_amplitude"]["glute_max"]["mean_pct_mvc"] is not None
        assert rep["glute_hamstring_ratio"] is not None
    # without --map, the amplifier's default map (kept by calibrate --keep-map) applies
    with simulate("--protocol", "cyton", "--reps", "2", "--speed", "10") as (emg,):
        assert main(["record", "--patient", "DAY-1", "--emg", f"{emg}:cyton", "--seconds", "5", *clinic]) == 0
    rec = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    engine = db.make_engine(f"sqlite:///{tmp_path / 'glutelab.sqlite3'}")
    with db.session_factory(engine)() as s:
        stored = s.get(Recording, rec["recordings"][0]["id"])
        assert stored.channel_names[:2] == ["glute_max_left", "hamstrings_left"]
        assert stored.channel_map["ch6"] == "erector_spinae_right"
    engine.dispose()


@pytest.mark.parametrize(("args", "words"), [
    (["--mrn", "", "--family", "A", "--given", "B", "--birth-date", "1980-01-01"], "MRN must not be empty"),
    (["--mrn", "DUP-1", "--family", "A", "--given", "B", "--birth-date", "1980-01-01"], "already used"),
    (["--mrn", "NEW-1", "--family", "A", "--given", "B", "--birth-date", "2999-01-01"], "2999-01-01"),
    (["--mrn", "NEW-2", "--family", "A", "--given", "B", "--birth-date", "01/02/1980"], "YYYY-MM-DD"),
])
def test_bad_patient_input_is_one_line_and_stores_nothing(clinic: list[str], tmp_path: Path, capsys,  # noqa: ANN001
                                                          args: list[str], words: str) -> None:
    assert main(["patient", "add", "--mrn", "DUP-1", "--family", "Dup", "--given", "D",
                 "--birth-date", "1970-01-01", *clinic]) == 0
    capsys.readouterr()
    assert main(["patient", "add", *args, *clinic]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert _count(tmp_path, Patient) == 1


@pytest.mark.parametrize(("spec", "words"), [
    ("ch1=glute_max_left,ch1=hamstrings_left", "ch1 is mapped twice"),
    ("ch1=glute_max_left,ch2=glute_max_left", "glute_max_left is given to two channels"),
    ("ch1=gluteus", "unknown muscle"),
    ("ch9=glute_max_left", "ch9"),
])
def test_a_bad_map_is_one_line_and_records_nothing(clinic: list[str], tmp_path: Path, capsys, sim_rig,  # noqa: ANN001
                                                   spec: str, words: str) -> None:
    assert main(["patient", "add", "--mrn", "MAP-1", "--family", "Map", "--given", "M",
                 "--birth-date", "1970-01-01", *clinic]) == 0
    capsys.readouterr()
    code = main(["record", "--patient", "MAP-1", "--emg", sim_rig.emg_path, "--map", spec, "--seconds", "1",
                 *clinic])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err, err
    assert _count(tmp_path, Trial) == 0


def test_an_mvc_below_rest_is_refused_and_nothing_is_stored(clinic: list[str], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """ch7 of the simulated Cyton has no electrode (flat): its 'MVC' is not above its rest."""
    assert main(["patient", "add", "--mrn", "CAL-1", "--family", "Cal", "--given", "C",
                 "--birth-date", "1970-01-01", *clinic]) == 0
    capsys.readouterr()
    with simulate("--protocol", "cyton", "--exercise", "calibration", "--speed", "25") as (port,):
        code = main(["calibrate", "--patient", "CAL-1", "--emg", f"{port}:cyton",
                     "--map", "ch7=glute_max_left,ch2=hamstrings_left", *clinic])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "glute_max_left" in err and "not above its resting level" in err and "nothing was stored" in err
    assert _count(tmp_path, Calibration) == 0 and _count(tmp_path, Trial) == 0


def test_episode_open_and_close(clinic: list[str], capsys) -> None:  # noqa: ANN001
    assert main(["patient", "add", "--mrn", "EP-1", "--family", "Ep", "--given", "E",
                 "--birth-date", "1970-01-01", *clinic]) == 0
    assert main(["episode", "open", "--patient", "EP-1", "--complaint", "LBP", "--goals", "glute first",
                 *clinic]) == 0
    assert main(["episode", "open", "--patient", "EP-1", *clinic]) == 2
    assert main(["episode", "close", "--patient", "EP-1", "--outcome", "goals met", *clinic]) == 0
    capsys.readouterr()
    assert main(["patient", "show", "EP-1", "--json", *clinic]) == 0
    shown = json.loads(capsys.readouterr().out)
    (episode,) = shown["episodes"]
    assert episode["status"] == "discharged" and episode["outcome"] == "goals met"
    assert episode["complaint"] == "LBP" and episode["goals"] == "glute first"
