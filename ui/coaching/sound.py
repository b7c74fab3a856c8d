"""Optional short tones at hold reached and hold end.

PySide6-Essentials has no QtMultimedia (it is in the 175 MB Addons wheel), so the tones go through
``sounddevice`` (python-sounddevice, maintained; the ``sound`` extra): a 33 kB pure-Python wheel on cffi,
bundling PortAudio on Windows and macOS; on Linux it needs the system's PortAudio (``libportaudio2``, ~0.3 MB).
The tone is synthesised with numpy (no sound files). Without the package, the library or an output device the
cues stay silent and raise nothing: the reason is kept in ``unavailable`` for the status line.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

RATE_HZ = 44100
#: event -> (frequency Hz, duration s): a higher beep when the target is reached, a lower one at the end
TONES = {"hold_reached": (880.0, 0.15), "hold_end": (523.25, 0.25)}


def tone(freq_hz: float, duration_s: float, rate_hz: int = RATE_HZ) -> np.ndarray:
    """A sine tone with 10 ms raised-cosine ramps (no clicks), float32 in [-0.3, 0.3]."""
    t = np.arange(int(duration_s * rate_hz)) / rate_hz
    y = 0.3 * np.sin(2 * np.pi * freq_hz * t)
    ramp = min(len(t) // 2, int(0.01 * rate_hz))
    if ramp:
        w = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, ramp))
        y[:ramp] *= w
        y[-ramp:] *= w[::-1]
    return y.astype(np.float32)


class CueSounds:
    def __init__(self, enabled: bool) -> None:
        """``enabled``: the clinician's setting; when off nothing is imported or opened."""
        self.enabled = enabled
        self.unavailable: str | None = None
        self._sd: Any = None
        if enabled:
            try:
                import sounddevice

                sounddevice.query_devices(kind="output")
                self._sd = sounddevice
            except Exception as exc:  # noqa: BLE001 - no package, no PortAudio or no device: silent
                self.unavailable = f"sound cues are off: {exc}"
                log.info(self.unavailable)

    @property
    def active(self) -> bool:
        return self._sd is not None

    def play(self, event: str) -> bool:
        """Start the tone of ``event`` (non-blocking); False when silent."""
        if self._sd is None or event not in TONES:
            return False
        try:
            self._sd.play(tone(*TONES[event]), RATE_HZ)
            return True
        except Exception as exc:  # noqa: BLE001 - a device unplugged mid-session: go silent, keep running
            self.unavailable = f"sound cues are off: {exc}"
            self._sd = None
            return False
