"""A per-process append-only journal of event records not yet committed to the database.

Why: an execution's records must survive a ``kill -9`` once ``execute`` has returned, and a
database commit on the caller's thread costs a fixed ~50 µs per execution (SQLite's locks and
WAL writes). One ``write()`` to a file opened with ``O_APPEND`` is enough for the same
guarantee: once it returns the bytes belong to the kernel, whatever happens to the process.
The background writer commits the records as before and empties the journal whenever nothing
is left uncommitted.

Each journal is held with an exclusive ``flock`` for as long as its process lives, so a journal
whose lock can be taken belongs to a process that died: whoever opens the store next replays
it (skipping records the dead process had already committed) and deletes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Journal", "orphaned_records"]

SUFFIX = ".events-journal"


class Journal:
    """This process's journal in ``directory`` (created 0700; the file is 0600)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = directory / f"{os.getpid()}-{uuid.uuid4().hex}{SUFFIX}"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.size = 0  # bytes written since the last clear

    def append(self, rows: list[dict[str, Any]]) -> None:
        """Records, one line each, in one ``write()``: done when this returns."""
        lines = "".join(
            json.dumps(row, separators=(",", ":"), ensure_ascii=False) + "\n" for row in rows
        )
        data = lines.encode("utf-8", "surrogatepass")
        os.write(self._fd, data)
        self.size += len(data)

    def clear(self) -> None:
        """Everything appended so far is committed: start the file afresh."""
        if self.size:
            os.ftruncate(self._fd, 0)
            self.size = 0

    def close(self) -> None:
        """After a clean close nothing is left to replay: the file goes."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            os.close(self._fd)

    def forget(self) -> None:
        """In a forked child: drop the parent's descriptor (its lock stays the parent's)."""
        with contextlib.suppress(OSError):
            os.close(self._fd)


def orphaned_records(directory: Path) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """The records of every journal in ``directory`` whose process is gone, one journal at a
    time; each is deleted once the caller has taken its records (the next item is asked for).

    A last line cut short (the process died in the middle of a ``write``) was never
    acknowledged, so it is skipped.
    """
    if not directory.is_dir():
        return
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:  # taken and deleted by another process meanwhile
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a live process's journal
                continue
            if not path.exists():  # replayed by another process while we waited for it
                continue
            with open(fd, "rb", closefd=False) as file:
                data = file.read()
            rows = []
            for line in data.split(b"\n"):
                with contextlib.suppress(ValueError):
                    if line:
                        rows.append(json.loads(line.decode("utf-8", "surrogatepass")))
            yield path, rows
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
