"""The simulated rigs: device descriptions and counts derived from a physiology scenario."""

from __future__ import annotations

import numpy as np

from devices.simulator.physiology import Scenario
from devices.types import DeviceInfo

EMG_UV_PER_COUNT = 0.1  # int16 counts: +-3.2 mV range, 0.1 uV resolution (below the 2-10 uV noise floor)
PLATE_N_PER_COUNT = 0.01
PLATE_TARE_COUNTS = 8000.0


def emg_info(scenario: Scenario) -> DeviceInfo:
    n = len(scenario.emg_channels)
    return DeviceInfo(kind="emg", model="GluteLab Sim EMG-6", serial="SIM-EMG-0001", firmware="1.0.0",
                      protocol="glutelab", sample_rate_hz=scenario.emg_rate_hz,
                      channel_names=scenario.emg_channels, units="uV", scale=(EMG_UV_PER_COUNT,) * n,
                      simulated=True)


def plate_info(scenario: Scenario) -> DeviceInfo:
    return DeviceInfo(kind="plate", model="GluteLab Sim Plate-4", serial="SIM-PLT-0001", firmware="1.0.0",
                      protocol="glutelab", sample_rate_hz=scenario.plate_rate_hz,
                      channel_names=scenario.plate_cells, units="N", scale=(PLATE_N_PER_COUNT,) * 4,
                      offset=(PLATE_TARE_COUNTS,) * 4, simulated=True,
                      plate_width_mm=400.0, plate_length_mm=600.0)


def emg_counts(scenario: Scenario) -> np.ndarray:
    return np.clip(np.round(scenario.emg_uv / EMG_UV_PER_COUNT), -32768, 32767).astype(np.int16)


def plate_counts(scenario: Scenario) -> np.ndarray:
    return np.round(scenario.force_n / PLATE_N_PER_COUNT + PLATE_TARE_COUNTS).astype(np.int32)
