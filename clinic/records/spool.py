"""A local append-only journal of recording chunks, used only while the database cannot be reached.

One file per recording in the data dir's ``spool/``. Each entry is a length-prefixed JSON header and the
chunk bytes, appended and fsynced, so a crash mid-write leaves at most a torn tail that ``read`` ignores.
The writer (or the next start) copies the entries into the database and then removes the file.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

_HEAD = struct.Struct("<II")


class SpoolError(OSError):
    """The spool file could not be written (full disk, read-only folder)."""


def spool_path(spool_dir: Path, recording_id: int) -> Path:
    return Path(spool_dir) / f"recording-{recording_id}.spool"


def append(path: Path, chunk: dict[str, Any]) -> None:
    """Append one chunk (a recording_chunks row as a dict, ``data`` as bytes) and make it durable."""
    data: bytes = chunk["data"]
    header = json.dumps({k: v for k, v in chunk.items() if k != "data"}).encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as fh:
            fh.write(_HEAD.pack(len(header), len(data)) + header + data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise SpoolError(exc.errno, f"cannot write the local spool {path}: {exc.strerror or exc}") from exc


def read(path: Path) -> list[dict[str, Any]]:
    """Every complete entry of a spool file, in order; a torn last entry is dropped."""
    raw = Path(path).read_bytes()
    out: list[dict[str, Any]] = []
    pos = 0
    while pos + _HEAD.size <= len(raw):
        n_head, n_data = _HEAD.unpack_from(raw, pos)
        end = pos + _HEAD.size + n_head + n_data
        if end > len(raw):
            break
        chunk = json.loads(raw[pos + _HEAD.size:pos + _HEAD.size + n_head])
        chunk["data"] = raw[pos + _HEAD.size + n_head:end]
        out.append(chunk)
        pos = end
    return out


def recording_id_of(path: Path) -> int | None:
    stem = Path(path).stem
    if not stem.startswith("recording-"):
        return None
    try:
        return int(stem.removeprefix("recording-"))
    except ValueError:
        return None
