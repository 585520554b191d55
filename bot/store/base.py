"""The store's foundation: one writer connection and what every table's methods share.

On PostgreSQL (a ``postgresql://`` target, see :mod:`bot.store.engine`) the same
shape: one writer connection under the lock, a reader connection per thread, writes
serialized across processes by an advisory lock (:meth:`StoreBase.transaction`), and
the schema from ``schema_postgresql.sql`` recorded in ``schema_version``; no WAL
checkpointer, no PRAGMAs. The rest of this docstring is SQLite's.

:class:`StoreBase` owns opening the database (refusing a corrupt file, WAL, synchronous
NORMAL), the versioned migrations (``bot.store.migrations``), the write lock and its
transactions (``transaction``), the per-thread read-only connections of a file database
(``query``), closing, and the injectable clock that stamps every timestamp. The mixins
of :mod:`bot.store` build on it. Also here: :class:`StoreError`, the timestamp helpers
(``iso_time``, ``epoch_seconds``), SQLite's integer range and the Unicode ``casefold`` SQL function.

Threading: one connection opened with ``check_same_thread=False`` and guarded by a
lock. The bot calls the store from the event loop (tiny queries) and from
``asyncio.to_thread`` workers; every method takes the lock for one short transaction,
so calls never interleave. Reads on a file database go through a read-only connection
per thread (WAL lets them run beside the one writer); ``":memory:"`` has only the one
connection. A file database's WAL is checkpointed by :class:`Checkpointer`'s thread on
its own connection, never inside a writer's commit.

Schema changes are versioned: ``bot.store.migrations.MIGRATIONS`` is an append-only list
of named SQL steps and ``PRAGMA user_version`` records how many have run. Opening an
older database applies the missing steps, each in its own transaction. The schema
they produce is written down in ``bot/store/schema.sql``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast, overload
from urllib.parse import quote

from bot.errors import DigestbotError
from bot.store.engine import (
    WRITE_LOCK_KEY,
    PostgresConnection,
    PostgresError,
    parse_target,
)
from bot.store.migrations import BASELINE_VERSION, MIGRATIONS, POSTGRESQL_BASELINE, add_functions
from bot.web.urls import canonical_url


class StoreError(DigestbotError):
    """The database cannot be used (e.g. it was written by a newer digestbot)."""


MIN_ID = -(2**63)  # below every chat id (group chats have negative ids)
MAX_ID = 2**63 - 1
# How long one batch of a large delete holds the write lock (at most about this).
BATCH_SECONDS = 0.05
# The WAL's checkpoints (Checkpointer): how often, past which size the WAL is rewound
# (waiting at most CHECKPOINT_WAIT_MS for the writer and readers), and the size a
# rewound WAL file is cut back to.
CHECKPOINT_SECONDS = 0.25
CHECKPOINT_WAIT_MS = 200
WAL_RESTART_BYTES = 64 << 20
WAL_KEEP_BYTES = 16 << 20

log = logging.getLogger(__name__)

# How long close() waits for reads still running in other threads (a query on a large
# database takes well under a second).
CLOSE_WAIT_SECONDS = 10.0


def iso_time(seconds: float) -> str:
    """The text form of every timestamp the store writes (UTC, so it sorts as text)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")


