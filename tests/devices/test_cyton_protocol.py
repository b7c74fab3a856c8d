"""Cyton packet layout, scale, command builder and the decoder's resynchronisation (no port involved)."""

from __future__ import annotations

import numpy as np
import pytest

from devices.protocols import cyton as cy


def _counts(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(-(2**23), 2**23, size=(n, 8), dtype=np.int64)


def _decode(data: bytes) -> tuple[np.ndarray, list[int], cy.CytonDecoder]:
    dec = cy.CytonDecoder()
    blocks = dec.feed(data, 0.0).blocks + dec.flush(0.0).blocks
    counts = np.concatenate([b.counts for b in blocks]) if blocks else np.zeros((0, 8), np.int32)
    index = [i for b in blocks for i in range(b.first_index, b.end_index)]
    return counts, index, dec


def test_packet_layout_matches_the_documented_bytes() -> None:
    counts = np.array([[1, -1, 0x7FFFFF, -(2**23), 1000, 0, 256, -256]])
    pkt = cy.encode_packets(7, counts, aux=cy.accel_aux(np.array([[1, -2, 8192]])))
    assert len(pkt) == 33 and pkt[0] == 0xA0 and pkt[1] == 7 and pkt[32] == 0xC0
    assert pkt[2:5] == b"\x00\x00\x01" and pkt[5:8] == b"\xff\xff\xff" and pkt[8:11] == b"\x7f\xff\xff"
    assert pkt[11:14] == b"\x80\x00\x00" and pkt[14:17] == (1000).to_bytes(3, "big")
    assert pkt[26:32] == b"\x00\x01\xff\xfe\x20\x00"


def test_scale_is_4_5_v_over_gain_over_2_23_minus_1() -> None:
    assert cy.uv_per_count(24) == pytest.approx(0.02235174, rel=1e-6)
    assert cy.uv_per_count(1) == pytest.approx(4.5 / (2**23 - 1) * 1e6)
    with pytest.raises(ValueError):
        cy.uv_per_count(3)


def test_channel_settings_command() -> None:
    assert cy.channel_settings_command(1) == b"x1060110X"
    assert cy.channel_settings_command(8, power_down=True, gain=1, input_type=5, bias=False, srb2=False,
                                       srb1=True) == b"x8105001X"
    for bad in ({"channel": 9}, {"channel": 1, "gain": 3}, {"channel": 1, "input_type": 8}):
        with pytest.raises(ValueError):
            cy.channel_settings_command(**bad)  # type: ignore[arg-type]


def test_clean_stream_decodes_exactly_with_crc_not_applicable() -> None:
    counts = _counts(600)
    got, index, dec = _decode(cy.encode_packets(250, counts))  # counter wraps 255 -> 0
    np.testing.assert_array_equal(got, counts)
    assert index == list(range(600))
    assert dec.stats.packets_lost == 0 and dec.stats.bytes_discarded == 0 and dec.stats.frames_ok == 600
    assert dec.stats.crc_failures is None and dec.stats.as_dict()["crc_failures"] == "n/a"


def test_counter_gaps_are_lost_packets_and_advance_the_index() -> None:
    counts = _counts(300)
    data = cy.encode_packets(0, counts)
    keep = [i for i in range(300) if i not in (10, 11, 12, 200)]
    got, index, dec = _decode(b"".join(data[i * 33:(i + 1) * 33] for i in keep))
    assert dec.stats.packets_lost == 4
    np.testing.assert_array_equal(got, counts[keep])
    assert index == keep


def test_garbage_truncated_and_corrupted_packets_are_skipped() -> None:
    counts = _counts(100)
    data = cy.encode_packets(0, counts)
    p = [data[i * 33:(i + 1) * 33] for i in range(100)]
    bad_footer = p[30][:32] + b"\x55"
    stream = b"\xa0\xc0garbage" + b"".join(p[:20]) + p[20][:17] + b"".join(p[21:30]) + bad_footer \
        + b"\xa0" * 40 + b"".join(p[31:])
    got, index, dec = _decode(stream)
    expect = [i for i in range(100) if i not in (20, 30)]
    np.testing.assert_array_equal(got, counts[expect])
    assert index == expect
    assert dec.stats.packets_lost == 2
    assert dec.stats.bytes_discarded == 9 + 17 + 33 + 40


def _doubtful(counts: np.ndarray, row: int, counter: int) -> None:
    """Make packet ``row`` look like a truncated packet glued to the next: A0 and the next counter inside it."""
    counts[row, 0] = (0xA0 << 16 | ((counter + 1) & 0xFF) << 8) - 2**24


def test_only_a_doubtful_newest_packet_waits_and_flush_releases_it() -> None:
    counts = _counts(4)
    _doubtful(counts, 3, 3)
    data = cy.encode_packets(0, counts)
    dec = cy.CytonDecoder()
    assert dec.feed(data[:33], 0.0).blocks == []  # the very first packet needs a confirming one
    assert dec.feed(data[33:99], 0.0).blocks[0].n_samples == 3  # then packets are taken as they come
    assert dec.feed(data[99:], 0.0).blocks == []  # this one might be glued: held
    (block,) = dec.flush(0.0).blocks
    assert block.first_index == 3
    np.testing.assert_array_equal(block.counts, counts[3:])


def test_microvolts_of_1000_counts_at_gain_24() -> None:
    from devices.simulator.cyton_firmware import cyton_info

    assert cyton_info().to_physical(np.full((1, 8), 1000))[0, 0] == pytest.approx(22.35, abs=0.01)


def test_long_silence_recovers_the_counter_wraps_from_the_host_clock() -> None:
    """After a pulled dongle the 8-bit counter hides whole wraps; the host clock puts them back."""
    counts = _counts(520)
    data = cy.encode_packets(0, counts)
    dec = cy.CytonDecoder()
    before = dec.feed(data[:10 * 33], host_time=10 / 250).blocks
    after = dec.feed(data[510 * 33:], host_time=520 / 250).blocks + dec.flush(520 / 250).blocks
    assert [b.first_index for b in before + after] == [0, 510]
    assert dec.stats.packets_lost == 500
    np.testing.assert_array_equal(after[0].counts, counts[510:])


def test_short_gaps_are_never_changed_by_the_clock() -> None:
    data = cy.encode_packets(0, _counts(40))
    dec = cy.CytonDecoder()
    dec.feed(data[:10 * 33], host_time=0.0)
    dec.feed(data[15 * 33:], host_time=0.4)  # a 0.4 s stall with 5 packets lost: trust the counter
    assert dec.stats.packets_lost == 5


def test_a_held_packet_keeps_its_own_arrival_time() -> None:
    counts = _counts(4)
    _doubtful(counts, 1, 1)
    data = cy.encode_packets(0, counts)
    dec = cy.CytonDecoder()
    first = dec.feed(data[:66], host_time=1.0).blocks
    assert [(b.first_index, b.n_samples, b.host_time) for b in first] == [(0, 1, 1.0)]  # packet 1 held
    later = dec.feed(data[99:], host_time=1.008).blocks  # packet 2 was lost
    assert [(b.first_index, b.n_samples, b.host_time) for b in later] == [(1, 1, 1.0), (3, 1, 1.008)]
