"""OpenBCI Cyton (ADS1299, 8 channels, 250 Hz over the USB dongle): 33-byte packets, text commands.

Packet: ``A0 | counter u8 | 8 x int24 big-endian | 6 aux bytes | footer C0..C6``. There is no CRC, so a
packet is trusted when its header and footer match; after garbage, a candidate is only taken when the packet
right after it confirms it (header, footer and a counter that continues the sequence, allowing a few lost). Decoding
works on whole buffers with numpy: one mask of candidate starts per ``feed``, and runs of back-to-back packets
are accepted in one step, so the Python cost is per resynchronisation, not per packet.
"""

from __future__ import annotations

import re
import time

import numpy as np

from devices.types import DecodeResult, DeviceInfo, LinkStats, SampleBlock

PACKET_SIZE = 33
HEADER = 0xA0
FOOTER_MIN, FOOTER_MAX = 0xC0, 0xC6
FOOTER_STANDARD = 0xC0
N_CHANNELS = 8
SAMPLE_RATE_HZ = 250.0
BAUDRATE = 115200
VREF_V = 4.5
GAINS = (1, 2, 4, 6, 8, 12, 24)  # gain code 0..6
DEFAULT_GAIN = 24
MAX_GAP = 8  # a counter at most this far ahead "continues the sequence" (up to 7 packets lost in between)
ACCEL_G_PER_COUNT = 0.002 / 16

_CH_OFFSETS = 2 + np.arange(N_CHANNELS * 3)
CH_OFF_CMDS = b"12345678"
CH_ON_CMDS = b"!@#$%^&*"


def _continues(counter: int, later: int) -> bool:
    """Does ``later`` follow ``counter`` (allowing up to MAX_GAP - 1 lost packets in between)?"""
    return 0 < ((later - counter) & 0xFF) <= MAX_GAP


def uv_per_count(gain: int = DEFAULT_GAIN) -> float:
    """Microvolts per count of the ADS1299 at ``gain`` (4.5 V reference, 24-bit)."""
    if gain not in GAINS:
        raise ValueError(f"Cyton gain must be one of {GAINS}, not {gain}")
    return VREF_V / gain / (2**23 - 1) * 1e6


def encode_packets(first_counter: int, counts: np.ndarray, aux: np.ndarray | None = None,
                   footer: int = FOOTER_STANDARD) -> bytes:
    """Packets carrying ``counts`` (samples x 8 int24 values), counters from ``first_counter`` (mod 256)."""
    counts = np.asarray(counts, dtype=np.int64)
    n = counts.shape[0]
    if counts.ndim != 2 or counts.shape[1] != N_CHANNELS:
        raise ValueError(f"Cyton packets carry {N_CHANNELS} channels, got shape {counts.shape}")
    out = np.zeros((n, PACKET_SIZE), dtype=np.uint8)
    out[:, 0] = HEADER
    out[:, 1] = (first_counter + np.arange(n)) & 0xFF
    u = counts & 0xFFFFFF
    out[:, 2:26:3] = (u >> 16) & 0xFF
    out[:, 3:26:3] = (u >> 8) & 0xFF
    out[:, 4:26:3] = u & 0xFF
    if aux is not None:
        out[:, 26:32] = np.asarray(aux, dtype=np.uint8).reshape(n, 6)
    out[:, 32] = footer
    return out.tobytes()


def accel_aux(xyz: np.ndarray) -> np.ndarray:
    """Accelerometer counts (samples x 3 int16) as the 6 aux bytes of footer-C0 packets (big-endian)."""
    return np.ascontiguousarray(np.asarray(xyz, dtype=">i2")).view(np.uint8).reshape(-1, 6)


def decode_int24(raw: np.ndarray) -> np.ndarray:
    """(... x 3) big-endian bytes -> int32 two's complement."""
    r = raw.astype(np.int32)
    v = (r[..., 0] << 16) | (r[..., 1] << 8) | r[..., 2]
    return (v ^ 0x800000) - 0x800000


