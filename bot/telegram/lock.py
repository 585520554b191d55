"""One running bot per database: an OS file lock beside the SQLite file.

Two ``digestbot run`` on the same database would both poll Telegram (trading 409s) and
both send the outbox (the same digest twice). :class:`InstanceLock` takes an exclusive
``flock`` on ``<database>.lock`` and writes its pid there; the kernel drops the lock
when the process ends, however it ends (``kill -9`` included), so a stale file never
blocks a restart. ``ingest`` and ``digest`` do not take it: SQLite's own locking keeps
them safe beside a running bot. :func:`database_file` names the file the lock guards:
``[storage] url = "sqlite:///..."`` when set, else ``[storage] path``.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.errors import DigestbotError
from bot.store.engine import parse_target

__all__ = ["AlreadyRunning", "InstanceLock", "database_file"]


def database_file(database: str | Path) -> Path | None:
    """The SQLite file ``database`` (``StorageConfig.database``: a path, or a
    ``sqlite:///`` or ``postgresql://`` URL) names, whose ``.lock`` keeps a second bot
    off it; None when there is no file to share: ``":memory:"`` or PostgreSQL."""
    target = parse_target(database)
    if target.engine != "sqlite" or target.is_memory:
        return None
    return Path(target.location)


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
