"""`glutelab evaluate LABELS.json...` on the labelled real recording in tests/data (issue 16, "Done when")."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from clinic.signals.evaluation import match_windows, score_labelled_channel
from ui.cli import main

DATA = Path(__file__).resolve().parents[2] / "data" / "recordings"


def _biceps_beside_its_labels(tmp: Path) -> Path:
    """The recording as the CSV its label file names (time, biceps_brachii in uV), with the labels beside it."""
    z = np.load(DATA / "biosignalsnotebooks_biceps_fatigue.npz")
    uv = (z["adc"].astype(np.float64) / 4096 - 0.5) * 3000
    labels = tmp / "biosignalsnotebooks_biceps_fatigue.json"
    shutil.copy(DATA / labels.name, labels)
    csv = tmp / json.loads(labels.read_text())["file"]
    with open(csv, "w", encoding="utf-8") as fh:
        fh.write("time,biceps_brachii\n")
        np.savetxt(fh, np.column_stack([np.arange(len(uv)) / 1000.0, uv]), delimiter=",", fmt="%.3f")
    return labels


def test_every_labelled_real_recording_meets_the_done_when(tmp_path, capsys) -> None:  # noqa: ANN001
    labels = _biceps_beside_its_labels(tmp_path)
    assert main(["evaluate", str(labels), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["errors"] == [] and len(r["files"]) == 1
    for f in r["files"]:
        for name, s in f["channels"].items():
            print(name, {k: v for k, v in s.items() if k != "errors_ms"})
            assert s["detection_rate"] >= 0.9
            assert s["in_rest"] == 0
            assert s["unmatched"] <= s["bursts"]
    o = r["overall"]
    assert o["scored"] == 28 and o["detected"] >= 26 and o["unmatched_per_burst"] <= 1.0
    assert set(o["error_ms"]) >= {"p5", "median", "p95"}


def test_text_output_per_file_and_overall(tmp_path, capsys) -> None:  # noqa: ANN001
    labels = _biceps_beside_its_labels(tmp_path)
    assert main(["evaluate", str(labels)]) == 0
    out = capsys.readouterr().out
    assert "biceps_brachii: detected" in out and "overall (1 file): detected" in out and "onsets in rest 0" in out


def test_bad_label_files_exit_2_with_the_reason(tmp_path, capsys) -> None:  # noqa: ANN001
    missing = tmp_path / "missing.json"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    no_recording = tmp_path / "no_recording.json"
    no_recording.write_text(json.dumps({"file": "absent.csv", "channels": {"m": {"bursts": [], "onset_windows": []}}}))
    uneven = tmp_path / "uneven.json"
    uneven.write_text(json.dumps({"file": "x.csv", "channels": {"m": {"bursts": [[1, 2]], "onset_windows": []}}}))
    assert main(["evaluate", str(missing), str(broken), str(no_recording), str(uneven)]) == 2
    err = capsys.readouterr().err
    assert "missing.json: cannot read" in err and "broken.json: not a JSON label file" in err
    assert "absent.csv does not exist" in err and "1 bursts but 0 onset windows" in err


def test_matching_is_one_to_one_inside_the_windows() -> None:
    windows = [(1.0, 1.2), (1.1, 1.3), (5.0, 5.2)]
    assert match_windows(windows, [1.15, 5.3]) == [0, None, None]
    s = score_labelled_channel({"onset_windows": windows, "scored": [True, True, False],
                                "quiet": [(3.0, 4.0)]}, [1.15, 1.25, 3.5, 5.1])
    assert s["detected"] == 2 and s["detection_rate"] == 1.0 and s["in_rest"] == 1 and s["unmatched"] == 1
    assert s["errors_ms"] == [50.0, 50.0]


def test_evaluate_imports_no_qt_and_no_analysis_at_start_up() -> None:
    code = ("import sys, ui.cli, ui.commands.evaluate; "
            "print(any(m.startswith('PySide6') for m in sys.modules), 'clinic.signals.analysis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_one_labelled_channel_matches_a_single_channel_recording_of_another_name(tmp_path, capsys) -> None:  # noqa: ANN001
    labels = _biceps_beside_its_labels(tmp_path)
    csv = tmp_path / json.loads(labels.read_text())["file"]
    csv.write_text(csv.read_text().replace("time,biceps_brachii", "time,CH2", 1))
    assert main(["evaluate", str(labels), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["overall"]["detected"] >= 26
