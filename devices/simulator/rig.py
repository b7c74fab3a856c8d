"""One scenario driving a simulated EMG amplifier and force plate together, on one clock."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

from devices.simulator import rigs
from devices.simulator.cyton_firmware import CytonFirmware, counts_from_uv
from devices.simulator.faults import FaultPlan
from devices.simulator.firmware import Firmware, GluteLabFirmware, LoopingSource
from devices.simulator.physiology import Scenario, build_scenario
from devices.simulator.pty_server import PtyServer


class SimulatedRig:
    """Start with ``with SimulatedRig(...) as rig:``; ``rig.emg_path`` and ``rig.plate_path`` are ports.

    ``emg_protocol="cyton"`` puts an emulated OpenBCI Cyton (8 channels at 250 Hz) in place of the GluteLab EMG
    rig; the plate always speaks the GluteLab protocol. ``faults`` apply to both links (different seeds).
    """

    def __init__(self, scenario: Scenario | None = None, speed: float = 1.0,
                 link_dir: str | Path | None = None, emg_protocol: str = "glutelab",
                 faults: FaultPlan | None = None, **scenario_args: object) -> None:
        if emg_protocol not in ("glutelab", "cyton"):
            raise ValueError(f"the simulated EMG rig speaks glutelab or cyton, not {emg_protocol!r}")
        if emg_protocol == "cyton" and scenario is None:
            scenario_args["emg_rate_hz"] = 250.0  # what the Cyton streams over its dongle
        self.scenario = scenario or build_scenario(**scenario_args)  # type: ignore[arg-type]
        self.speed = speed
        self.emg_protocol = emg_protocol
        link_dir = Path(link_dir) if link_dir else None
        emg_fw: Firmware
        if emg_protocol == "cyton":
            emg_fw = CytonFirmware(LoopingSource(counts_from_uv(self.scenario.emg_uv)))
        else:
            emg_fw = GluteLabFirmware(rigs.emg_info(self.scenario), LoopingSource(rigs.emg_counts(self.scenario)))
        plate_faults = replace(faults, seed=faults.seed + 1) if faults else None
        self.emg = PtyServer(emg_fw, speed=speed, link_path=link_dir / "emg" if link_dir else None, faults=faults)
        self.plate = PtyServer(GluteLabFirmware(rigs.plate_info(self.scenario),
                                                LoopingSource(rigs.plate_counts(self.scenario)),
                                                samples_per_frame=10),
                               speed=speed, link_path=link_dir / "plate" if link_dir else None,
                               faults=plate_faults)

    @property
    def emg_path(self) -> str:
        return self.emg.path

    @property
    def plate_path(self) -> str:
        return self.plate.path

    def start(self) -> SimulatedRig:
        self.emg.start()
        try:
            self.plate.start()
        except BaseException:  # e.g. a link dir that cannot hold the plate's symlink: do not leak the EMG pty
            self.emg.stop()
            raise
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
