"""GluteLab serial protocol v1 (docs/protocol.md): binary frames with sync, type, sequence, length and CRC.

Frame, little-endian::

    A5 5A | type u8 | seq u16 | len u16 | payload[len] | crc u16

The CRC is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over type..payload, computed by
``binascii.crc_hqx`` (C code) once per frame. Data frames carry many samples each, so the per-frame
Python cost is amortised and the sample bytes are gathered for all frames at once with numpy.
"""

from __future__ import annotations

import binascii
import json
import struct
import time
from dataclasses import asdict, fields

import numpy as np

from devices.types import DecodeResult, DeviceInfo, LinkStats, SampleBlock

SYNC = b"\xa5\x5a"
HEADER = struct.Struct("<2sBHH")  # sync, type, seq, len
HEADER_SIZE = HEADER.size  # 7
CRC_SIZE = 2
MAX_PAYLOAD = 4096

# host -> device
MSG_INFO_REQUEST = 0x01
MSG_START = 0x02
MSG_STOP = 0x03
# device -> host
MSG_INFO = 0x81
MSG_DATA = 0x82
MSG_ERROR = 0x83

DATA_HEADER = struct.Struct("<IBBH")  # first sample index, channels, sample format, samples
FORMAT_INT16 = 1
FORMAT_INT32 = 2
_FORMAT_DTYPES = {FORMAT_INT16: np.dtype("<i2"), FORMAT_INT32: np.dtype("<i4")}


def crc16(data: bytes | memoryview) -> int:
    return binascii.crc_hqx(data, 0xFFFF)


