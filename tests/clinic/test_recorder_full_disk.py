"""The recorder on a real full disk: a SQLite file that may not grow past a size (RLIMIT_FSIZE in a
subprocess, EFBIG), as `glutelab record` would meet it. The recording stops with a message saying what is
kept, and its status follows the docs: `interrupted`, never left in `recording`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from clinic.records import db
from clinic.records.db import unit_of_work
from clinic.records.models import Recording
from clinic.records.store import load_counts

SCRIPT = textwrap.dedent("""
    import datetime as dt, resource, signal, sys, time
    import numpy as np
    from clinic.recorder import Recorder
    from clinic.records import db
    from clinic.records.db import unit_of_work
    from clinic.records.patients import create_patient, start_trial
    from clinic.records.security import SYSTEM
    from devices.types import DeviceInfo, SampleBlock

    engine = db.make_engine(sys.argv[1])
    db.upgrade(engine)
    factory = db.session_factory(engine)
    with unit_of_work(factory) as s:
        trial_id = start_trial(s, SYSTEM, create_patient(s, SYSTEM, "FD1", "Full", "Fay", dt.date(1980, 1, 1)),
                               "glute_bridge", "left").id

    class Stream:
        info = DeviceInfo("emg", "Amp", "1", "1", "glutelab", 1000.0, ("a", "b", "c", "d"), "uV", (0.1,) * 4)
        sinks = []
        def subscribe(self, sink): self.sinks.append(sink)
        def unsubscribe(self, sink): self.sinks.remove(sink)

    stream = Stream()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as a full disk does
    resource.setrlimit(resource.RLIMIT_FSIZE, (800_000, resource.RLIM_INFINITY))
    recorder = Recorder(factory, trial_id, [stream])
    recorder.start()
    rng = np.random.default_rng(0)
    for i in range(600):  # up to 60 s of noise: far more than 0.8 MB
        for sink in list(stream.sinks):
            sink(SampleBlock(rng.integers(-30000, 30000, (100, 4)).astype(np.int32), i * 100, time.monotonic()))
        if recorder.errors:
            break
        time.sleep(0.002)
    deadline = time.monotonic() + 30
    while not recorder.errors and time.monotonic() < deadline:
        time.sleep(0.05)
    (rid,) = recorder.stop()
    print(rid)
    print(recorder.errors[0] if recorder.errors else "no error")
""")


def test_a_full_disk_stops_the_recording_and_marks_it_interrupted(tmp_path):
    url = f"sqlite:///{tmp_path / 'full.sqlite3'}"
    proc = subprocess.run([sys.executable, "-c", SCRIPT, url], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    rid_line, message = proc.stdout.strip().splitlines()[-2:]
    assert "stopped: the disk" in message and "are kept" in message
    engine = db.make_engine(url)
    with unit_of_work(db.session_factory(engine)) as s:
        rec = s.get(Recording, int(rid_line))
        assert rec.status == "interrupted"
        kept = load_counts(s, rec.id)
        assert 0 < len(kept) == rec.n_samples < 60_000
    engine.dispose()