def channel_settings_command(channel: int, power_down: bool = False, gain: int = DEFAULT_GAIN,
                             input_type: int = 0, bias: bool = True, srb2: bool = True,
                             srb1: bool = False) -> bytes:
    """``x CH POWER GAIN INPUT BIAS SRB2 SRB1 X`` as the Cyton firmware expects it (channel 1..8)."""
    if not 1 <= channel <= N_CHANNELS:
        raise ValueError(f"Cyton channel must be 1..{N_CHANNELS}, not {channel}")
    if not 0 <= input_type <= 7:
        raise ValueError(f"input type must be 0..7, not {input_type}")
    code = GAINS.index(gain) if gain in GAINS else None
    if code is None:
        raise ValueError(f"Cyton gain must be one of {GAINS}, not {gain}")
    return f"x{channel}{int(power_down)}{code}{input_type}{int(bias)}{int(srb2)}{int(srb1)}X".encode()


class CytonDecoder:
    """Incremental decoder of Cyton packets. Never raises on bad input; ``stats.crc_failures`` is None (n/a).

    Counter gaps are lost packets and advance the sample index. After a silence longer than half a counter
    wrap (a pulled dongle), the 8-bit counter cannot tell 10 lost packets from 266: the host clock decides
    how many whole wraps to add, so the index stays on time.
    """

    protocol = "cyton"
    holds_packets = True  # a doubtful newest packet waits for the next one: flush() at the end of a stream

    def __init__(self, stats: LinkStats | None = None, stream_id: str = "",
                 rate_hz: float = SAMPLE_RATE_HZ) -> None:
        self.stats = stats or LinkStats(crc_failures=None)
        self.rate_hz = rate_hz
        self._last_rx: float | None = None
        self._silence: tuple[float, int] | None = None
        self._arrivals: list[tuple[int, float]] = []  # (end offset in the buffer, host time) of each chunk
        self.stats.crc_failures = None
        self.stream_id = stream_id
        self._buf = bytearray()
        self._last_counter: int | None = None
        self._next_index = 0
        self._in_sync = False  # True when the next byte in the buffer should start a packet

    @property
    def last_counter(self) -> int | None:
        return self._last_counter

    def feed(self, data: bytes, host_time: float | None = None) -> DecodeResult:
        """Decode what ``data`` completes. A newest packet that could be a truncated packet glued to the start
        of the next one (a header and a continuing counter inside it) is held until the bytes after it tell."""
        now = time.monotonic() if host_time is None else host_time
        self.stats.bytes_received += len(data)
        if data:
            if self._last_rx is not None and (now - self._last_rx) * self.rate_hz > 128:
                self._silence = (self._last_rx, len(self._buf))  # when bytes stopped, where new ones start
            self._last_rx = now
        self._buf += data
        if data:
            self._arrivals.append((len(self._buf), now))
        return self._decode(now, final=False)

    def flush(self, host_time: float | None = None) -> DecodeResult:
        """Release a held packet (end of a stream or of a file): nothing more will confirm it."""
        return self._decode(time.monotonic() if host_time is None else host_time, final=True)

    def _decode(self, now: float, final: bool) -> DecodeResult:
        arr = np.frombuffer(self._buf, dtype=np.uint8)
        n = len(arr)
        result = DecodeResult()
        if n < PACKET_SIZE:
            return result
        footers = arr[PACKET_SIZE - 1:]
        ok = (arr[:n - PACKET_SIZE + 1] == HEADER) & (footers >= FOOTER_MIN) & (footers <= FOOTER_MAX)
        cands = np.flatnonzero(ok)
        runs: list[np.ndarray] = []
        pos = 0
        last = self._last_counter

        def accept(starts: np.ndarray) -> None:
            nonlocal last
            if len(starts):
                runs.append(starts)
                last = int(arr[starts[-1] + 1])

        while pos + PACKET_SIZE <= n:
            if not self._in_sync:
                start, waiting = self._hunt(arr, ok, cands, pos, n, last, final)
                if start is None:
                    # keep what may still become a packet: a candidate waiting for its confirming packet,
                    # or the last 32 bytes (not yet checked); discard the rest
                    keep_from = waiting if waiting is not None else max(pos, n - PACKET_SIZE + 1)
                    self.stats.bytes_discarded += keep_from - pos
                    pos = keep_from
                    break
                self.stats.bytes_discarded += start - pos
                pos, self._in_sync = start, True
            run = self._run_from(ok, pos, n)
            next_pos = pos + PACKET_SIZE * len(run)
            if next_pos + PACKET_SIZE > n:  # the run reaches the end of the buffer
                if final:
                    verdict, q = self._check_last(arr, ok, cands, int(run[-1]), n, final) if len(run) \
                        else ("ok", 0)
                    if verdict == "reject":
                        accept(run[:-1])
                        self.stats.bytes_discarded += q - int(run[-1])
                        pos = q
                        continue
                    accept(run)
                    pos = next_pos
                elif self._maybe_glued(arr, int(run[-1])):
                    accept(run[:-1])  # hold it until the bytes after it tell
                    pos = int(run[-1])
                else:
                    accept(run)
                    pos = next_pos
                break
            if not len(run):
                self._in_sync = False
                continue
            verdict, q = self._check_last(arr, ok, cands, int(run[-1]), n, final)
            if verdict == "wait":
                accept(run[:-1])
                pos = int(run[-1])
                break
            if verdict == "reject":  # a truncated packet glued to the start of the next one
                accept(run[:-1])
                self.stats.bytes_discarded += q - int(run[-1])
                pos = q
                continue
            accept(run)
            pos, self._in_sync = next_pos, False
        arr = footers = None  # release the export of self._buf before resizing it
        if runs:
            result.blocks = self._decode_runs(runs, now)
        del self._buf[:pos]
        self._arrivals = [(end - pos, t) for end, t in self._arrivals if end > pos]
        if self._silence is not None:
            self._silence = (self._silence[0], max(0, self._silence[1] - pos))
        return result

    @staticmethod
    def _run_from(ok: np.ndarray, pos: int, n: int) -> np.ndarray:
        """Starts of the back-to-back valid packets from ``pos`` on (possibly none)."""
        starts = np.arange(pos, n - PACKET_SIZE + 1, PACKET_SIZE)
        bad = np.flatnonzero(~ok[starts])
        return starts[: bad[0]] if len(bad) else starts

    @staticmethod
    def _maybe_glued(arr: np.ndarray, p: int) -> bool:
        """Could the packet at ``p`` be a truncated packet glued to the start of the next one? Only if a
        header followed by a continuing counter sits inside it (in real data: ~0.4 % of packets)."""
        inner = np.flatnonzero(arr[p + 1:p + PACKET_SIZE - 1] == HEADER) + p + 1
        counter = int(arr[p + 1])
        return any(_continues(counter, int(arr[j + 1])) for j in inner)

    @staticmethod
    def _confirmed(arr: np.ndarray, ok: np.ndarray, c: int, n: int) -> bool | None:
        """Is the packet at ``c`` followed by one with the next counter? None: not enough bytes yet."""
        nxt = c + PACKET_SIZE
        if nxt + PACKET_SIZE > n:
            return None
        return bool(ok[nxt]) and _continues(int(arr[c + 1]), int(arr[nxt + 1]))

    def _check_last(self, arr: np.ndarray, ok: np.ndarray, cands: np.ndarray, p: int, n: int,
                    final: bool) -> tuple[str, int]:
        """The last packet of a run is followed by garbage: is it a truncated packet glued to the next one?

        It is when a packet with the next counter starts inside it (confirmed by the packet after it, or
        not when that one is damaged as well).
        """
        i = int(np.searchsorted(cands, p + 1))
        while i < len(cands) and cands[i] < p + PACKET_SIZE:
            q = int(cands[i])
            if _continues(int(arr[p + 1]), int(arr[q + 1])):
                confirmed = self._confirmed(arr, ok, q, n)
                if confirmed is None:  # at the end of a stream, its continuing counter will do
                    return ("reject" if final else "wait"), q
                # confirmed by the packet after it, or not (that one is damaged too): a header, a continuing
                # counter and a footer 33 bytes on inside a packet's data is far less likely (~1e-6) than a
                # truncated packet whose 33rd byte happens to look like a footer (~3 %)
                return "reject", q
            i += 1
        return "ok", p

    def _hunt(self, arr: np.ndarray, ok: np.ndarray, cands: np.ndarray, pos: int, n: int, last: int | None,
              final: bool) -> tuple[int | None, int | None]:
        """(first candidate from ``pos`` on confirmed by the next packet, or by the last accepted one when
        the next is damaged too, else the first candidate still waiting for its confirming packet)."""
        i = int(np.searchsorted(cands, pos))
        while i < len(cands):
            c = int(cands[i])
            confirmed = self._confirmed(arr, ok, c, n)
            if confirmed:
                return c, None
            if (confirmed is False and last is not None and _continues(last, int(arr[c + 1]))
                    and not any(_continues(last, int(arr[q + 1])) for q in cands[i + 1:i + PACKET_SIZE]
                                if q < c + PACKET_SIZE)):
                # an intact packet between two damaged ones: the packet before the damage confirms it (unless
                # another packet that would continue it starts inside this one)
                return c, None
            if confirmed is None:
                if not final:
                    return None, c
                # at the end of a stream: a continuing counter will do, unless a later candidate starts inside
                # this one (then this one is more likely garbage glued to that packet)
                overlapped = i + 1 < len(cands) and cands[i + 1] < c + PACKET_SIZE
                if (last is None or _continues(last, int(arr[c + 1]))) and not overlapped:
                    return c, None
            i += 1
        return None, None

    def _arrival(self, end: int, default: float) -> float:
        """Host time at which the byte before buffer offset ``end`` arrived: a block released late (it
        waited for its confirming packet) keeps the time its own last row arrived."""
        for chunk_end, t in self._arrivals:
            if chunk_end >= end:
                return t
        return default

    def _decode_runs(self, runs: list[np.ndarray], now: float) -> list[SampleBlock]:
        arr = np.frombuffer(self._buf, dtype=np.uint8)
        starts = np.concatenate(runs)
        counters = arr[starts + 1].astype(np.int64)
        prev = np.empty_like(counters)
        prev[0] = counters[0] - 1 if self._last_counter is None else self._last_counter
        prev[1:] = counters[:-1]
        gaps = (counters - prev - 1) & 0xFF
        if self._silence is not None and self._last_counter is None:
            self._silence = None  # nothing before the silence to count from
        if self._silence is not None:
            quiet_since, boundary = self._silence
            first_new = int(np.searchsorted(starts, boundary))  # first packet sent after the silence
            if first_new < len(starts):
                due = (now - quiet_since) * self.rate_hz - (len(starts) - first_new)  # packets due in between
                gaps[first_new] += max(0, round((due - int(gaps[first_new])) / 256)) * 256
                self._silence = None
        lost = int(gaps.sum())
        self.stats.packets_lost += lost
        self.stats.frames_ok += len(starts)
        self.stats.samples += len(starts)
        indices = self._next_index + np.arange(len(starts)) + np.cumsum(gaps)
        self._next_index = int(indices[-1]) + 1
        self._last_counter = int(counters[-1])
        counts = decode_int24(arr[starts[:, None] + _CH_OFFSETS].reshape(-1, N_CHANNELS, 3))
        splits = np.flatnonzero(gaps[1:]) + 1
        blocks = []
        for lo, hi in zip(np.r_[0, splits], np.r_[splits, len(starts)]):
            blocks.append(SampleBlock(counts=counts[lo:hi], first_index=int(indices[lo]),
                                      host_time=self._arrival(int(starts[hi - 1]) + PACKET_SIZE, now),
                                      stream_id=self.stream_id))
        return blocks


