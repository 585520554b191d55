"""Leadership: which ``digestbot run`` process runs the jobs that must run once.

Some work must happen once per interval whatever the number of processes: the
scheduled digest slots, the feed polls, story grouping, retention, seeds rescans and
the integrity check (the *leader-only jobs*). Everything else -- answering updates,
sending the outbox -- every process does.

* :class:`SoleLeader` -- one process (SQLite): it is always the leader; the ``flock``
  of :mod:`bot.telegram.lock` already makes sure no other process runs.
* :class:`AdvisoryLeader` -- PostgreSQL: a connection of its own holds a session-level
  advisory lock (``pg_try_advisory_lock``); whoever holds it leads. A process that does
  not lead tries again every ``retry_seconds``; one that leads checks its connection
  every ``check_seconds``. When the leader dies, however it dies (``kill -9``
  included), PostgreSQL closes its session and releases the lock, and the next try of
  another process takes it: the handover takes at most ``retry_seconds`` plus a
  connection. A leader that cannot reach PostgreSQL any more (the check fails or times
  out) gives up at once and stops its leader-only jobs, so two leaders overlap for at
  most ``check_seconds`` + ``timeout`` (a network partition: PostgreSQL drops the
  lost session after its TCP keepalives, set here to ~25 s). Work done twice in that
  overlap is harmless: a slot run queues each chat's digest once per run key, and the
  outbox sends each message once.

Everything runs on the event loop through psycopg's asyncio connection (no thread, no
blocking call); ``on_gain`` and ``on_loss`` are awaited by the leadership task, one at a
time, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

    from bot.config import Config

__all__ = [
    "CHECK_SECONDS",
    "LEADER_LOCK",
    "RETRY_SECONDS",
    "AdvisoryLeader",
    "Leadership",
    "SoleLeader",
    "leadership_for",
    "postgres_url",
]

log = logging.getLogger(__name__)

# The advisory lock of leadership, in the two-integer key space (which never meets the
# one-bigint keys the store's transactions lock): "dgbt" and 1.
LEADER_LOCK = (0x64676274, 1)
# A process that does not lead tries to take the lock this often (seconds).
RETRY_SECONDS = 5.0
# A leader checks its connection this often (seconds).
CHECK_SECONDS = 2.0
# A connection attempt or a check that takes longer has failed (seconds).
TIMEOUT_SECONDS = 5.0
# PostgreSQL drops the session of a leader it cannot reach after about
# idle + interval x count seconds (its TCP keepalives), which releases the lock.
KEEPALIVE_OPTIONS = (
    "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
)

Hook = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


class Leadership:
    """The interface: ``is_leader``, ``start(on_gain, on_loss)``, ``stop()``."""

    is_leader: bool = False
    # True when several processes may run (the store is shared): new digest slots must
    # then be found in the database by the leader, not only scheduled where they were made.
    shared: bool = False

    async def start(self, on_gain: Hook = _nothing, on_loss: Hook = _nothing) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        """A few words for the start line and /healthz."""
        return "leader" if self.is_leader else "standby"


class SoleLeader(Leadership):
    """One process: always the leader (``on_gain`` is awaited by ``start``)."""

    is_leader = True

    async def start(self, on_gain: Hook = _nothing, on_loss: Hook = _nothing) -> None:
        self.is_leader = True
        await on_gain()

    async def stop(self) -> None:
        """Nothing to release (the jobs stop with the application)."""


class AdvisoryLeader(Leadership):
    """Leadership by a PostgreSQL session-level advisory lock (see the module docstring).

    ``connect`` (tests) makes the connection; by default
    ``psycopg.AsyncConnection.connect(dsn, autocommit=True, ...)``.
    """

    shared = True

    def __init__(
        self,
        dsn: str,
        *,
        lock: tuple[int, int] = LEADER_LOCK,
        retry_seconds: float = RETRY_SECONDS,
        check_seconds: float = CHECK_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
        connect: Callable[[], Awaitable[psycopg.AsyncConnection[Any]]] | None = None,
    ) -> None:
        self.dsn = dsn
        self.lock = lock
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.timeout = timeout
        self._connect = connect if connect is not None else self._default_connect
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._on_gain: Hook = _nothing
        self._on_loss: Hook = _nothing
        self._unreachable = False  # said once until it is reachable again
        # The leader's backend process id (tests terminate it) and terms led so far.
        self.backend_pid: int | None = None
        self.terms = 0
        self.changed = asyncio.Condition()

    async def _default_connect(self) -> psycopg.AsyncConnection[Any]:
        import psycopg

        return await psycopg.AsyncConnection.connect(
            self.dsn,
            autocommit=True,
            connect_timeout=max(1, round(self.timeout)),
            application_name="digestbot leader",
            options=KEEPALIVE_OPTIONS,
        )

    async def start(self, on_gain: Hook = _nothing, on_loss: Hook = _nothing) -> None:
        """Try once now (a process that gets the lock has run ``on_gain`` when this
        returns, as a sole process has), then contend in a task of its own."""
        self._on_gain, self._on_loss = on_gain, on_loss
        self._stopping.clear()
        leading = await self._try_lock() and await self._gain()
        self._task = asyncio.create_task(self._run(leading), name="leadership")

    async def stop(self) -> None:
        """Stop contending; a leader releases the lock (its session ends) so another
        process takes over at its next try. ``on_loss`` is not called: the process is
        stopping its jobs anyway."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close()
        await self._set(False)

    async def wait_for(self, leading: bool, timeout: float) -> bool:
        """Wait until ``is_leader`` is ``leading`` (True) or ``timeout`` passes (False)."""
        async with self.changed:
            try:
                await asyncio.wait_for(
                    self.changed.wait_for(lambda: self.is_leader == leading), timeout
                )
            except TimeoutError:
                return False
        return True

    # -- the task ----------------------------------------------------------------------
    async def _run(self, leading: bool) -> None:
        while not self._stopping.is_set():
            try:
                if leading or (await self._try_lock() and await self._gain()):
                    leading = False
                    await self._hold()
            except Exception:
                log.exception("leadership: unexpected error; trying again: report it")
                await self._close()
                await self._set(False)
            await self._pause(self.retry_seconds)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _try_lock(self) -> bool:
        """One try: connect if needed, then ``pg_try_advisory_lock``. False when the
        lock is taken or PostgreSQL cannot be reached (said once)."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = await asyncio.wait_for(self._connect(), self.timeout)
                self.backend_pid = self._conn.info.backend_pid
            cursor = await asyncio.wait_for(
                self._conn.execute("SELECT pg_try_advisory_lock(%s, %s)", self.lock),
                self.timeout,
            )
            row = await cursor.fetchone()
        except (OSError, TimeoutError, _database_errors()) as exc:
            if not self._unreachable:
                log.warning(
                    "leadership: PostgreSQL cannot be reached (%s); trying every %.0f s"
                    ": check [storage] url and that the database is up",
                    _short(exc),
                    self.retry_seconds,
                )
                self._unreachable = True
            await self._close()
            return False
        if self._unreachable:
            log.info("leadership: PostgreSQL reachable again")
            self._unreachable = False
        return bool(row and row[0])

    async def _gain(self) -> bool:
        """The lock is ours: run ``on_gain``; False (the lock released) if it failed."""
        await self._set(True)
        self.terms += 1
        log.info("leadership: this process now runs the schedule and the feed polls")
        try:
            await self._on_gain()
        except Exception:
            log.exception(
                "leadership: starting the leader's jobs failed; handing over"
                ": report it with this traceback"
            )
            await self._give_up()
            return False
        return True

    async def _hold(self) -> None:
        """Check the connection until it fails or the leadership is stopped; on a
        failure, ``on_loss`` at once."""
        while not self._stopping.is_set():
            await self._pause(self.check_seconds)
            if self._stopping.is_set():
                return
            if not await self._check():
                log.warning(
                    "leadership: the connection to PostgreSQL was lost; the schedule and"
                    " the feed polls stop here, another process takes over"
                    ": check the database and the network if it repeats"
                )
                await self._give_up()
                return

    async def _check(self) -> bool:
        conn = self._conn
        if conn is None or conn.closed:
            return False
        try:
            await asyncio.wait_for(conn.execute("SELECT 1"), self.timeout)
        except (OSError, TimeoutError, _database_errors()):
            return False
        return True

    async def _give_up(self) -> None:
        await self._close()  # the session ends: the lock is released if still held
        await self._set(False)
        try:
            await self._on_loss()
        except Exception:
            log.exception("leadership: stopping the leader's jobs failed: report it")

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), self.timeout)

    async def _set(self, leading: bool) -> None:
        async with self.changed:
            self.is_leader = leading
            self.changed.notify_all()


def _database_errors() -> type[Exception]:
    import psycopg

    return psycopg.Error


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def postgres_url(config: Config) -> str | None:
    """The PostgreSQL database the store runs on (``[storage] url``), or None for SQLite:
    several processes may then share the bot."""
    url = getattr(config.storage, "url", None)
    if isinstance(url, str) and url.lower().startswith(("postgresql://", "postgres://")):
        return url
    return None


def leadership_for(config: Config) -> Leadership:
    """:class:`AdvisoryLeader` on the store's PostgreSQL database, else :class:`SoleLeader`."""
    url = postgres_url(config)
    return SoleLeader() if url is None else AdvisoryLeader(url)
