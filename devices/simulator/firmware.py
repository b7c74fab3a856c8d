"""Emulated device firmware: answers host commands and produces stream bytes, exactly as a real rig would.

A firmware object knows nothing about ptys or time; ``PtyServer`` feeds it host bytes and asks it for the
stream bytes of the next N samples. The same encoder the decoder tests use builds every frame.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from devices.protocols import glutelab as gl
from devices.types import DeviceInfo


class Firmware(Protocol):
    info: DeviceInfo
    streaming: bool

    def on_host_bytes(self, data: bytes) -> bytes:
        """Bytes to answer with (may be empty)."""
        ...

    def stream_frames(self, n_samples: int) -> list[bytes]:
        """The frames (packets) carrying the next ``n_samples`` samples, one bytes object each."""
        ...


class LoopingSource:
    """Serves consecutive rows of a counts array forever, wrapping around at the end."""

    def __init__(self, counts: np.ndarray) -> None:
        self.counts = counts
        self.pos = 0

    def take(self, n: int) -> np.ndarray:
        total = len(self.counts)
        idx = (self.pos + np.arange(n)) % total
        self.pos = (self.pos + n) % total
        return self.counts[idx]


class GluteLabFirmware:
    """The reference firmware of docs/protocol.md, in Python."""

    def __init__(self, info: DeviceInfo, source: LoopingSource, samples_per_frame: int = 20) -> None:
        self.info = info
        self.source = source
        self.samples_per_frame = samples_per_frame
        self.streaming = False
        self.seq = 0
        self.sample_index = 0
        self._due = 0  # samples due but short of a whole frame
        self._decoder = gl.GluteLabDecoder()

    def _frame(self, msg_type: int, payload: bytes = b"") -> bytes:
        frame = gl.encode_frame(msg_type, self.seq, payload)
        self.seq = (self.seq + 1) & 0xFFFF
        return frame

    def on_host_bytes(self, data: bytes) -> bytes:
        out = bytearray()
        for msg_type, _payload in self._decoder.feed(data).messages:
            if msg_type == gl.MSG_INFO_REQUEST:
                out += self._frame(gl.MSG_INFO, gl.info_to_payload(self.info))
            elif msg_type == gl.MSG_START:
                self.streaming = True
            elif msg_type == gl.MSG_STOP:
                self.streaming = False
            else:
                out += self._frame(gl.MSG_ERROR, f"unknown command 0x{msg_type:02x}".encode())
        return bytes(out)

    def stream_frames(self, n_samples: int) -> list[bytes]:
        """Whole frames only, as the reference firmware sends them: samples short of a frame wait."""
        frames = []
        self._due += n_samples
        spf = self.samples_per_frame
        n_frames = self._due // spf
        if not n_frames:
            return frames
        self._due -= n_frames * spf
        counts = self.source.take(n_frames * spf)
        for i in range(n_frames):
            frames.append(gl.encode_data(self.seq, self.sample_index, counts[i * spf:(i + 1) * spf]))
            self.seq = (self.seq + 1) & 0xFFFF
            self.sample_index += spf
        return frames
