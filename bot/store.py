"""The SQLite store: chats, articles with their summaries, deliveries and the outbox.

SQLite is digestbot's source of truth; everything the bot knows survives a restart
here. One :class:`Store` wraps one database file (or ``":memory:"`` in tests):

* **chats** -- every chat the bot has talked to: its timezone (``None`` means the
  config default), its digest time ``"HH:MM"`` (``None`` means not subscribed), whether
  it is active (Telegram said it blocked the bot → inactive, with the reason) and
  ``last_digest_key``, the local date of the last scheduled digest queued for it, so a
  digest is never queued twice for the same day.
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

Schema changes are versioned: :data:`MIGRATIONS` is an append-only list of SQL
steps and ``PRAGMA user_version`` records how many have run. Opening an older
database applies the missing steps, each in its own transaction.
"""

from __future__ import annotations

import json
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

from bot.errors import DigestbotError
from bot.times import format_time, parse_time, valid_timezone

if TYPE_CHECKING:
    from bot.articles import Article

__all__ = [
    "MIGRATIONS",
    "ArticleRecord",
    "Chat",
    "OutboxItem",
    "Store",
    "StoreError",
]


class StoreError(DigestbotError):
    """The database cannot be used (e.g. it was written by a newer digestbot)."""


# Append-only: never edit a step that has shipped; add a new one instead.
MIGRATIONS: tuple[str, ...] = (
    # 1: issue 3 -- chats, articles with summaries, deliveries.
    """
    CREATE TABLE chats (
        chat_id            INTEGER PRIMARY KEY,
        timezone           TEXT,
        digest_time        TEXT,
        active             INTEGER NOT NULL DEFAULT 1,
        deactivated_reason TEXT,
        last_digest_key    TEXT,
        created_at         TEXT NOT NULL,
        updated_at         TEXT NOT NULL
    );
    CREATE INDEX chats_subscribed ON chats (digest_time, timezone)
        WHERE active = 1 AND digest_time IS NOT NULL;

    -- AUTOINCREMENT so that a number, once shown to users, is never reused.
    CREATE TABLE articles (
        number       INTEGER PRIMARY KEY AUTOINCREMENT,
        source       TEXT NOT NULL UNIQUE,
        content_hash TEXT NOT NULL,
        title        TEXT NOT NULL,
        date         TEXT,
        url          TEXT,
        language     TEXT NOT NULL,
        text         TEXT NOT NULL,
        summary      TEXT,
        added_at     TEXT NOT NULL,
        retired_at   TEXT
    );
    CREATE INDEX articles_newest ON articles (date DESC, added_at DESC, number DESC);

    CREATE TABLE deliveries (
        chat_id      INTEGER NOT NULL,
        number       INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
        delivered_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, number)
    ) WITHOUT ROWID;
    """,
    # 2: issue 5 -- the outbox of scheduled digest messages.
    """
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id         INTEGER NOT NULL,
        run_key         TEXT NOT NULL,
        text            TEXT NOT NULL,
        article_numbers TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        last_error      TEXT,
        created_at      TEXT NOT NULL
    );
    CREATE INDEX outbox_chat ON outbox (chat_id, id);
    """,
    # 3: when the chat last (re)subscribed: a digest due before that was never missed.
    """
    ALTER TABLE chats ADD COLUMN subscribed_at TEXT;
    """,
    # 4: a slot's chats are read in pages by chat id (subscribers_at): index them so,
    # instead of sorting the whole slot for every page.
    """
    DROP INDEX chats_subscribed;
    CREATE INDEX chats_slot ON chats (digest_time, chat_id)
        WHERE active = 1 AND digest_time IS NOT NULL;
    """,
    # 5: a counter that every change to the articles moves (articles_version), so the
    # bot can keep the /article N replies it composed until an article changes, even
    # when another process (digestbot ingest) made the change.
    """
    CREATE TABLE article_changes (n INTEGER NOT NULL);
    INSERT INTO article_changes (n) VALUES (0);
    CREATE TRIGGER articles_inserted AFTER INSERT ON articles BEGIN
        UPDATE article_changes SET n = n + 1;
    END;
    CREATE TRIGGER articles_updated AFTER UPDATE ON articles BEGIN
        UPDATE article_changes SET n = n + 1;
    END;
    CREATE TRIGGER articles_deleted AFTER DELETE ON articles BEGIN
        UPDATE article_changes SET n = n + 1;
    END;
    """,
    # 6: issue 13 -- pages and texts users summarized and added to their digest. Such an
    # article is "private": it appears only in the digests of the chats that added it
    # (digest_additions) and not in the shared /article list or search; /article N
    # shows it to anyone who has its number. The seeds scan never retires it.
    """
    ALTER TABLE articles ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE digest_additions (
        chat_id  INTEGER NOT NULL,
        number   INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, number)
    ) WITHOUT ROWID;
    """,
)


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

    @property
    def subscribed(self) -> bool:
        """True when this chat gets scheduled digests: active and with a time."""
        return self.active and self.digest_time is not None


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


