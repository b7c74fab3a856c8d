"""Plain types every layer shares: device descriptions, sample blocks and link statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

DeviceKind = Literal["emg", "plate"]


@dataclass(frozen=True)
class DeviceInfo:
    """What a device says about itself (or what we know of it, for protocols without an info reply).

    Physical value of channel c = (count - offset[c]) * scale[c], in ``units``.
    """

    kind: DeviceKind
    model: str
    serial: str
    firmware: str
    protocol: str
    sample_rate_hz: float
    channel_names: tuple[str, ...]
    units: str
    scale: tuple[float, ...]
    offset: tuple[float, ...] = ()
    simulated: bool = False
    plate_width_mm: float | None = None
    plate_length_mm: float | None = None

    def __post_init__(self) -> None:
        n = len(self.channel_names)
        if len(self.scale) != n:
            raise ValueError(f"{self.model}: {n} channels but {len(self.scale)} scale factors")
        if not self.offset:
            object.__setattr__(self, "offset", (0.0,) * n)
        elif len(self.offset) != n:
            raise ValueError(f"{self.model}: {n} channels but {len(self.offset)} offsets")

    @property
    def n_channels(self) -> int:
        return len(self.channel_names)

    def to_physical(self, counts: np.ndarray) -> np.ndarray:
        """Counts (samples x channels) to physical units as float32."""
        scale = np.asarray(self.scale, dtype=np.float64)
        offset = np.asarray(self.offset, dtype=np.float64)
        return ((counts - offset) * scale).astype(np.float32)


@dataclass
class SampleBlock:
    """A run of consecutive samples from one stream.

    ``counts`` holds raw integer counts (samples x channels) so recordings stay lossless;
    ``first_index`` is the device sample index of row 0 (gaps from lost packets advance it);
    ``host_time`` is ``time.monotonic()`` when the bytes carrying the last row arrived.
    """

    counts: np.ndarray
    first_index: int
    host_time: float
    stream_id: str = ""

    @property
    def n_samples(self) -> int:
        return int(self.counts.shape[0])

    @property
    def end_index(self) -> int:
        return self.first_index + self.n_samples


@dataclass
class LinkStats:
    """Running counters of a link, for the status bar and for tests."""

    bytes_received: int = 0
    frames_ok: int = 0
    samples: int = 0
    packets_lost: int = 0
    bytes_discarded: int = 0
    crc_failures: int | None = 0  # None for protocols without a CRC ("n/a")
    reconnects: int = 0
    samples_per_s: float = 0.0

    def as_dict(self) -> dict[str, float | int | str]:
        d: dict[str, float | int | str] = dict(self.__dict__)
        if self.crc_failures is None:
            d["crc_failures"] = "n/a"
        return d


@dataclass
class DecodeResult:
    """What one ``Decoder.feed`` call produced."""

    blocks: list[SampleBlock] = field(default_factory=list)
    messages: list[tuple[int, bytes]] = field(default_factory=list)  # non-data frames (type, payload)
