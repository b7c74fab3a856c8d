"""`glutelab simulate` as a user runs it: a subprocess that prints the port path first, with faults on demand."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devices.device import Device

from .conftest import wait_for


def _simulate(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ui.cli", "simulate", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_simulate_cyton_with_dropped_packets() -> None:
    proc = _simulate("--protocol", "cyton", "--speed", "8", "--seconds", "30", "--drop-rate", "0.1",
                     "--reps", "1", "--seed", "4")
    try:
        assert proc.stdout is not None
        path = proc.stdout.readline().strip()
        with Device(path, "cyton") as dev:
            assert dev.info is not None and dev.info.model == "OpenBCI Cyton" and dev.info.sample_rate_hz == 250
            dev.start()
            wait_for(lambda: dev.stats.samples >= 500 and dev.stats.packets_lost >= 10, what="samples and drops")
            dev.stop()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("args", [["--replug-after", "1"], ["--drop-rate", "1.5"]])
def test_simulate_rejects_bad_fault_options(args: list[str]) -> None:
    proc = _simulate("--seconds", "1", *args)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.startswith("glutelab: ")


def test_a_terminated_simulator_removes_its_port_folder() -> None:
    """`glutelab simulate` stopped with SIGTERM (as a test or a service manager does) closes its ptys and
    removes its /tmp/glutelab-sim-* folder."""
    import os
    import signal
    from pathlib import Path

    proc = _simulate("--device", "both", "--seconds", "60")
    try:
        assert proc.stdout is not None
        folders = {Path(proc.stdout.readline().strip()).parent, Path(proc.stdout.readline().strip()).parent}
        assert all(f.name.startswith("glutelab-sim-") and f.is_dir() for f in folders)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not any(os.path.exists(f) for f in folders)
