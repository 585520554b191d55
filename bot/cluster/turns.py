"""One chat's updates handled one at a time across processes: a PostgreSQL advisory
lock per chat, held around the handling of each of its updates.

In webhook mode behind a load balancer, two updates of one chat may reach two processes;
each process's :class:`bot.telegram.updates.PerChatUpdateProcessor` keeps the order of
the updates *it* receives only. :class:`ChatTurns` adds the other processes: after an
update's turn has come in its own process, it takes the session-level advisory lock
(:data:`TURN_LOCK_CLASS`, the chat id folded to 32 bits) on a connection of a small
pool of psycopg asynchronous connections (waiting never blocks the event loop), and
releases it when the handler is done. PostgreSQL grants a lock's waiters in the order
they asked, so an update that reaches its process while another process handles the
same chat waits for it and then runs.

What it does not do: order two updates that reach two processes at the same moment
(neither waits for the other's lock yet; whichever asks first runs first), nor share
the flood control on updates (each process counts what it receives). Two chats whose
ids fold to the same 32 bits share a lock now and then: they take turns, nothing worse.

Used only with PostgreSQL in webhook mode (long polling: only the leader receives
updates). If the lock cannot be taken (PostgreSQL unreachable) the update is handled
anyway, with a warning: a reply out of order beats no reply. The pool holds at most
``size`` connections, so at most that many chats are handled at once per process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

__all__ = ["TURN_LOCK_CLASS", "ChatTurns", "turn_key"]

# The first key of the two-integer advisory locks of chats' turns ("dgbu"); the
# leadership lock is ("dgbt", 1), the store's write lock lives in the one-bigint space.
TURN_LOCK_CLASS: Final = 0x64676275


def turn_key(chat_id: int) -> int:
    """``chat_id`` (64 bits) folded to the signed 32-bit second key of its lock."""
    folded = (chat_id ^ (chat_id >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


class ChatTurns:
    """``async with turns.turn(chat_id):`` -- this chat's turn across processes."""

    def __init__(self, url: str, size: int = 16) -> None:
        self.url = url
        self.size = size
        self._free = asyncio.Semaphore(size)
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._closed = False
        self._warned = False

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._idle:
            return self._idle.pop()
        import psycopg

        return await psycopg.AsyncConnection.connect(self.url, autocommit=True)

    @asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
        """Wait until no other process handles ``chat_id``, then hold its lock."""
        key = (TURN_LOCK_CLASS, turn_key(chat_id))
        async with self._free:
            db = await self._lock(key)
            try:
                yield
            finally:
                if db is not None:
                    await self._release(db, key)

    async def _lock(self, key: tuple[int, int]) -> psycopg.AsyncConnection[Any] | None:
        """The connection now holding ``key``, or None when PostgreSQL cannot be asked
        (the update is handled anyway, see the module docstring)."""
        import psycopg

        db: psycopg.AsyncConnection[Any] | None = None
        try:
            db = await self._connection()
            await db.execute("SELECT pg_advisory_lock(%s, %s)", key)
        except (psycopg.Error, OSError) as exc:
            if db is not None:
                await db.close()
            if not self._warned:
                self._warned = True
                log.warning(
                    "a chat's updates are handled without its turn across processes"
                    " (%s): check that PostgreSQL is reachable",
                    exc,
                )
            return None
        except BaseException:  # cancelled while waiting: the session's locks go with it
            if db is not None:
                await db.close()
            raise
        self._warned = False
        return db

    async def _release(self, db: psycopg.AsyncConnection[Any], key: tuple[int, int]) -> None:
        import psycopg

        try:
            await db.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        except (psycopg.Error, OSError):
            await db.close()  # closing the session releases its locks
            return
        if self._closed:
            await db.close()
        else:
            self._idle.append(db)

    async def close(self) -> None:
        """Close the idle connections (one in use is closed when its handler ends)."""
        self._closed = True
        idle, self._idle = self._idle, []
        for db in idle:
            await db.close()
