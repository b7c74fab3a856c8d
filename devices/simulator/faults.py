"""Link faults on demand: dropped packets, corrupted bytes, and a cable pull with re-plug.

Seeded, so a test knows exactly which packets were dropped (``dropped`` holds their ordinals, counted from the
first streamed packet) and how many bytes were corrupted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class FaultPlan:
    drop_rate: float = 0.0  # probability that a packet is lost whole
    corrupt_rate: float = 0.0  # probability that a byte has one bit flipped
    unplug_after_s: float | None = None  # cable pull after this many seconds of streaming (wall clock)
    replug_after_s: float | None = None  # ... and back after this many seconds unplugged (None: never)
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("drop_rate", "corrupt_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        for name in ("unplug_after_s", "replug_after_s"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative")

    @property
    def any(self) -> bool:
        return bool(self.drop_rate or self.corrupt_rate or self.unplug_after_s is not None)


@dataclass
class FaultInjector:
    plan: FaultPlan
    dropped: list[int] = field(default_factory=list)
    corrupted_bytes: int = 0
    packets: int = 0

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.plan.seed)

    def apply(self, frames: list[bytes]) -> bytes:
        """The bytes that reach the host for these packets."""
        if not frames:
            return b""
        keep = np.ones(len(frames), dtype=bool)
        if self.plan.drop_rate:
            keep = self._rng.random(len(frames)) >= self.plan.drop_rate
            self.dropped.extend(int(i) + self.packets for i in np.flatnonzero(~keep))
        self.packets += len(frames)
        data = b"".join(f for f, k in zip(frames, keep) if k)
        if self.plan.corrupt_rate and data:
            n_bad = int(self._rng.binomial(len(data), self.plan.corrupt_rate))
            if n_bad:
                buf = np.frombuffer(data, dtype=np.uint8).copy()
                where = self._rng.integers(0, len(buf), n_bad)
                buf[where] ^= (1 << self._rng.integers(0, 8, n_bad)).astype(np.uint8)
                self.corrupted_bytes += n_bad
                data = buf.tobytes()
        return data
