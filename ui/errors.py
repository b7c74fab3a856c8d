"""The one error type of the command line, in a module of its own so that parsing arguments imports nothing
heavy (``ui.context`` re-exports it)."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; the command line prints the message without a traceback."""
