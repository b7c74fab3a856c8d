"""`glutelab demo --data-dir DIR`: build the demo database (simulated patients over weeks) and exit."""

from __future__ import annotations

import argparse

from ui.commands._common import open_workstation, subparser
from ui.errors import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    subparser(sub, "demo", "build the demo database (simulated patients DEMO-0001..0003) in a data dir and exit")


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select
    from sqlalchemy.engine import make_url

    from clinic.paths import DataDir
    from clinic.records.models import User
    from ui.demo import seed_demo

    url = DataDir.resolve(args.data_dir).database_url(args.database_url)
    if make_url(url).get_backend_name() != "sqlite":  # refused before connecting: nothing is written there
        raise UserError("the demo database is built only in a SQLite data dir, never on a PostgreSQL server "
                        "(it would mix simulated patients into the clinic's records)")
    ws = open_workstation(args)
    try:
        with ws.factory() as s:
            if s.scalar(select(func.count(User.id))):
                raise UserError(f"{ws.data_dir.root} already has users: the demo is built only in a new data dir")
        print(f"building the demo database in {ws.data_dir.root} ...", flush=True)
        users = seed_demo(ws.factory, ws.settings.conditioning)
    finally:
        ws.close()
    for username, password, role in users:
        print(f"  demo user {username} / {password} ({role})", flush=True)
    return 0