_CHAT_COLUMNS = (
    "chat_id, timezone, digest_time, active, deactivated_reason, last_digest_key,"
    " created_at, updated_at, subscribed_at"
)
_ARTICLE_COLUMNS = (
    "number, source, content_hash, title, date, url, language, text, summary, added_at"
)
_NEWEST_FIRST = "date DESC, added_at DESC, number DESC"
# Unseen by a chat (parameters: chat_id three times): summarized, visible, shared or
# added by this chat (issue 13), not delivered,
# and not in a message still waiting in the outbox (the digest queued yesterday and
# still being retried must not be repeated by today's).
_UNSEEN = (
    "summary IS NOT NULL AND retired_at IS NULL"
    " AND (a.private = 0 OR EXISTS (SELECT 1 FROM digest_additions x"
    " WHERE x.chat_id = ? AND x.number = a.number))"
    " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.chat_id = ? AND d.number = a.number)"
    " AND a.number NOT IN (SELECT j.value FROM outbox o, json_each(o.article_numbers) j"
    " WHERE o.chat_id = ?)"
)
_MIN_ID = -(2**63)  # below every chat id (group chats have negative ids)
_OUTBOX_COLUMNS = "id, chat_id, run_key, text, article_numbers, attempts, next_attempt_at"


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
                    return
                # Statement by statement: executescript() would commit the transaction.
                for statement in _statements(MIGRATIONS[version]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")

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
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _now_text(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="microseconds")

    # -- chats ---------------------------------------------------------------

    def _ensure_chat(self, db: sqlite3.Connection, chat_id: int) -> None:
        now = self._now_text()
        db.execute(
            "INSERT OR IGNORE INTO chats (chat_id, created_at, updated_at) VALUES (?, ?, ?)",
            (chat_id, now, now),
        )

    def _get_chat(self, db: sqlite3.Connection, chat_id: int) -> Chat | None:
        row = db.execute(f"SELECT {_CHAT_COLUMNS} FROM chats WHERE chat_id = ?", (chat_id,))
        found = row.fetchone()
        return _chat(found) if found else None

    def get_chat(self, chat_id: int) -> Chat | None:
        """The chat, or None if the bot has never stored it."""
        with self._lock:
            return self._get_chat(self._db, chat_id)

    def ensure_chat(self, chat_id: int) -> Chat:
        """The chat, created (active, unsubscribed) if new. Changes nothing otherwise."""
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            return self._get_chat(db, chat_id)  # type: ignore[return-value]

    def subscribe(self, chat_id: int, digest_time: str, timezone: str | None = None) -> Chat:
        """Subscribe at ``digest_time`` ("HH:MM"); also reactivates the chat.

        ``timezone`` None keeps the chat's timezone (or the config default). The caller
        validates its input (``bot.schedule.parse_time``/``valid_timezone``); invalid
        values raise ValueError here as a last guard.
        """
        digest_time = _normal_time(digest_time)
        if timezone is not None:
            _check_timezone(timezone)
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            now = self._now_text()
            db.execute(
                "UPDATE chats SET digest_time = ?, timezone = COALESCE(?, timezone), active = 1,"
                " deactivated_reason = NULL, updated_at = ?, subscribed_at = ? WHERE chat_id = ?",
                (digest_time, timezone, now, now, chat_id),
            )
            return self._get_chat(db, chat_id)  # type: ignore[return-value]

    def subscribe_many(self, subscriptions: Iterable[tuple[int, str, str | None]]) -> int:
        """subscribe() for many (chat_id, "HH:MM", timezone or None) in one transaction
        (imports, benchmarks); returns how many. Invalid input raises before anything
        is written."""
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
                " subscribed_at = excluded.subscribed_at",
                rows,
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
            db.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,))
            return cursor.rowcount > 0

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
        * deliveries: the union (a pair both have keeps the new row's time);
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
            else:
                subscription = old if old.digest_time is not None else new
                keys = [key for key in (old.last_digest_key, new.last_digest_key) if key]
                active = old.active or new.active
                reason = None if active else old.deactivated_reason or new.deactivated_reason
                db.execute(
                    "UPDATE chats SET timezone = ?, digest_time = ?, active = ?,"
                    " deactivated_reason = ?, last_digest_key = ?, created_at = ?,"
                    " updated_at = ?, subscribed_at = ? WHERE chat_id = ?",
                    (
                        old.timezone if old.timezone is not None else new.timezone,
                        subscription.digest_time,
                        int(active),
                        reason,
                        max(keys) if keys else None,
                        min(old.created_at, new.created_at),
                        now,
                        subscription.subscribed_at,
                        new_chat_id,
                    ),
                )
                db.execute("DELETE FROM chats WHERE chat_id = ?", (old_chat_id,))
            # Deliveries may exist without a chat row (an on-demand /digest records them
            # too): copy without overwriting, then delete, rather than an UPDATE that a
            # pair the new id already has would make fail.
            db.execute(
                "INSERT OR IGNORE INTO deliveries (chat_id, number, delivered_at)"
                " SELECT ?, number, delivered_at FROM deliveries WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM deliveries WHERE chat_id = ?", (old_chat_id,))
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
            page = self.subscribers_page(after, batch_size)
            yield from page
            if len(page) < batch_size:
                return
            after = page[-1].chat_id

    def subscribers_page(self, after_chat_id: int | None, limit: int) -> list[Chat]:
        """Up to ``limit`` active subscribed chats with chat_id > ``after_chat_id``."""
        rows = self._query(
            f"SELECT {_CHAT_COLUMNS} FROM chats"
            " WHERE active = 1 AND digest_time IS NOT NULL AND chat_id > ?"
            " ORDER BY chat_id LIMIT ?",
            (after_chat_id if after_chat_id is not None else _MIN_ID, limit),
        )
        return [_chat(row) for row in rows]

    def subscribers_at(
        self,
        digest_time: str,
        timezone: str,
        *,
        default_timezone: str | None = None,
        after_chat_id: int | None = None,
        limit: int | None = None,
    ) -> list[Chat]:
        """Active chats subscribed at ``digest_time`` in ``timezone``, by chat id. Chats
        without a timezone of their own count as ``default_timezone`` (the config's).
        ``after_chat_id`` and ``limit`` read them a page at a time."""
        rows = self._query(
            f"SELECT {_CHAT_COLUMNS} FROM chats WHERE active = 1 AND digest_time = ?"
            " AND (timezone = ? OR (timezone IS NULL AND ?)) AND chat_id > ?"
            " ORDER BY chat_id LIMIT ?",
            (
                digest_time,
                timezone,
                timezone == default_timezone,
                after_chat_id if after_chat_id is not None else _MIN_ID,
                -1 if limit is None else limit,
            ),
        )
        return [_chat(row) for row in rows]

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
                " source, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*fields, article.source, self._now_text()),
            )
            return int(cursor.lastrowid or 0), True
        number = row["number"]
        if row["content_hash"] != content_hash:
            db.execute(
                "UPDATE articles SET content_hash = ?, title = ?, date = ?, url = ?,"
                " language = ?, text = ?, summary = NULL, retired_at = NULL WHERE number = ?",
                (*fields, number),
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

    def get_article_by_source(self, source: str) -> ArticleRecord | None:
        """The visible article read from ``source``, or None."""
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE source = ? AND retired_at IS NULL",
            (source,),
        )
        return _article(rows[0]) if rows else None

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

    def article_position(self, number: int) -> int | None:
        """Where article ``number`` is in list_articles order (0 = newest), or None."""
        if not _is_sqlite_int(number):
            return None
        rows = self._query(
            "SELECT coalesce(date, ''), added_at FROM articles"
            " WHERE number = ? AND retired_at IS NULL",
            (number,),
        )
        if not rows:
            return None
        date, added_at = rows[0]
        # Undated articles come last, as NULL does in "date DESC"; '' sorts the same way.
        return self._query(
            "SELECT count(*) FROM articles WHERE retired_at IS NULL AND private = 0 AND ("
            " coalesce(date, '') > ?"
            " OR (coalesce(date, '') = ? AND added_at > ?)"
            " OR (coalesce(date, '') = ? AND added_at = ? AND number > ?))",
            (date, date, added_at, date, added_at, number),
        )[0][0]

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
        condition = " AND ".join("instr(casefold(title), ?) > 0" for _ in needles)
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
        is False when the chat had already added it (nothing changes then)."""
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
            )
            if row is None:
                cursor = db.execute(
                    "INSERT INTO articles (content_hash, title, date, url, language, text,"
                    " summary, source, added_at, private) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                    (*fields, article.source, self._now_text()),
                )
                number = int(cursor.lastrowid or 0)
            else:
                number = row["number"]
                if row["content_hash"] != article.content_hash or row["retired_at"] is not None:
                    db.execute(
                        "UPDATE articles SET content_hash = ?, title = ?, date = ?, url = ?,"
                        " language = ?, text = ?, summary = ?, retired_at = NULL"
                        " WHERE number = ?",
                        (*fields, number),
                    )
            added = db.execute(
                "INSERT OR IGNORE INTO digest_additions (chat_id, number, added_at)"
                " VALUES (?, ?, ?)",
                (chat_id, number, self._now_text()),
            ).rowcount
            if not added:
                # Added before and already sent: adding it again puts it in the next one.
                added = db.execute(
                    "DELETE FROM deliveries WHERE chat_id = ? AND number = ?", (chat_id, number)
                ).rowcount
            return number, bool(added)

    # -- deliveries ----------------------------------------------------------

    def unseen_articles(self, chat_id: int, limit: int) -> list[ArticleRecord]:
        """Summarized visible articles the chat has neither received nor waiting for it
        in the outbox, newest first."""
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles a WHERE {_UNSEEN} ORDER BY {_NEWEST_FIRST}"
            " LIMIT ?",
            (chat_id, chat_id, chat_id, limit),
        )
        return [_article(row) for row in rows]

    def count_unseen(self, chat_id: int) -> int:
        """How many articles unseen_articles would give without a limit."""
        return self._query(
            f"SELECT count(*) FROM articles a WHERE {_UNSEEN}", (chat_id, chat_id, chat_id)
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

    # -- outbox --------------------------------------------------------------

    def queue_digest(
        self,
        chat_id: int,
        run_key: str,
        messages: Sequence[tuple[str, Sequence[int]]],
        now: datetime | float | None = None,
    ) -> bool:
        """Queue one scheduled digest for the chat, atomically, at most once per run_key.

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
            return self._queue_digest(db, chat_id, run_key, messages, now)

    def queue_digests(
        self,
        run_key: str,
        digests: Iterable[tuple[int, Sequence[tuple[str, Sequence[int]]]]],
        now: datetime | float | None = None,
    ) -> list[int]:
        """queue_digest for many chats (chat_id, messages) in one transaction; returns
        the chat ids whose digest was queued (or recorded, when it had no messages)."""
        with self._transaction() as db:
            return [
                chat_id
                for chat_id, messages in digests
                if self._queue_digest(db, chat_id, run_key, messages, now)
            ]

    def _queue_digest(
        self,
        db: sqlite3.Connection,
        chat_id: int,
        run_key: str,
        messages: Sequence[tuple[str, Sequence[int]]],
        now: datetime | float | None,
    ) -> bool:
        due = self._clock() if now is None else _epoch(now)
        cursor = db.execute(
            "UPDATE chats SET last_digest_key = ?, updated_at = ? WHERE chat_id = ?"
            " AND active = 1 AND (last_digest_key IS NULL OR last_digest_key != ?)",
            (run_key, self._now_text(), chat_id, run_key),
        )
        if cursor.rowcount == 0:
            return False
        created = self._now_text()
        db.executemany(
            "INSERT INTO outbox (chat_id, run_key, text, article_numbers,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (chat_id, run_key, text, json.dumps([int(n) for n in numbers]), due, created)
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


# -- rows to dataclasses ---------------------------------------------------------


def _chat(row: sqlite3.Row) -> Chat:
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
    )


def _is_sqlite_int(value: int) -> bool:
    """True if SQLite can store the number (a 64-bit signed integer)."""
    return _MIN_ID <= value < 2**63


def _statements(script: str) -> list[str]:
    """The SQL statements of a migration script, split where SQLite says one is complete."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {current.strip()[:80]}")
    return statements


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
