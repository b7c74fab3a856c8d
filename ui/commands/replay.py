"""`glutelab replay --trial ID`: a stored trial in its own window, in the live plot, with transport controls
and the per-rep verdicts of its current analysis (until the main window offers it from a page)."""

from __future__ import annotations

import argparse

from clinic.vocabulary import REPLAY_SPEEDS
from ui.commands._common import subparser
from ui.errors import UserError

MIN_SPEED, MAX_SPEED = REPLAY_SPEEDS


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "replay", "replay a stored trial in the live plot: play, pause, speed, scrub, jump to a rep",
                  needs_user=True)
    p.add_argument("--trial", type=int, required=True, help="the stored trial to replay")
    p.add_argument("--speed", type=float, default=1.0, help=f"playback speed, {MIN_SPEED:g} to {MAX_SPEED:g}")
    p.add_argument("--play", action="store_true", help="start playing at once")
    p.add_argument("--quit-after", type=float, metavar="SECONDS",
                   help="close the window after SECONDS and print how far it played (exit 1 if nothing was drawn)")


def run(args: argparse.Namespace) -> int:
    import sys

    from clinic.records.db import unit_of_work
    from clinic.usecases.replay import ReplayError, load_replay
    from ui.commands._common import open_workstation

    if not MIN_SPEED <= args.speed <= MAX_SPEED:
        raise UserError(f"--speed must be {MIN_SPEED:g} to {MAX_SPEED:g}, not {args.speed:g}")
    with open_workstation(args, sign_in=True) as ws:
        assert ws.actor is not None
        try:
            with unit_of_work(ws.factory) as s:
                data = load_replay(s, ws.actor, args.trial)
        except ReplayError as exc:
            raise UserError(str(exc)) from exc
    from PySide6 import QtCore, QtWidgets

    from ui.replay_view import ReplayView

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    view = ReplayView(data)
    view.setWindowTitle(f"GluteLab - replay of trial {data.trial_id}")
    view.player.set_speed(args.speed)
    view.resize(1200, 650)
    view.show()
    if args.play:
        view.toggle_play()
    if args.quit_after:
        QtCore.QTimer.singleShot(int(args.quit_after * 1000), app.quit)
    try:
        app.exec()
    finally:
        view.close_sources()
    if args.quit_after:
        print(f"replayed trial {data.trial_id} to {view.player.position_s:.1f} of {view.player.duration_s:.1f} s; "
              f"frames drawn: {view.plot.frames}", flush=True)
        return 0 if view.plot.frames else 1
    return 0
