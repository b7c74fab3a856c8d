"""Property-based tests of every decoder: random, truncated and corrupted byte streams, split anywhere.

No exception may escape, and every valid frame around the damage is recovered with its samples intact.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.protocols import cyton as cy
from devices.protocols import glutelab as gl

DECODERS = {"glutelab": gl.GluteLabDecoder, "cyton": cy.CytonDecoder}
SPP = 4  # samples per GluteLab frame in these tests


def _feed_all(decoder, data: bytes, cuts: list[int]):  # noqa: ANN001, ANN202
    """Feed ``data`` split at ``cuts``, then flush; return all blocks."""
    blocks = []
    bounds = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    for lo, hi in zip(bounds, bounds[1:]):
        blocks += decoder.feed(data[lo:hi], 0.0).blocks
    blocks += decoder.flush(0.0).blocks
    return blocks


def _rows(blocks) -> np.ndarray:  # noqa: ANN001
    return np.concatenate([b.counts for b in blocks]) if blocks else np.zeros((0, 8), np.int32)


def _glutelab_frames(counts: np.ndarray) -> list[bytes]:
    return [gl.encode_data(i, i * SPP, counts[i * SPP:(i + 1) * SPP]) for i in range(len(counts) // SPP)]


def _cyton_frames(counts: np.ndarray, first_counter: int) -> list[bytes]:
    data = cy.encode_packets(first_counter, counts)
    return [data[i:i + cy.PACKET_SIZE] for i in range(0, len(data), cy.PACKET_SIZE)]


def _damage(frame: bytes, kind: str, garbage: bytes, where: int) -> bytes:
    if kind == "truncate":
        return frame[: where % len(frame)]
    if kind == "replace":
        return garbage
    if kind == "flip":
        i = where % len(frame)
        return frame[:i] + bytes([frame[i] ^ (1 << (where % 8))]) + frame[i + 1:]
    return garbage + frame  # "insert": garbage before an intact frame


@pytest.mark.parametrize("name", sorted(DECODERS))
@given(data=st.binary(max_size=3000), cuts=st.lists(st.integers(0, 3000), max_size=12))
def test_random_bytes_never_raise(name: str, data: bytes, cuts: list[int]) -> None:
    dec = DECODERS[name]()
    for block in _feed_all(dec, data, cuts):
        assert block.counts.ndim == 2 and block.n_samples > 0
    assert dec.stats.bytes_received == len(data)
    assert 0 <= dec.stats.bytes_discarded <= len(data)


damage_args = {
    "n_frames": st.integers(1, 12),
    "k": st.integers(0, 11),
    "kind": st.sampled_from(["truncate", "replace", "flip", "insert"]),
    "garbage": st.binary(min_size=1, max_size=120),
    "where": st.integers(0, 10_000),
    "cuts": st.lists(st.integers(0, 5000), max_size=8),
    "seed": st.integers(0, 2**32 - 1),
}


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(**damage_args)
def test_glutelab_recovers_every_valid_frame(n_frames: int, k: int, kind: str, garbage: bytes, where: int,
                                             cuts: list[int], seed: int) -> None:
    counts = np.random.default_rng(seed).integers(-32768, 32768, size=(n_frames * SPP, 3)).astype(np.int16)
    frames = _glutelab_frames(counts)
    k %= n_frames
    stream = b"".join(frames[:k]) + _damage(frames[k], kind, garbage, where) + b"".join(frames[k + 1:])
    dec = gl.GluteLabDecoder()
    got = {}
    for block in _feed_all(dec, stream, cuts):
        for j, row in enumerate(block.counts):
            got[block.first_index + j] = row
    expected = [i for i in range(n_frames) if kind == "insert" or i != k]
    for i in expected:
        for s in range(i * SPP, (i + 1) * SPP):
            np.testing.assert_array_equal(got[s], counts[s])
    if kind in ("truncate", "replace"):
        assert set(got) == {s for i in expected for s in range(i * SPP, (i + 1) * SPP)}


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(first_counter=st.integers(0, 255), **damage_args)
def test_cyton_recovers_every_valid_frame(n_frames: int, k: int, kind: str, garbage: bytes, where: int,
                                          cuts: list[int], seed: int, first_counter: int) -> None:
    counts = np.random.default_rng(seed).integers(-(2**23), 2**23, size=(n_frames, 8))
    frames = _cyton_frames(counts, first_counter)
    k %= n_frames
    stream = b"".join(frames[:k]) + _damage(frames[k], kind, garbage, where) + b"".join(frames[k + 1:])
    rows = _rows(_feed_all(cy.CytonDecoder(), stream, cuts))
    after = counts[k:] if kind == "insert" else counts[k + 1:]
    np.testing.assert_array_equal(rows[len(rows) - len(after):], after)  # every frame after the damage
    # frames before it, except a lone first packet: with no CRC, nothing tells it from garbage
    before = k if k >= 2 else 0
    np.testing.assert_array_equal(rows[:before], counts[:before])
    if kind in ("truncate", "replace", "insert"):
        assert before + len(after) <= len(rows) <= k + len(after)


@pytest.mark.parametrize("name", sorted(DECODERS))
@given(seed=st.integers(0, 2**32 - 1), chunk=st.integers(1, 70))
def test_every_chunk_boundary_gives_the_same_samples(name: str, seed: int, chunk: int) -> None:
    """A clean stream split every ``chunk`` bytes (so at every offset within a frame) decodes exactly."""
    rng = np.random.default_rng(seed)
    if name == "cyton":
        counts = rng.integers(-(2**23), 2**23, size=(9, 8))
        stream = b"".join(_cyton_frames(counts, int(rng.integers(0, 256))))
    else:
        counts = rng.integers(-32768, 32768, size=(9 * SPP, 3)).astype(np.int16)
        stream = b"".join(_glutelab_frames(counts))
    dec = DECODERS[name]()
    rows = _rows(_feed_all(dec, stream, list(range(chunk, len(stream), chunk))))
    np.testing.assert_array_equal(rows, counts)
    assert dec.stats.bytes_discarded == 0 and dec.stats.packets_lost == 0


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_every_single_cut_position(name: str) -> None:
    """Deterministic companion of the property above: two chunks, cut at every byte of a 3-frame stream."""
    rng = np.random.default_rng(7)
    if name == "cyton":
        counts = rng.integers(-(2**23), 2**23, size=(3, 8))
        stream = b"".join(_cyton_frames(counts, 254))
    else:
        counts = rng.integers(-32768, 32768, size=(3 * SPP, 3)).astype(np.int16)
        stream = b"".join(_glutelab_frames(counts))
    for cut in range(len(stream) + 1):
        rows = _rows(_feed_all(DECODERS[name](), stream, [cut]))
        np.testing.assert_array_equal(rows, counts, err_msg=f"cut at byte {cut}")


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 7)), max_size=6),
       cuts=st.lists(st.integers(0, 5000), max_size=8), seed=st.integers(0, 2**32 - 1))
def test_glutelab_survives_many_corrupted_bytes(flips: list[tuple[int, int]], cuts: list[int], seed: int) -> None:
    """Several bit flips anywhere: every untouched frame comes back, and nothing wrong ever comes back."""
    counts = np.random.default_rng(seed).integers(-32768, 32768, size=(10 * SPP, 3)).astype(np.int16)
    frames = _glutelab_frames(counts)
    stream = bytearray(b"".join(frames))
    touched = set()
    for pos, bit in flips:
        pos %= len(stream)
        stream[pos] ^= 1 << bit
        touched.add(pos // len(frames[0]))
    got = {}
    for block in _feed_all(gl.GluteLabDecoder(), bytes(stream), cuts):
        for j, row in enumerate(block.counts):
            got[block.first_index + j] = row
    for index, row in got.items():
        np.testing.assert_array_equal(row, counts[index])
    for i in set(range(len(frames))) - touched:
        assert all(s in got for s in range(i * SPP, (i + 1) * SPP)), f"untouched frame {i} lost"


def _cyton_damages(frame: bytes) -> list[tuple[str, bytes]]:
    """Every kind of damage to one Cyton packet, as the bytes that reach the host instead of it."""
    out = [("flipped footer", frame[:-1] + bytes([frame[-1] ^ 0x30])),
           ("flipped header", bytes([frame[0] ^ 0x01]) + frame[1:]),
           ("dropped", b"")]
    out += [(f"truncated to {n}", frame[:n]) for n in range(1, cy.PACKET_SIZE)]
    counter = frame[1]
    for garbage in (b"\x00", b"\xa0", b"\xc0", bytes([cy.HEADER, (counter + 1) & 0xFF]), b"\xc0\xa0\xc1" * 5,
                    bytes([cy.HEADER, counter]) + bytes(40)):
        out.append((f"garbage {garbage[:6].hex()} between packets", frame + garbage))
    return out


@pytest.mark.parametrize("pattern", ["damage, intact", "damage, intact, damage, intact"])
def test_cyton_keeps_every_intact_packet_after_a_damaged_one_split_at_every_byte(pattern: str) -> None:
    """The intact packets after a damaged one (flipped footer, truncated, garbage between packets, dropped) all
    come back, however the bytes are split: at every single byte, and one byte at a time. The second pattern
    is the one that used to lose a packet: an intact packet between two damaged ones."""
    rng = np.random.default_rng(11)
    counts = rng.integers(-(2**23), 2**23, size=(9, 8))
    frames = _cyton_frames(counts, 250)  # the counter wraps inside the stream
    damaged = [3] if pattern == "damage, intact" else [3, 5]
    for j, (kind, _) in enumerate(_cyton_damages(frames[3])):
        pieces = list(frames)
        for k in damaged:
            pieces[k] = _cyton_damages(frames[k])[j][1]  # the same kind of damage, fitted to packet k
        stream = b"".join(pieces)
        kept_whole = kind.startswith("garbage")  # garbage after an intact packet damages nothing
        intact = [i for i in range(len(frames)) if kept_whole or i not in damaged]
        must = [i for i in intact if i >= 2]  # a lone first packet cannot be told from garbage (no CRC)
        splits = [[cut] for cut in range(len(stream) + 1)] + [list(range(1, len(stream)))]
        for cuts in splits:
            rows = {tuple(r) for r in _rows(_feed_all(cy.CytonDecoder(), stream, cuts))}
            lost = [i for i in must if tuple(counts[i]) not in rows]
            assert not lost, f"{kind}, {pattern}, split at {cuts[:3]}...: intact packets {lost} lost"


@pytest.mark.parametrize("seed", range(4))
def test_cyton_link_with_5_percent_damage_keeps_every_intact_packet(seed: int) -> None:
    """A long link where ~5 % of packets are damaged (every kind, at random, damage next to damage too),
    fed in random chunks: every intact packet comes back."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(-(2**23), 2**23, size=(2000, 8))
    frames = _cyton_frames(counts, 0)
    pieces, intact = [], []
    for i, frame in enumerate(frames):
        if rng.random() >= 0.05:
            pieces.append(frame)
            intact.append(i)
            continue
        kind = rng.integers(0, 4)
        if kind == 0:  # flipped footer
            pieces.append(frame[:-1] + bytes([frame[-1] ^ (1 << int(rng.integers(3, 8)))]))
        elif kind == 1:  # truncated
            pieces.append(frame[:int(rng.integers(1, cy.PACKET_SIZE))])
        elif kind == 2:  # garbage between packets
            pieces.append(rng.integers(0, 256, int(rng.integers(1, 40))).astype(np.uint8).tobytes() + frame)
            intact.append(i)
        # kind 3: dropped
    stream = b"".join(pieces)
    cuts = np.cumsum(rng.integers(1, 200, len(stream) // 50)).tolist()
    rows = {tuple(r) for r in _rows(_feed_all(cy.CytonDecoder(), stream, [c for c in cuts if c < len(stream)]))}
    lost = [i for i in intact if i >= 2 and tuple(counts[i]) not in rows]
    assert lost == []
