"""The reference sketches themselves speak the protocol: each .ino is compiled as C++ on the host against a
minimal Arduino stand-in (a byte buffer for Serial, a ramp on the ADC pins), driven with real host frames, and
its output is decoded by the Python decoder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from devices.protocols import glutelab as gl

FIRMWARE = Path(__file__).resolve().parents[2] / "devices" / "firmware"

ARDUINO_STUB = r"""
#pragma once
#include <stdint.h>
#include <stddef.h>
#define HIGH 1
#define LOW 0
#define INPUT 0
#define OUTPUT 1
enum { A0 = 14, A1, A2, A3, A4, A5 };
struct StubSerial {
    const uint8_t *in = nullptr; size_t in_len = 0, in_pos = 0;
    uint8_t out[1 << 20]; size_t out_len = 0;
    void begin(long) {}
    int available() { return (int)(in_len - in_pos); }
    int read() { return in_pos < in_len ? in[in_pos++] : -1; }
    size_t write(const uint8_t *b, size_t n) { for (size_t i = 0; i < n; i++) out[out_len++] = b[i]; return n; }
};
extern StubSerial Serial;
extern uint32_t stub_us;
extern int stub_sck_pulses;
inline uint32_t micros() { return stub_us += 50; }
inline void delayMicroseconds(unsigned) {}
inline void analogReadResolution(int) {}
inline int analogRead(uint8_t pin) { static int n = 0; return (n++ * 7 + pin) & 4095; }
inline void pinMode(uint8_t, uint8_t) {}
inline void digitalWrite(uint8_t pin, uint8_t v) { if (pin == 6 && v) stub_sck_pulses++; }
// HX711 stand-in: ready (DOUT low) between reads; bits of a per-cell pattern: cell c reads (c + 1) * 1000 - 3000
inline int digitalRead(uint8_t pin) {
    int cell = pin - 2;
    int bit = stub_sck_pulses % 25;  // 24 data bits + 1 gain pulse per read
    if (bit == 0) return LOW;
    int32_t value = (cell + 1) * 1000 - 3000;
    return ((uint32_t)value >> (24 - bit)) & 1;
}
"""

MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "Arduino.h"
StubSerial Serial;
uint32_t stub_us = 0;
int stub_sck_pulses = 0;
void setup();
void loop();
int main(int argc, char **argv) {
    static uint8_t in[4096];
    size_t n = strlen(argv[1]) / 2;
    for (size_t i = 0; i < n; i++) { unsigned v; sscanf(argv[1] + 2 * i, "%2x", &v); in[i] = (uint8_t)v; }
    Serial.in = in; Serial.in_len = n;
    setup();
    for (int i = 0; i < atoi(argv[2]); i++) loop();
    for (size_t i = 0; i < Serial.out_len; i++) printf("%02x", Serial.out[i]);
    printf("\n");
    return 0;
}
"""


def _build(sketch: str, folder: Path) -> Path:
    cc, cxx = shutil.which("cc"), shutil.which("c++")
    if cc is None or cxx is None:
        pytest.skip("no C and C++ compilers (cc, c++) on this machine")
    (folder / "Arduino.h").write_text(ARDUINO_STUB)
    (folder / "main.cpp").write_text('#include <stdlib.h>\n' + MAIN)
    src = FIRMWARE / sketch / f"{sketch}.ino"
    (folder / "sketch.cpp").write_text('#include "Arduino.h"\n' + src.read_text())
    exe = folder / sketch
    frame_obj = folder / "glutelab_frame.o"
    subprocess.run([cc, "-std=c99", "-Wall", "-Werror", "-c", str(FIRMWARE / "common" / "glutelab_frame.c"),
                    "-o", str(frame_obj)], check=True, capture_output=True, timeout=120)
    subprocess.run([cxx, "-std=c++11", "-Wall", "-Werror", f"-I{folder}", f"-I{FIRMWARE / sketch}",
                    str(folder / "main.cpp"), str(folder / "sketch.cpp"), str(frame_obj), "-o", str(exe)],
                   check=True, capture_output=True, timeout=120)
    return exe


def _talk(exe: Path, host: bytes, loops: int) -> gl.GluteLabDecoder:
    out = subprocess.run([str(exe), host.hex() or "00", str(loops)], check=True, capture_output=True, text=True,
                         timeout=30).stdout.strip()
    return bytes.fromhex(out)  # type: ignore[return-value]


@pytest.mark.parametrize(("sketch", "kind", "n_channels", "dtype_size"), [("emg_rig", "emg", 6, 2),
                                                                           ("force_plate", "plate", 4, 4)])
def test_sketch_answers_info_and_streams_decodable_frames(tmp_path: Path, sketch: str, kind: str, n_channels: int,
                                                          dtype_size: int) -> None:
    exe = _build(sketch, tmp_path)
    host = gl.encode_frame(gl.MSG_INFO_REQUEST, 0) + gl.encode_frame(gl.MSG_START, 1)
    out = _talk(exe, host, 2000)
    dec = gl.GluteLabDecoder()
    result = dec.feed(out, 0.0)
    assert dec.stats.crc_failures == 0 and dec.stats.bytes_discarded == 0
    (msg_type, payload), = result.messages
    info = gl.info_from_payload(payload)
    assert msg_type == gl.MSG_INFO and info.kind == kind and info.n_channels == n_channels
    counts = np.concatenate([b.counts for b in result.blocks])
    assert len(counts) >= 40 and counts.shape[1] == n_channels
    assert result.blocks[0].first_index == 0 and dec.stats.packets_lost == 0
    if kind == "plate":
        np.testing.assert_array_equal(counts, np.tile([-2000, -1000, 0, 1000], (len(counts), 1)))
        assert info.plate_width_mm == 400.0 and info.plate_length_mm == 600.0
    else:
        assert counts.min() >= 0 and counts.max() < 4096


def test_sketch_ignores_garbage_and_reports_unknown_commands(tmp_path: Path) -> None:
    exe = _build("emg_rig", tmp_path)
    out = _talk(exe, b"\x00\xa5garbage" + gl.encode_frame(0x7E, 0) + gl.encode_frame(gl.MSG_STOP, 1), 10)
    (msg_type, payload), = gl.GluteLabDecoder().feed(out, 0.0).messages
    assert msg_type == gl.MSG_ERROR and b"unknown" in payload
