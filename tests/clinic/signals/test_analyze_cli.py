"""`glutelab analyze FILE`: CSV, GluteLab exports, EDF+, --map, JSON schema, and bad data -> exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clinic.signals.conditioning import ConditioningSettings
from devices.simulator.physiology import build_scenario
from ui.cli import main

MAP = "ch1=glute_max_left,ch2=hamstrings_left,ch3=erector_spinae_left"


@pytest.fixture(scope="module")
def sim():  # noqa: ANN201
    return build_scenario("typical", reps=3, seed=51, emg_rate_hz=2000.0)


def _write_csv(path: Path, data: np.ndarray, header: str, comments: str = "") -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(comments)
        fh.write(header + "\n")
        np.savetxt(fh, data, delimiter=",", fmt="%.6g")
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    rc = main(["analyze", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_csv_with_time_column_and_map_gives_the_json_schema(tmp_path, capsys, sim) -> None:  # noqa: ANN001
    t = 5.0 + np.arange(len(sim.emg_uv)) / sim.emg_rate_hz  # time does not start at 0
    path = _write_csv(tmp_path / "rec.csv", np.column_stack([t, sim.emg_uv]),
                      "time," + ",".join(f"ch{i + 1}" for i in range(6)))
    rc, out, err = _run(capsys, str(path), "--json", "--map", MAP)
    assert rc == 0, err
    r = json.loads(out)
    assert r["sample_rate_hz"] == pytest.approx(2000.0) and r["time_offset_s"] == pytest.approx(5.0)
    assert set(r["channels"]) == {"glute_max_left", "hamstrings_left", "erector_spinae_left", "ch4", "ch5", "ch6"}
    for ch in r["channels"].values():
        assert len(ch["bursts"]) == 3
        for b in ch["bursts"]:
            assert {"onset_s", "offset_s", "duration_ms", "confidence"} <= set(b) and b["offset_s"] > b["onset_s"]
    glute = [b["onset_s"] for b in r["channels"]["glute_max_left"]["bursts"]]
    truth = [rep.onsets_s["glute_max_left"] for rep in sim.truth]  # seconds from the file start
    assert np.allclose(glute, truth, atol=0.02)
    assert r["summary"]["reps"] == 3 and r["reps"][0]["firing_order"][0] == "hamstrings"
    assert r["reps"][0]["glute_lead_hamstrings_ms"] < 0
    assert r["method"]["method"] == "tkeo"


def test_without_a_map_every_channel_is_analysed_under_its_own_name(tmp_path, capsys, sim) -> None:  # noqa: ANN001
    path = _write_csv(tmp_path / "rec.csv", sim.emg_uv, "a,b,c,d,e,f")
    rc, out, err = _run(capsys, str(path), "--rate", "2000", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert list(r["channels"]) == ["a", "b", "c", "d", "e", "f"]
    assert all(len(ch["bursts"]) == 3 for ch in r["channels"].values())
    rc, out, _ = _run(capsys, str(path), "--rate", "2000")
    assert rc == 0 and "bursts" in out


def test_glutelab_export_with_comment_lines(tmp_path, capsys, sim) -> None:  # noqa: ANN001
    t = np.arange(len(sim.emg_uv)) / sim.emg_rate_hz
    path = _write_csv(tmp_path / "export.csv", np.column_stack([t, sim.emg_uv]),
                      "time," + ",".join(sim.emg_channels),
                      "# GluteLab recording 7, emg, 2000 Hz, units uV, SIMULATED\n")
    rc, out, err = _run(capsys, str(path), "--json", "--side", "left")
    assert rc == 0, err
    assert json.loads(out)["summary"]["reps"] == 3


def test_edf_plus_file(tmp_path, capsys, sim) -> None:  # noqa: ANN001
    pyedflib = pytest.importorskip("pyedflib")
    path = tmp_path / "rec.edf"
    sig = np.ascontiguousarray(sim.emg_uv[:, :3].T, dtype=np.float64)
    headers = [pyedflib.highlevel.make_signal_header(name, dimension="uV", sample_frequency=2000,
                                                     physical_min=-3200, physical_max=3200)
               for name in ("GL", "HL", "EL")]
    pyedflib.highlevel.write_edf(str(path), sig, headers)
    rc, out, err = _run(capsys, str(path), "--json", "--map", "GL=glute_max_left,HL=hamstrings_left")
    assert rc == 0, err
    r = json.loads(out)
    assert set(r["channels"]) == {"glute_max_left", "hamstrings_left", "EL"}
    assert len(r["channels"]["glute_max_left"]["bursts"]) == 3


def _bad(tmp_path: Path, name: str, data: np.ndarray, header: str) -> Path:
    return _write_csv(tmp_path / name, data, header)


@pytest.mark.parametrize("case, words", [
    ("zeros", "flat"),
    ("nan", "missing"),
    ("clipped", "clipped"),
    ("short", "too short"),
    ("no_time", "--rate"),
    ("non_monotonic", "not strictly increasing"),
    ("low_rate", "plausible"),
    ("text", "not numeric"),
    ("bad_map", "does not have"),
])
def test_bad_data_gives_a_clear_message_and_exit_2(tmp_path, capsys, sim, case: str, words: str) -> None:  # noqa: ANN001
    rate = 2000.0
    n = int(10 * rate)
    t = np.arange(n) / rate
    x = sim.emg_uv[:n, :2].astype(np.float64)
    args: list[str] = []
    if case == "zeros":
        path = _bad(tmp_path, "z.csv", np.column_stack([t, np.zeros((n, 2))]), "time,a,b")
    elif case == "nan":
        y = x.copy()
        y[::10] = np.nan
        path = _bad(tmp_path, "n.csv", np.column_stack([t, y]), "time,a,b")
    elif case == "clipped":
        path = _bad(tmp_path, "c.csv", np.column_stack([t, np.clip(x * 50, -100, 100)]), "time,a,b")
    elif case == "short":
        path = _bad(tmp_path, "s.csv", np.column_stack([t[:1000], x[:1000]]), "time,a,b")
    elif case == "no_time":
        path = _bad(tmp_path, "nt.csv", x, "a,b")
    elif case == "non_monotonic":
        tt = t.copy()
        tt[500] = tt[400]
        path = _bad(tmp_path, "nm.csv", np.column_stack([tt, x]), "time,a,b")
    elif case == "low_rate":
        path = _bad(tmp_path, "lr.csv", np.column_stack([t * 1000, x]), "time,a,b")  # time in ms
    elif case == "text":
        path = tmp_path / "t.csv"
        path.write_text("time,a\n0,1\n0.001,abc\n")
    else:
        path = _bad(tmp_path, "m.csv", np.column_stack([t, x]), "time,a,b")
        args = ["--map", "zz=glute_max_left"]
    rc, out, err = _run(capsys, str(path), "--json", *args)
    assert rc == 2
    assert words in err and "Traceback" not in err + out


def test_stored_session_and_episode_comparison(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    """`--session ID` on the demo data (simulator + real analysis), and the weeks of an episode compared."""
    from dataclasses import replace

    from clinic.signals.summary import compare_sessions
    from ui.context import Workstation
    from ui.demo import DEMO_PATIENTS, seed_demo

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    ws = Workstation.open(str(tmp_path), url)
    first_weeks = replace(DEMO_PATIENTS[0], profiles=DEMO_PATIENTS[0].profiles[:3], discharged=False)
    seed_demo(ws.factory, ConditioningSettings(mains_hz=50.0), patients=(first_weeks,), reps_per_side=3,
              sides=("left",))
    ws.close()
    monkeypatch.setenv("GLUTELAB_PASSWORD", "demo-physio-1")
    summaries = []
    for session_id in (1, 2, 3):  # the first patient's weeks: amnesic, amnesic, typical
        rc, out, err = _run(capsys, "--session", str(session_id), "--user", "physio", "--data-dir", str(tmp_path),
                            "--database-url", url, "--json")
        assert rc == 0, err
        r = json.loads(out)
        assert r["trials"] and r["trials"][0]["summary"]["reps"] == 3
        summaries.append({"week": r["week"], **r["summary"]})
    trend = compare_sessions(summaries)["metrics"]["glute_lead_hamstrings_ms_median"]
    assert len(trend["values"]) == 3 and trend["change"] is not None
    rc, _, err = _run(capsys, "--session", "999", "--user", "physio", "--data-dir", str(tmp_path),
                      "--database-url", url)
    assert rc == 2 and "no session 999" in err


def test_long_glutelab_export_with_rounded_time_column(tmp_path, capsys) -> None:  # noqa: ANN001
    """Exports round time to 6 significant digits (%.6g): after 100 s at 2 kHz values repeat; the rate stated in
    the export's comment is used instead."""
    sc = build_scenario("healthy", reps=10, seed=52, emg_rate_hz=2000.0)
    assert sc.duration_s > 100
    t = np.arange(len(sc.emg_uv)) / sc.emg_rate_hz
    path = tmp_path / "long.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("# GluteLab recording 3, emg, 2000 Hz, units uV, SIMULATED\n")
        fh.write("time," + ",".join(sc.emg_channels) + "\n")
        np.savetxt(fh, np.column_stack([t, sc.emg_uv]), delimiter=",", fmt="%.6g")
    rc, out, err = _run(capsys, str(path), "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["sample_rate_hz"] == 2000.0 and r["summary"]["reps"] == 10


def test_clinician_onset_settings_are_applied_and_recorded(tmp_path, capsys, sim) -> None:  # noqa: ANN001
    path = _write_csv(tmp_path / "rec.csv", np.column_stack([np.arange(len(sim.emg_uv)) / 2000.0, sim.emg_uv]),
                      "time," + ",".join(f"ch{i + 1}" for i in range(6)))
    rc, out, err = _run(capsys, str(path), "--json", "--onset", "min_relative_db=-30, k_sd=4")
    assert rc == 0, err
    method = json.loads(out)["method"]
    assert method["min_relative_db"] == -30.0 and method["k_sd"] == 4.0 and method["method"] == "tkeo"
    for bad, words in (("ramp_ms=10", "not a setting to change here"), ("k_sd=high", "needs a number"),
                       ("k_sd=nan", "finite")):
        rc, out, err = _run(capsys, str(path), "--onset", bad)
        assert rc == 2 and words in err and out == ""
    rc, out, err = _run(capsys, "--session", "1", "--onset", "k_sd=4")
    assert rc == 2 and "--onset applies to a FILE" in err
