"""What the live view and the patient's screen show at one frame, read from the session runner (no Qt).

Per muscle: the envelope over the last ``LEVEL_WINDOW_S`` in %MVC where the muscle is calibrated today, else
in microvolts (the unit goes with the value). Plate: total load, the share on the left and its asymmetry
index, and the centre-of-pressure trail. The verdict, rep and hold come from the runner's coaching.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from clinic.signals.asymmetry import asymmetry_index, paired_asymmetry
from clinic.signals.live_verdict import Verdict
from clinic.signals.plate import cell_positions_mm, centre_of_pressure
from clinic.usecases.runner import SessionRunner

LEVEL_WINDOW_S = 0.15
COP_TRAIL_S = 2.0


def percent_mvc(env_uv: np.ndarray, base_uv: np.ndarray, mvc_uv: np.ndarray) -> np.ndarray:
    """Envelope microvolts -> %MVC with the noise floor removed in power (``normalise.to_percent_mvc``,
    vectorised over samples x channels)."""
    num = np.sqrt(np.maximum(env_uv.astype(np.float64) ** 2 - base_uv ** 2, 0.0))
    return 100.0 * num / np.sqrt(np.maximum(mvc_uv ** 2 - base_uv ** 2, 1e-12))


@dataclass
class Readout:
    names: list[str]
    levels: dict[str, float]  # per channel, in units[name]
    units: dict[str, str]  # "%MVC" or "uV"
    level_asymmetry: dict[str, float | None]
    total_n: float | None = None
    left_share: float | None = None  # 0-1
    load_asymmetry: float | None = None
    cop_trail_mm: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    rep: int = 0
    target_reps: int = 0
    held_s: float = 0.0
    hold_target_s: float = 0.0
    verdict: Verdict | None = None


class RunnerReadout:
    """Reads a frame's figures from ``runner`` (its envelopes, plate ring, calibration and coaching)."""

    def __init__(self, runner: SessionRunner) -> None:
        self.runner = runner

    def calibration(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per channel: calibrated?, resting level, MVC (envelope uV)."""
        names = self.runner.labels()
        cal = self.runner.calibrated_muscles
        ok = np.array([n in cal for n in names], dtype=bool)
        base = np.array([cal[n][0] if n in cal else 0.0 for n in names])
        mvc = np.array([cal[n][1] if n in cal else 1.0 for n in names])
        return ok, base, mvc

    def units(self) -> dict[str, str]:
        ok, _, _ = self.calibration()
        return {n: ("%MVC" if c else "uV") for n, c in zip(self.runner.labels(), ok)}

    def read(self) -> Readout:
        r = self.runner
        names = r.labels()
        levels: dict[str, float] = {}
        env = r.envelopes.get("emg")
        if env is not None and names:
            data, _ = env.ring.latest(max(1, int(LEVEL_WINDOW_S * env.rate_hz)))
            if data.shape[0]:
                mean = np.nanmean(data, axis=0) if np.isfinite(data).any() else np.zeros(data.shape[1])
                ok, base, mvc = self.calibration()
                pct = percent_mvc(mean[None, :], base, mvc)[0]
                levels = {n: float(pct[i] if ok[i] else mean[i]) for i, n in enumerate(names)}
        out = Readout(names, levels, self.units(), paired_asymmetry(dict(levels)) if len(set(self.units().values()))
                      == 1 else {})
        plate = r.devices.get("plate")
        if plate is not None and plate.ring is not None and plate.info is not None:
            cells = list(plate.info.channel_names)
            rows, _ = plate.ring.latest(max(2, int(COP_TRAIL_S * plate.info.sample_rate_hz)))
            rows = rows[np.isfinite(rows).all(axis=1)]
            if rows.shape[0]:
                recent = rows[-max(1, int(LEVEL_WINDOW_S * plate.info.sample_rate_hz)):].mean(axis=0)
                out.total_n = float(recent.sum())
                left = float(sum(v for c, v in zip(cells, recent) if "left" in c))
                right = float(sum(v for c, v in zip(cells, recent) if "right" in c))
                if left + right > 1e-6:
                    out.left_share = left / (left + right)
                    out.load_asymmetry = asymmetry_index(left, right)
                pos = cell_positions_mm(cells, plate.info.plate_width_mm or 400.0, plate.info.plate_length_mm or 600.0)
                step = max(1, rows.shape[0] // 60)
                cop = centre_of_pressure(rows[::step], pos)
                out.cop_trail_mm = cop[np.isfinite(cop).all(axis=1)]
        out.rep = r.rep
        out.target_reps = r.plan.target_reps if r.plan is not None else 0
        out.held_s, out.hold_target_s = r.hold_progress()
        verdicts = r.verdicts
        out.verdict = verdicts[-1] if verdicts else None
        return out
