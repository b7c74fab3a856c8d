"""What `record` and `calibrate` share: the device and map options, and a session runner set up from them."""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ui.commands._common import parse_port_spec
from ui.context import UserError, Workstation

if TYPE_CHECKING:
    from clinic.usecases.runner import SessionRunner

EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}


def add_device_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--patient", metavar="MRN", help="the patient (required)")
    p.add_argument("--emg", metavar="PORT[:protocol]", help="EMG amplifier port, e.g. /dev/ttyUSB0:cyton")
    p.add_argument("--plate", metavar="PORT[:protocol]", help="force plate port")
    p.add_argument("--map", metavar="CH=MUSCLE,...",
                   help="which EMG channel is which muscle and side, e.g. ch1=glute_max_left,ch2=hamstrings_left "
                        "(glute_max, hamstrings, erector_spinae with _left/_right, or unused); without --map the "
                        "amplifier's default map applies")
    p.add_argument("--keep-map", action="store_true", help="keep --map as the amplifier's default map")


def note(text: str) -> None:
    print(f"glutelab: {text}", file=sys.stderr, flush=True)


@contextmanager
def session_runner(args: argparse.Namespace, ws: Workstation) -> Iterator[SessionRunner]:
    """A runner set up for ``args.patient`` on ``args.emg`` / ``args.plate`` with ``args.map``; devices that
    do not answer, an unknown MRN or a map that does not fit become one clear line (``UserError``)."""
    from clinic.channel_map import ChannelMap, ChannelMapError
    from clinic.records.db import unit_of_work
    from clinic.records.patients import ValidationError, find_patient_by_mrn
    from clinic.usecases.runner import DeviceSpec, RunnerError, SessionRunner
    from devices.errors import DeviceError

    if not args.patient:
        raise UserError("give the patient: --patient MRN")
    if not args.emg and not args.plate:
        raise UserError("give at least one device: --emg PORT and/or --plate PORT")
    try:
        cmap = ChannelMap.parse(args.map) if args.map else None
    except ChannelMapError as exc:
        raise UserError(f"--map: {exc}") from exc
    assert ws.actor is not None
    runner = SessionRunner(ws.factory, ws.actor, conditioning=ws.settings.conditioning, spool_dir=ws.data_dir.spool,
                           clock=lambda: dt.datetime.now(dt.UTC))
    try:
        with unit_of_work(ws.factory) as s:
            patient_id = find_patient_by_mrn(s, ws.actor, args.patient).id
        specs = [DeviceSpec(*parse_port_spec(spec), kind) if spec else None
                 for spec, kind in ((args.emg, "emg"), (args.plate, "plate"))]
        runner.set_up(patient_id, specs[0], specs[1], cmap, keep_map_as_default=args.keep_map)
    except (DeviceError, ValidationError, ChannelMapError, RunnerError) as exc:
        raise UserError(str(exc)) from exc
    for text in runner.notes:
        note(text)
    try:
        yield runner
    finally:
        runner.close()


class StopSignals:
    """SIGINT and SIGTERM ask the loop to stop (flush, close, mark) instead of killing it mid-write."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._old: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        for sig in EXIT_SIGNAL:
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (an in-process caller): Ctrl-C stays KeyboardInterrupt
                pass
        return self

    def _handle(self, signum: int, frame: object) -> None:
        self.received = signum

    def __call__(self) -> bool:
        return self.received is not None

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""

    @property
    def exit_code(self) -> int:
        return EXIT_SIGNAL.get(signal.Signals(self.received), 1) if self.received else 0
