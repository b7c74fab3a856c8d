"""Port discovery on constructed pyserial port descriptions (there is no USB here)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from serial.tools.list_ports_common import ListPortInfo

from devices.transport.ports import describe


def _usb(device: str, vid: int, pid: int, serial: str = "DQ0081", product: str = "FT231X USB UART") -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.serial_number = vid, pid, serial
    info.manufacturer, info.product, info.description = "FTDI", product, product
    return info


@pytest.mark.parametrize(("vid", "pid", "adapter", "protocol"), [
    (0x0403, 0x6015, "OpenBCI Cyton dongle", "cyton"),
    (0x0403, 0x6001, "FT232R", None),
    (0x0403, 0x1234, "FTDI USB-serial", None),
    (0x16C0, 0x0483, "Teensy", "glutelab"),
    (0x2341, 0x0043, "Arduino", "glutelab"),
    (0x239A, 0x800B, "Adafruit", "glutelab"),
])
def test_known_adapters_are_recognised(vid: int, pid: int, adapter: str, protocol: str | None) -> None:
    port = describe(_usb("/dev/ttyUSB0", vid, pid))
    assert port.vid_pid == f"{vid:04X}:{pid:04X}" and port.serial_number == "DQ0081"
    assert port.adapter is not None and adapter in port.adapter
    assert port.suggested_protocol == protocol
    line = port.line()
    assert "/dev/ttyUSB0" in line and port.vid_pid in line and "DQ0081" in line


def test_unknown_and_non_usb_ports_are_listed_plainly() -> None:
    unknown = describe(_usb("/dev/ttyACM3", 0x1234, 0x5678))
    assert unknown.adapter is None and unknown.suggested_protocol is None and unknown.vid_pid == "1234:5678"
    builtin = describe(ListPortInfo("/dev/ttyS0", skip_link_detection=True))
    assert builtin.vid_pid is None and builtin.adapter is None and builtin.description == ""
    assert builtin.line().startswith("/dev/ttyS0")


def test_record_list_ports_runs_without_a_patient_or_database(tmp_path) -> None:  # noqa: ANN001
    out = subprocess.run([sys.executable, "-m", "ui.cli", "--data-dir", str(tmp_path), "record", "--list-ports",
                          "--json"], capture_output=True, text=True, timeout=60, check=True)
    ports = json.loads(out.stdout)
    assert isinstance(ports, list) and all("vid_pid" in p and "device" in p for p in ports)
