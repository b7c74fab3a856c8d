"""`glutelab bench --only report` prints report_12w_s; a failing suite prints report_error and the others
still print their figures."""

from __future__ import annotations

import json

from ui.cli import main


def test_report_bench_prints_its_figure(capsys) -> None:  # noqa: ANN001
    assert main(["bench", "--json", "--quick", "--only", "report"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["report_12w_s"] > 0 and result["report_12w_pdf_bytes"] > 5000
    assert 0 < result["report_worker_stall_ms"] <= result["report_worker_stall_max_ms"]


def test_a_failing_report_suite_says_so_and_the_others_still_print(capsys, monkeypatch) -> None:  # noqa: ANN001
    import ui.bench.decode
    import ui.bench.report

    def broken(quick: bool) -> dict[str, object]:
        raise OSError("disk full")

    monkeypatch.setattr(ui.bench.report, "run", broken)
    monkeypatch.setattr(ui.bench.decode, "run", lambda quick: {"decode_ok": 1})
    assert main(["bench", "--json", "--quick", "--only", "report", "decode"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["report_error"] == "OSError: disk full" and result["decode_ok"] == 1
