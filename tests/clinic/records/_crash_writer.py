"""Helper run as a subprocess by test_crash_safety: records synthetic blocks in real time until killed.

Usage: python _crash_writer.py DATABASE_URL TRIAL_ID WORKSTATION. Prints ``handing N`` before each block, so
the parent knows an upper bound of the samples handed to the writer when it sends SIGKILL.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from clinic.records import db
from clinic.records.store import RecordingWriter
from devices.types import DeviceInfo, SampleBlock

RATE = 1000.0
BLOCK = 20


def synthetic(first: int, n: int) -> np.ndarray:
    """Deterministic counts, so the parent can rebuild exactly what was handed over."""
    i = np.arange(first, first + n, dtype=np.int64)[:, None]
    ch = np.arange(3, dtype=np.int64)[None, :]
    return (((i * 37 + ch * 1000) % 20000) - 10000).astype(np.int32)


def main() -> None:
    url, trial_id, workstation = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    engine = db.make_engine(url)
    factory = db.session_factory(engine)
    info = DeviceInfo("emg", "Crash", "1", "1", "glutelab", RATE, ("a", "b", "c"), "uV", (0.1, 0.1, 0.1))
    writer = RecordingWriter(factory, trial_id, info, workstation=workstation)
    print(f"recording {writer.recording_id}", flush=True)
    t0 = time.monotonic()
    sent = 0
    while True:
        print(f"handing {sent + BLOCK}", flush=True)
        writer.add(SampleBlock(synthetic(sent, BLOCK), sent, time.monotonic()))
        sent += BLOCK
        delay = t0 + sent / RATE - time.monotonic()
        if delay > 0:
            time.sleep(delay)


if __name__ == "__main__":
    main()
