"""The SQLite store: chats, articles with their summaries, deliveries and the outbox.

SQLite is digestbot's source of truth; everything the bot knows survives a restart
here. One :class:`Store` wraps one database file (or ``":memory:"`` in tests):

* **chats** -- every chat the bot has talked to: its timezone (``None`` means the
  config default), its first digest time ``"HH:MM"`` (``None`` means not subscribed),
  the weekdays it gets digests on (``days``, a :mod:`bot.rhythm` mask), the forum topic
  they go to (``thread_id``), whether it is active (Telegram said it blocked the bot →
  inactive, with the reason) and ``last_digest_key``, the local date of the last
  scheduled digest queued for it.
* **subscriptions** -- one row per (chat, time of day), up to four per chat, each with
  ``last_run_key``: the local date of the last digest queued for that time, so the digest
  of one time on one day is never queued twice.
* **articles** -- one row per seed file (``source`` is unique). ``number`` is the
  user-facing N of ``/article N``: assigned once, kept when the file is edited, never
  reused. A changed ``content_hash`` clears the summary so it is computed again.
  A seed file that vanished is *retired* (hidden, number kept) rather than deleted,
  so a file that comes back -- a rename-and-save, a restored backup -- keeps its number.
* **digest_additions** -- pages and texts a user summarized and added to its chat's
  digest (issue 13). Such articles are *private*: in those chats' digests only, not in
  the shared list, search or counts, and never retired by a seeds scan.
* **deliveries** -- which article reached which chat; a digest holds only articles
  the chat has not received yet and that are not already waiting for it in the outbox.
  Deliveries older than the retention window are pruned (:meth:`Store.prune`); the
  chat's **pruned_deliveries** row then says that every article the store had before
  the cutoff counts as received, so none of them is sent to it again.
* **chat_filters** -- each chat's ``/filter`` terms (mode ``-``/``+`` and the term as
  written, keyed by its folded words). An article a chat's filters hold back is
  recorded in **deliveries** with ``held_back = 1``: done for that chat like a delivery,
  and counted by ``count_held_back`` (issue 14).
* **outbox** -- scheduled digests waiting to be sent (issue 5). Queuing a digest and
  setting ``last_digest_key`` is one transaction; sending a message, deleting it from
  the outbox and recording its deliveries is another. A crash between "Telegram
  accepted the message" and :meth:`Store.mark_sent` therefore repeats at most that
  one message, and nothing is ever lost.

Threading: one connection opened with ``check_same_thread=False`` and guarded by a
lock. The bot calls the store from the event loop (tiny queries) and from
``asyncio.to_thread`` workers; every method takes the lock for one short transaction,
so calls never interleave. A connection per thread would allow parallel readers in
WAL mode, but it cannot share a ``":memory:"`` database and the queries here are
sub-millisecond, so one serialized connection is simpler and fast enough.

Schema changes are versioned: ``bot.migrations.MIGRATIONS`` is an append-only list
of named SQL steps and ``PRAGMA user_version`` records how many have run. Opening an
older database applies the missing steps, each in its own transaction. The schema
they produce is written down in ``bot/schema.sql``.

Retention: :meth:`Store.prune` (daily, via :func:`prune_expired`) deletes deliveries
older than ``[storage] retention_days`` so the file does not grow without bound;
see its docstring for why that never lets an article reach a chat twice.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bot.errors import DigestbotError
from bot.migrations import MIGRATIONS
from bot.rhythm import EVERY_DAY, check_days, normal_times
from bot.times import format_time, parse_time, valid_timezone

if TYPE_CHECKING:
    from bot.articles import Article

__all__ = [
    "ArticleRecord",
    "Chat",
    "OutboxItem",
    "Pruned",
    "Store",
    "StoreError",
    "prune_expired",
]

log = logging.getLogger(__name__)

DAY_SECONDS = 86_400


class StoreError(DigestbotError):
    """The database cannot be used (e.g. it was written by a newer digestbot)."""


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat as stored. ``timezone`` None: the config default; ``digest_time`` None: not
    subscribed; ``last_digest_key``: the local date of the last scheduled digest queued;
    ``subscribed_at``: when it last subscribed or changed its time (ISO, UTC)."""

    chat_id: int
    timezone: str | None
    digest_time: str | None
    active: bool
    deactivated_reason: str | None
    last_digest_key: str | None
    created_at: str
    updated_at: str
    subscribed_at: str | None = None
    # Weekdays with digests (bot.rhythm mask), (time, last run key) of each digest time
    # (sorted by time), and the forum topic digests go to (None: the chat itself).
    days: int = EVERY_DAY
    runs: tuple[tuple[str, str | None], ...] = ()
    thread_id: int | None = None

    @property
    def subscribed(self) -> bool:
        """True when this chat gets scheduled digests: active and with a time."""
        return self.active and self.digest_time is not None

    @property
    def digest_times(self) -> tuple[str, ...]:
        """Every time of day the chat gets a digest at, sorted (none if unsubscribed)."""
        if self.runs:
            return tuple(digest_time for digest_time, _ in self.runs)
        return () if self.digest_time is None else (self.digest_time,)

    def last_key_at(self, digest_time: str) -> str | None:
        """The run key of the last digest queued for ``digest_time`` (the chat's
        ``last_digest_key`` when the chat has no row for that time)."""
        for at, key in self.runs:
            if at == digest_time:
                return key
        return self.last_digest_key


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """An article as stored; ``summary`` is None until it has been computed.

    Has the attributes ``bot.digest`` reads (number, title, url, date, summary), so a
    record can be passed to the digest formatters directly.
    """

    number: int
    source: str
    content_hash: str
    title: str
    date: str | None
    url: str | None
    language: str
    text: str
    summary: tuple[str, ...] | None
    added_at: str
    # Feed articles (issue 12): the feed's id and the name digests show ("seeds" for
    # seed files: source_name is None and feed_id None).
    feed_id: int | None = None
    source_name: str | None = None


