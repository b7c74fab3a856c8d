"""Readers written from the file-format specifications with numpy alone, so export tests never trust the
library that wrote the file (pyedflib, ezc3d)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def read_edf(path: str | Path) -> dict:
    """EDF/EDF+ (16-bit) or BDF/BDF+ (24-bit): header fields, digital and physical samples per signal."""
    raw = Path(path).read_bytes()
    bdf = raw[0] == 0xFF
    ns = int(raw[252:256])
    n_records = int(raw[236:244])
    duration = float(raw[244:252])

    def field(offset: int, width: int) -> list[str]:
        base = 256 + offset * ns
        return [raw[base + i * width: base + (i + 1) * width].decode("ascii").strip() for i in range(ns)]

    labels = field(0, 16)
    units = field(16 + 80, 8)
    pmin = [float(v) for v in field(16 + 80 + 8, 8)]
    pmax = [float(v) for v in field(16 + 80 + 16, 8)]
    dmin = [int(v) for v in field(16 + 80 + 24, 8)]
    dmax = [int(v) for v in field(16 + 80 + 32, 8)]
    spr = [int(v) for v in field(16 + 80 + 40 + 80, 8)]
    width = 3 if bdf else 2
    header_bytes = 256 * (ns + 1)
    data = np.frombuffer(raw[header_bytes:], dtype=np.uint8)
    if bdf:
        trip = data.reshape(-1, 3).astype(np.int32)
        values = trip[:, 0] | (trip[:, 1] << 8) | (trip[:, 2] << 16)
        values = np.where(values >= 1 << 23, values - (1 << 24), values)
    else:
        values = data.view("<i2").astype(np.int32)
    rec_len = sum(spr)
    assert values.size == rec_len * n_records, "data size does not match the header"
    records = values.reshape(n_records, rec_len)
    signals = {}
    start = 0
    for i, label in enumerate(labels):
        digital = records[:, start:start + spr[i]].reshape(-1)
        start += spr[i]
        gain = (pmax[i] - pmin[i]) / (dmax[i] - dmin[i])
        signals[label] = {"digital": digital, "physical": pmin[i] + (digital - dmin[i]) * gain,
                          "rate": spr[i] / duration, "unit": units[i], "gain": gain}
    rec_bytes = rec_len * width
    annotations = []
    for i, label in enumerate(labels):
        if label.endswith("Annotations"):
            lo, hi = sum(spr[:i]) * width, sum(spr[:i + 1]) * width
            for r in range(n_records):
                chunk = raw[header_bytes + r * rec_bytes + lo: header_bytes + r * rec_bytes + hi]
                annotations += [t.decode("utf-8", "replace") for t in chunk.split(b"\x14") if t.strip(b"\x00")]
    return {"bdf": bdf, "signals": signals, "version": raw[:8], "reserved": raw[192:236].decode().strip(),
            "recording": raw[88:168].decode("latin-1").strip(), "annotations": annotations}


def read_c3d(path: str | Path) -> dict:
    """A C3D file with float storage (Intel): header, the parameter section, and the analog samples."""
    raw = Path(path).read_bytes()
    param_block, magic = raw[0], raw[1]
    assert magic == 0x50, "not a C3D file"
    n_points, n_analog_per_frame, first, last = struct.unpack_from("<hhHH", raw, 2)
    (scale,) = struct.unpack_from("<f", raw, 12)
    data_block, analog_per_frame = struct.unpack_from("<hh", raw, 16)
    (frame_rate,) = struct.unpack_from("<f", raw, 20)
    assert scale < 0, "this reader handles float storage only"
    params = _c3d_parameters(raw, (param_block - 1) * 512)
    n_frames = last - first + 1
    n_analog = n_analog_per_frame // max(analog_per_frame, 1)
    per_frame = n_points * 4 + n_analog_per_frame
    body = np.frombuffer(raw, dtype="<f4", count=n_frames * per_frame, offset=(data_block - 1) * 512)
    frames = body.reshape(n_frames, per_frame)[:, n_points * 4:]
    analog = frames.reshape(n_frames * analog_per_frame, n_analog)
    return {"rate": frame_rate * analog_per_frame, "analog": analog, "params": params}


def _c3d_parameters(raw: bytes, start: int) -> dict[str, object]:
    """GROUP:NAME -> value (strings, or lists of numbers) from the parameter section."""
    pos = start + 4
    groups: dict[int, str] = {}
    entries = []
    while True:
        name_len = struct.unpack_from("<b", raw, pos)[0]
        gid = struct.unpack_from("<b", raw, pos + 1)[0]
        if name_len == 0:
            break
        n = abs(name_len)
        name = raw[pos + 2:pos + 2 + n].decode("ascii")
        after = pos + 2 + n
        (next_off,) = struct.unpack_from("<h", raw, after)
        body = after + 2
        if gid < 0:
            groups[-gid] = name
        else:
            dtype, ndim = struct.unpack_from("<bB", raw, body)
            dims = list(raw[body + 2:body + 2 + ndim])
            dpos = body + 2 + ndim
            count = int(np.prod(dims)) if dims else 1
            size = abs(dtype)
            blob = raw[dpos:dpos + count * size]
            if dtype == -1:
                if ndim <= 1:
                    value: object = blob.decode("latin-1").strip()
                else:
                    w = dims[0]
                    value = [] if w == 0 else [blob[i:i + w].decode("latin-1").strip() for i in range(0, len(blob), w)]
            else:
                code = {1: "<i1", 2: "<i2", 4: "<f4"}[dtype]
                value = np.frombuffer(blob, dtype=code).tolist()
            entries.append((gid, name, value))
        if next_off == 0:
            break
        pos = after + next_off
    return {f"{groups.get(g, g)}:{name}": value for g, name, value in entries}
