"""One scenario driving a simulated EMG amplifier and force plate together, on one clock."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from devices.simulator import rigs
from devices.simulator.firmware import GluteLabFirmware, LoopingSource
from devices.simulator.physiology import Scenario, build_scenario
from devices.simulator.pty_server import PtyServer


class SimulatedRig:
    """Start with ``with SimulatedRig(...) as rig:``; ``rig.emg_path`` and ``rig.plate_path`` are ports."""

    def __init__(self, scenario: Scenario | None = None, speed: float = 1.0,
                 link_dir: str | Path | None = None, **scenario_args: object) -> None:
        self.scenario = scenario or build_scenario(**scenario_args)  # type: ignore[arg-type]
        self.speed = speed
        link_dir = Path(link_dir) if link_dir else None
        self.emg = PtyServer(GluteLabFirmware(rigs.emg_info(self.scenario),
                                              LoopingSource(rigs.emg_counts(self.scenario))),
                             speed=speed, link_path=link_dir / "emg" if link_dir else None)
        self.plate = PtyServer(GluteLabFirmware(rigs.plate_info(self.scenario),
                                                LoopingSource(rigs.plate_counts(self.scenario)),
                                                samples_per_frame=10),
                               speed=speed, link_path=link_dir / "plate" if link_dir else None)

    @property
    def emg_path(self) -> str:
        return self.emg.path

    @property
    def plate_path(self) -> str:
        return self.plate.path

    def start(self) -> SimulatedRig:
        self.emg.start()
        self.plate.start()
        return self

    def stop(self) -> None:
        self.emg.stop()
        self.plate.stop()

    def __enter__(self) -> SimulatedRig:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def write_truth(self, path: str | Path) -> None:
        """Ground truth as JSON lines: one object per rep (onsets per muscle, phases, hold time)."""
        with open(path, "w", encoding="utf-8") as fh:
            for rep in self.scenario.truth:
                fh.write(json.dumps({**asdict(rep), "hold_s": rep.hold_s}) + "\n")