@dataclass(frozen=True, slots=True)
class Pruned:
    """What :meth:`Store.prune` did: ``deliveries`` deleted, all delivered before
    ``cutoff`` (ISO, UTC), from ``chats`` chats."""

    cutoff: str
    deliveries: int
    chats: int


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One queued message: send ``text`` (HTML) to ``chat_id``; on success the chat has
    received ``article_numbers``. ``attempts`` counts earlier failed tries."""

    id: int
    chat_id: int
    run_key: str
    text: str
    article_numbers: tuple[int, ...]
    attempts: int
    next_attempt_at: float
    thread_id: int | None = None  # the forum topic to send it to


# A chat row (table alias c): what _chat() reads, with its subscriptions rows (_runs).
_CHAT_SELECT = (
    "SELECT c.chat_id, c.timezone, c.digest_time, c.active, c.deactivated_reason,"
    " c.last_digest_key, c.created_at, c.updated_at, c.subscribed_at, c.days, c.thread_id"
)
# Chat ids per query when reading their subscriptions (below SQLite's parameter limit).
_IDS_PER_QUERY = 500
_ARTICLE_COLUMNS = (
    "number, source, content_hash, title, date, url, language, text, summary, added_at,"
    " feed_id, (SELECT coalesce(f.name, f.title, f.url) FROM feeds f WHERE f.id = feed_id)"
    " AS source_name"
)
_NEWEST_FIRST = "date DESC, added_at DESC, number DESC"
# Unseen by a chat (parameters: _unseen_params(chat_id)): summarized, visible, shared or
# added to this chat's digest (a private article, issue 13: then its addition's time
# counts for the pruning horizon), not delivered, not added before the chat's pruned
# deliveries (Store.prune), and not in a message still
# waiting in the outbox (the digest queued yesterday and still being retried must not
# be repeated by today's).
_UNSEEN = (
    "summary IS NOT NULL AND retired_at IS NULL"
    " AND CASE WHEN a.private = 0 THEN a.added_at ELSE (SELECT x.added_at"
    " FROM digest_additions x WHERE x.chat_id = ? AND x.number = a.number) END"
    " >= coalesce((SELECT p.added_before FROM pruned_deliveries p WHERE p.chat_id = ?), '')"
    " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.chat_id = ? AND d.number = a.number)"
    " AND a.number NOT IN (SELECT j.value FROM outbox o, json_each(o.article_numbers) j"
    " WHERE o.chat_id = ?)"
    # Only the chat's sources (feed 0: the seeds folder); see bot.feedstore.
    " AND coalesce(a.feed_id, 0) NOT IN (SELECT s.feed_id FROM chat_sources_off s"
    " WHERE s.chat_id = ?)"
)


def _unseen_params(chat_id: int) -> tuple[int, ...]:
    """The parameters of _UNSEEN: the chat id for each placeholder."""
    return (chat_id,) * _UNSEEN.count("?")


_MIN_ID = -(2**63)  # below every chat id (group chats have negative ids)
_MAX_ID = 2**63 - 1
_OUTBOX_COLUMNS = (
    "id, chat_id, run_key, text, article_numbers, attempts, next_attempt_at, message_thread_id"
)


def _iso(seconds: float) -> str:
    """The text form of every timestamp the store writes (UTC, so it sorts as text)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")


