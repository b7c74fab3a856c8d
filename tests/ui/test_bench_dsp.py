"""`glutelab bench --only dsp` prints the analysis speed and its onset accuracy on the simulator (it once
printed only dsp_error, after the mains setting lost its default, and no test noticed)."""

from __future__ import annotations

import json

from ui.cli import main


def test_dsp_bench_prints_its_figures(capsys) -> None:  # noqa: ANN001
    assert main(["bench", "--json", "--quick", "--only", "dsp"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "dsp_error" not in result, result.get("dsp_error")
    assert result["dsp_x_realtime"] > 0 and result["dsp_reps_found"] == 6
    ours = result["onset_error_ms"]["glutelab"]
    assert ours["true_bursts"] > 0 and ours["misses"] <= 1
