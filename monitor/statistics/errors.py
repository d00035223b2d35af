"""The one error the importer raises: what is wrong with which file (and row), in one line."""
from __future__ import annotations


class MIError(Exception):
    """A file that cannot be imported. ``str(error)`` is the line the user reads."""