def _epoch(moment: datetime | float) -> float:
    """Seconds since the epoch for an aware datetime or a number already in seconds."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (e.g. in UTC)")
        return moment.timestamp()
    return float(moment)


class Store:
    """The database. ``Store(path)``; ``":memory:"`` for a throw-away one.

    Use as a context manager or call :meth:`close`. ``clock`` (seconds since the
    epoch) is injectable so tests can control ``created_at``/``added_at``.
    """

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = str(path)
        self._clock = clock
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: no implicit transactions; _transaction() says BEGIN.
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        self._db.row_factory = sqlite3.Row
        self._db.create_function("casefold", 1, _casefold, deterministic=True)
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA busy_timeout = 5000")
            if self.path != ":memory:":
                self._check_integrity()
                self._enable_wal()
                # In WAL mode NORMAL survives a crash of the process (kill -9) with every
                # committed transaction intact; only a power loss may drop the last ones.
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except StoreError:
            self._db.close()
            raise
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from None

    def _check_integrity(self) -> None:
        """A corrupt file is refused at once, in one line naming it, instead of failing
        later on whatever page a query happens to read."""
        try:
            rows = self._db.execute("PRAGMA quick_check(3)").fetchall()
        except sqlite3.DatabaseError as exc:
            if "malformed" not in str(exc):  # e.g. "file is not a database"
                raise
            rows = [(str(exc),)]  # the schema itself is unreadable
        problems = [str(row[0]).splitlines()[0] for row in rows if row[0] != "ok"]
        if problems:
            raise StoreError(
                f"database {self.path} is corrupt ({problems[0]}): restore it from a "
                "backup, or move it away to start with an empty one"
            )

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

    def close(self) -> None:
        with self._lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._db.close()

    def __enter__(self) -> Store:
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
        with self._lock:
            return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        # The version is read again inside each step's write transaction, so two
        # processes opening a new database at once apply every step exactly once.
        while True:
            with self._transaction() as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > len(MIGRATIONS):
                    raise StoreError(
                        f"database {self.path} has schema version {version}, but this "
                        f"digestbot knows only up to {len(MIGRATIONS)}: upgrade digestbot"
                    )
                if version == len(MIGRATIONS):
                    # Titles stored before migration 7 (a no-op once filled).
                    db.execute(
                        "UPDATE articles SET title_folded = casefold(title)"
                        " WHERE title_folded IS NULL"
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
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction under the lock: committed on success, rolled back on error.

        BEGIN IMMEDIATE takes SQLite's write lock at the start, so another process
        writing at the same time makes this wait (busy_timeout) instead of failing later.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """A read. On a file database each thread reads through its own read-only
        connection, so a read never waits for the store's lock (a rescan's or the
        sender's transaction) and a slow search in a worker thread never holds up a
        lookup on the event loop: WAL lets readers and the one writer run at once."""
        reader = self._reader()
        if reader is None:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        return reader.execute(sql, params).fetchall()

    def _reader(self) -> sqlite3.Connection | None:
        if self.path == ":memory:":
            return None  # one connection is the whole database
        reader = getattr(self._local, "reader", None)
        if reader is None:
            uri = f"file:{quote(str(Path(self.path).resolve()))}?mode=ro"
            reader = sqlite3.connect(uri, uri=True, check_same_thread=False)
            reader.row_factory = sqlite3.Row
            reader.create_function("casefold", 1, _casefold, deterministic=True)
            reader.execute("PRAGMA busy_timeout = 5000")
            with self._lock:
                self._readers.append(reader)
            self._local.reader = reader
        return reader

    def _now_text(self) -> str:
        return _iso(self._clock())

    # -- chats ---------------------------------------------------------------

    def _ensure_chat(self, db: sqlite3.Connection, chat_id: int) -> None:
        now = self._now_text()
        db.execute(
            "INSERT OR IGNORE INTO chats (chat_id, created_at, updated_at) VALUES (?, ?, ?)",
            (chat_id, now, now),
        )

    def _get_chat(self, db: sqlite3.Connection, chat_id: int) -> Chat | None:
        row = db.execute(f"{_CHAT_SELECT} FROM chats c WHERE c.chat_id = ?", (chat_id,))
        found = row.fetchone()
        if found is None:
            return None
        runs = db.execute(
            "SELECT chat_id, digest_time, last_run_key FROM subscriptions WHERE chat_id = ?",
            (chat_id,),
        ).fetchall()
        return _chat(found, _runs(runs).get(chat_id, ()))

    def _with_runs(self, rows: Sequence[sqlite3.Row], *, in_order: bool = False) -> list[Chat]:
        """Chats of rows read with _CHAT_SELECT, each with its digest times: one query
        per page of chats (a subquery per row made reading 100,000 chats twice as slow).
        ``in_order``: the rows are every subscribed chat of a chat-id range (a page of
        iter_subscribers), so their times are one range scan."""
        ids = [row["chat_id"] for row in rows]
        runs: dict[int, tuple[tuple[str, str | None], ...]] = {}
        if in_order and ids:
            runs = _runs(
                self._query(
                    "SELECT chat_id, digest_time, last_run_key FROM subscriptions"
                    " WHERE chat_id BETWEEN ? AND ?",
                    (ids[0], ids[-1]),
                )
            )
            return [_chat(row, runs.get(row["chat_id"], ())) for row in rows]
        for start in range(0, len(ids), _IDS_PER_QUERY):
            part = ids[start : start + _IDS_PER_QUERY]
            runs.update(
                _runs(
                    self._query(
                        "SELECT chat_id, digest_time, last_run_key FROM subscriptions"
                        f" WHERE chat_id IN ({', '.join('?' * len(part))})",
                        part,
                    )
                )
            )
        return [_chat(row, runs.get(row["chat_id"], ())) for row in rows]

    def get_chat(self, chat_id: int) -> Chat | None:
        """The chat, or None if the bot has never stored it."""
        with self._lock:
            return self._get_chat(self._db, chat_id)

    def subscribe(
        self,
        chat_id: int,
        digest_time: str | Sequence[str],
        timezone: str | None = None,
        *,
        days: int = EVERY_DAY,
        thread_id: int | None = None,
    ) -> Chat:
        """Subscribe at ``digest_time`` ("HH:MM", or up to four of them) on ``days`` (a
        :mod:`bot.rhythm` mask), digests going to forum topic ``thread_id`` (None: the
        chat itself); also reactivates the chat. Replaces the chat's times: a time it
        keeps keeps its last run key, so a digest already queued today is not queued
        again.

        ``timezone`` None keeps the chat's timezone (or the config default). The caller
        validates its input (``bot.rhythm.parse_rhythm``/``bot.times``); invalid values
        raise ValueError here as a last guard.
        """
        times = normal_times([digest_time] if isinstance(digest_time, str) else digest_time)
        check_days(days)
        if timezone is not None:
            _check_timezone(timezone)
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            now = self._now_text()
            db.execute(
                "UPDATE chats SET digest_time = ?, timezone = COALESCE(?, timezone), active = 1,"
                " deactivated_reason = NULL, updated_at = ?, subscribed_at = ?, days = ?,"
                " thread_id = ? WHERE chat_id = ?",
                (times[0], timezone, now, now, days, thread_id, chat_id),
            )
            self._set_times(db, chat_id, times)
            return self._get_chat(db, chat_id)  # type: ignore[return-value]

    def _set_times(self, db: sqlite3.Connection, chat_id: int, times: Sequence[str]) -> None:
        db.execute(
            "DELETE FROM subscriptions WHERE chat_id = ? AND digest_time NOT IN"
            f" ({', '.join('?' * len(times))})",
            (chat_id, *times),
        )
        db.executemany(
            "INSERT OR IGNORE INTO subscriptions (chat_id, digest_time) VALUES (?, ?)",
            [(chat_id, at) for at in times],
        )

    def subscribe_many(self, subscriptions: Iterable[tuple[int, str, str | None]]) -> int:
        """subscribe() for many (chat_id, "HH:MM", timezone or None) in one transaction
        (imports, benchmarks): daily, at that one time; returns how many. Invalid input
        raises before anything is written."""
        now = self._now_text()
        rows = [
            (chat_id, _normal_time(digest_time), _checked_timezone(timezone), now)
            for chat_id, digest_time, timezone in subscriptions
        ]
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO chats (chat_id, digest_time, timezone, created_at, updated_at,"
                " subscribed_at) VALUES (?1, ?2, ?3, ?4, ?4, ?4)"
                " ON CONFLICT (chat_id) DO UPDATE SET digest_time = excluded.digest_time,"
                " timezone = COALESCE(excluded.timezone, timezone), active = 1,"
                " deactivated_reason = NULL, updated_at = excluded.updated_at,"
                f" subscribed_at = excluded.subscribed_at, days = {EVERY_DAY},"
                " thread_id = NULL",
                rows,
            )
            db.executemany(
                "DELETE FROM subscriptions WHERE chat_id = ? AND digest_time != ?",
                [(chat_id, at) for chat_id, at, _, _ in rows],
            )
            db.executemany(
                "INSERT OR IGNORE INTO subscriptions (chat_id, digest_time) VALUES (?, ?)",
                [(chat_id, at) for chat_id, at, _, _ in rows],
            )
        return len(rows)

    def unsubscribe(self, chat_id: int) -> bool:
        """Stop scheduled digests and drop the chat's digest messages not sent yet (they
        asked to stop); True if the chat was subscribed."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE chats SET digest_time = NULL, updated_at = ?"
                " WHERE chat_id = ? AND digest_time IS NOT NULL",
                (self._now_text(), chat_id),
            )
            db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
            db.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,))
            return cursor.rowcount > 0

    def leave_topic(self, chat_id: int) -> None:
        """The chat's forum topic is gone: its digests, and those waiting in the outbox,
        go to the chat itself from now on."""
        with self._transaction() as db:
            db.execute(
                "UPDATE chats SET thread_id = NULL, updated_at = ? WHERE chat_id = ?",
                (self._now_text(), chat_id),
            )
            db.execute("UPDATE outbox SET message_thread_id = NULL WHERE chat_id = ?", (chat_id,))

    def set_timezone(self, chat_id: int, timezone: str | None) -> Chat:
        """Set the chat's IANA timezone (None: back to the config default)."""
        if timezone is not None:
            _check_timezone(timezone)
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            db.execute(
                "UPDATE chats SET timezone = ?, updated_at = ? WHERE chat_id = ?",
                (timezone, self._now_text(), chat_id),
            )
            return self._get_chat(db, chat_id)  # type: ignore[return-value]

    def deactivate(self, chat_id: int, reason: str) -> int:
        """Mark the chat inactive (blocked, deactivated, kicked, not found) and drop its
        pending outbox items; returns how many items were dropped. The subscription time
        is kept, so reactivating resumes the same schedule."""
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            db.execute(
                "UPDATE chats SET active = 0, deactivated_reason = ?, updated_at = ?"
                " WHERE chat_id = ?",
                (reason, self._now_text(), chat_id),
            )
            return db.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,)).rowcount

    def reactivate(self, chat_id: int) -> Chat:
        """Mark the chat active again (it wrote to the bot); creates it if new."""
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            db.execute(
                "UPDATE chats SET active = 1, deactivated_reason = NULL, updated_at = ?"
                " WHERE chat_id = ? AND active = 0",
                (self._now_text(), chat_id),
            )
            return self._get_chat(db, chat_id)  # type: ignore[return-value]

    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> Chat | None:
        """The group ``old_chat_id`` became the supergroup ``new_chat_id`` (Telegram's
        ``migrate_to_chat_id``): move everything the store keeps about it to the new id,
        in one transaction, and return the chat under its new id.

        Moved: the chat's row (digest time, timezone, active state, last_digest_key,
        subscribed_at, created_at), its deliveries and its outbox items (ids kept, so
        their order and an item in flight stay valid). Unknown ``old_chat_id`` (no row):
        returns None and changes nothing, so a repeated migration is harmless.

        When ``new_chat_id`` already has a row (someone wrote to the bot in the
        supergroup first), the two rows are merged into the new one:

        * the old row wins wherever it has a value; the new row's setting is kept only
          where the old one has none (its timezone when the old one is the default).
          The subscription is one unit: the old row's digest time and subscribed_at if
          it was subscribed, else the new row's;
        * active if either row is (the bot could talk to the group until the upgrade,
          and to the supergroup if it is active there); when both are inactive, the old
          row's reason is kept;
        * last_digest_key: the later of the two, so the merged chat is not queued a
          second digest for a day that one of them already got;
        * created_at: the earlier one;
        * deliveries: the union (a pair both have keeps the new row's time), and of
          the pruned deliveries' horizons (``prune``) the later one;
        * outbox items: all of both, in queue (id) order. If both chats had a digest
          pending, both are sent, interleaved by queue order: nothing is lost, but the
          chat may see an article twice.
        """
        with self._transaction() as db:
            old = self._get_chat(db, old_chat_id)
            if old is None or old_chat_id == new_chat_id:
                return old
            new = self._get_chat(db, new_chat_id)
            now = self._now_text()
            if new is None:
                db.execute(
                    "UPDATE chats SET chat_id = ?, updated_at = ? WHERE chat_id = ?",
                    (new_chat_id, now, old_chat_id),
                )
                db.execute(
                    "UPDATE subscriptions SET chat_id = ? WHERE chat_id = ?",
                    (new_chat_id, old_chat_id),
                )
            else:
                subscription = old if old.digest_time is not None else new
                keys = [key for key in (old.last_digest_key, new.last_digest_key) if key]
                active = old.active or new.active
                reason = None if active else old.deactivated_reason or new.deactivated_reason
                db.execute(
                    "UPDATE chats SET timezone = ?, digest_time = ?, active = ?,"
                    " deactivated_reason = ?, last_digest_key = ?, created_at = ?,"
                    " updated_at = ?, subscribed_at = ?, days = ?, thread_id = ?"
                    " WHERE chat_id = ?",
                    (
                        old.timezone if old.timezone is not None else new.timezone,
                        subscription.digest_time,
                        int(active),
                        reason,
                        max(keys) if keys else None,
                        min(old.created_at, new.created_at),
                        now,
                        subscription.subscribed_at,
                        subscription.days,
                        subscription.thread_id,
                        new_chat_id,
                    ),
                )
                db.execute("DELETE FROM chats WHERE chat_id = ?", (old_chat_id,))
                # The subscription's times (and their run keys) are one unit with it.
                if subscription is old:
                    db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (new_chat_id,))
                    db.execute(
                        "UPDATE subscriptions SET chat_id = ? WHERE chat_id = ?",
                        (new_chat_id, old_chat_id),
                    )
                else:
                    db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (old_chat_id,))
            # Deliveries may exist without a chat row (an on-demand /digest records them
            # too): copy without overwriting, then delete, rather than an UPDATE that a
            # pair the new id already has would make fail.
            db.execute(
                "INSERT OR IGNORE INTO deliveries (chat_id, number, delivered_at, held_back)"
                " SELECT ?, number, delivered_at, held_back FROM deliveries WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM deliveries WHERE chat_id = ?", (old_chat_id,))
            # Pages added to the digest (issue 13) likewise, the later addition kept.
            db.execute(
                "INSERT INTO digest_additions (chat_id, number, added_at)"
                " SELECT ?, number, added_at FROM digest_additions WHERE chat_id = ?"
                " ON CONFLICT (chat_id, number) DO UPDATE"
                " SET added_at = max(added_at, excluded.added_at)",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM digest_additions WHERE chat_id = ?", (old_chat_id,))
            # The sources the chat turned off (/sources, issue 12) move along.
            db.execute(
                "INSERT OR IGNORE INTO chat_sources_off (chat_id, feed_id)"
                " SELECT ?, feed_id FROM chat_sources_off WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM chat_sources_off WHERE chat_id = ?", (old_chat_id,))
            # Filter terms: the new chat's own terms win over the old one's same terms.
            db.execute(
                "INSERT OR IGNORE INTO chat_filters (chat_id, term_key, mode, term, added_at)"
                " SELECT ?, term_key, mode, term, added_at FROM chat_filters WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM chat_filters WHERE chat_id = ?", (old_chat_id,))
            # Pruned deliveries: the later horizon of the two, so neither chat's pruned
            # articles come back (see prune).
            db.execute(
                "INSERT INTO pruned_deliveries (chat_id, added_before)"
                " SELECT ?, added_before FROM pruned_deliveries WHERE chat_id = ?"
                " ON CONFLICT (chat_id) DO UPDATE"
                " SET added_before = max(added_before, excluded.added_before)",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM pruned_deliveries WHERE chat_id = ?", (old_chat_id,))
            db.execute(
                "UPDATE outbox SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
            )
            return self._get_chat(db, new_chat_id)

    def subscribers(self) -> list[Chat]:
        """Every active chat with a digest time, by chat id (see iter_subscribers)."""
        return list(self.iter_subscribers())

    def iter_subscribers(self, batch_size: int = 1000) -> Iterator[Chat]:
        """Active subscribed chats by chat id, read in batches of ``batch_size``.

        The lock is held per batch only, so other calls run between batches; a chat
        changed meanwhile is seen in its new state if its batch has not been read yet.
        """
        after: int | None = None
        while True:
            page = self._subscribers_page(after, batch_size)
            yield from page
            if len(page) < batch_size:
                return
            after = page[-1].chat_id

    def _subscribers_page(self, after_chat_id: int | None, limit: int) -> list[Chat]:
        """Up to ``limit`` active subscribed chats with chat_id > ``after_chat_id``."""
        rows = self._query(
            f"{_CHAT_SELECT} FROM chats c"
            " WHERE c.active = 1 AND c.digest_time IS NOT NULL AND c.chat_id > ?"
            " ORDER BY c.chat_id LIMIT ?",
            (after_chat_id if after_chat_id is not None else _MIN_ID, limit),
        )
        return self._with_runs(rows, in_order=True)

    def subscribers_at(
        self,
        digest_time: str,
        timezone: str,
        *,
        default_timezone: str | None = None,
        after_chat_id: int | None = None,
        limit: int | None = None,
        weekday: int | None = None,
    ) -> list[Chat]:
        """Active chats subscribed at ``digest_time`` (one of their times) in
        ``timezone``, by chat id. Chats without a timezone of their own count as
        ``default_timezone`` (the config's). ``weekday`` (Monday = 0): only chats whose
        days include it. ``after_chat_id`` and ``limit`` read them a page at a time."""
        day_filter = "" if weekday is None else " AND (c.days >> ?) & 1"
        rows = self._query(
            f"{_CHAT_SELECT} FROM subscriptions s JOIN chats c ON c.chat_id = s.chat_id"
            " WHERE s.digest_time = ? AND c.active = 1 AND c.digest_time IS NOT NULL"
            " AND (c.timezone = ? OR (c.timezone IS NULL AND ?)) AND s.chat_id > ?"
            f"{day_filter} ORDER BY s.chat_id LIMIT ?",
            (
                digest_time,
                timezone,
                timezone == default_timezone,
                after_chat_id if after_chat_id is not None else _MIN_ID,
                *(() if weekday is None else (weekday,)),
                -1 if limit is None else limit,
            ),
        )
        return self._with_runs(rows)

    def count_subscribers(self) -> int:
        return self._query(
            "SELECT count(*) FROM chats WHERE active = 1 AND digest_time IS NOT NULL"
        )[0][0]

    # -- articles ------------------------------------------------------------

    def upsert_article(self, article: Article) -> tuple[int, bool]:
        """Store an article read from a seed file; returns (number, changed).

        New source: a new number, changed=True. Same source, new content hash: the row
        is updated, its summary cleared, changed=True. Same hash: nothing changes
        (changed=False), except that a retired article comes back (changed=True).
        """
        with self._transaction() as db:
            return self._upsert_article(db, article)

    def upsert_articles(self, articles: Iterable[Article]) -> list[tuple[int, bool]]:
        """upsert_article for many articles in one transaction (fast bulk ingest)."""
        with self._transaction() as db:
            return [self._upsert_article(db, article) for article in articles]

    def _upsert_article(self, db: sqlite3.Connection, article: Article) -> tuple[int, bool]:
        content_hash = article.content_hash
        row = db.execute(
            "SELECT number, content_hash, retired_at FROM articles WHERE source = ?",
            (article.source,),
        ).fetchone()
        fields = (
            content_hash,
            article.title,
            article.date,
            article.url,
            article.language,
            article.text,
        )
        if row is None:
            cursor = db.execute(
                "INSERT INTO articles (content_hash, title, date, url, language, text,"
                " source, added_at, title_folded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*fields, article.source, self._now_text(), _casefold(article.title)),
            )
            return int(cursor.lastrowid or 0), True
        number = row["number"]
        if row["content_hash"] != content_hash:
            db.execute(
                "UPDATE articles SET content_hash = ?, title = ?, date = ?, url = ?,"
                " language = ?, text = ?, summary = NULL, retired_at = NULL,"
                " title_folded = ? WHERE number = ?",
                (*fields, _casefold(article.title), number),
            )
            return number, True
        if row["retired_at"] is not None:
            db.execute("UPDATE articles SET retired_at = NULL WHERE number = ?", (number,))
            return number, True
        return number, False

    def retire_missing(self, present_sources: Iterable[str]) -> list[int]:
        """Retire every article whose source is not in ``present_sources`` (the seed
        files found by the latest scan); returns their numbers. Retired articles are
        hidden everywhere but keep their number and summary in case the file returns."""
        present = set(present_sources)
        with self._transaction() as db:
            rows = db.execute(
                "SELECT number, source FROM articles WHERE retired_at IS NULL AND private = 0"
                " AND feed_id IS NULL"  # feed articles are not seed files
            ).fetchall()
            gone = [row["number"] for row in rows if row["source"] not in present]
            now = self._now_text()
            db.executemany(
                "UPDATE articles SET retired_at = ? WHERE number = ?",
                [(now, number) for number in gone],
            )
            return gone

    def set_summary(self, number: int, sentences: Sequence[str]) -> None:
        """Store the summary (a list of sentences) of article ``number``."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE articles SET summary = ? WHERE number = ?",
                (json.dumps(list(sentences), ensure_ascii=False), number),
            )
            if cursor.rowcount == 0:
                raise KeyError(f"no article number {number}")

    def articles_without_summary(self, limit: int | None = None) -> list[ArticleRecord]:
        """Visible articles whose summary is still to be computed, oldest number first."""
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles"
            " WHERE summary IS NULL AND retired_at IS NULL ORDER BY number LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [_article(row) for row in rows]

    def articles_version(self) -> int:
        """A number that changes whenever any article is added, changed or retired (by
        this process or another): what was composed from the articles at one version
        holds as long as the version does."""
        with self._lock:
            return self._db.execute("SELECT n FROM article_changes").fetchone()[0]

    def get_article(self, number: int) -> ArticleRecord | None:
        """Article ``number``, or None if there is none (or it was retired)."""
        if not _is_sqlite_int(number):
            return None  # "/article 99999999999999999999" is just not an article
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE number = ? AND retired_at IS NULL",
            (number,),
        )
        return _article(rows[0]) if rows else None

    def visible_sources(self) -> set[str]:
        """The seed files (``source``) of every visible article."""
        return {
            row[0] for row in self._query("SELECT source FROM articles WHERE retired_at IS NULL")
        }

    def list_articles(self, offset: int = 0, limit: int = 10) -> list[ArticleRecord]:
        """Visible articles newest first: by date (undated last), then added_at, then
        number, all descending."""
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE retired_at IS NULL AND private = 0"
            f" ORDER BY {_NEWEST_FIRST} LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [_article(row) for row in rows]

    def next_article(self, number: int) -> ArticleRecord | None:
        """The visible article listed right after ``number`` (newest first, as in
        list_articles), or None when ``number`` is the last one or not visible."""
        if not _is_sqlite_int(number):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT date, added_at FROM articles WHERE number = ? AND retired_at IS NULL",
                (number,),
            ).fetchone()
            if row is None:
                return None
            # Keyset step along the articles_newest index. Undated articles sort last
            # (NULL is the smallest value in SQLite, so last in DESC order).
            if row["date"] is None:
                after = "date IS NULL AND (added_at, number) < (?, ?)"
                params: tuple[Any, ...] = (row["added_at"], number)
            else:
                after = "(date < ? OR date IS NULL OR (date = ? AND (added_at, number) < (?, ?)))"
                params = (row["date"], row["date"], row["added_at"], number)
            found = self._db.execute(
                f"SELECT {_ARTICLE_COLUMNS} FROM articles"
                f" WHERE retired_at IS NULL AND private = 0 AND {after}"
                f" ORDER BY {_NEWEST_FIRST} LIMIT 1",
                params,
            ).fetchone()
            return _article(found) if found else None

    def count_articles(self) -> int:
        return self._query(
            "SELECT count(*) FROM articles WHERE retired_at IS NULL AND private = 0"
        )[0][0]

    def search_articles(
        self, words: Iterable[str], limit: int | None = None
    ) -> list[ArticleRecord]:
        """Visible articles whose title contains every word (case-insensitive, Unicode
        casefold, substring match), newest first. No words: no articles."""
        needles = [_casefold(word) for word in words if word.strip()]
        if not needles:
            return []
        condition = " AND ".join("instr(title_folded, ?) > 0" for _ in needles)
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles"
            f" WHERE retired_at IS NULL AND private = 0 AND {condition}"
            f" ORDER BY {_NEWEST_FIRST} LIMIT ?",
            (*needles, -1 if limit is None else limit),
        )
        return [_article(row) for row in rows]

    def add_to_digest(
        self, chat_id: int, article: Article, summary: Sequence[str]
    ) -> tuple[int, bool]:
        """A page or text a user summarized goes into the chat's next digest (issue 13).

        One transaction: the article is stored as *private* (in the digests of the chats
        that added it only, not in the shared list) under its ``source`` with its
        summary -- the same source again is the same article, updated if its content
        changed -- and the chat's addition is recorded. Returns (number, added): added
        is False when it is already waiting for the chat's next digest (nothing changes
        then); a page added before and sent since goes into the next digest again."""
        summary_json = json.dumps(list(summary), ensure_ascii=False)
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            row = db.execute(
                "SELECT number, content_hash, private, retired_at FROM articles WHERE source = ?",
                (article.source,),
            ).fetchone()
            fields = (
                article.content_hash,
                article.title,
                article.date,
                article.url,
                article.language,
                article.text,
                summary_json,
                _casefold(article.title),
            )
            if row is None:
                cursor = db.execute(
                    "INSERT INTO articles (content_hash, title, date, url, language, text,"
                    " summary, title_folded, source, added_at, private)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                    (*fields, article.source, self._now_text()),
                )
                number = int(cursor.lastrowid or 0)
            else:
                number = row["number"]
                if row["content_hash"] != article.content_hash or row["retired_at"] is not None:
                    db.execute(
                        "UPDATE articles SET content_hash = ?, title = ?, date = ?, url = ?,"
                        " language = ?, text = ?, summary = ?, title_folded = ?,"
                        " retired_at = NULL WHERE number = ?",
                        (*fields, number),
                    )
            waiting = db.execute(
                f"SELECT 1 FROM articles a WHERE a.number = ? AND {_UNSEEN}",
                (number, *_unseen_params(chat_id)),
            ).fetchone()
            if waiting is not None:
                return number, False
            # New, or added before and sent (or pruned) since: it goes into the next one.
            db.execute("DELETE FROM deliveries WHERE chat_id = ? AND number = ?", (chat_id, number))
            db.execute(
                "INSERT INTO digest_additions (chat_id, number, added_at) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_id, number) DO UPDATE SET added_at = excluded.added_at",
                (chat_id, number, self._now_text()),
            )
            return number, True

    # -- deliveries ----------------------------------------------------------

    def unseen_articles(self, chat_id: int, limit: int) -> list[ArticleRecord]:
        """Summarized visible articles the chat has neither received nor waiting for it
        in the outbox, newest first."""
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles a WHERE {_UNSEEN} ORDER BY {_NEWEST_FIRST}"
            " LIMIT ?",
            (*_unseen_params(chat_id), limit),
        )
        return [_article(row) for row in rows]

    def count_unseen(self, chat_id: int) -> int:
        """How many articles unseen_articles would give without a limit."""
        return self._query(
            f"SELECT count(*) FROM articles a WHERE {_UNSEEN}", _unseen_params(chat_id)
        )[0][0]

    def record_deliveries(self, chat_id: int, numbers: Iterable[int]) -> None:
        """Record that the chat received these articles (e.g. an on-demand /digest was
        sent). Already recorded pairs and unknown numbers are ignored."""
        with self._transaction() as db:
            self._record_deliveries(db, chat_id, numbers)

    def _record_deliveries(
        self, db: sqlite3.Connection, chat_id: int, numbers: Iterable[int]
    ) -> None:
        now = self._now_text()
        db.executemany(
            "INSERT OR IGNORE INTO deliveries (chat_id, number, delivered_at)"
            " SELECT ?, number, ? FROM articles WHERE number = ?",
            [(chat_id, now, number) for number in numbers],
        )

    def delivered(self, chat_id: int) -> set[int]:
        """The article numbers the chat has received."""
        rows = self._query("SELECT number FROM deliveries WHERE chat_id = ?", (chat_id,))
        return {row[0] for row in rows}

    # -- filters -------------------------------------------------------------
    #
    # A chat's /filter terms as (mode, term) pairs, keyed by the term's folded words
    # (bot.filters.Term.key, computed by the caller: the store does not match text).

    def filter_terms(self, chat_id: int) -> list[tuple[str, str]]:
        """The chat's filter terms as (mode, term), in the order they were added."""
        rows = self._query(
            "SELECT mode, term FROM chat_filters WHERE chat_id = ? ORDER BY rowid",
            (chat_id,),
        )
        return [(row[0], row[1]) for row in rows]

    def filter_terms_of(self, chat_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
        """filter_terms for many chats in one query; chats without terms are left out."""
        ids = json.dumps([int(chat_id) for chat_id in chat_ids])
        rows = self._query(
            "SELECT chat_id, mode, term FROM chat_filters"
            " WHERE chat_id IN (SELECT value FROM json_each(?))"
            " ORDER BY chat_id, rowid",
            (ids,),
        )
        found: dict[int, list[tuple[str, str]]] = {}
        for row in rows:
            found.setdefault(row[0], []).append((row[1], row[2]))
        return found

    def add_filter_terms(
        self, chat_id: int, terms: Sequence[tuple[str, str, str]], limit: int
    ) -> tuple[bool, int]:
        """Add (key, mode, term) triples to the chat's filters, in one transaction; a
        key the chat has already gets the new mode and spelling. Refused (nothing
        changes) when the chat would have more than ``limit`` terms. Returns (added,
        the number of terms the chat has with them: now, or had it been added)."""
        with self._transaction() as db:
            keys = {key for key, _, _ in terms}
            have = {
                row[0]
                for row in db.execute(
                    "SELECT term_key FROM chat_filters WHERE chat_id = ?", (chat_id,)
                )
            }
            total = len(have | keys)
            if total > limit:
                return False, total
            now = self._now_text()
            db.executemany(
                "INSERT INTO chat_filters (chat_id, term_key, mode, term, added_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, term_key)"
                " DO UPDATE SET mode = excluded.mode, term = excluded.term",
                [(chat_id, key, mode, term, now) for key, mode, term in terms],
            )
            return True, total

    def remove_filter_terms(self, chat_id: int, terms: Sequence[tuple[str, str]]) -> list[str]:
        """Remove (key, mode) pairs from the chat's filters (mode "" removes the key in
        either mode); returns the terms removed, as they were written."""
        removed: list[str] = []
        with self._transaction() as db:
            for key, mode in terms:
                row = db.execute(
                    "DELETE FROM chat_filters WHERE chat_id = ? AND term_key = ?"
                    " AND (? = '' OR mode = ?) RETURNING mode, term",
                    (chat_id, key, mode, mode),
                ).fetchone()
                if row is not None:
                    removed.append(row[1])
        return removed

    def clear_filter_terms(self, chat_id: int) -> int:
        """Remove every filter term of the chat; returns how many there were."""
        with self._transaction() as db:
            return db.execute("DELETE FROM chat_filters WHERE chat_id = ?", (chat_id,)).rowcount

    def record_held_back(self, held: Iterable[tuple[int, Iterable[int]]]) -> None:
        """Record (chat_id, article numbers) the chats' filters held back, in one
        transaction: done for the chat like a delivery (never in a digest of it), and
        counted by count_held_back. Pairs already recorded are left as they are."""
        now = self._now_text()
        rows = [(chat_id, now, number) for chat_id, numbers in held for number in numbers]
        if not rows:
            return
        with self._transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO deliveries (chat_id, number, delivered_at, held_back)"
                " SELECT ?, number, ?, 1 FROM articles WHERE number = ?",
                rows,
            )

    def unseen_numbers(self, chat_id: int, limit: int) -> list[int]:
        """The numbers of unseen_articles(chat_id, limit), without reading the articles
        (a scheduled run reads each article once, not once per chat)."""
        rows = self._query(
            f"SELECT number FROM articles a WHERE {_UNSEEN} ORDER BY {_NEWEST_FIRST} LIMIT ?",
            (*_unseen_params(chat_id), limit),
        )
        return [row[0] for row in rows]

    def articles_by_number(self, numbers: Iterable[int]) -> dict[int, ArticleRecord]:
        """The visible articles among ``numbers``, by number, in one query."""
        ids = json.dumps([int(n) for n in numbers if _is_sqlite_int(n)])
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE retired_at IS NULL"
            " AND number IN (SELECT value FROM json_each(?))",
            (ids,),
        )
        return {row["number"]: _article(row) for row in rows}

    def count_held_back(self, chat_id: int) -> int:
        """How many articles the chat's filters have held back (within the retention
        window: held-back articles are pruned like deliveries)."""
        return self._query(
            "SELECT count(*) FROM deliveries WHERE chat_id = ? AND held_back = 1", (chat_id,)
        )[0][0]

    # -- outbox --------------------------------------------------------------

    def queue_digest(
        self,
        chat_id: int,
        run_key: str,
        messages: Sequence[tuple[str, Sequence[int]]],
        now: datetime | float | None = None,
        *,
        digest_time: str | None = None,
    ) -> bool:
        """Queue one scheduled digest for the chat, atomically, at most once per run_key.

        ``digest_time``: the digest of that one time of day ("never twice" per chat, time
        and run key: the subscription row's last_run_key). None: the chat's digest of
        the day, as before a chat could have several times: last_digest_key is checked,
        it and every time's run key are set.

        ``messages`` are (HTML text, article numbers it carries), in sending order
        (``bot.digest.digest_messages`` makes them). In one transaction: if the chat
        exists, is active, and its last_digest_key is not ``run_key``, the messages are
        queued (due at ``now``, default the store's clock) and last_digest_key is set
        to ``run_key``. Returns True then. An empty ``messages`` ("nothing new") still
        records the run, so a later catch-up does not send it. Otherwise returns False
        and changes nothing: the digest was already queued, or the chat is unknown or
        inactive.
        """
        with self._transaction() as db:
            return self._queue_digest(db, chat_id, run_key, messages, now, digest_time)

    def queue_digests(
        self,
        run_key: str,
        digests: Iterable[tuple[int, Sequence[tuple[str, Sequence[int]]]]],
        now: datetime | float | None = None,
        *,
        digest_time: str | None = None,
    ) -> list[int]:
        """queue_digest for many chats (chat_id, messages) in one transaction; returns
        the chat ids whose digest was queued (or recorded, when it had no messages)."""
        with self._transaction() as db:
            return [
                chat_id
                for chat_id, messages in digests
                if self._queue_digest(db, chat_id, run_key, messages, now, digest_time)
            ]

    def _queue_digest(
        self,
        db: sqlite3.Connection,
        chat_id: int,
        run_key: str,
        messages: Sequence[tuple[str, Sequence[int]]],
        now: datetime | float | None,
        digest_time: str | None = None,
    ) -> bool:
        due = self._clock() if now is None else _epoch(now)
        changed = self._now_text()
        if digest_time is None:
            cursor = db.execute(
                "UPDATE chats SET last_digest_key = ?, updated_at = ? WHERE chat_id = ?"
                " AND active = 1 AND (last_digest_key IS NULL OR last_digest_key != ?)",
                (run_key, changed, chat_id, run_key),
            )
            if cursor.rowcount == 0:
                return False
            db.execute(
                "UPDATE subscriptions SET last_run_key = ? WHERE chat_id = ?", (run_key, chat_id)
            )
        else:
            cursor = db.execute(
                "UPDATE subscriptions SET last_run_key = ? WHERE chat_id = ? AND digest_time = ?"
                " AND (last_run_key IS NULL OR last_run_key != ?) AND EXISTS"
                " (SELECT 1 FROM chats c WHERE c.chat_id = ? AND c.active = 1)",
                (run_key, chat_id, digest_time, run_key, chat_id),
            )
            if cursor.rowcount == 0:
                return False
            db.execute(
                "UPDATE chats SET last_digest_key = ?, updated_at = ? WHERE chat_id = ?",
                (run_key, changed, chat_id),
            )
        thread = db.execute("SELECT thread_id FROM chats WHERE chat_id = ?", (chat_id,)).fetchone()
        thread_id = thread[0] if thread else None
        key = run_key if digest_time is None else f"{run_key}T{digest_time}"
        db.executemany(
            "INSERT INTO outbox (chat_id, run_key, text, article_numbers,"
            " next_attempt_at, created_at, message_thread_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (chat_id, key, text, json.dumps([int(n) for n in numbers]), due, changed, thread_id)
                for text, numbers in messages
            ],
        )
        return True

    def due_outbox(
        self,
        now: datetime | float,
        limit: int = 100,
        *,
        lease_seconds: float | None = None,
    ) -> list[OutboxItem]:
        """Items ready to send, in id (queue) order, at most ``limit``.

        Only the OLDEST pending item of each chat is ever returned, and only when it is
        due (next_attempt_at <= now): a chat's messages go out one at a time, in order,
        and a message waiting for a retry holds back the rest of its digest.

        Without ``lease_seconds`` this only reads: the sender must remember what it has
        in flight and not send it again. With ``lease_seconds`` the returned items are
        claimed in the same transaction (next_attempt_at moves to now + lease), so a
        second call does not return them; if the sender dies, they come back due when
        the lease runs out.
        """
        moment = _epoch(now)
        sql = (
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox o WHERE next_attempt_at <= ? AND NOT EXISTS"
            " (SELECT 1 FROM outbox p WHERE p.chat_id = o.chat_id AND p.id < o.id)"
            " ORDER BY id LIMIT ?"
        )
        if lease_seconds is None:
            return [_outbox_item(row) for row in self._query(sql, (moment, limit))]
        with self._transaction() as db:
            items = [_outbox_item(row) for row in db.execute(sql, (moment, limit))]
            db.executemany(
                "UPDATE outbox SET next_attempt_at = ? WHERE id = ?",
                [(moment + lease_seconds, item.id) for item in items],
            )
            return items

    def next_outbox_due(self) -> float | None:
        """When the earliest pending item is due (seconds since the epoch), or None if
        the outbox is empty; lets the sender sleep until then. Like ``due_outbox`` it
        looks at the oldest item of each chat only: a later part of a digest is not due
        while the part before it waits for a retry (else the sender would spin)."""
        return self._query(
            "SELECT min(next_attempt_at) FROM outbox o WHERE NOT EXISTS"
            " (SELECT 1 FROM outbox p WHERE p.chat_id = o.chat_id AND p.id < o.id)"
        )[0][0]

    def count_outbox(self, chat_id: int | None = None) -> int:
        """Pending outbox items (of one chat, or all)."""
        if chat_id is None:
            return self._query("SELECT count(*) FROM outbox")[0][0]
        return self._query("SELECT count(*) FROM outbox WHERE chat_id = ?", (chat_id,))[0][0]

    def mark_sent(self, item_id: int) -> bool:
        """Telegram accepted the item: delete it and record its articles as delivered,
        in one transaction. False if the item is gone (dropped meanwhile)."""
        with self._transaction() as db:
            return self._mark_sent(db, item_id)

    def mark_sent_many(self, item_ids: Iterable[int]) -> list[bool]:
        """mark_sent for many items in one transaction (one commit for a burst of sends)."""
        with self._transaction() as db:
            return [self._mark_sent(db, item_id) for item_id in item_ids]

    def _mark_sent(self, db: sqlite3.Connection, item_id: int) -> bool:
        row = db.execute(
            "SELECT chat_id, article_numbers FROM outbox WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            return False
        db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))
        self._record_deliveries(db, row["chat_id"], json.loads(row["article_numbers"]))
        return True

    def retry_later(self, item_id: int, next_attempt_at: datetime | float, error: str) -> None:
        """A temporary failure: count the attempt, keep the error, retry at the given time."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                (_epoch(next_attempt_at), error, item_id),
            )

    def drop(self, item_id: int, error: str) -> bool:
        """A permanent failure: delete the item without recording deliveries (the caller
        logs ``error``), so its articles stay unseen for the next digest. False if gone."""
        del error  # kept in the signature for symmetry with retry_later; the caller logs it
        with self._transaction() as db:
            return db.execute("DELETE FROM outbox WHERE id = ?", (item_id,)).rowcount > 0

    # -- retention ------------------------------------------------------------

    def prune(
        self,
        retention_days: int,
        now: datetime | float | None = None,
        *,
        batch_rows: int = 20_000,
    ) -> Pruned:
        """Delete deliveries older than ``retention_days`` (before ``now``, default the
        store's clock), so the database stops growing with every digest sent.

        "Never twice" is kept:

        * a delivery row is what keeps an article out of the chat's next digests. A row
          is deleted only when both its delivered_at and its article's added_at are
          before the cutoff, and in the same transaction the chat records
          ``pruned_deliveries.added_before = cutoff``: from then on every article the
          store had before the cutoff counts as seen by that chat (``unseen_articles``),
          so a pruned article is never sent to it again. The price: a chat whose old
          deliveries were pruned no longer gets articles that were already older than
          the window and that it never received -- old news, for a news digest;
        * the run keys that keep a digest from being queued twice for one day live in
          ``chats.last_digest_key`` (one per chat, overwritten, never growing) and
          are not touched;
        * the outbox is not touched: a sent item is deleted by ``mark_sent`` and a
          failed one by ``drop``, so every row still there is undelivered and waits.

        Rows are deleted in transactions of about ``batch_rows`` deliveries (a range
        of chat ids), so other calls run in between and the lock is never held long.
        The freed pages are reused by later inserts: the file stops growing rather
        than shrinking (no VACUUM; SQLite's incremental vacuum would need
        ``auto_vacuum`` set before the first table was created).
        """
        if retention_days <= 0:
            raise ValueError(f"retention_days must be positive, got {retention_days!r}")
        moment = self._clock() if now is None else _epoch(now)
        cutoff = _iso(moment - retention_days * DAY_SECONDS)
        old = (
            " FROM deliveries AS d WHERE d.chat_id BETWEEN ? AND ? AND d.delivered_at < ?"
            " AND EXISTS (SELECT 1 FROM articles a WHERE a.number = d.number"
            " AND a.added_at < ?)"
        )
        deleted = chats = 0
        low = _MIN_ID
        while True:
            with self._transaction() as db:
                # The first chat id past the next batch_rows deliveries bounds this batch
                # (a chat with more rows than that is one batch of its own).
                row = db.execute(
                    "SELECT chat_id FROM deliveries WHERE chat_id >= ?"
                    " ORDER BY chat_id LIMIT 1 OFFSET ?",
                    (low, batch_rows),
                ).fetchone()
                high = _MAX_ID if row is None else max(row[0] - 1, low)
                params = (low, high, cutoff, cutoff)
                chats += db.execute(
                    f"INSERT INTO pruned_deliveries (chat_id, added_before)"
                    f" SELECT DISTINCT d.chat_id, ?{old}"
                    " ON CONFLICT (chat_id) DO UPDATE"
                    " SET added_before = max(added_before, excluded.added_before)",
                    (cutoff, *params),
                ).rowcount
                deleted += db.execute(f"DELETE{old}", params).rowcount
            if high == _MAX_ID:
                return Pruned(cutoff=cutoff, deliveries=deleted, chats=chats)
            low = high + 1


def prune_expired(store: Store, retention_days: int, now: datetime | float | None = None) -> Pruned:
    """The daily retention job: :meth:`Store.prune` with ``[storage] retention_days``,
    logged in one line. Blocking (many short transactions): run it in a thread, e.g.
    ``await asyncio.to_thread(prune_expired, store, config.storage.retention_days)``
    once a day."""
    started = time.monotonic()
    pruned = store.prune(retention_days, now)
    log.info(
        "retention: deleted %d deliveries before %s (%d chats) in %.1f s",
        pruned.deliveries,
        pruned.cutoff,
        pruned.chats,
        time.monotonic() - started,
    )
    return pruned


# -- rows to dataclasses ---------------------------------------------------------


def _runs(rows: Iterable[sqlite3.Row]) -> dict[int, tuple[tuple[str, str | None], ...]]:
    """Subscriptions rows (chat_id, digest_time, last_run_key) by chat, times sorted."""
    found: dict[int, list[tuple[str, str | None]]] = {}
    for chat_id, digest_time, key in rows:
        found.setdefault(chat_id, []).append((digest_time, key))
    return {chat_id: tuple(sorted(runs)) for chat_id, runs in found.items()}


def _chat(row: sqlite3.Row, runs: tuple[tuple[str, str | None], ...] = ()) -> Chat:
    return Chat(
        chat_id=row["chat_id"],
        timezone=row["timezone"],
        digest_time=row["digest_time"],
        active=bool(row["active"]),
        deactivated_reason=row["deactivated_reason"],
        last_digest_key=row["last_digest_key"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        subscribed_at=row["subscribed_at"],
        days=row["days"],
        runs=runs,
        thread_id=row["thread_id"],
    )


def _article(row: sqlite3.Row) -> ArticleRecord:
    summary = row["summary"]
    return ArticleRecord(
        number=row["number"],
        source=row["source"],
        content_hash=row["content_hash"],
        title=row["title"],
        date=row["date"],
        url=row["url"],
        language=row["language"],
        text=row["text"],
        summary=None if summary is None else tuple(json.loads(summary)),
        added_at=row["added_at"],
        feed_id=row["feed_id"],
        source_name=row["source_name"],
    )


def _outbox_item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        chat_id=row["chat_id"],
        run_key=row["run_key"],
        text=row["text"],
        article_numbers=tuple(json.loads(row["article_numbers"])),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        thread_id=row["message_thread_id"],
    )


def _is_sqlite_int(value: int) -> bool:
    """True if SQLite can store the number (a 64-bit signed integer)."""
    return _MIN_ID <= value < 2**63


def _casefold(text: str | None) -> str | None:
    # SQLite's own lower()/LIKE fold ASCII only; titles are in many languages.
    return None if text is None else text.casefold()


def _normal_time(value: str) -> str:
    return format_time(parse_time(value))


def _checked_timezone(value: str | None) -> str | None:
    if value is not None:
        _check_timezone(value)
    return value


def _check_timezone(value: str) -> None:
    if not valid_timezone(value):
        raise ValueError(f"unknown timezone {value!r}: expected an IANA name like Europe/Berlin")
