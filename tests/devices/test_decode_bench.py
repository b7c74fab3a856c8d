"""The decode benchmark reports one figure per protocol (the speed target is checked by `glutelab bench`)."""

from __future__ import annotations

from ui.bench import decode


def test_decode_bench_reports_every_protocol() -> None:
    result = decode.run(quick=True)
    assert set(result["decode_mb_per_s"]) == {"glutelab", "cyton"}  # type: ignore[arg-type]
    for name in ("glutelab", "cyton"):
        assert result["decode_mb_per_s"][name] > 0  # type: ignore[index]
        assert result["decode_vs_link_rate"][name] > 1  # type: ignore[index]
