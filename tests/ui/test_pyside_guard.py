"""Guards against the PySide6 6.12.0 + CPython 3.11 crash (None's refcount drops on every None-returning
method; a live plot aborts with "none_dealloc" after a few seconds). See docs/architecture.md."""

from __future__ import annotations

import sys

from PySide6 import QtCore


def test_none_refcount_is_stable_around_pyside_calls():
    point = QtCore.QPointF(1, 0)
    before = sys.getrefcount(None)
    for _ in range(1000):
        point.setX(2.0)
    after = sys.getrefcount(None)
    # Python >= 3.12 has an immortal None (huge constant count); on 3.11 a leak shows as -1000.
    assert abs(after - before) < 50, f"sys.getrefcount(None) moved by {after - before} over 1000 PySide calls"
