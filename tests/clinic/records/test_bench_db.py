"""The database benchmark builds its cached clinic once and reports the three figures (SQLite)."""

from __future__ import annotations

from ui.bench import db as bench_db


def test_quick_database_bench_reports_its_keys_and_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("GLUTELAB_BENCH_CACHE", str(tmp_path))
    first = bench_db.run(quick=True)
    for key in ("db_search_ms", "db_episode_ms", "db_progress_ms"):
        assert isinstance(first[key], float) and first[key] > 0
    assert first["db_patients"] == 1000 and first["db_sessions"] == 20000
    (cached,) = (tmp_path / "bench").glob("*.sqlite3")
    inode = cached.stat().st_ino
    bench_db.run(quick=True)
    # cached, not rebuilt: a rebuild renames a new file into place (no wall-clock bound on a loaded machine)
    assert [p.stat().st_ino for p in (tmp_path / "bench").glob("*.sqlite3")] == [inode]
