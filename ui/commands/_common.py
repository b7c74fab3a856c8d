"""Options and helpers shared by the headless subcommands."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ui.context import Workstation


def subparser(sub: argparse._SubParsersAction, name: str, help_text: str,
              needs_user: bool = False) -> argparse.ArgumentParser:
    from ui.cli import add_storage_options

    p = sub.add_parser(name, help=help_text, description=help_text)
    add_storage_options(p)
    if needs_user:
        p.add_argument("--user", help="sign in as this user (password from GLUTELAB_PASSWORD or a prompt)")
    return p


def open_workstation(args: argparse.Namespace, sign_in: bool = False) -> Workstation:
    from ui.context import Workstation

    ws = Workstation.open(args.data_dir, args.database_url)
    if sign_in:
        try:
            ws.sign_in(getattr(args, "user", None))
        except BaseException:  # no user, wrong password: release the database connections
            ws.close()
            raise
    return ws


def parse_port_spec(spec: str, default_protocol: str = "glutelab") -> tuple[str, str]:
    """``PORT[:protocol]``; a URL such as ``loop://`` keeps its own colon."""
    from devices.protocols import registry

    if ":" in spec:
        port, _, proto = spec.rpartition(":")
        if proto in registry.names() and port:
            return port, proto
    return spec, default_protocol

