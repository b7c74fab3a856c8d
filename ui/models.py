"""Qt item models for the window's tables: rows of plain values built off the GUI thread, shown read-only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6 import QtCore


class RowsModel(QtCore.QAbstractTableModel):
    """A read-only table of ``rows`` (tuples of display values) with a hidden ``key`` per row (e.g. an id)."""

    def __init__(self, columns: Sequence[str], parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[tuple[Any, ...]] = []
        self.keys: list[Any] = []

    def set_rows(self, rows: Sequence[Sequence[Any]], keys: Sequence[Any] | None = None) -> None:
        self.beginResetModel()
        self.rows = [tuple(r) for r in rows]
        self.keys = list(keys) if keys is not None else list(range(len(self.rows)))
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def rowCount(self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
             role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != QtCore.Qt.ItemDataRole.DisplayRole:
            return None
        value = self.rows[index.row()][index.column()]
        return "-" if value is None else str(value)

    def headerData(self, section: int, orientation: QtCore.Qt.Orientation,  # noqa: N802
                   role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        if role == QtCore.Qt.ItemDataRole.DisplayRole and orientation == QtCore.Qt.Orientation.Horizontal:
            return self.columns[section]
        return None

    def text(self, row: int, column: int) -> str:
        return str(self.data(self.index(row, column)))


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if value is None else fmt.format(value)
