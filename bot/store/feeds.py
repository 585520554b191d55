"""The feeds' side of the database: feed rows, entry keys, feed articles, chats' sources.

:class:`FeedStore` works on a :class:`bot.store.Store` (same connection, same lock,
same transactions) and owns the tables migration 10 added:

* **feeds** -- one row per feed URL: the name shown in digests (config or admin) and
  the feed's own title, where it came from (``config`` or ``admin``), its poll state
  (``etag``/``last_modified`` for conditional GET, ``next_poll_at``, consecutive
  ``failures`` since ``failing_since``, the last success and the last error). A feed an
  admin removed keeps its row (``removed_at``) so its articles keep their source name.
* **entry_keys** -- every key an entry was seen under (``id:<feed>:<guid>``,
  ``url:<canonical>``, ``hash:<text>``), the article number it became and the
  fingerprint of what the feed said (an edit shows without fetching anything). Keys
  outlive their article so a pruned entry that a feed still lists is not added again.
* **articles** columns ``feed_id`` and ``published_at``; feed articles share numbering,
  search and digests with seed files.
* **chat_sources_off** -- the sources a chat turned off with ``/sources`` (feed id, 0
  for the seeds folder); every source is on for a chat without rows.

Blocking, like the store: the bot calls it from worker threads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.articles import Article
from bot.config import FeedConfig
from bot.store import Store

__all__ = ["SEEDS", "FeedRow", "FeedStore"]

SEEDS = 0  # the seeds folder's id among a chat's sources

_FEED_COLUMNS = (
    "id, url, name, title, origin, added_by, interval_minutes, language, etag, last_modified,"
    " last_success_at, last_error, last_error_at, failing_since, failures, next_poll_at,"
    " removed_at, created_at"
)


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A feed as stored; ``label`` is what digests show."""

    id: int
    url: str
    name: str | None
    title: str | None
    origin: str  # "config" or "admin"
    added_by: int | None
    interval_minutes: float | None
    language: str | None
    etag: str | None
    last_modified: str | None
    last_success_at: str | None
    last_error: str | None
    last_error_at: str | None
    failing_since: str | None
    failures: int
    next_poll_at: float | None
    removed_at: str | None
    created_at: str

    @property
    def label(self) -> str:
        return self.name or self.title or self.url


