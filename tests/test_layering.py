"""Import directions hold: clinic/ and devices/ never import Qt; devices/ imports nothing of ours.

Checked two ways: statically over every source file, and dynamically by importing every module of the
package in a fresh interpreter and looking at sys.modules.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["clinic", "devices"])
def test_no_qt_in_domain_packages(package: str) -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & set(QT))
                 for p in (ROOT / package).rglob("*.py") if _imports(p) & set(QT)}
    assert offenders == {}


def test_devices_imports_nothing_of_ours() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & {"clinic", "ui"})
                 for p in (ROOT / "devices").rglob("*.py") if _imports(p) & {"clinic", "ui"}}
    assert offenders == {}


def test_clinic_does_not_import_ui() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "clinic").rglob("*.py") if "ui" in _imports(p)]
    assert offenders == []


def test_importing_all_domain_modules_loads_no_qt() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "for pkg in ('devices', 'clinic'):\n"
        "    m = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(m.__path__, pkg + '.'):\n"
        "        if '.migrations' in info.name: continue\n"
        "        importlib.import_module(info.name)\n"
        f"bad = [n for n in sys.modules if n.split('.')[0] in {QT!r}]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_headless_cli_loads_no_qt() -> None:
    code = "import sys; from ui.cli import build_parser; build_parser(); " \
           f"print(','.join(n for n in sys.modules if n.split('.')[0] in {QT!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_generic_top_level_names_belong_only_to_glutelab() -> None:
    owners = metadata.packages_distributions()
    for name in ("clinic", "devices", "ui", "resources"):
        others = [d for d in owners.get(name, []) if d.lower() != "glutelab"]
        assert others == [], f"installed distributions {others} also provide top-level {name!r}"
