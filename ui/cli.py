"""The `glutelab` command: the workstation window by default, headless subcommands for everything else.

Each subcommand lives in ``ui/commands/<name>.py`` with ``add_parser(subparsers)`` and ``run(args) -> int``.
Errors a user can fix print one clear line (exit 2); nothing prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from clinic.identity import APP_NAME, __version__
from clinic.paths import private_files
from ui.errors import UserError

log = logging.getLogger("glutelab")
log.addHandler(logging.NullHandler())  # without a log file (simulate, bench) never fall back to a stderr traceback

COMMANDS = ("patient", "episode", "simulate", "calibrate", "record", "analyze", "evaluate", "report", "export",
            "db", "bench", "selftest", "replay", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glutelab",
        description="GluteLab clinic workstation. Without a subcommand it opens the workstation window.")
    parser.add_argument("--demo", action="store_true",
                        help="simulated EMG amplifier and force plate, throwaway demo database")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS",
                        help="close the window after SECONDS (exit 0 only if frames were drawn); 0: as soon as "
                             "the first screen is painted. Prints when that was (wall clock)")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    add_storage_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"ui.commands.{name}").add_parser(sub)
    return parser


def add_storage_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default=argparse.SUPPRESS,
                        help="folder for the SQLite database, spool, logs and settings (GLUTELAB_DATA_DIR)")
    parser.add_argument("--database-url", default=argparse.SUPPRESS,
                        help="SQLAlchemy URL, e.g. postgresql+psycopg://host/glutelab (GLUTELAB_DATABASE_URL)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("data_dir", "database_url"):
        if not hasattr(args, name):
            setattr(args, name, None)
    private_files()
    try:
        if args.command is None:
            from ui.window_app import run_window

            return run_window(args)
        module = importlib.import_module(f"ui.commands.{args.command}")
        return int(module.run(args) or 0)
    except (UserError, PermissionError) as exc:  # PermissionError: a role that may not, a file that may not be written
        print(f"glutelab: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: a clear line here, the traceback in the log
        log.exception("unexpected error")
        where = " (details in the log file of the data dir)" if logging.getLogger().handlers else ""
        print(f"glutelab: unexpected error: {exc}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
