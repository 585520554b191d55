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
* **feed_follows** -- the feeds a chat (or forum topic) follows of its own (``/add``,
  an OPML file). One feed row however many chats follow its URL: the poller polls
  feeds, not follows. ``feeds.shared`` says whether a feed is the operator's (config,
  ``/addfeed``: in every chat's digest) or only its followers'; a feed is active
  (``removed_at`` NULL) while it is shared or followed, and an unfollowed feed nobody
  else reads stops being polled.

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

__all__ = ["SEEDS", "FeedRow", "FeedStore", "Follow"]

SEEDS = 0  # the seeds folder's id among a chat's sources

_FEED_COLUMNS = (
    "id, url, name, title, origin, added_by, interval_minutes, language, etag, last_modified,"
    " last_success_at, last_error, last_error_at, failing_since, failures, next_poll_at,"
    " removed_at, created_at, shared"
)
_F_COLUMNS = ", ".join(f"f.{name.strip()}" for name in _FEED_COLUMNS.split(","))


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
    shared: int = 1  # 1: the operator's (every chat's); 0: only its followers'

    @property
    def label(self) -> str:
        return self.name or self.title or self.url


@dataclass(frozen=True, slots=True)
class Follow:
    """What :meth:`FeedStore.follow` did: ``outcome`` is ``followed``, ``already`` (the
    chat follows it), ``shared`` (an operator's feed: in the digest already),
    ``chat_full`` (the chat follows ``limit`` feeds) or ``all_full`` (``limit`` feeds
    are polled in all); ``feed`` is the row, None when a limit refused a new feed."""

    outcome: str
    feed: FeedRow | None
    limit: int = 0


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
                before = db.execute(
                    "SELECT id, shared FROM feeds WHERE url = ?", (feed.url,)
                ).fetchone()
                if before is not None and not before["shared"]:  # users' feed, now shared
                    self._set_private(db, before["id"], False)
                db.execute(
                    "INSERT INTO feeds (url, name, origin, interval_minutes, language,"
                    " created_at) VALUES (?, ?, 'config', ?, ?, ?) ON CONFLICT (url) DO UPDATE"
                    " SET name = excluded.name, origin = 'config',"
                    " interval_minutes = excluded.interval_minutes,"
                    " language = excluded.language, removed_at = NULL, shared = 1",
                    (feed.url, feed.name, feed.interval_minutes, feed.language, now),
                )
            marks = ",".join("?" * len(urls))
            listed = f" AND url NOT IN ({marks})" if urls else ""  # "IN ()": SQLite only
            gone = f"origin = 'config' AND removed_at IS NULL{listed}"
            # A feed users follow stays theirs (no longer shared); the others stop.
            kept = db.execute(
                f"SELECT id FROM feeds WHERE {gone}"
                " AND EXISTS (SELECT 1 FROM feed_follows w WHERE w.feed_id = feeds.id)",
                urls,
            ).fetchall()
            for row in kept:
                db.execute("UPDATE feeds SET shared = 0, origin = 'user' WHERE id = ?", (row[0],))
                self._set_private(db, row[0], True)
            db.execute(f"UPDATE feeds SET removed_at = ? WHERE {gone}", (now, *urls))
        rows = {row.url: row for row in self.feeds()}
        return [rows[url] for url in urls]

    def add_feed(
        self, url: str, *, title: str | None = None, added_by: int | None = None
    ) -> tuple[FeedRow, bool]:
        """Add a feed an admin asked for, shared with every chat; (row, False) when the
        URL is already a shared feed (a removed one comes back, one users follow becomes
        shared)."""
        now = self.store.now_text()
        with self.store.transaction() as db:
            found = db.execute(
                "SELECT id, removed_at, shared FROM feeds WHERE url = ?", (url,)
            ).fetchone()
            if found is not None:
                db.execute(
                    "UPDATE feeds SET removed_at = NULL, shared = 1, origin = CASE origin"
                    " WHEN 'user' THEN 'admin' ELSE origin END WHERE id = ?",
                    (found["id"],),
                )
                if not found["shared"]:
                    self._set_private(db, found["id"], False)
                new = found["removed_at"] is not None or not found["shared"]
                feed_id = found["id"]
            else:
                cursor = db.execute(
                    "INSERT INTO feeds (url, title, origin, added_by, created_at)"
                    " VALUES (?, ?, 'admin', ?, ?) RETURNING id",
                    (url, title, added_by, now),
                )
                feed_id, new = int(cursor.fetchone()[0]), True
        row = self.get_feed(feed_id)
        assert row is not None
        return row, new

    def rename_feed(self, feed_id: int, name: str) -> FeedRow | None:
        """Give a feed the name chats see (``/addfeed URL NAME``); None for unknown ids and
        for config feeds, which are named in the config (``[[feeds]] name``)."""
        row = self.get_feed(feed_id)
        if row is None or row.origin == "config":
            return None
        with self.store.transaction() as db:
            db.execute("UPDATE feeds SET name = ? WHERE id = ?", (name, feed_id))
        return self.get_feed(feed_id)

    def remove_feed(self, feed_id: int) -> FeedRow | None:
        """Stop sharing a feed an admin added: polling stops (its articles stay until
        pruned) unless chats follow it, which keep it as theirs. Config feeds cannot be
        removed here: returns None for them, for users' feeds and for unknown ids."""
        row = self.get_feed(feed_id)
        if row is None or row.removed_at is not None or row.origin == "config" or not row.shared:
            return None
        with self.store.transaction() as db:
            if self._followed(db, feed_id):
                db.execute("UPDATE feeds SET shared = 0, origin = 'user' WHERE id = ?", (feed_id,))
                self._set_private(db, feed_id, True)
            else:
                db.execute(
                    "UPDATE feeds SET removed_at = ? WHERE id = ?",
                    (self.store.now_text(), feed_id),
                )
        return row

    @staticmethod
    def _set_private(db: Any, feed_id: int, private: bool) -> None:
        """A feed's articles follow its sharing: private (its followers' digests only,
        not in the shared list or search) while only users follow it."""
        db.execute(
            "UPDATE articles SET private = ? WHERE feed_id = ? AND private != ?",
            (int(private), feed_id, int(private)),
        )

    @staticmethod
    def _followed(db: Any, feed_id: int) -> bool:
        return (
            db.execute(
                "SELECT 1 FROM feed_follows WHERE feed_id = ? LIMIT 1", (feed_id,)
            ).fetchone()
            is not None
        )

    def feeds(self, *, removed: bool = False) -> list[FeedRow]:
        """Feeds by id; only the active ones unless ``removed``."""
        where = "" if removed else " WHERE removed_at IS NULL"
        rows = self.store.query(f"SELECT {_FEED_COLUMNS} FROM feeds{where} ORDER BY id")
        return [FeedRow(**dict(row)) for row in rows]

    def shared_feeds(self, *, working: bool = False) -> list[FeedRow]:
        """The operator's active feeds by id (every chat's sources); with ``working``
        only those polled successfully at least once (a feed that never worked is not
        offered to users)."""
        where = " AND last_success_at IS NOT NULL" if working else ""
        rows = self.store.query(
            f"SELECT {_FEED_COLUMNS} FROM feeds INDEXED BY feeds_shared"
            f" WHERE shared = 1 AND removed_at IS NULL{where} ORDER BY id"
        )
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
            " WHERE entry_keys.number = excluded.number",
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
        feed added the same story first): the keys still lead to that article, which
        becomes this feed's when this one is shared and the other is not.
        """
        now = self.store.now_text()
        source = f"feed:{feed_id}:{hashlib.sha1(keys[0].encode()).hexdigest()}"
        with self.store.transaction() as db:
            taken = db.execute(
                f"SELECT number FROM entry_keys WHERE key IN ({','.join('?' * len(keys))})",
                list(keys),
            ).fetchone()
            if taken is not None:
                # A story a feed only users follow stored first, that a shared feed also
                # lists, becomes the shared feed's: every chat reads it, its followers too.
                db.execute(
                    "UPDATE articles SET feed_id = ?, private = 0 WHERE number = ?"
                    " AND EXISTS (SELECT 1 FROM feeds f WHERE f.id = articles.feed_id"
                    " AND f.shared = 0)"
                    " AND EXISTS (SELECT 1 FROM feeds WHERE id = ? AND shared = 1)",
                    (feed_id, taken[0], feed_id),
                )
                db.executemany(
                    "INSERT OR IGNORE INTO entry_keys (key, number, seen_at, fingerprint)"
                    " VALUES (?, ?, ?, ?)",
                    [(key, taken[0], now, fingerprint) for key in keys],
                )
                return None
            shared = db.execute("SELECT shared FROM feeds WHERE id = ?", (feed_id,)).fetchone()
            number, _ = self.store.write_article(
                db,
                replace(article, source=source),
                private=shared is not None and not shared[0],
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

    # -- a chat's own feeds ------------------------------------------------------------

    def followed(self, chat_id: int, *, topic: int = 0) -> list[FeedRow]:
        """The feeds the chat (or its forum topic) follows of its own, oldest first."""
        rows = self.store.query(
            f"SELECT {_F_COLUMNS} FROM feed_follows w JOIN feeds f ON f.id = w.feed_id"
            " WHERE w.chat_id = ? AND w.topic = ? ORDER BY w.added_at, f.id",
            (chat_id, topic),
        )
        return [FeedRow(**dict(row)) for row in rows]

    def follow(
        self,
        chat_id: int,
        url: str,
        *,
        topic: int = 0,
        title: str | None = None,
        added_by: int | None = None,
        max_per_chat: int,
        max_feeds: int,
    ) -> Follow:
        """The chat follows the feed at ``url``: the URL's feed row (made if new, brought
        back if removed, not shared) gets a follower. Limits are checked in the same
        transaction: ``max_per_chat`` follows for the chat, ``max_feeds`` active feeds
        in all (following a feed already polled adds none)."""
        now = self.store.now_text()
        with self.store.transaction() as db:
            found = db.execute(
                "SELECT id, removed_at, shared FROM feeds WHERE url = ?", (url,)
            ).fetchone()
            if found is not None and found["shared"] and found["removed_at"] is None:
                return Follow("shared", self._row(db, found["id"]))
            if found is not None:
                known = db.execute(
                    "SELECT 1 FROM feed_follows WHERE chat_id = ? AND topic = ? AND feed_id = ?",
                    (chat_id, topic, found["id"]),
                ).fetchone()
                if known is not None:
                    return Follow("already", self._row(db, found["id"]))
            count = db.execute(
                "SELECT count(*) FROM feed_follows WHERE chat_id = ? AND topic = ?",
                (chat_id, topic),
            ).fetchone()[0]
            if count >= max_per_chat:
                return Follow("chat_full", None, max_per_chat)
            if found is None or found["removed_at"] is not None:
                # Counted up to the cap only: the check costs at most max_feeds entries.
                active = db.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM feeds INDEXED BY feeds_active"
                    " WHERE removed_at IS NULL LIMIT ?) AS active",
                    (max_feeds,),
                ).fetchone()[0]
                if active >= max_feeds:
                    return Follow("all_full", None, max_feeds)
            if found is None:
                cursor = db.execute(
                    "INSERT INTO feeds (url, title, origin, added_by, created_at, shared)"
                    " VALUES (?, ?, 'user', ?, ?, 0) RETURNING id",
                    (url, title, added_by, now),
                )
                feed_id = int(cursor.fetchone()[0])
            else:
                feed_id = found["id"]
                if found["removed_at"] is not None:  # a removed feed comes back as theirs
                    db.execute(
                        "UPDATE feeds SET removed_at = NULL, shared = 0, origin = CASE origin"
                        " WHEN 'config' THEN 'user' ELSE origin END,"
                        " title = coalesce(?, title) WHERE id = ?",
                        (title, feed_id),
                    )
                    self._set_private(db, feed_id, True)
            self.store.ensure_chat_row(db, chat_id, topic)
            db.execute(
                "INSERT INTO feed_follows (chat_id, topic, feed_id, added_at) VALUES (?, ?, ?, ?)",
                (chat_id, topic, feed_id, now),
            )
            return Follow("followed", self._row(db, feed_id))

    def unfollow(self, chat_id: int, feed_id: int, *, topic: int = 0) -> FeedRow | None:
        """The chat stops following the feed; a feed nobody follows that is not shared
        stops being polled (its articles stay until pruned). None if it did not follow it."""
        with self.store.transaction() as db:
            deleted = db.execute(
                "DELETE FROM feed_follows WHERE chat_id = ? AND topic = ? AND feed_id = ?",
                (chat_id, topic, feed_id),
            ).rowcount
            if not deleted:
                return None
            db.execute(
                "DELETE FROM chat_sources_off WHERE chat_id = ? AND topic = ? AND feed_id = ?",
                (chat_id, topic, feed_id),
            )
            row = self._row(db, feed_id)
            if row is not None and not row.shared and not self._followed(db, feed_id):
                db.execute(
                    "UPDATE feeds SET removed_at = ? WHERE id = ?",
                    (self.store.now_text(), feed_id),
                )
            return row

    def feed_by_url(self, url: str) -> FeedRow | None:
        """The feed stored under exactly this URL, active or not."""
        rows = self.store.query(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE url = ?", (url,))
        return FeedRow(**dict(rows[0])) if rows else None

    def newest_title(self, feed_id: int) -> str | None:
        """The title of the feed's newest article (by publication date), if it has any."""
        rows = self.store.query(
            "SELECT title FROM articles INDEXED BY articles_feed WHERE feed_id = ?"
            " ORDER BY published_at DESC LIMIT 1",
            (feed_id,),
        )
        return rows[0][0] if rows else None

    def followers(self, feed_id: int) -> int:
        """How many chats (and forum topics) follow the feed."""
        return self.store.query("SELECT count(*) FROM feed_follows WHERE feed_id = ?", (feed_id,))[
            0
        ][0]

    @staticmethod
    def _row(db: Any, feed_id: int) -> FeedRow | None:
        row = db.execute(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE id = ?", (feed_id,)).fetchone()
        return FeedRow(**dict(row)) if row is not None else None

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