class CytonDriver:
    """Host side: ``v`` soft reset and banner check, ``b`` start, ``s`` stop, channel settings."""

    protocol = "cyton"
    default_baudrate = BAUDRATE

    def __init__(self, gain: int | list[int] = DEFAULT_GAIN) -> None:
        gains = list(gain) if isinstance(gain, list | tuple) else [gain] * N_CHANNELS
        for g in gains:
            uv_per_count(g)  # validates
        if len(gains) != N_CHANNELS:
            raise ValueError(f"give one gain or {N_CHANNELS}")
        self.gains = gains

    @staticmethod
    def _read_until_prompt(port, timeout_s: float) -> bytes:  # noqa: ANN001 - any pyserial port
        seen = bytearray()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            seen += port.read(port.in_waiting or 1)
            if seen.endswith(b"$$$"):
                break
        return bytes(seen)

    def handshake(self, port, timeout_s: float = 3.0) -> DeviceInfo:  # noqa: ANN001
        """Stop any stream, soft-reset with ``v`` and check the banner; raise ``HandshakeError`` if it is not one."""
        from devices.errors import HandshakeError

        port.write(b"s")
        port.flush()
        time.sleep(0.05)
        port.reset_input_buffer()
        port.write(b"v")
        port.flush()
        banner = self._read_until_prompt(port, timeout_s)
        if not banner.endswith(b"$$$") or b"OpenBCI" not in banner:
            shown = banner[:48]
            text = repr(shown.decode("latin-1")) if shown else "nothing"
            raise HandshakeError(port.port, "an OpenBCI banner ending in '$$$' at 115200 baud after 'v'",
                                 text + (" ..." if len(banner) > 48 else "")
                                 + "; is this a Cyton dongle, switched to PC, with the board on?")
        for channel, gain in enumerate(self.gains, start=1):
            if gain != DEFAULT_GAIN:  # 'v' restored the defaults (gain 24)
                self.set_channel(port, channel, gain=gain)
        return self.info_from_banner(banner.decode("latin-1"), port.port)

    def info_from_banner(self, banner: str, port_name: str = "") -> DeviceInfo:
        m = re.search(r"Firmware:\s*(\S+)", banner)
        dev = re.search(r"ADS1299 Device ID:\s*(\S+)", banner)
        return DeviceInfo(kind="emg", model="OpenBCI Cyton", serial=dev.group(1) if dev else port_name,
                          firmware=m.group(1) if m else "unknown", protocol="cyton",
                          sample_rate_hz=SAMPLE_RATE_HZ,
                          channel_names=tuple(f"ch{i + 1}" for i in range(N_CHANNELS)), units="uV",
                          scale=tuple(uv_per_count(g) for g in self.gains),
                          simulated="simulated" in banner.lower())

    def set_channel(self, port, channel: int, timeout_s: float = 2.0, **settings: object) -> str:  # noqa: ANN001
        """Send one channel-settings command and check the answer. ``handshake`` calls it for the gains given
        to the constructor, so that ``DeviceInfo.scale`` matches the board."""
        from devices.errors import HandshakeError

        port.write(channel_settings_command(channel, **settings))  # type: ignore[arg-type]
        port.flush()
        answer = self._read_until_prompt(port, timeout_s).decode("latin-1")
        if "Success" not in answer:
            raise HandshakeError(port.port, f"'Success: Channel set for {channel}$$$'",
                                 repr(answer[:48]) if answer else "nothing")
        if "gain" in settings:
            self.gains[channel - 1] = int(settings["gain"])  # type: ignore[call-overload]
        return answer

    def start(self, port) -> None:  # noqa: ANN001
        port.write(b"b")
        port.flush()

    def stop(self, port) -> None:  # noqa: ANN001
        port.write(b"s")
        port.flush()

    def decoder(self, stream_id: str = "") -> CytonDecoder:
        return CytonDecoder(stream_id=stream_id)
