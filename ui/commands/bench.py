"""`glutelab bench`: the one benchmark harness; prints the figures of every capability that exists."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
from importlib import metadata

from ui.bench import SUITES
from ui.commands._common import subparser


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "bench", "measure decoder, analysis, database and plot speed")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--quick", action="store_true", help="smaller data, under a minute")
    p.add_argument("--only", nargs="*", choices=SUITES, help="run only these suites")


def _machine() -> dict[str, object]:
    versions = {}
    for dist in ("numpy", "scipy", "pyqtgraph", "PySide6-Essentials", "SQLAlchemy", "pyserial", "neurokit2",
                 "biosppy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "versions": versions}


def run(args: argparse.Namespace) -> int:
    result: dict[str, object] = {}
    for name in args.only or SUITES:
        print(f"# bench {name} ...", file=sys.stderr, flush=True)
        try:
            result.update(importlib.import_module(f"ui.bench.{name}").run(args.quick))
        except ImportError as exc:
            result[f"{name}_error"] = f"missing dependency: {exc}"
        except Exception as exc:  # noqa: BLE001 - one failing suite must not hide the others' figures
            result[f"{name}_error"] = f"{type(exc).__name__}: {exc}"
    result["machine"] = _machine()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0
