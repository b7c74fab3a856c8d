"""Decoder throughput per protocol (MB/s), whole buffers, and the ratio to the link's own byte rate."""

from __future__ import annotations

import numpy as np

from devices.protocols import glutelab as gl
from ui.bench import median_time


def _glutelab_stream(seconds: float, rate: float = 2000.0, channels: int = 6) -> tuple[bytes, float]:
    rng = np.random.default_rng(0)
    counts = rng.integers(-3000, 3000, size=(int(seconds * rate), channels), dtype=np.int16)
    frames = [gl.encode_data(i, i * 20, counts[i * 20:(i + 1) * 20]) for i in range(len(counts) // 20)]
    data = b"".join(frames)
    return data, len(data) / seconds


def run(quick: bool) -> dict[str, object]:
    data, link_rate = _glutelab_stream(10 if quick else 60)

    def decode() -> None:
        dec = gl.GluteLabDecoder()
        for i in range(0, len(data), 65536):
            dec.feed(data[i:i + 65536], 0.0)

    t = median_time(decode, 3 if quick else 7)
    mbps = len(data) / t / 1e6
    return {"decode_mb_per_s": {"glutelab": round(mbps, 1)},
            "decode_vs_link_rate": {"glutelab": round(len(data) / t / link_rate, 1)}}
