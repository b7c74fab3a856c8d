"""`glutelab analyze`: per-rep metrics of a signal file or a stored session, as text or JSON.

The JSON schema is documented in docs/analysis.md. Bad input (unreadable file, missing or non-monotonic time
column, implausible rate, all channels flat/NaN/clipped, too short) prints one clear line and exits 2.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING

from clinic.vocabulary import DEFAULT_ONSET_METHOD, ONSET_METHODS
from ui.commands._common import subparser
from ui.errors import UserError

if TYPE_CHECKING:
    from clinic.signals.onsets import OnsetSettings
    from ui.context import Workstation


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "analyze", "onsets, firing order and per-rep metrics of a file or a stored session",
                  needs_user=True)
    p.add_argument("file", nargs="?", help="a CSV (header row; a 'time' column in seconds or --rate), a GluteLab "
                                           "CSV export, or an EDF/EDF+/BDF file")
    p.add_argument("--session", type=int, help="analyse a stored session (needs --user)")
    p.add_argument("--rate", type=float, help="sample rate in Hz when the file has no time column")
    p.add_argument("--map", help="which channel is which muscle: ch1=glute_max_left,ch2=hamstrings_left,...")
    p.add_argument("--side", choices=("left", "right"), default="left", help="the working side")
    p.add_argument("--mains", type=float, choices=(50.0, 60.0), default=None,
                   help="mains frequency for the notch (default: the clinic setting mains_hz in settings.json)")
    p.add_argument("--method", choices=ONSET_METHODS, default=DEFAULT_ONSET_METHOD, help="onset detector")
    p.add_argument("--onset", metavar="KEY=VALUE,...",
                   help=f"change onset settings a clinician may change ({', '.join(CLINICIAN_SETTINGS)}; "
                        "docs/analysis.md says when)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--store", action="store_true",
                   help="with --session: keep the results as a new analysis version of each trial, which becomes "
                        "current (earlier versions are kept)")
    p.add_argument("--versions", action="store_true",
                   help="with --session: list each trial's analysis versions (* marks the current one)")
    p.add_argument("--set-current", type=int, metavar="N",
                   help="with --session and --trial: make version N of that trial the current analysis (audited)")
    p.add_argument("--compare", type=int, nargs=2, metavar=("N", "M"),
                   help="with --session and --trial: versions N and M of that trial side by side, per rep")
    p.add_argument("--trial", type=int, help="the trial for --set-current or --compare")


#: the onset settings a clinician may change from the command line (docs/analysis.md, "Settings a clinician may
#: change"); the others are part of the method
CLINICIAN_SETTINGS = ("min_relative_db", "k_sd", "short_min_snr_db", "min_burst_ms")


def onset_settings(method: str, spec: str | None) -> OnsetSettings:
    """``OnsetSettings`` for ``--method`` and ``--onset key=value,...``; a bad key or value is a ``UserError``."""
    from clinic.signals.onsets import OnsetSettings

    values: dict[str, float] = {}
    for item in filter(None, (spec or "").split(",")):
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in CLINICIAN_SETTINGS:
            raise UserError(f"--onset: {key!r} is not a setting to change here; choose from "
                            f"{', '.join(CLINICIAN_SETTINGS)}")
        try:
            values[key] = float(value)
        except ValueError:
            raise UserError(f"--onset: {key} needs a number, not {value.strip()!r}") from None
        if not math.isfinite(values[key]):
            raise UserError(f"--onset: {key} needs a finite number")
    return OnsetSettings(method=method, **values)  # type: ignore[arg-type]


def _clean(obj: object) -> object:
    """NaN/inf -> null so the JSON is valid."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def analyze_file(path: str, rate_hz: float | None, channel_map: str | None, side: str, mains_hz: float,
                 method: str, onset: str | None = None) -> dict[str, object]:
    """Load and analyse one file; raises ``UserError`` with the reason when the data cannot be analysed."""
    from clinic.signals.analysis import analyze_trial
    from clinic.signals.conditioning import ConditioningSettings
    from clinic.signals.io import SignalFileError, apply_channel_map, load_signals, parse_channel_map

    try:
        sig = apply_channel_map(load_signals(path, rate_hz), parse_channel_map(channel_map))
    except SignalFileError as exc:
        raise UserError(str(exc)) from exc
    result = analyze_trial(sig.data, sig.rate_hz, sig.channel_names, side=side,
                           settings=onset_settings(method, onset),
                           conditioning=ConditioningSettings(mains_hz=mains_hz))
    if result.get("error"):
        raise UserError(f"{path}: {result['error']}")
    result["source"] = sig.source
    result["time_offset_s"] = sig.time_offset_s
    result["notes"] = list(sig.notes) + list(result.get("notes", []))  # type: ignore[arg-type]
    return result


def run(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.session):
        raise UserError("give either a FILE or --session ID")
    if args.onset and args.session:
        raise UserError("--onset applies to a FILE (a stored session is analysed with the settings it records)")
    picks = [name for name, given in (("--set-current", args.set_current is not None),
                                      ("--compare", args.compare is not None)) if given]
    if len(picks) > 1 or bool(picks) != (args.trial is not None):
        raise UserError("--set-current N or --compare N M (one of them) needs --trial ID, and --trial is only for "
                        "them")
    if (args.versions or picks) and (args.store or args.file):
        raise UserError("--versions, --set-current and --compare work on a stored session alone (no FILE, no "
                        "--store)")
    if args.versions or picks:
        from ui.commands.analysis_versions import print_comparison, print_versions, run_versions

        versions = run_versions(args)
        if args.json:
            print(json.dumps(versions))
        elif args.compare is not None:
            print_comparison(versions)
        else:
            print_versions(versions)
        return 0
    if args.file:
        result = analyze_file(args.file, args.rate, args.map, args.side, args.mains or _clinic_mains(args),
                              args.method, args.onset)
    else:
        result = _analyze_session(args)
    if args.json:
        print(json.dumps(_clean(result), default=float))
    else:
        _print_text(result)
    return 0


