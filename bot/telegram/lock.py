"""One running bot per database: an OS file lock beside the SQLite file.

Two ``digestbot run`` on the same database would both poll Telegram (trading 409s) and
both send the outbox (the same digest twice). :class:`InstanceLock` takes an exclusive
``flock`` on ``<database>.lock`` and writes its pid there; the kernel drops the lock
when the process ends, however it ends (``kill -9`` included), so a stale file never
blocks a restart. ``ingest`` and ``digest`` do not take it: SQLite's own locking keeps
them safe beside a running bot.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.errors import DigestbotError

__all__ = ["AlreadyRunning", "InstanceLock"]


class AlreadyRunning(DigestbotError):
    """Another process holds the database's instance lock."""


class InstanceLock:
    """``with InstanceLock(db_path):`` -- raises AlreadyRunning when another bot runs."""

    def __init__(self, database: str | Path) -> None:
        self.path = Path(f"{database}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another digestbot (pid {holder}) is already running on this database; "
                f"stop it first (lock: {self.path})"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            # The file stays (removing it would race a starting process); the lock goes.
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
