"""Serial port discovery: pyserial's ``list_ports`` plus what we know of common USB adapters and boards.

The adapter table suggests a protocol (an FTDI 0403:6015 is most likely the OpenBCI Cyton dongle); it never
decides one: the handshake does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo


@dataclass(frozen=True)
class Adapter:
    name: str
    protocol: str | None  # the protocol it most likely speaks here, if any
    note: str = ""


# (vid, pid) -> adapter; pid None matches every product of the vendor
KNOWN_ADAPTERS: dict[tuple[int, int | None], Adapter] = {
    (0x0403, 0x6015): Adapter("FTDI FT231X (OpenBCI Cyton dongle)", "cyton",
                              "set the dongle switch to GPIO6 and the board to PC; 115200 baud"),
    (0x0403, 0x6001): Adapter("FTDI FT232R USB-serial", None, "UART bridge: the baud rate matters"),
    (0x0403, 0x6014): Adapter("FTDI FT232H USB-serial", None, "UART bridge: the baud rate matters"),
    (0x0403, None): Adapter("FTDI USB-serial", None, "UART bridge: the baud rate matters"),
    (0x16C0, 0x0483): Adapter("Teensy (USB serial)", "glutelab", "USB CDC: the baud rate is ignored"),
    (0x2341, None): Adapter("Arduino", "glutelab", "USB CDC or a UART bridge, depending on the board"),
    (0x2A03, None): Adapter("Arduino (arduino.org)", "glutelab"),
    (0x239A, None): Adapter("Adafruit board", "glutelab", "USB CDC: the baud rate is ignored"),
    (0x2E8A, None): Adapter("Raspberry Pi Pico / RP2040", "glutelab", "USB CDC: the baud rate is ignored"),
    (0x10C4, 0xEA60): Adapter("Silicon Labs CP210x USB-serial", None, "UART bridge: the baud rate matters"),
    (0x1A86, 0x7523): Adapter("WCH CH340 USB-serial", None, "UART bridge (cheap Arduino clones)"),
}


@dataclass(frozen=True)
class PortDescription:
    device: str
    description: str
    serial_number: str | None
    vid_pid: str | None  # "0403:6015"
    manufacturer: str | None
    adapter: str | None
    suggested_protocol: str | None
    note: str

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def line(self) -> str:
        """One human line for ``glutelab record --list-ports``."""
        parts = [self.device, self.description or "?"]
        if self.vid_pid:
            parts.append(f"USB {self.vid_pid}")
        if self.serial_number:
            parts.append(f"serial {self.serial_number}")
        if self.adapter:
            parts.append(f"looks like: {self.adapter}")
        if self.suggested_protocol:
            parts.append(f"port spec {self.device}:{self.suggested_protocol}")
        return " | ".join(parts)


def recognise(vid: int | None, pid: int | None) -> Adapter | None:
    if vid is None:
        return None
    return KNOWN_ADAPTERS.get((vid, pid)) or KNOWN_ADAPTERS.get((vid, None))


def describe(info: ListPortInfo) -> PortDescription:
    adapter = recognise(info.vid, info.pid)
    vid_pid = f"{info.vid:04X}:{info.pid:04X}" if info.vid is not None and info.pid is not None else None
    description = info.description if info.description and info.description != "n/a" else (info.product or "")
    return PortDescription(device=info.device, description=description, serial_number=info.serial_number,
                           vid_pid=vid_pid, manufacturer=info.manufacturer,
                           adapter=adapter.name if adapter else None,
                           suggested_protocol=adapter.protocol if adapter else None,
                           note=adapter.note if adapter else "")


def available_ports(include_links: bool = False) -> list[PortDescription]:
    """Every serial port the OS lists, USB adapters first."""
    ports = [describe(p) for p in list_ports.comports(include_links=include_links)]
    return sorted(ports, key=lambda p: (p.vid_pid is None, p.device))
