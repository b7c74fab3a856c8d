"""Latency from bytes written to the pty to the frame that shows them (``latency_p99_ms``).

A simulated 6-channel 2 kHz EMG rig streams in real time over a real pty; its firmware is wrapped so that
each burst of frames is time-stamped just before the pty server writes it. The workstation side is the real
chain, as the coaching view runs it: ``Device`` (pyserial reader thread) -> ring -> ``LiveEnvelope`` (brought
up to date on the frame) -> ``LivePlot`` on the 60 Hz frame pacer, painted by Qt's own repaint of the
changed items. When the plot says a frame has been painted (after its paint event), every burst whose last
sample the plot had read gets its latency. (An earlier version forced a synchronous repaint after the
refresh; Qt then painted the same frame a second time for the items' own update, which doubled the GUI's
work.) The machine is shared: the p99 of one run, and its median beside it.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np


class _StampedFirmware:
    """The firmware, with (samples in frames so far, perf_counter) noted for each burst of stream frames."""

    def __init__(self, firmware: Any) -> None:
        self._firmware = firmware
        self.stamps: list[tuple[int, float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._firmware, name)

    def stream_frames(self, n_samples: int) -> list[bytes]:
        frames = self._firmware.stream_frames(n_samples)
        if frames:  # samples short of a whole frame wait in the firmware: stamp what is written now
            self.stamps.append((self._firmware.sample_index, time.perf_counter()))
        return frames


def run(quick: bool) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    from clinic.signals.conditioning import ConditioningSettings
    from clinic.signals.live import LiveEnvelope
    from devices.device import Device
    from devices.simulator import rigs
    from devices.simulator.firmware import GluteLabFirmware, LoopingSource
    from devices.simulator.physiology import build_scenario
    from devices.simulator.pty_server import PtyServer
    from ui.coaching.pacing import FramePacer
    from ui.live_plot import LivePlot

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    scenario = build_scenario("typical", reps=1, seed=0)
    firmware = _StampedFirmware(GluteLabFirmware(rigs.emg_info(scenario), LoopingSource(rigs.emg_counts(scenario))))
    latencies: list[float] = []
    with PtyServer(firmware, speed=1.0) as server:  # type: ignore[arg-type]
        device = Device(server.path, "glutelab", stream_id="emg")
        info = device.open()
        assert device.ring is not None
        env = LiveEnvelope(device.ring, info.sample_rate_hz, settings=ConditioningSettings(mains_hz=50.0))
        plot = LivePlot(env.ring, info.sample_rate_hz, info.channel_names, "uV envelope", window_s=10.0)
        plot.resize(1280, 600)
        plot.show()
        app.processEvents()
        next_stamp = 0
        shown = 0  # samples in the envelope ring when the plot last read it

        def frame() -> None:  # what the coaching view does on a paced frame
            nonlocal shown
            env.update()
            plot.refresh()
            shown = env.ring.total

        def painted() -> None:  # the frame is on the screen: every burst it includes has its latency
            nonlocal next_stamp
            now, stamps = time.perf_counter(), firmware.stamps
            while next_stamp < len(stamps) and stamps[next_stamp][0] <= shown:
                latencies.append(now - stamps[next_stamp][1])
                next_stamp += 1

        plot.frame_drawn.connect(painted)
        pacer = FramePacer(plot, frame, max_fps=60.0)
        pacer.timer.start()
        device.start()
        loop = QtCore.QEventLoop()
        QtCore.QTimer.singleShot(3000 if quick else 10_000, loop.quit)
        loop.exec()
        pacer.timer.stop()
        device.stop()
        device.close()
        plot.close()
    if len(latencies) < 10:
        raise RuntimeError(f"only {len(latencies)} bursts reached the screen")
    ms = np.asarray(latencies[len(latencies) // 10:]) * 1000.0  # after the first tenth (start-up)
    return {"latency_p99_ms": round(float(np.percentile(ms, 99)), 1),
            "latency_median_ms": round(float(np.median(ms)), 1), "latency_bursts": int(len(ms))}
