"""Start-up speed by what is imported, not by timing: ``glutelab --help`` (and every subcommand's --help)
loads neither numpy nor scipy nor SQLAlchemy, and the window paints its sign-in screen without scipy."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from ui.cli import COMMANDS

HEAVY = ("numpy", "scipy", "sqlalchemy", "alembic", "PySide6", "pyqtgraph", "serial", "reportlab")

PROBE = textwrap.dedent("""
    import sys
    from ui.cli import main
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
    print("LOADED", sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[0].split(","))))
""")


@pytest.mark.parametrize("argv", [["--help"], *[[c, "--help"] for c in COMMANDS]], ids=lambda a: " ".join(a))
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE.replace("sys.argv[0]", repr(",".join(HEAVY))), *argv],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "usage: glutelab" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "LOADED []"


def test_the_window_paints_its_sign_in_screen_without_scipy(tmp_path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GLUTELAB_PASSWORD="start-admin-password")
    subprocess.run([sys.executable, "-m", "ui.cli", "db", "init-admin", "--data-dir", str(tmp_path)], check=True,
                   capture_output=True, env=env, timeout=120)
    probe = textwrap.dedent("""
        import sys
        from ui.cli import main
        code = main(["--data-dir", sys.argv[1], "--quit-after", "0"])
        print("SCIPY", "scipy" in sys.modules, "EXIT", code)
    """)
    proc = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, env=env,
                          timeout=120)
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0 and lines[-1] == "SCIPY False EXIT 0", proc.stdout + proc.stderr
    assert any(line.startswith("first screen painted at ") for line in lines)
