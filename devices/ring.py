"""Thread-safe sample ring buffer: one writer (the reader thread), many readers (GUI timer, recorder).

Every row is written twice (at i and i + capacity), so any recent window is one contiguous numpy slice
(the Friture idea). Readers copy under a short lock, so writer and readers never wait on each other's work.
"""

from __future__ import annotations

import threading

import numpy as np


class SampleRing:
    def __init__(self, capacity: int, n_channels: int, dtype: np.dtype | type = np.float32) -> None:
        if capacity <= 0 or n_channels <= 0:
            raise ValueError("capacity and n_channels must be positive")
        self.capacity = capacity
        self.n_channels = n_channels
        self._data = np.zeros((2 * capacity, n_channels), dtype=dtype)
        self._total = 0  # samples ever written == device sample index of the next row
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        """Index (in the stream's own sample count) one past the newest sample."""
        return self._total

    def write(self, rows: np.ndarray, first_index: int | None = None) -> None:
        """Append rows; if ``first_index`` jumps ahead (lost packets), the gap is filled with NaN."""
        rows = np.asarray(rows)
        with self._lock:
            if first_index is not None and first_index > self._total:
                fill = min(first_index - self._total, self.capacity)
                self._total = first_index - fill
                self._put(np.full((fill, self.n_channels), np.nan, dtype=self._data.dtype))
            if len(rows) > self.capacity:
                self._total += len(rows) - self.capacity
                rows = rows[-self.capacity:]
            self._put(rows)

    def _put(self, rows: np.ndarray) -> None:
        n = len(rows)
        if n == 0:
            return
        cap = self.capacity
        start = self._total % cap
        first = min(n, cap - start)
        for offset in (0, cap):
            self._data[start + offset:start + offset + first] = rows[:first]
        if first < n:
            rest = n - first
            self._data[0:rest] = rows[first:]
            self._data[cap:cap + rest] = rows[first:]
        self._total += n

    def latest(self, n: int) -> tuple[np.ndarray, int]:
        """Copy of the newest ``n`` rows (fewer at start-up) and the stream index of its first row."""
        with self._lock:
            n = min(n, self._total, self.capacity)
            end = self._total % self.capacity + self.capacity
            return self._data[end - n:end].copy(), self._total - n

    def since(self, index: int, max_rows: int | None = None) -> tuple[np.ndarray, int]:
        """Rows from stream index ``index`` on (clipped to what is still held) and the index of row 0."""
        with self._lock:
            oldest = max(0, self._total - self.capacity)
            index = max(index, oldest)
            n = self._total - index
            if max_rows is not None:
                n = min(n, max_rows)
            end = self._total % self.capacity + self.capacity - (self._total - index - n)
            return self._data[end - n:end].copy(), index
