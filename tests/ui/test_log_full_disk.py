"""A log file that cannot be written (a real file-size limit, EFBIG, as on a full disk) gives one line on
stderr, once, not logging's "--- Logging error ---" traceback for every record."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import logging, resource, signal, sys
    from clinic.paths import DataDir
    from ui.context import _setup_logging
    dd = DataDir.resolve(sys.argv[1])
    (dd.logs / "glutelab.log").write_text("x" * 300)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (400, resource.RLIM_INFINITY))
    _setup_logging(dd)
    for i in range(50):
        logging.getLogger("glutelab.test").error("record %d with enough text to pass the limit", i)
    print("still running")
""")


def test_a_full_log_disk_prints_one_line_once(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "still running", proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "cannot write the log file" in lines[0] and "File too large" in lines[0]
    assert "Logging error" not in proc.stderr and "Traceback" not in proc.stderr
