"""The database benchmark builds its cached clinic once and reports the three figures (SQLite)."""

from __future__ import annotations

from ui.bench import db as bench_db


def test_quick_database_bench_reports_its_keys_and_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("GLUTELAB_BENCH_CACHE", str(tmp_path))
    first = bench_db.run(quick=True)
    for key in ("db_search_ms", "db_episode_ms", "db_progress_ms"):
        assert isinstance(first[key], float) and first[key] > 0
    assert first["db_patients"] == 1000 and first["db_sessions"] == 20000
    assert len(list((tmp_path / "bench").glob("*.sqlite3"))) == 1
    again = bench_db.run(quick=True)
    assert again["db_build_s"] < 0.5  # cached, not rebuilt
