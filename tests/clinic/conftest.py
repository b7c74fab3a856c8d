"""Fixtures for clinic tests: a device stream whose blocks a test pushes by hand (the Recorder's input)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devices.types import DeviceInfo, SampleBlock


class PushStream:
    """Anything with ``info``, ``subscribe`` and ``unsubscribe`` is a stream to the Recorder."""

    def __init__(self, info: DeviceInfo) -> None:
        self.info = info
        self.sinks: list[Callable[[SampleBlock], None]] = []

    def subscribe(self, sink: Callable[[SampleBlock], None]) -> None:
        self.sinks.append(sink)

    def unsubscribe(self, sink: Callable[[SampleBlock], None]) -> None:
        self.sinks.remove(sink)

    def push(self, block: SampleBlock) -> None:
        for sink in list(self.sinks):
            sink(block)


@pytest.fixture
def push_stream() -> type[PushStream]:
    return PushStream
