"""Live envelopes: pull new raw rows from a device ring, condition them with carried state, keep a ring.

Called from the GUI timer; per frame it filters only the rows that arrived since the last call.
"""

from __future__ import annotations

import numpy as np

from clinic.signals.conditioning import ConditioningSettings, StreamingConditioner
from devices.ring import SampleRing


class LiveEnvelope:
    def __init__(self, source: SampleRing, rate_hz: float, window_s: float = 30.0, *,
                 settings: ConditioningSettings) -> None:
        self.source = source
        self.rate_hz = rate_hz
        self.conditioner = StreamingConditioner(rate_hz, source.n_channels, settings)
        self.ring = SampleRing(max(1, int(window_s * rate_hz)), source.n_channels)
        self._next = 0

    def update(self) -> int:
        """Process what arrived since the last call; returns the number of new rows."""
        rows, first = self.source.since(self._next)
        if rows.shape[0] == 0:
            return 0
        rows = np.nan_to_num(rows, nan=0.0)  # lost packets: hold the filters at zero input
        self.ring.write(self.conditioner.process(rows), first)
        self._next = first + rows.shape[0]
        return rows.shape[0]