def _analyze_session(args: argparse.Namespace) -> dict[str, object]:
    from clinic.records.editing import ConflictError
    from ui.commands._common import open_workstation

    with open_workstation(args, sign_in=True) as ws:
        assert ws.actor is not None
        ws.actor.require("record" if args.store else "read")
        try:
            return _analyze_visit(args, ws)
        except ConflictError as exc:  # another workstation stored or picked a version of a trial meanwhile
            raise UserError(str(exc)) from exc


def _analyze_visit(args: argparse.Namespace, ws: Workstation) -> dict[str, object]:
    """Analyse every trial of the session (and with ``--store`` keep each result as a new version)."""
    from sqlalchemy import select

    from clinic.records.audit import record_event
    from clinic.records.db import unit_of_work
    from clinic.records.models import Session as VisitSession
    from clinic.signals.conditioning import ConditioningSettings
    from clinic.signals.onsets import OnsetSettings
    from clinic.signals.summary import session_summary
    from clinic.usecases.trial_analysis import analyze_and_store, analyze_stored_trial

    actor = ws.actor
    assert actor is not None
    with unit_of_work(ws.factory) as s:
        visit = s.scalar(select(VisitSession).where(VisitSession.id == args.session))
        if visit is None:
            raise UserError(f"no session {args.session}")
        record_event(s, actor.username, "read", "session", visit.id, "analyze")
        conditioning = ConditioningSettings(mains_hz=args.mains) if args.mains else ws.settings.conditioning
        onsets = OnsetSettings(method=args.method)
        trials = [analyze_and_store(s, actor, t, conditioning, onsets) if args.store
                  else analyze_stored_trial(s, t, conditioning, onsets)
                  for t in visit.trials if t.exercise not in ("mvc", "rest")]
        return {"session_id": visit.id, "week": visit.week, "trials": trials,
                "summary": session_summary([t for t in trials if not t.get("error")])}


def _fmt(v: object, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.0f}{unit}" if abs(v) >= 10 else f"{v:.2f}{unit}"
    return f"{v}{unit}"


def _print_text(result: dict[str, object]) -> None:
    trials = result.get("trials", [result])
    if "session_id" in result:
        print(f"session {result['session_id']} (week {result.get('week')})")
    for trial in trials:  # type: ignore[union-attr]
        if trial.get("error"):
            print(f"trial {trial.get('trial_id', '-')}: {trial['error']}")
            continue
        s = trial.get("summary", {})
        head = f"trial {trial['trial_id']}" if "trial_id" in trial else str(trial.get("source", "file"))
        print(f"{head}: {trial.get('duration_s')} s at {trial.get('sample_rate_hz'):g} Hz, "
              f"quality {trial.get('quality_verdict')}, amplitudes in {trial.get('amplitude_units')}")
        for name, ch in trial.get("channels", {}).items():
            q = ch.get("quality", {})
            print(f"  {name}: {len(ch['bursts'])} bursts; quality {q.get('verdict')}"
                  + (f" ({'; '.join(q.get('reasons', []))})" if q.get("reasons") else ""))
        print(f"  reps {s.get('reps')}; glute first {_fmt(s.get('glute_first_share'))}; glute lead vs hamstrings "
              f"median {_fmt(s.get('glute_lead_hamstrings_ms_median'), ' ms')}, vs lumbar "
              f"{_fmt(s.get('glute_lead_erector_spinae_ms_median'), ' ms')}; hold median "
              f"{_fmt(s.get('hold_ms_median'), ' ms')}")
        for rep in trial.get("reps", []):
            line = (f"  rep {rep['rep']}: order {' > '.join(rep['firing_order']) or '-'}; glute lead vs hamstrings "
                    f"{_fmt(rep['glute_lead_hamstrings_ms'], ' ms')}, vs lumbar "
                    f"{_fmt(rep['glute_lead_erector_spinae_ms'], ' ms')}; hold {_fmt(rep['hold_ms'], ' ms')}")
            if rep.get("glute_hamstring_ratio") is not None:
                line += f"; glute:hamstring {rep['glute_hamstring_ratio']:.2f}"
            landing = rep.get("landing")
            if landing:
                line += (f"; descent {_fmt(landing.get('descent_ms'), ' ms')}, peak "
                         f"{_fmt(landing.get('peak_seat_force_bw'), ' BW')}")
            print(line)
        for note in trial.get("notes", []):
            print(f"  note: {note}")
        if trial.get("analysis_version"):
            print(f"  stored as analysis version {trial['analysis_version']['number']} (now current)")


def _clinic_mains(args: argparse.Namespace) -> float:
    """The data dir's ``settings.json`` mains frequency (no database needed to analyse a file)."""
    from clinic import settings
    from clinic.paths import DataDir

    return float(settings.load(DataDir.resolve(args.data_dir).settings_file).mains_hz)
