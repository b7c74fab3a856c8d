"""Errors a user can act on: each names the port, what was expected and what was seen."""

from __future__ import annotations


class DeviceError(Exception):
    """Base for device problems shown to the user."""


class PortError(DeviceError):
    def __init__(self, port: str, reason: str) -> None:
        super().__init__(f"Cannot open {port}: {reason}. Check the cable and the port name "
                         f"(`glutelab record --list-ports` lists them).")
        self.port = port


class HandshakeError(DeviceError):
    def __init__(self, port: str, expected: str, seen: str) -> None:
        super().__init__(f"The device on {port} did not answer as expected: expected {expected}, "
                         f"got {seen}. Check the protocol and baud rate chosen for this port.")
        self.port = port
        self.expected = expected
        self.seen = seen
