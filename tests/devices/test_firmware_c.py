"""The firmware's C framing and CRC (devices/firmware/common) against the Python encoder and decoder.

The test compiles the C code with the host compiler and checks both sides on the shared golden frames of
tests/devices/data/golden_frames.json (made once, kept as data, so neither side can drift with the other).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from devices.protocols import glutelab as gl

ROOT = Path(__file__).resolve().parents[2]
COMMON = ROOT / "devices" / "firmware" / "common"
GOLDEN = json.loads((Path(__file__).parent / "data" / "golden_frames.json").read_text())

HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "glutelab_frame.h"

static size_t unhex(const char *s, uint8_t *out) {
    size_t n = strlen(s) / 2, i;
    unsigned v;
    for (i = 0; i < n; i++) { sscanf(s + 2 * i, "%2x", &v); out[i] = (uint8_t)v; }
    return n;
}

static void hex(const uint8_t *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) printf("%02x", b[i]);
}

int main(int argc, char **argv) {
    static uint8_t in[65536], out[65536], payload[4096];
    static int16_t s16[4096];
    static int32_t s32[4096];
    size_t n, i;
    if (argc >= 3 && !strcmp(argv[1], "crc")) {
        n = unhex(argv[2], in);
        printf("%u\n", glutelab_crc16(in, n, 0xFFFF));
    } else if (argc >= 4 && !strcmp(argv[1], "frame")) {
        n = unhex(argc > 4 ? argv[4] : "", in);
        n = glutelab_encode_frame((uint8_t)atoi(argv[2]), (uint16_t)atoi(argv[3]), in, (uint16_t)n, out,
                                  sizeof out);
        hex(out, n); printf("\n");
    } else if (argc >= 6 && (!strcmp(argv[1], "data16") || !strcmp(argv[1], "data32"))) {
        uint8_t ch = (uint8_t)atoi(argv[4]);
        uint16_t ns = (uint16_t)atoi(argv[5]);
        for (i = 0; i < (size_t)ch * ns; i++) {
            long v = strtol(argv[6 + i], NULL, 10);
            s16[i] = (int16_t)v; s32[i] = (int32_t)v;
        }
        if (!strcmp(argv[1], "data16"))
            n = glutelab_encode_data16((uint16_t)atoi(argv[2]), (uint32_t)strtoul(argv[3], NULL, 10), ch, s16, ns,
                                       out, sizeof out);
        else
            n = glutelab_encode_data32((uint16_t)atoi(argv[2]), (uint32_t)strtoul(argv[3], NULL, 10), ch, s32, ns,
                                       out, sizeof out);
        hex(out, n); printf("\n");
    } else if (argc >= 3 && !strcmp(argv[1], "parse")) {
        glutelab_parser_t p;
        glutelab_parser_init(&p, payload, sizeof payload);
        n = unhex(argv[2], in);
        for (i = 0; i < n; i++) {
            if (glutelab_parser_feed(&p, in[i])) {
                printf("%u %u ", p.type, p.seq); hex(p.payload, p.len); printf("\n");
            }
        }
        printf("crc_failures %u discarded %u\n", (unsigned)p.crc_failures, (unsigned)p.bytes_discarded);
    } else {
        return 2;
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler (cc) on this machine")
    folder = tmp_path_factory.mktemp("cframe")
    (folder / "harness.c").write_text(HARNESS)
    exe = folder / "harness"
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", f"-I{COMMON}",
                    str(folder / "harness.c"), str(COMMON / "glutelab_frame.c"), "-o", str(exe)],
                   check=True, capture_output=True, timeout=120)
    return exe


def _run(exe: Path, *args: object) -> str:
    return subprocess.run([str(exe), *map(str, args)], check=True, capture_output=True, text=True,
                          timeout=30).stdout.strip()


def test_crc_check_value_in_python_and_c(harness: Path) -> None:
    check = GOLDEN["crc_check"]
    assert gl.crc16(bytes.fromhex(check["input_hex"])) == check["crc"] == 0x29B1
    assert int(_run(harness, "crc", check["input_hex"])) == check["crc"]


@pytest.mark.parametrize("golden", GOLDEN["frames"], ids=lambda g: g["name"])
def test_c_and_python_encode_the_golden_frames(harness: Path, golden: dict) -> None:
    payload = bytes.fromhex(golden["payload_hex"])
    assert gl.encode_frame(golden["type"], golden["seq"], payload).hex() == golden["frame_hex"]
    assert _run(harness, "frame", golden["type"], golden["seq"], golden["payload_hex"]) == golden["frame_hex"]
    if "samples" in golden:
        dtype = np.int16 if golden["format"] == gl.FORMAT_INT16 else np.int32
        rows = np.array(golden["samples"], dtype=dtype).reshape(-1, golden["channels"])
        assert gl.encode_data(golden["seq"], golden["first_index"], rows).hex() == golden["frame_hex"]
        mode = "data16" if golden["format"] == gl.FORMAT_INT16 else "data32"
        c_frame = _run(harness, mode, golden["seq"], golden["first_index"], golden["channels"], len(rows),
                       *golden["samples"])
        assert c_frame == golden["frame_hex"]


def test_c_parser_and_python_decoder_agree_on_a_damaged_stream(harness: Path) -> None:
    frames = [bytes.fromhex(g["frame_hex"]) for g in GOLDEN["frames"]]
    bad = bytearray(frames[3])
    bad[9] ^= 0x40  # a corrupted info reply: CRC failure
    stream = b"\x00\x13garbage" + frames[0] + frames[1] + bytes(bad) + b"\xa5\x00" + b"".join(frames[2:])
    c_lines = _run(harness, "parse", stream.hex()).splitlines()
    c_frames = [tuple(line.split(" ")) for line in c_lines[:-1]]
    assert c_lines[-1].startswith("crc_failures 1 ")
    expected = GOLDEN["frames"]  # every intact frame, the corrupted copy skipped
    assert [(int(t), int(s), p) for t, s, p in c_frames] == [(g["type"], g["seq"], g["payload_hex"]) for g in expected]

    dec = gl.GluteLabDecoder()
    result = dec.feed(stream, 0.0)
    assert dec.stats.crc_failures == 1
    assert [(t, p.hex()) for t, p in result.messages] == \
        [(g["type"], g["payload_hex"]) for g in expected if g["type"] != gl.MSG_DATA]
    assert [b.counts.ravel().tolist() for b in result.blocks] == [g["samples"] for g in expected if "samples" in g]


def test_info_reply_ignores_fields_from_newer_firmware() -> None:
    payload = json.dumps({"kind": "emg", "model": "M", "serial": "S", "firmware": "2.0", "sample_rate_hz": 1000,
                          "channel_names": ["a"], "units": "uV", "scale": [0.5], "battery_pct": 80}).encode()
    info = gl.info_from_payload(payload)
    assert info.protocol == "glutelab" and info.scale == (0.5,) and info.offset == (0.0,)
    with pytest.raises(ValueError):
        gl.info_from_payload(b"[1, 2]")
