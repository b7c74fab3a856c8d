"""The emulated Cyton on a real pty, through Device (and through BrainFlow when it is installed)."""

from __future__ import annotations

import importlib.util
import time

import numpy as np
import pytest
import serial

from devices.device import Device
from devices.protocols import cyton as cy
from devices.simulator.cyton_firmware import CytonFirmware
from devices.simulator.firmware import LoopingSource
from devices.simulator.pty_server import PtyServer
from devices.types import SampleBlock

from .conftest import wait_for

RAMP = (np.arange(256)[:, None] * 8 + np.arange(8)[None, :] - 1600).astype(np.int32)  # 256 rows: row == packet counter


@pytest.fixture
def cyton_server():  # noqa: ANN201
    with PtyServer(CytonFirmware(LoopingSource(RAMP)), speed=8.0) as server:
        yield server


def test_banner_and_commands_answer_like_the_board(cyton_server: PtyServer) -> None:
    with serial.Serial(cyton_server.path, 115200, timeout=10) as port:  # generous: only a failure waits
        port.write(b"v")
        assert port.read_until(b"$$$").startswith(b"OpenBCI V3 8-16 channel")
        port.write(b"x3040000X")
        assert port.read_until(b"$$$") == b"Success: Channel set for 3$$$"
        port.write(b"x9X")
        assert port.read_until(b"$$$").startswith(b"Failure")
        port.write(b"b")
        first = port.read(33)
        port.write(b"s")
    assert first[0] == 0xA0 and 0xC0 <= first[32] <= 0xC6


def test_device_streams_every_sample_exactly(cyton_server: PtyServer) -> None:
    blocks: list[SampleBlock] = []
    with Device(cyton_server.path, "cyton") as dev:
        assert dev.info is not None and dev.info.model == "OpenBCI Cyton" and dev.info.n_channels == 8
        assert dev.info.scale[0] == pytest.approx(cy.uv_per_count(24))
        dev.subscribe(blocks.append)
        dev.start()
        wait_for(lambda: dev.stats.samples >= 1000, what="1000 Cyton samples")
        dev.stop()
        stats = dev.stats
    counts = np.concatenate([b.counts for b in blocks])
    assert blocks[0].first_index == 0 and stats.packets_lost == 0 and stats.bytes_discarded == 0
    np.testing.assert_array_equal(counts, RAMP[np.arange(len(counts)) % len(RAMP)])
    assert stats.crc_failures is None


def test_gain_option_configures_the_board_and_the_scale(cyton_server: PtyServer) -> None:
    with Device(cyton_server.path, "cyton", gain=12) as dev:
        assert dev.info is not None and dev.info.scale[0] == pytest.approx(cy.uv_per_count(12))
        assert cyton_server.firmware.settings[0] == b"050110"  # type: ignore[attr-defined]
        blocks: list[SampleBlock] = []
        dev.subscribe(blocks.append)
        dev.start()
        wait_for(lambda: dev.stats.samples >= 50, what="samples")
        dev.stop()
    # the same microvolts at half the gain: half the counts
    np.testing.assert_array_equal(blocks[0].counts[:10], np.round(RAMP[:10] / 2))


@pytest.mark.skipif(importlib.util.find_spec("brainflow") is None, reason="brainflow (bench extra) not installed")
def test_brainflow_cyton_board_reads_the_simulator(cyton_server: PtyServer) -> None:
    """An independent Cyton implementation decodes the simulator's packets as the documented layout says."""
    from brainflow.board_shim import BoardIds, BoardShim, BrainFlowInputParams

    BoardShim.disable_board_logger()
    params = BrainFlowInputParams()
    params.serial_port = cyton_server.path
    board_id = BoardIds.CYTON_BOARD.value
    board = BoardShim(board_id, params)
    board.prepare_session()
    try:
        board.start_stream()
        deadline = time.monotonic() + 15
        while board.get_board_data_count() < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        data = board.get_board_data()
        board.stop_stream()
    finally:
        board.release_session()
    assert data.shape[1] >= 300
    eeg = data[BoardShim.get_eeg_channels(board_id)].T
    counters = data[BoardShim.get_package_num_channel(board_id)].astype(int)
    np.testing.assert_allclose(eeg, RAMP[counters % len(RAMP)] * cy.uv_per_count(24), rtol=1e-6, atol=1e-9)


class _FinitePackets(CytonFirmware):
    """A board that sends exactly ``limit`` packets, then goes quiet."""

    def __init__(self, limit: int, source: np.ndarray) -> None:
        super().__init__(LoopingSource(source))
        self.limit = limit
        self.sent = 0

    def stream_frames(self, n_samples: int) -> list[bytes]:
        n = min(n_samples, self.limit - self.sent)
        self.sent += n
        return super().stream_frames(n) if n > 0 else []


def test_stop_releases_the_packet_held_for_confirmation() -> None:
    source = RAMP.copy()
    source[299 % 256, 0] = (0xA0 << 16 | (300 % 256) << 8) - 2**24  # the last packet looks glued: it is held
    with PtyServer(_FinitePackets(300, source), speed=8.0) as server, Device(server.path, "cyton") as dev:
        blocks: list[SampleBlock] = []
        dev.subscribe(blocks.append)
        dev.start()
        # every byte read (the held packet's own may arrive after the 299th sample is counted: a loaded
        # machine once stopped the reader before they did), and all but the held packet published
        wait_for(lambda: dev.stats.bytes_received >= 300 * cy.PACKET_SIZE and dev.stats.samples >= 299,
                 what="all the bytes, and all but the held packet")
        assert dev.stats.samples == 299  # the newest waits for a confirmation that will never come...
        dev.stop()
    assert dev.stats.samples == sum(b.n_samples for b in blocks) == 300  # ...until the stream ends
    np.testing.assert_array_equal(np.concatenate([b.counts for b in blocks]), source[np.arange(300) % 256])