def epoch_seconds(moment: datetime | float) -> float:
    """Seconds since the epoch for an aware datetime or a number already in seconds."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (e.g. in UTC)")
        return moment.timestamp()
    return float(moment)


class Checkpointer:
    """Copies a database's WAL back into its file every ``interval`` seconds, on a
    connection and a thread of its own, so that no writer pays for it.

    Each checkpoint is PASSIVE (it copies what no reader still needs and waits for
    nobody); when it copied everything and the WAL file has grown past
    ``WAL_RESTART_BYTES`` (a burst of writes that never paused for a passive one to
    finish), a RESTART follows, which has (almost) nothing left to copy, waits at most
    ``CHECKPOINT_WAIT_MS`` for the writer and the readers, and makes the next writer
    start the WAL over (the file cut back to ``WAL_KEEP_BYTES``). bench/checkpoint.py
    measured a TRUNCATE there: it kept writers waiting three times as long.
    """

    def __init__(self, path: str, interval: float | None = None) -> None:
        self._wal = Path(path + "-wal")
        self._interval = CHECKPOINT_SECONDS if interval is None else interval
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
        self._db.execute(f"PRAGMA journal_size_limit = {WAL_KEEP_BYTES}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def checkpoint(self) -> tuple[int, int, int]:
        """One checkpoint now: (busy, frames in the WAL, frames copied back)."""
        with self._lock:
            busy, frames, copied = self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            try:
                size = self._wal.stat().st_size
            except OSError:
                size = 0
            if size > WAL_RESTART_BYTES and copied == frames:
                # Everything is copied: rewinding only waits for the writer's current
                # transaction (at most CHECKPOINT_WAIT_MS) and copies what it added.
                busy, frames, copied = self._db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        return (busy, frames, copied)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.checkpoint()
            except sqlite3.Error as exc:  # e.g. busy: the next round tries again
                log.debug("checkpoint: %s", exc)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            self._db.close()


class StoreBase:
    """The connection, its lock, transactions, reads, migrations and the clock."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        try:
            self.target = parse_target(path)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        self.path = str(self.target)
        self.engine = self.target.engine
        self._clock = clock
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._checkpointer: Checkpointer | None = None
        # Reads in flight on the per-thread connections: close() waits for them, since
        # closing a connection while another thread runs a query on it crashes SQLite
        # (a feed poll's worker thread can still be reading when the bot shuts down).
        self._reads = threading.Condition()
        self._open_reads = 0
        self._closed = False
        if self.engine == "postgresql":
            self._open_postgresql()
            return
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: no implicit transactions; transaction() says BEGIN.
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        self._db.row_factory = sqlite3.Row
        self._db.create_function("casefold", 1, fold_text, deterministic=True)
        add_functions(self._db)
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA busy_timeout = 5000")
            if self.path != ":memory:":
                self._probe()
                self._enable_wal()
                # In WAL mode NORMAL survives a crash of the process (kill -9) with every
                # committed transaction intact; only a power loss may drop the last ones.
                self._db.execute("PRAGMA synchronous = NORMAL")
                # The WAL is copied back by the checkpointer's thread, not inside the
                # writer's commits (SQLite's automatic checkpoint runs in the commit
                # that crosses 1,000 pages, holding the write lock while it copies and
                # syncs); a WAL rewound after a full checkpoint is cut to this size.
                self._db.execute("PRAGMA wal_autocheckpoint = 0")
                self._db.execute(f"PRAGMA journal_size_limit = {WAL_KEEP_BYTES}")
            self._migrate()
            if self.path != ":memory:":
                self._checkpointer = Checkpointer(self.path)
        except StoreError:
            self._db.close()
            raise
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from None

    def _open_postgresql(self) -> None:
        """The PostgreSQL writer connection (readers are opened per thread), migrated."""
        try:
            # The store's methods take it as the connection they know (see engine).
            self._db = cast(sqlite3.Connection, PostgresConnection(self.target.location))
        except PostgresError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        try:
            self._migrate_postgresql()
        except StoreError:
            self._db.close()
            raise
        except PostgresError as exc:
            self._db.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from None

    def _migrate_postgresql(self) -> None:
        """A new PostgreSQL database gets the schema at BASELINE_VERSION at once (the
        same tables, columns and indexes as SQLite's after that many steps, in
        PostgreSQL's spelling: bot/store/schema_postgresql.sql); each later step runs
        its PostgreSQL spelling. ``schema_version`` records the version."""
        while True:
            with self.transaction() as db:
                fresh = db.execute("SELECT to_regclass('schema_version') IS NULL").fetchone()[0]
                if fresh:
                    raw = cast(PostgresConnection, db)
                    raw.execute_raw(POSTGRESQL_BASELINE.read_text(encoding="utf-8"))
                    raw.execute_raw(
                        "CREATE TABLE schema_version (version integer NOT NULL);"
                        f" INSERT INTO schema_version VALUES ({BASELINE_VERSION})"
                    )
                version = db.execute("SELECT version FROM schema_version").fetchone()[0]
                if version > len(MIGRATIONS):
                    raise StoreError(
                        f"database {self.path} has schema version {version}, but this "
                        f"digestbot knows only up to {len(MIGRATIONS)}: upgrade digestbot"
                    )
                if version == len(MIGRATIONS):
                    return
                step = MIGRATIONS[version]
                if step.postgresql is None:
                    raise StoreError(f"migration {step.version} has no PostgreSQL spelling")
                cast(PostgresConnection, db).execute_raw(step.postgresql)
                db.execute("UPDATE schema_version SET version = ?", (step.version,))

    def _probe(self) -> None:
        """A damaged file is refused at once, in one line naming it, instead of failing
        later on whatever page a query happens to read. Cheap at any size: the schema
        and the first page of every table (a few pages each); the whole file is read by
        :meth:`check_integrity` (``digestbot check``, and the bot in the background)."""
        try:
            names = [
                row[0]
                for row in self._db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
                )
            ]
            for name in names:
                quoted = '"' + name.replace('"', '""') + '"'
                self._db.execute(f"SELECT * FROM {quoted} LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            if "malformed" not in str(exc):  # e.g. "file is not a database"
                raise
            raise self._corrupt([str(exc)]) from None

    def check_integrity(self) -> list[str]:
        """SQLite's ``quick_check`` over the whole file: [] when it is sound, else its
        first problems (one line each). Reads every page: seconds on a large database,
        so not at every open (see :meth:`_probe`). PostgreSQL checks its own pages
        (checksums, WAL replay): [] there."""
        if self.engine == "postgresql":
            return []
        try:
            rows = self.query("PRAGMA quick_check(3)")
        except sqlite3.DatabaseError as exc:
            if "malformed" not in str(exc):
                raise
            return [str(exc)]
        return [str(row[0]).splitlines()[0] for row in rows if row[0] != "ok"]

    def _corrupt(self, problems: list[str]) -> StoreError:
        return StoreError(
            f"database {self.path} is corrupt ({problems[0]}): restore it from a "
            "backup, or move it away to start with an empty one"
        )

    def raise_if_corrupt(self) -> None:
        """:meth:`check_integrity`, raising the one-line StoreError when it finds damage."""
        problems = self.check_integrity()
        if problems:
            raise self._corrupt(problems)

    def _enable_wal(self) -> None:
        # Switching a new file to WAL takes an exclusive lock that busy_timeout does not
        # always wait for; when several processes open a fresh database at once, the
        # losers see "database is locked" and simply try again.
        for attempt in range(50):
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.05)

    # -- lifecycle -----------------------------------------------------------

    def checkpoint(self) -> tuple[int, int, int]:
        """Copy the WAL back into the database now, as the checkpointer's thread does
        four times a second: (busy, frames in the WAL, frames copied); a ":memory:" store
        has no WAL: (0, 0, 0)."""
        return self._checkpointer.checkpoint() if self._checkpointer else (0, 0, 0)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        with self._reads:
            self._closed = True
            self._reads.wait_for(lambda: self._open_reads == 0, timeout=CLOSE_WAIT_SECONDS)
        with self._lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        sql = "SELECT version FROM schema_version" if self.engine == "postgresql" else None
        with self._lock:
            return self._db.execute(sql or "PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        # The version is read again inside each step's write transaction, so two
        # processes opening a new database at once apply every step exactly once.
        while True:
            with self.transaction() as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > len(MIGRATIONS):
                    raise StoreError(
                        f"database {self.path} has schema version {version}, but this "
                        f"digestbot knows only up to {len(MIGRATIONS)}: upgrade digestbot"
                    )
                if version == len(MIGRATIONS):
                    # Titles stored before migration 7 (a no-op once filled: the
                    # partial index articles_unfolded holds exactly the rows to fill).
                    db.execute(
                        "UPDATE articles SET title_folded = casefold(title)"
                        " WHERE title_folded IS NULL"
                    )
                    # Links stored before migration 14 (the index finds the NULL ones).
                    rows = db.execute(
                        "SELECT number, url FROM articles WHERE url_key IS NULL"
                    ).fetchall()
                    db.executemany(
                        "UPDATE articles SET url_key = ? WHERE number = ?",
                        [(url_key(row["url"]), row["number"]) for row in rows],
                    )
                    return
                step = MIGRATIONS[version]
                if step.version != version + 1:
                    raise StoreError(f"migration {version + 1} is out of order: {step}")
                # Statement by statement: executescript() would commit the transaction.
                for statement in step.statements():
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {step.version}")

    @contextmanager
    def transaction(self, *, write_lock: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction under the lock: committed on success, rolled back on error.

        BEGIN IMMEDIATE takes SQLite's write lock at the start, so another process
        writing at the same time makes this wait (busy_timeout) instead of failing later.
        On PostgreSQL the transaction takes one advisory lock (``pg_advisory_xact_lock``,
        released at COMMIT or ROLLBACK) at its start: writers serialize exactly as on
        SQLite, across processes, so the read-then-write logic of the methods (allocating
        article numbers, queuing a digest once) needs nothing more. Finer locking is a
        later step; the writes are short, as on SQLite. ``write_lock=False`` leaves that
        advisory lock out (:meth:`claim_transaction`).
        """
        with self._lock:
            if self.engine == "postgresql":
                self._db.execute("BEGIN")
                try:
                    if write_lock:
                        self._db.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK_KEY,))
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            else:
                self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    @contextmanager
    def claim_transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction that claims rows it locks itself, without the global write lock.

        On SQLite it is :meth:`transaction` (one writer at a time is SQLite's own rule).
        On PostgreSQL it is a plain READ COMMITTED transaction: no
        ``pg_advisory_xact_lock``, so claimers in several processes run at once. Safe
        only for statements that change nothing but rows they lock first with
        ``SELECT ... FOR UPDATE SKIP LOCKED`` and that read nothing else they rely on:
        the row lock, not the advisory lock, is what keeps two claimers apart (the
        second skips a row the first holds, and re-reads one the first changed and
        committed, per PostgreSQL's READ COMMITTED rules). The advisory-locked writers
        (queuing, deleting, retrying) take the same row locks when they touch those
        rows, so they wait for a claim, or a claim skips what they hold.
        """
        with self.transaction(write_lock=False) as db:
            yield db

    def delete_in_batches(
        self, sql: str, params: Sequence[Any] = (), *, seconds: float = BATCH_SECONDS
    ) -> int:
        """Run ``sql``, a DELETE whose last parameter is a row limit (``... LIMIT ?``),
        in transactions of about ``seconds`` each until it deletes nothing; returns the
        rows deleted. The limit starts small and follows the measured time per row, so
        the write lock is never held long, whatever the table's size, and the other
        writers get their turn between batches."""
        deleted, rows = 0, 64
        while True:
            started = time.perf_counter()
            with self.transaction() as db:
                count = db.execute(sql, (*params, rows)).rowcount
            elapsed = time.perf_counter() - started
            deleted += count
            if count < rows:
                return deleted
            # Aim at `seconds` per batch, growing at most fourfold at a time.
            rows = max(16, min(rows * 4, int(rows * seconds / max(elapsed, 1e-6))))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """A read. On a file database each thread reads through its own read-only
        connection, so a read never waits for the store's lock (a rescan's or the
        sender's transaction) and a slow search in a worker thread never holds up a
        lookup on the event loop: WAL lets readers and the one writer run at once."""
        with self._reading() as db:
            return db.execute(sql, params).fetchall()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for several reads in a row (as ``query``): the thread's
        read-only one on a file database, never waiting for the writer; the one
        connection, under the lock, for ``":memory:"``."""
        if self.target.is_memory:
            with self._lock:
                yield self._db
            return
        with self._reads:
            if self._closed:
                raise StoreError(f"database {self.path} is closed")
            self._open_reads += 1
        try:
            reader = self._reader()
            assert reader is not None
            yield reader
        finally:
            with self._reads:
                self._open_reads -= 1
                if self._open_reads == 0:
                    self._reads.notify_all()

    def _reader(self) -> sqlite3.Connection | None:
        if self.target.is_memory:
            return None  # one connection is the whole database
        reader = getattr(self._local, "reader", None)
        if reader is None and self.engine == "postgresql":
            try:
                reader = cast(sqlite3.Connection, PostgresConnection(self.target.location))
            except PostgresError as exc:
                raise StoreError(f"cannot open database {self.path}: {exc}") from None
            with self._lock:
                self._readers.append(reader)
            self._local.reader = reader
        elif reader is None:
            uri = f"file:{quote(str(Path(self.path).resolve()))}?mode=ro"
            reader = sqlite3.connect(uri, uri=True, check_same_thread=False)
            reader.row_factory = sqlite3.Row
            reader.create_function("casefold", 1, fold_text, deterministic=True)
            add_functions(reader)
            reader.execute("PRAGMA busy_timeout = 5000")
            with self._lock:
                self._readers.append(reader)
            self._local.reader = reader
        return reader

    def now_text(self) -> str:
        """Now by the store's clock, as the store writes timestamps (ISO, UTC)."""
        return iso_time(self._clock())

    def now_seconds(self) -> float:
        """Now by the store's clock, in seconds since the epoch."""
        return self._clock()


def is_sqlite_int(value: int) -> bool:
    """True if SQLite can store the number (a 64-bit signed integer)."""
    return MIN_ID <= value < 2**63


def url_key(url: str | None) -> str:
    """What ``articles.url_key`` holds for a link: its canonical URL, '' for none."""
    if not url:
        return ""
    try:
        return canonical_url(url)
    except ValueError:
        return ""


@overload
def fold_text(text: str) -> str: ...
@overload
def fold_text(text: None) -> None: ...
def fold_text(text: str | None) -> str | None:
    """Unicode casefold (the ``casefold`` SQL function): SQLite's own lower()/LIKE fold
    ASCII only, and titles are in many languages."""
    return None if text is None else text.casefold()
