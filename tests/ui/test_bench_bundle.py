"""`glutelab bench`'s bundle suite: without a usable bundle it reports `bundle_error` instead of failing the
bench; `--quit-after 0` (what it times) quits once the first screen is painted and says when."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ui.bench import bundle


def test_no_bundle_is_a_bundle_error(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setenv("GLUTELAB_BUNDLE", str(tmp_path / "no-such-bundle"))
    assert set(bundle.run(quick=True)) == {"bundle_error"}


def test_a_bundle_that_fails_is_a_bundle_error(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    broken = tmp_path / "glutelab"
    broken.write_text("#!/bin/sh\necho 'cannot start' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("GLUTELAB_BUNDLE", str(broken))
    result = bundle.run(quick=True)
    assert set(result) == {"bundle_error"} and "cannot start" in result["bundle_error"]


def test_quit_after_zero_reports_the_first_painted_screen(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "ui.cli", "--data-dir", str(tmp_path), "--quit-after", "0"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "first screen painted at " in proc.stdout
