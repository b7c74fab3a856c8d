"""`glutelab evaluate LABELS.json...`: the default analysis scored against hand-labelled recordings.

Label format (docs/analysis.md, "Labelled recordings"): a JSON file beside its recording with ``file`` (the
signal file, relative to the JSON) and per channel ``bursts``, ``onset_windows``, ``scored`` and ``quiet``.
Per file and overall it prints the detection rate (scored bursts with a detected onset inside their onset
window, one to one), onsets inside labelled rest, unmatched onsets and error quantiles. Headless: no Qt; the
analysis modules (numpy/scipy) are imported inside ``run`` so that ``glutelab --help`` stays quick.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ui.commands._common import subparser
from ui.context import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = subparser(sub, "evaluate", "score the onset detector against labelled recordings (LABELS.json beside "
                                   "each recording)")
    p.add_argument("labels", nargs="+", metavar="LABELS.json", help="label files (format in docs/analysis.md)")
    p.add_argument("--mains", type=float, choices=(50.0, 60.0), default=50.0, help="mains frequency for the notch")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _load_labels(path: Path) -> dict:
    try:
        labels = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read the label file ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a JSON label file ({exc})") from exc
    if not isinstance(labels, dict) or not isinstance(labels.get("channels"), dict) or not labels.get("file"):
        raise UserError(f"{path}: a label file needs 'file' (the recording) and 'channels' (labels per channel)")
    return labels


def evaluate_file(path: Path, mains_hz: float) -> dict[str, object]:
    """Analyse the recording named by one label file with the default settings and score it."""
    from clinic.signals.evaluation import LabelError, channel_labels, combine_scores, score_labelled_channel
    from ui.commands.analyze import analyze_file

    labels = _load_labels(path)
    recording = (path.parent / str(labels["file"])).resolve()
    try:
        checked = {name: channel_labels(ch, name) for name, ch in labels["channels"].items()}
    except LabelError as exc:
        raise UserError(f"{path}: {exc}") from exc
    result = analyze_file(str(recording), labels.get("sample_rate_hz") if recording.suffix.lower() != ".csv"
                          else None, None, "left", mains_hz, "tkeo")
    offset = float(result.get("time_offset_s") or 0.0)  # type: ignore[arg-type]
    channels: dict[str, object] = {}
    analysed: dict = result["channels"]  # type: ignore[assignment]
    for name, lab in checked.items():
        found = analysed.get(name)
        if found is None and len(checked) == 1 and len(analysed) == 1:
            found = next(iter(analysed.values()))  # one labelled channel, one recorded: they are the same
        if found is None:
            raise UserError(f"{path}: the recording {recording.name} has no channel {name!r} "
                            f"(it has {', '.join(result['channels'])})")  # type: ignore[arg-type]
        onsets = [b["onset_s"] + offset for b in found["bursts"]]
        channels[name] = score_labelled_channel(lab, onsets)
    total = combine_scores(list(channels.values()))  # type: ignore[arg-type]
    return {"labels": str(path), "recording": str(recording), "method": result["method"],
            "channels": channels, "total": total}


def run(args: argparse.Namespace) -> int:
    from clinic.signals.evaluation import combine_scores

    files, errors = [], []
    for name in args.labels:
        try:
            files.append(evaluate_file(Path(name), args.mains))
        except UserError as exc:
            errors.append(str(exc))
    overall = combine_scores([f["total"] for f in files]) if files else None  # type: ignore[misc]
    if args.json:
        print(json.dumps({"files": files, "overall": overall, "errors": errors}))
    else:
        for f in files:
            print(f"{f['labels']}:")
            for name, s in f["channels"].items():  # type: ignore[union-attr]
                print(f"  {name}: {_line(s)}")
        if overall is not None:
            print(f"overall ({len(files)} file{'s' if len(files) != 1 else ''}): {_line(overall)}")
    for e in errors:
        print(f"glutelab: {e}", file=sys.stderr)
    return 2 if errors else 0


def _line(s: dict) -> str:
    rate = s["detection_rate"]
    q = s["error_ms"]
    err = ("-" if q["median"] is None else
           f"median {q['median']:+.0f} ms, p5 {q['p5']:+.0f}, p95 {q['p95']:+.0f}, median |e| {q['median_abs']:.0f}")
    return (f"detected {s['detected']}/{s['scored']} ({'-' if rate is None else f'{100 * rate:.0f} %'}); "
            f"onsets in rest {s['in_rest']}; unmatched {s['unmatched']} of {s['onsets']} onsets; "
            f"error vs window centre: {err}")
