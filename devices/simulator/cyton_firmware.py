"""An emulated OpenBCI Cyton behind its dongle: the text commands and the 33-byte packets of the real board.

It answers like firmware v3: ``v`` prints the banner ending in ``$$$``, ``b``/``s`` start and stop the stream
silently, ``x...X`` channel settings answer ``Success: Channel set for N$$$``, ``d`` and ``D`` answer with
``$$$``, ``1``-``8`` / ``!``-``*`` switch channels off and on. Unknown bytes are ignored, as the board does.
"""

from __future__ import annotations

import numpy as np

from devices.protocols import cyton as cy
from devices.simulator.firmware import LoopingSource
from devices.types import DeviceInfo

BANNER = (b"OpenBCI V3 8-16 channel\n"
          b"On Board ADS1299 Device ID: 0x3E\n"
          b"LIS3DH Device ID: 0x33\n"
          b"Firmware: v3.1.2 (simulated)\n"
          b"$$$")
DEFAULT_SETTINGS = b"060110"  # power on, gain 24, normal input, bias on, SRB2 on, SRB1 off
ACCEL_EVERY = 10  # the board reports the accelerometer at 25 Hz: one packet in ten


def cyton_info() -> DeviceInfo:
    return DeviceInfo(kind="emg", model="OpenBCI Cyton", serial="0x3E", firmware="v3.1.2", protocol="cyton",
                      sample_rate_hz=cy.SAMPLE_RATE_HZ,
                      channel_names=tuple(f"ch{i + 1}" for i in range(cy.N_CHANNELS)), units="uV",
                      scale=(cy.uv_per_count(),) * cy.N_CHANNELS, simulated=True)


def counts_from_uv(uv: np.ndarray, gain: int = cy.DEFAULT_GAIN) -> np.ndarray:
    """Microvolts (samples x up to 8 channels) to 8 channels of int24 counts; missing channels read 0 uV."""
    out = np.zeros((uv.shape[0], cy.N_CHANNELS), dtype=np.int32)
    k = min(uv.shape[1], cy.N_CHANNELS)
    out[:, :k] = np.clip(np.round(uv[:, :k] / cy.uv_per_count(gain)), -(2**23), 2**23 - 1)
    return out


class CytonFirmware:
    def __init__(self, source: LoopingSource, info: DeviceInfo | None = None) -> None:
        self.info = info or cyton_info()
        self.source = source
        self.streaming = False
        self.counter = 0
        self.settings = [DEFAULT_SETTINGS] * cy.N_CHANNELS
        self.enabled = [True] * cy.N_CHANNELS
        self._pending = bytearray()  # an unfinished x...X command
        self._packets = 0

    def on_host_bytes(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            ch = bytes((byte,))
            if self._pending:
                self._pending += ch
                if ch == b"X" or len(self._pending) >= 9:
                    out += self._channel_settings(bytes(self._pending))
                    self._pending.clear()
                continue
            if ch == b"x":
                self._pending += ch
            elif ch == b"v":
                self.streaming = False
                self.settings = [DEFAULT_SETTINGS] * cy.N_CHANNELS
                out += BANNER
            elif ch == b"b":
                self.streaming = True
            elif ch == b"s":
                self.streaming = False
            elif ch == b"d":
                self.settings = [DEFAULT_SETTINGS] * cy.N_CHANNELS
                out += b"updating channel settings to default$$$"
            elif ch == b"D":
                out += DEFAULT_SETTINGS + b"$$$"
            elif ch == b"?":
                out += b"".join(f"CH{i + 1}SET {s.decode()}\n".encode() for i, s in enumerate(self.settings))
                out += b"$$$"
            elif ch in cy.CH_OFF_CMDS:
                self.enabled[int(ch) - 1] = False
            elif ch in cy.CH_ON_CMDS:
                self.enabled[cy.CH_ON_CMDS.index(ch)] = True
        return bytes(out)

    def _channel_settings(self, cmd: bytes) -> bytes:
        body = cmd[1:-1]
        if len(cmd) != 9 or not cmd.endswith(b"X") or not body.isdigit() or not b"1" <= body[:1] <= b"8" \
                or int(body[2:3]) >= len(cy.GAINS):
            return b"Failure: too few chars$$$"
        channel = int(body[:1])
        self.settings[channel - 1] = body[1:]
        return f"Success: Channel set for {channel}$$$".encode()

    def stream_frames(self, n_samples: int) -> list[bytes]:
        counts = self.source.take(n_samples).astype(np.int64)
        gains = np.array([cy.GAINS[int(s[1:2])] for s in self.settings], dtype=np.float64)
        counts = np.round(counts * gains / cy.DEFAULT_GAIN).astype(np.int64)  # the source is in gain-24 counts
        counts[:, ~np.array(self.enabled)] = 0
        aux = np.zeros((n_samples, 6), dtype=np.uint8)
        with_accel = (self._packets + np.arange(n_samples)) % ACCEL_EVERY == 0
        aux[with_accel] = cy.accel_aux(np.tile([[0, 0, 8192]], (int(with_accel.sum()), 1)))  # 1 g on Z
        data = cy.encode_packets(self.counter, counts, aux)
        self.counter = (self.counter + n_samples) & 0xFF
        self._packets += n_samples
        return [data[i:i + cy.PACKET_SIZE] for i in range(0, len(data), cy.PACKET_SIZE)]
