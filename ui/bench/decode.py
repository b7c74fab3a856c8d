"""Decoder throughput per protocol (MB/s), whole buffers, and the ratio to the link's own byte rate.

Each decoder gets the same treatment: a realistic stream encoded once, fed in 64 KiB chunks (what a reader
thread sees after a busy moment), median of repeats.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from devices.protocols import cyton as cy
from devices.protocols import glutelab as gl
from ui.bench import median_time

CHUNK = 65536


def _glutelab_stream(seconds: float, rate: float = 2000.0, channels: int = 6) -> tuple[bytes, float]:
    rng = np.random.default_rng(0)
    counts = rng.integers(-3000, 3000, size=(int(seconds * rate), channels), dtype=np.int16)
    frames = [gl.encode_data(i, i * 20, counts[i * 20:(i + 1) * 20]) for i in range(len(counts) // 20)]
    data = b"".join(frames)
    return data, len(data) / seconds


def _cyton_stream(seconds: float) -> tuple[bytes, float]:
    rng = np.random.default_rng(0)
    n = int(seconds * cy.SAMPLE_RATE_HZ)
    counts = rng.integers(-(2**20), 2**20, size=(n, cy.N_CHANNELS))
    data = cy.encode_packets(0, counts)
    return data, len(data) / seconds


def _measure(data: bytes, make: Callable[[], object], repeats: int) -> float:
    def decode() -> None:
        dec = make()
        for i in range(0, len(data), CHUNK):
            dec.feed(data[i:i + CHUNK], 0.0)  # type: ignore[attr-defined]

    return len(data) / median_time(decode, repeats)


def run(quick: bool) -> dict[str, object]:
    repeats = 3 if quick else 7
    # the Cyton link carries ~8 kB/s, so it takes far more seconds of signal to make a comparable buffer
    streams = {"glutelab": (_glutelab_stream(10 if quick else 60), gl.GluteLabDecoder),
               "cyton": (_cyton_stream(600 if quick else 3600), cy.CytonDecoder)}
    mbps: dict[str, float] = {}
    ratio: dict[str, float] = {}
    for name, ((data, link_rate), make) in streams.items():
        bytes_per_s = _measure(data, make, repeats)
        mbps[name] = round(bytes_per_s / 1e6, 1)
        ratio[name] = round(bytes_per_s / link_rate, 1)
    return {"decode_mb_per_s": mbps, "decode_vs_link_rate": ratio}
