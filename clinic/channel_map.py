"""Which amplifier channel is which muscle and side: ``ch1=glute_max_left,ch2=hamstrings_left,...``.

A map is stored with every recording (so analysis, reports and exports name muscles) and kept per device
serial as the clinic's default. Channels the map does not name, or names ``unused``, keep their own names
and are ignored by the per-rep muscle metrics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MUSCLES = ("glute_max", "hamstrings", "erector_spinae")
SIDES = ("left", "right")
#: what a channel may be mapped to: a muscle with its side, a bare muscle (files without a side) or unused
MUSCLE_SIDES = tuple(f"{m}_{s}" for s in SIDES for m in MUSCLES)
UNUSED = "unused"
TARGETS = (*MUSCLE_SIDES, *MUSCLES, UNUSED)
#: the channel names the per-rep muscle metrics read (a mapped channel, or a file's muscle-named column)
MUSCLE_NAMES = frozenset((*MUSCLE_SIDES, *MUSCLES))


class ChannelMapError(ValueError):
    """A map that cannot be used; the message names the channel or muscle at fault."""


@dataclass(frozen=True)
class ChannelMap:
    """Device channel name -> muscle target (one of ``TARGETS``), in the order given."""

    entries: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, spec: str | None) -> ChannelMap:
        """``ch1=glute_max_left,ch2=hamstrings_left``; a channel given twice or a muscle given to two
        channels is an error that names both, never a silent last-one-wins."""
        if not spec or not spec.strip():
            return cls()
        pairs = []
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise ChannelMapError(f"--map entry {part!r} is not CHANNEL=MUSCLE (e.g. ch1=glute_max_left)")
            channel, target = (p.strip() for p in part.split("=", 1))
            pairs.append((channel, target))
        return cls.from_pairs(pairs)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> ChannelMap:
        entries: list[tuple[str, str]] = []
        seen_channel: dict[str, str] = {}
        seen_target: dict[str, str] = {}
        for channel, target in pairs:
            channel, target = str(channel).strip(), str(target).strip()
            if not channel:
                raise ChannelMapError("a channel name in the map is empty")
            if target not in TARGETS:
                raise ChannelMapError(f"unknown muscle {target!r} for {channel}; use one of {', '.join(TARGETS)}")
            if channel in seen_channel:
                raise ChannelMapError(f"channel {channel} is mapped twice ({seen_channel[channel]} and {target})")
            if target != UNUSED and target in seen_target:
                raise ChannelMapError(f"{target} is given to two channels ({seen_target[target]} and {channel})")
            seen_channel[channel] = target
            if target != UNUSED:
                seen_target[target] = channel
            entries.append((channel, target))
        return cls(tuple(entries))

    @classmethod
    def from_dict(cls, mapping: Mapping[str, str] | None) -> ChannelMap:
        return cls.from_pairs((mapping or {}).items())

    def as_dict(self) -> dict[str, str]:
        return dict(self.entries)

    def spec(self) -> str:
        return ",".join(f"{c}={t}" for c, t in self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def muscles(self) -> list[str]:
        """The mapped muscles in map order (``unused`` left out): the calibration order."""
        return [t for _, t in self.entries if t != UNUSED]

    def channel_of(self, target: str) -> str | None:
        return next((c for c, t in self.entries if t == target), None)

    def check_channels(self, device_channels: Sequence[str], where: str = "the device") -> None:
        missing = [c for c, _ in self.entries if c not in device_channels]
        if missing:
            raise ChannelMapError(f"the map names {', '.join(missing)}, which {where} does not have; its channels "
                                  f"are {', '.join(device_channels)}")

    def labels(self, device_channels: Sequence[str]) -> list[str]:
        """The name each device channel is stored and shown under: its muscle, or its own name when unmapped
        or unused."""
        self.check_channels(device_channels)
        mapping = self.as_dict()
        out = [mapping.get(c, c) if mapping.get(c, UNUSED) != UNUSED else c for c in device_channels]
        clash = sorted({n for n in out if out.count(n) > 1})
        if clash:
            raise ChannelMapError(f"the map gives a muscle name that another channel already has: {', '.join(clash)}")
        return out
