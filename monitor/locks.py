"""Lock files beside the database that name their holder: one crawl, one scheduler (or `run`)
per database. The lock is an exclusive ``flock`` held as long as the returned file is open."""
from __future__ import annotations

import fcntl
from pathlib import Path


class Held(RuntimeError):
    """Someone holds the lock; ``holder`` is what they wrote in the file ('' if nothing)."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


def take(path: str | Path, holder: str):
    """Take the lock at ``path`` without waiting, write ``holder`` into it, return the open
    file (closing it releases the lock). Raises Held naming the current holder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        who = handle.read().strip()
        handle.close()
        raise Held(who) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{holder}\n")
    handle.flush()
    return handle