class FeedStore:
    """Feed rows and feed articles in ``store``'s database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.store.now_seconds(), UTC)

    # -- feeds ----------------------------------------------------------------------

    def sync_config(self, feeds: Sequence[FeedConfig]) -> list[FeedRow]:
        """Make the config's ``[[feeds]]`` present (added, renamed, brought back) and mark
        config feeds no longer in the file removed. Returns the config feeds' rows."""
        now = self.store.now_text()
        urls = [feed.url for feed in feeds]
        with self.store.transaction() as db:
            for feed in feeds:
                db.execute(
                    "INSERT INTO feeds (url, name, origin, interval_minutes, language,"
                    " created_at) VALUES (?, ?, 'config', ?, ?, ?) ON CONFLICT (url) DO UPDATE"
                    " SET name = excluded.name, origin = 'config',"
                    " interval_minutes = excluded.interval_minutes,"
                    " language = excluded.language, removed_at = NULL",
                    (feed.url, feed.name, feed.interval_minutes, feed.language, now),
                )
            db.execute(
                "UPDATE feeds SET removed_at = ? WHERE origin = 'config' AND removed_at IS NULL"
                f" AND url NOT IN ({','.join('?' * len(urls))})",
                (now, *urls),
            )
        rows = {row.url: row for row in self.feeds()}
        return [rows[url] for url in urls]

    def add_feed(
        self, url: str, *, title: str | None = None, added_by: int | None = None
    ) -> tuple[FeedRow, bool]:
        """Add a feed an admin asked for; (row, False) when the URL is already a feed
        (a removed one comes back)."""
        now = self.store.now_text()
        with self.store.transaction() as db:
            found = db.execute("SELECT id, removed_at FROM feeds WHERE url = ?", (url,)).fetchone()
            if found is not None:
                db.execute("UPDATE feeds SET removed_at = NULL WHERE id = ?", (found["id"],))
                new = found["removed_at"] is not None
                feed_id = found["id"]
            else:
                cursor = db.execute(
                    "INSERT INTO feeds (url, title, origin, added_by, created_at)"
                    " VALUES (?, ?, 'admin', ?, ?)",
                    (url, title, added_by, now),
                )
                feed_id, new = int(cursor.lastrowid or 0), True
        row = self.get_feed(feed_id)
        assert row is not None
        return row, new

    def remove_feed(self, feed_id: int) -> FeedRow | None:
        """Stop polling a feed an admin added (its articles stay until pruned). Config
        feeds cannot be removed here: returns None for them and for unknown ids."""
        row = self.get_feed(feed_id)
        if row is None or row.removed_at is not None or row.origin == "config":
            return None
        with self.store.transaction() as db:
            db.execute(
                "UPDATE feeds SET removed_at = ? WHERE id = ?", (self.store.now_text(), feed_id)
            )
        return row

    def feeds(self, *, removed: bool = False) -> list[FeedRow]:
        """Feeds by id; only the active ones unless ``removed``."""
        where = "" if removed else " WHERE removed_at IS NULL"
        rows = self.store.query(f"SELECT {_FEED_COLUMNS} FROM feeds{where} ORDER BY id")
        return [FeedRow(**dict(row)) for row in rows]

    def get_feed(self, feed_id: int) -> FeedRow | None:
        rows = self.store.query(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE id = ?", (feed_id,))
        return FeedRow(**dict(rows[0])) if rows else None

    def schedule(self, feed_id: int, next_poll_at: float) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE feeds SET next_poll_at = ? WHERE id = ?", (next_poll_at, feed_id))

    def record_success(
        self,
        feed_id: int,
        *,
        next_poll_at: float,
        etag: str | None = None,
        last_modified: str | None = None,
        url: str | None = None,
        title: str | None = None,
        not_modified: bool = False,
    ) -> None:
        """A poll worked: failures reset, validators kept (a 304 keeps the old ones), a
        permanent redirect's new ``url`` stored (unless another feed has it)."""
        now = self.store.now_text()
        with self.store.transaction() as db:
            if not not_modified:
                db.execute(
                    "UPDATE feeds SET etag = ?, last_modified = ?, title = coalesce(?, title)"
                    " WHERE id = ?",
                    (etag, last_modified, title, feed_id),
                )
            if url is not None:
                db.execute(
                    "UPDATE feeds SET url = ? WHERE id = ? AND NOT EXISTS"
                    " (SELECT 1 FROM feeds WHERE url = ?)",
                    (url, feed_id, url),
                )
            db.execute(
                "UPDATE feeds SET last_success_at = ?, failures = 0, failing_since = NULL,"
                " next_poll_at = ? WHERE id = ?",
                (now, next_poll_at, feed_id),
            )

    def record_failure(self, feed_id: int, error: str, *, next_poll_at: float) -> FeedRow:
        """A poll failed: count it, keep the error; returns the updated row."""
        now = self.store.now_text()
        with self.store.transaction() as db:
            db.execute(
                "UPDATE feeds SET failures = failures + 1, last_error = ?, last_error_at = ?,"
                " failing_since = coalesce(failing_since, ?), next_poll_at = ? WHERE id = ?",
                (error, now, now, next_poll_at, feed_id),
            )
        row = self.get_feed(feed_id)
        assert row is not None
        return row

    def article_counts(self) -> dict[int, int]:
        """Visible articles per feed id."""
        rows = self.store.query(
            "SELECT feed_id, count(*) FROM articles WHERE feed_id IS NOT NULL"
            " AND retired_at IS NULL GROUP BY feed_id"
        )
        return {row[0]: row[1] for row in rows}

    # -- entries ----------------------------------------------------------------------

    def lookup(self, keys: Iterable[str]) -> dict[str, tuple[int, str | None]]:
        """Which of ``keys`` are known: the article number and entry fingerprint of each."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, tuple[int, str | None]] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            rows = self.store.query(
                "SELECT key, number, fingerprint FROM entry_keys"
                f" WHERE key IN ({','.join('?' * len(part))})",
                part,
            )
            found.update({row[0]: (row[1], row[2]) for row in rows})
        return found

    def existing(self, numbers: Iterable[int]) -> set[int]:
        """Which of these article numbers still exist (not pruned)."""
        numbers = list(numbers)
        if not numbers:
            return set()
        rows = self.store.query(
            f"SELECT number FROM articles WHERE number IN ({','.join('?' * len(numbers))})",
            numbers,
        )
        return {row[0] for row in rows}

    def remember(self, number: int, keys: Iterable[str], fingerprint: str | None = None) -> None:
        """Record keys for an article (a guid that changed, another feed's link to the
        same page) with the fingerprint of the entry they name; known keys are kept."""
        now = self.store.now_text()
        with self.store.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO entry_keys (key, number, seen_at, fingerprint)"
                " VALUES (?, ?, ?, ?)",
                [(key, number, now, fingerprint) for key in keys],
            )

    def _keys(self, db: Any, number: int, keys: Sequence[str], fingerprint: str, now: str) -> None:
        db.executemany(
            "INSERT INTO entry_keys (key, number, seen_at, fingerprint) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint"
            " WHERE number = excluded.number",
            [(key, number, now, fingerprint) for key in keys],
        )

    def add_article(
        self,
        feed_id: int,
        article: Article,
        *,
        keys: Sequence[str],
        fingerprint: str,
        published: datetime | None,
        summary: Sequence[str] | None,
    ) -> int | None:
        """A new feed article, with its keys and (if ready) summary, in one transaction.

        Returns its number, or None when one of ``keys`` was taken meanwhile (another
        feed added the same story first): the keys still lead to that article.
        """
        now = self.store.now_text()
        source = f"feed:{feed_id}:{hashlib.sha1(keys[0].encode()).hexdigest()}"
        with self.store.transaction() as db:
            taken = db.execute(
                f"SELECT number FROM entry_keys WHERE key IN ({','.join('?' * len(keys))})",
                list(keys),
            ).fetchone()
            if taken is not None:
                db.executemany(
                    "INSERT OR IGNORE INTO entry_keys (key, number, seen_at, fingerprint)"
                    " VALUES (?, ?, ?, ?)",
                    [(key, taken[0], now, fingerprint) for key in keys],
                )
                return None
            number, _ = self.store.write_article(
                db,
                replace(article, source=source),
                summary=summary,
                feed_id=feed_id,
                published=published.isoformat() if published else None,
            )
            self._keys(db, number, keys, fingerprint, now)
            return number

    def update_article(
        self,
        number: int,
        article: Article,
        *,
        fingerprint: str,
        summary: Sequence[str] | None,
        keys: Sequence[str] = (),
    ) -> bool:
        """An edited entry: same number, new text and summary; deliveries are kept, so
        chats that had it are not sent it again. False if the content did not change."""
        now = self.store.now_text()
        with self.store.transaction() as db:
            self._keys(db, number, keys, fingerprint, now)
            known = db.execute("SELECT 1 FROM articles WHERE number = ?", (number,)).fetchone()
            if known is None:
                return False
            return self.store.write_article(db, article, number=number, summary=summary)[1]

    def prune(self, keep_days: int) -> tuple[int, int]:
        """Delete feed articles older than ``keep_days`` (published, else added) and entry
        keys four times as old (at least 120 days); returns (articles, keys) deleted."""
        now = self._now()
        cutoff = (now - timedelta(days=keep_days)).isoformat()
        key_cutoff = (now - timedelta(days=max(4 * keep_days, 120))).isoformat()
        # In short batches (see Store.delete_in_batches), each found by an index.
        articles = self.store.delete_in_batches(
            "DELETE FROM articles WHERE number IN (SELECT number FROM articles"
            " INDEXED BY articles_feed_age WHERE feed_id IS NOT NULL"
            " AND coalesce(published_at, added_at) < ? LIMIT ?)",
            (cutoff,),
        )
        keys = self.store.delete_in_batches(
            "DELETE FROM entry_keys WHERE key IN (SELECT key FROM entry_keys"
            " INDEXED BY entry_keys_seen WHERE seen_at < ? LIMIT ?)",
            (key_cutoff,),
        )
        return articles, keys

    # -- a chat's sources -----------------------------------------------------------

    def sources_off(self, chat_id: int, *, topic: int = 0) -> set[int]:
        """The sources (feed ids, :data:`SEEDS` for the folder) the chat (or its forum
        topic ``topic``, which has its own) turned off."""
        rows = self.store.query(
            "SELECT feed_id FROM chat_sources_off WHERE chat_id = ? AND topic = ?",
            (chat_id, topic),
        )
        return {row[0] for row in rows}

    def toggle_source(self, chat_id: int, feed_id: int, *, topic: int = 0) -> bool:
        """Turn a source off if on, on if off, for the chat or its forum topic
        ``topic``; returns whether it is on now."""
        with self.store.transaction() as db:
            deleted = db.execute(
                "DELETE FROM chat_sources_off WHERE chat_id = ? AND topic = ? AND feed_id = ?",
                (chat_id, topic, feed_id),
            ).rowcount
            if deleted:
                return True
            db.execute(
                "INSERT INTO chat_sources_off (chat_id, topic, feed_id) VALUES (?, ?, ?)",
                (chat_id, topic, feed_id),
            )
            return False