def encode_frame(msg_type: int, seq: int, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(SYNC, msg_type, seq & 0xFFFF, len(payload)) + payload
    return body + struct.pack("<H", crc16(body[2:]))


def encode_data(seq: int, first_index: int, counts: np.ndarray) -> bytes:
    """One data frame carrying ``counts`` (samples x channels)."""
    fmt = FORMAT_INT16 if counts.dtype.itemsize <= 2 else FORMAT_INT32
    n, ch = counts.shape
    head = DATA_HEADER.pack(first_index & 0xFFFFFFFF, ch, fmt, n)
    return encode_frame(MSG_DATA, seq, head + np.ascontiguousarray(counts, _FORMAT_DTYPES[fmt]).tobytes())


def info_to_payload(info: DeviceInfo) -> bytes:
    return json.dumps(asdict(info), separators=(",", ":")).encode()


def info_from_payload(payload: bytes) -> DeviceInfo:
    """Parse an INFO reply; fields this host does not know (from newer firmware) are ignored."""
    d = json.loads(payload.decode("utf-8"))
    if not isinstance(d, dict):
        raise ValueError("the info reply is not a JSON object")
    known = {f.name for f in fields(DeviceInfo)}
    d = {k: v for k, v in d.items() if k in known}
    for key in ("channel_names", "scale", "offset"):
        d[key] = tuple(d.get(key, ()))
    d["protocol"] = "glutelab"
    return DeviceInfo(**d)


class GluteLabDecoder:
    """Incremental decoder: feed any chunk of bytes, get sample blocks and control messages back.

    Never raises on bad input: garbage is skipped (counted in ``stats.bytes_discarded``), frames
    with a bad CRC are counted and skipped, and decoding resumes at the next valid sync word.
    """

    protocol = "glutelab"

    def __init__(self, stats: LinkStats | None = None, stream_id: str = "") -> None:
        self.stats = stats or LinkStats()
        self.stream_id = stream_id
        self._buf = bytearray()
        self._last_seq: int | None = None
        self._next_index: int | None = None

    def feed(self, data: bytes, host_time: float | None = None) -> DecodeResult:
        self.stats.bytes_received += len(data)
        self._buf += data
        return self._decode(time.monotonic() if host_time is None else host_time, final=False)

    def flush(self, host_time: float | None = None) -> DecodeResult:
        """End of the stream: a sync word whose frame can no longer complete is garbage, so skip it and
        decode whatever valid frames follow it."""
        return self._decode(time.monotonic() if host_time is None else host_time, final=True)

    def _decode(self, now: float, final: bool) -> DecodeResult:
        buf = self._buf
        mv = memoryview(buf)
        result = DecodeResult()
        data_frames: list[tuple[int, int]] = []  # (payload start, payload len)
        pos = 0
        end = len(buf)
        try:
            while True:
                start = buf.find(SYNC, pos)
                if start < 0:
                    # keep a trailing 0xA5: it may be the first half of the next sync word
                    keep_from = end - 1 if end and buf[-1] == 0xA5 and not final else end
                    self.stats.bytes_discarded += keep_from - pos
                    pos = keep_from
                    break
                if start > pos:
                    self.stats.bytes_discarded += start - pos
                    pos = start
                if end - start < HEADER_SIZE:
                    if final:
                        self.stats.bytes_discarded += end - start
                        pos = end
                    break
                _, msg_type, seq, length = HEADER.unpack_from(buf, start)
                if length > MAX_PAYLOAD:
                    self.stats.bytes_discarded += 1
                    pos = start + 1
                    continue
                frame_end = start + HEADER_SIZE + length + CRC_SIZE
                if frame_end > end:
                    if final:  # it will never complete
                        self.stats.bytes_discarded += 1
                        pos = start + 1
                        continue
                    break
                crc = buf[frame_end - 2] | (buf[frame_end - 1] << 8)
                if crc16(mv[start + 2 : frame_end - 2]) != crc:
                    if self.stats.crc_failures is not None:
                        self.stats.crc_failures += 1
                    self.stats.bytes_discarded += 1
                    pos = start + 1
                    continue
                self._count_sequence(seq)
                self.stats.frames_ok += 1
                if msg_type == MSG_DATA:
                    data_frames.append((start + HEADER_SIZE, length))
                else:
                    result.messages.append((msg_type, bytes(mv[start + HEADER_SIZE : frame_end - 2])))
                pos = frame_end
            if data_frames:
                result.blocks = self._decode_data(buf, data_frames, now)
        finally:
            mv.release()
        del self._buf[:pos]
        return result

    def _count_sequence(self, seq: int) -> None:
        if self._last_seq is not None:
            gap = (seq - self._last_seq - 1) & 0xFFFF
            if gap and gap < 0x8000:
                self.stats.packets_lost += gap
        self._last_seq = seq

    def _decode_data(self, buf: bytearray, frames: list[tuple[int, int]], now: float) -> list[SampleBlock]:
        """Gather all data payloads at once; frames of one shape become one block per contiguous run."""
        arr = np.frombuffer(buf, dtype=np.uint8)
        starts = np.fromiter((s for s, _ in frames), dtype=np.int64, count=len(frames))
        heads = arr[starts[:, None] + np.arange(DATA_HEADER.size)]
        first_idx = heads[:, 0:4].copy().view("<u4").ravel().astype(np.int64)
        n_ch = heads[:, 4].astype(np.int64)
        fmt = heads[:, 5].astype(np.int64)
        n_s = heads[:, 6:8].copy().view("<u2").ravel().astype(np.int64)
        lengths = np.fromiter((n for _, n in frames), dtype=np.int64, count=len(frames))
        itemsize = np.where(fmt == FORMAT_INT16, 2, 4)
        valid = (np.isin(fmt, (FORMAT_INT16, FORMAT_INT32)) & (n_ch > 0)
                 & (lengths == DATA_HEADER.size + n_ch * n_s * itemsize))
        blocks: list[SampleBlock] = []
        i = 0
        n_frames = len(frames)
        while i < n_frames:
            if not valid[i]:
                self.stats.bytes_discarded += int(lengths[i])
                i += 1
                continue
            j = i + 1
            while (j < n_frames and valid[j] and n_ch[j] == n_ch[i] and fmt[j] == fmt[i]
                   and n_s[j] == n_s[i] and first_idx[j] == first_idx[j - 1] + n_s[j - 1]):
                j += 1
            dtype = _FORMAT_DTYPES[int(fmt[i])]
            nbytes = int(n_ch[i] * n_s[i] * itemsize[i])
            payload_idx = (starts[i:j] + DATA_HEADER.size)[:, None] + np.arange(nbytes)
            counts = arr[payload_idx].view(dtype).reshape(-1, int(n_ch[i])).astype(np.int32)
            blocks.append(SampleBlock(counts=counts, first_index=int(first_idx[i]), host_time=now,
                                      stream_id=self.stream_id))
            self.stats.samples += counts.shape[0]
            i = j
        return blocks


class GluteLabDriver:
    """Host side of the protocol: handshake, start and stop over an open pyserial port."""

    protocol = "glutelab"
    default_baudrate = 921600  # USB CDC ignores it; UART bridges need it

    def __init__(self) -> None:
        self._seq = 0

    def _send(self, port, msg_type: int) -> None:  # noqa: ANN001 - any pyserial port
        port.write(encode_frame(msg_type, self._seq))
        port.flush()
        self._seq = (self._seq + 1) & 0xFFFF

    def handshake(self, port, timeout_s: float = 2.0) -> DeviceInfo:  # noqa: ANN001
        """Ask for the device info; raise ``HandshakeError`` naming the port and what came back."""
        from devices.errors import HandshakeError

        self._send(port, MSG_STOP)
        port.reset_input_buffer()
        self._send(port, MSG_INFO_REQUEST)
        decoder = GluteLabDecoder()
        seen = bytearray()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            chunk = port.read(port.in_waiting or 1)
            seen += chunk[: max(0, 64 - len(seen))]
            for msg_type, payload in decoder.feed(chunk).messages:
                if msg_type == MSG_INFO:
                    try:
                        return info_from_payload(payload)
                    except (ValueError, TypeError, KeyError) as exc:
                        raise HandshakeError(port.port, "a GluteLab device-info reply",
                                             f"an info reply that does not parse ({exc})") from exc
        raise HandshakeError(port.port, "a GluteLab device-info frame (A5 5A 81 ...)",
                             f"{bytes(seen[:32]).hex(' ') or 'nothing'}" + (" ..." if len(seen) > 32 else ""))

    def start(self, port) -> None:  # noqa: ANN001
        self._send(port, MSG_START)

    def stop(self, port) -> None:  # noqa: ANN001
        self._send(port, MSG_STOP)

    def decoder(self, stream_id: str = "") -> GluteLabDecoder:
        return GluteLabDecoder(stream_id=stream_id)
