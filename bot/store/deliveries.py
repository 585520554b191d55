"""Deliveries: which article reached (or was held back from) which chat, and what is unseen.

Everything here is per subscriber, a (chat, topic) pair (see :mod:`bot.store.chats`):
methods take ``topic`` as a keyword (default 0, the chat itself), batch methods a
:data:`bot.store.records.ChatKey`.

Owns the tables **deliveries** and **digest_additions** (pages and texts a user
summarized and added to its chat's digest: such articles are *private*, in
those chats' digests only). **deliveries**: a row per (chat, article) the chat received, or that
its ``/filter`` terms held back (``held_back = 1``, done for the chat like a delivery
and counted by ``count_held_back``). A digest holds only articles the chat
has not received, that are not waiting for it in the outbox, that are newer than its
pruned deliveries (**pruned_deliveries**, see :mod:`bot.store.retention`) and that come
from sources it has on (``chat_sources_off``, see :mod:`bot.store.feeds`): the shared
ones and the feeds it follows of its own (``feed_follows``), never another chat's.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.store.articles import NEWEST_FIRST, ArticlesMixin
from bot.store.chats import ChatsMixin
from bot.store.records import ARTICLE_COLUMNS, ArticleRecord, ChatKey, article_from_row, chat_key

if TYPE_CHECKING:
    from bot.articles import Article

# Unseen by a chat's topic (parameters: _unseen_params(chat_id, topic)): summarized,
# visible, shared or added to this chat's digest (the article's time, or the addition's,
# counts for the pruning horizon: a private article has only the addition's), not
# delivered, not added before the chat's pruned deliveries (Store.prune), and not in a
# message still waiting in the outbox (the digest queued yesterday and still being
# retried must not be repeated by today's).
_UNSEEN = (
    # Visible and summarized: the few not summarized yet are listed by their own index,
    # so the walk along articles_unseen reads no row from the table.
    "a.retired_at IS NULL"
    " AND a.number NOT IN (SELECT u.number FROM articles u WHERE u.summary IS NULL)"
    " AND (CASE WHEN a.private = 0 OR a.feed_id IS NOT NULL THEN a.added_at END"
    " >= coalesce((SELECT p.added_before"
    " FROM pruned_deliveries p WHERE p.chat_id = ? AND p.topic = ?), '')"
    " OR (SELECT x.added_at FROM digest_additions x WHERE x.chat_id = ? AND x.topic = ?"
    " AND x.number = a.number) >= coalesce((SELECT p.added_before FROM pruned_deliveries p"
    " WHERE p.chat_id = ? AND p.topic = ?), ''))"
    " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.chat_id = ? AND d.topic = ?"
    " AND d.number = a.number)"
    " AND a.number NOT IN (SELECT j.value FROM outbox o, json_each(o.article_numbers) j"
    " WHERE o.chat_id = ? AND o.topic = ?)"
    # Only the chat's sources (feed 0: the seeds folder); see bot.store.feeds.
    " AND coalesce(a.feed_id, 0) NOT IN (SELECT s.feed_id FROM chat_sources_off s"
    " WHERE s.chat_id = ? AND s.topic = ?)"
    # A feed that is not shared reaches its followers' digests only (feed_follows;
    # its articles are private, so the shared list and search leave them out), and
    # the chats that added one of its articles to their digest. Both lists are short:
    # the operator's feeds, the chat's follows.
    " AND (a.feed_id IS NULL OR a.feed_id IN (SELECT f.id FROM feeds f"
    " INDEXED BY feeds_shared WHERE f.shared = 1)"
    " OR a.feed_id IN (SELECT w.feed_id FROM feed_follows w"
    " WHERE w.chat_id = ? AND w.topic = ?)"
    " OR EXISTS (SELECT 1 FROM digest_additions y WHERE y.chat_id = ? AND y.topic = ?"
    " AND y.number = a.number))"
)


def _unseen_params(chat_id: int, topic: int = 0) -> tuple[int, ...]:
    """The parameters of _UNSEEN: the chat id and topic for each pair of placeholders."""
    return (chat_id, topic) * (_UNSEEN.count("?") // 2)


# The unseen articles in three walks, each stopping at its own LIMIT, merged: the shared
# articles (whose index holds no private row, so the many articles of feeds only other
# chats follow are never walked), the articles of the feeds the chat follows of its own
# (articles_feed), and the pages it added to its digest (digest_additions). Each
# walk costs what it returns, whatever other chats read.
#
# The shared articles are walked one of two ways, the same rows either way: newest
# first along articles_unseen_shared, stopping at the LIMIT (a chat with much unseen: a
# few entries), or -- when few shared articles were added since the chat's horizon
# (pruned_deliveries.added_before, moved by every digest it received) -- only those,
# along articles_unseen_added, then sorted (a chat that is caught up: what arrived since
# its last digest, not every article checked against its deliveries), with the shared
# articles the chat added to its digest itself.
_SHARED_NEWEST = ("articles a INDEXED BY articles_unseen_shared", "a.private = 0", 0)
_SHARED_SINCE = (
    "articles a INDEXED BY articles_unseen_added",
    "a.private = 0 AND a.added_at >= coalesce((SELECT p.added_before"
    " FROM pruned_deliveries p WHERE p.chat_id = ? AND p.topic = ?), '')",
    1,
)
_PRIVATE = (
    # (FROM clause, condition before _UNSEEN, its own (chat, topic) placeholder pairs)
    (
        "articles a",
        "a.private = 1 AND a.feed_id IN (SELECT w.feed_id FROM feed_follows w"
        " WHERE w.chat_id = ? AND w.topic = ?)",
        1,
    ),
    (
        # Every page the chat added, shared ones too: a shared article added again after
        # its delivery was pruned is older than the horizon the SINCE walk starts at.
        "articles a",
        "a.number IN (SELECT y.number FROM digest_additions y WHERE y.chat_id = ? AND y.topic = ?)",
        1,
    ),
)
# Past this many shared articles since the horizon, the newest-first walk is taken.
SINCE_WALK_MAX = 5_000
# How many shared articles were added since the subscriber's horizon, up to
# SINCE_WALK_MAX + 1 (parameters: chat id, topic, SINCE_WALK_MAX + 1).
_COUNT_SINCE = (
    "SELECT count(*) FROM (SELECT 1 FROM articles a INDEXED BY articles_unseen_added"
    f" WHERE a.retired_at IS NULL AND {_SHARED_SINCE[1]} LIMIT ?) AS since"
)


def _walks(branches: tuple[tuple[str, str, int], ...]) -> str:
    return " UNION ".join(
        f"SELECT * FROM (SELECT a.number, a.date, a.added_at FROM {source}"
        f" WHERE {condition} AND {_UNSEEN} ORDER BY {NEWEST_FIRST} LIMIT ?) AS walk{i}"
        for i, (source, condition, _) in enumerate(branches)
    )


_BY_NEWEST = (_SHARED_NEWEST, *_PRIVATE)
# A shared article the chat added to its digest counts from the time of the addition:
# those few are walked on their own beside the ones added since the horizon.
_SHARED_ADDED = (
    "articles a",
    "a.private = 0 AND a.number IN (SELECT y.number FROM digest_additions y"
    " WHERE y.chat_id = ? AND y.topic = ?)",
    1,
)
_BY_SINCE = (_SHARED_SINCE, _SHARED_ADDED, *_PRIVATE)
# PostgreSQL has no INDEXED BY: asked for the newest few, its planner walks
# articles_unseen newest first and tests every row against the horizon (13 ms at 50,000
# articles for a chat with nothing new, against 0.1). The articles added since the
# horizon are read on their own first there (OFFSET 0 keeps the planner from merging
# the two), along articles_unseen_added, the index holding every column asked for.
_SHARED_SINCE_POSTGRESQL = (
    "(SELECT a.number, a.date, a.added_at, a.feed_id, a.private, a.retired_at"
    f" FROM articles a WHERE a.retired_at IS NULL AND {_SHARED_SINCE[1]} OFFSET 0) AS a",
    "1 = 1",
    1,
)
_UNSEEN_WALKS = {
    ("sqlite", False): _walks(_BY_NEWEST),
    ("sqlite", True): _walks(_BY_SINCE),
    ("postgresql", False): _walks(_BY_NEWEST),
    ("postgresql", True): _walks((_SHARED_SINCE_POSTGRESQL, *_BY_SINCE[1:])),
}


def _walk_params(chat_id: int, topic: int, limit: int, since: bool) -> tuple[int, ...]:
    """The parameters of _UNSEEN_WALKS[since], each walk stopping at ``limit`` (-1: none)."""
    params: tuple[int, ...] = ()
    for _, _, pairs in _BY_SINCE if since else _BY_NEWEST:
        params += (chat_id, topic) * pairs + _unseen_params(chat_id, topic) + (limit,)
    return params


# A subscriber whose unseen articles are the shared ones since its horizon, less its
# deliveries: no source off, no feed of its own, no page added, nothing in the outbox.
# (parameters: (chat id, topic) five times)
_PLAIN = (
    "SELECT (SELECT p.added_before FROM pruned_deliveries p WHERE p.chat_id = ?"
    " AND p.topic = ?), EXISTS (SELECT 1 FROM chat_sources_off s WHERE s.chat_id = ?"
    " AND s.topic = ?) OR EXISTS (SELECT 1 FROM feed_follows w WHERE w.chat_id = ?"
    " AND w.topic = ?) OR EXISTS (SELECT 1 FROM digest_additions y WHERE y.chat_id = ?"
    " AND y.topic = ?) OR EXISTS (SELECT 1 FROM outbox o WHERE o.chat_id = ? AND o.topic = ?)"
)
# What any such subscriber could have unseen since a horizon, newest first (the
# conditions of _UNSEEN that do not depend on the subscriber), along either index as
# _UNSEEN_WALKS (parameters: horizon, limit).
_SHARED_CONDITIONS = (
    "a.retired_at IS NULL AND a.private = 0"
    " AND a.number NOT IN (SELECT u.number FROM articles u WHERE u.summary IS NULL)"
    " AND a.added_at >= ?"
    " AND (a.feed_id IS NULL OR a.feed_id IN (SELECT f.id FROM feeds f"
    " INDEXED BY feeds_shared WHERE f.shared = 1))"
)
_SHARED_WALKS = {
    since: f"SELECT a.number FROM {source} WHERE {_SHARED_CONDITIONS}"
    f" ORDER BY {NEWEST_FIRST} LIMIT ?"
    for since, (source, _, _) in ((False, _SHARED_NEWEST), (True, _SHARED_SINCE))
}
_COUNT_ADDED_SINCE = (
    "SELECT count(*) FROM (SELECT 1 FROM articles a INDEXED BY articles_unseen_added"
    " WHERE a.retired_at IS NULL AND a.private = 0 AND a.added_at >= ? LIMIT ?) AS since"
)
# The shared walk goes this many articles past the limit, for the deliveries of a
# subscriber among them (a subscriber with more falls back to its own walk).
SHARED_SLACK = 200


class SharedUnseen:
    """The shared articles a scheduled run's subscribers could have unseen, walked once
    per horizon (most subscribers of one slot have the same: their last digest) and
    kept for the run (:meth:`DeliveriesMixin.unseen_numbers_of`)."""

    def __init__(self) -> None:
        # horizon -> (numbers newest first, the smallest, all there are)
        self.walked: dict[str, tuple[list[int], int, bool]] = {}


class DeliveriesMixin(ChatsMixin, ArticlesMixin):
    """Deliveries, held-back articles and the articles each chat has not seen. Built on
    the chats (an addition makes sure its chat exists) and the articles (an addition
    writes one)."""

    def unseen_articles(self, chat_id: int, limit: int, *, topic: int = 0) -> list[ArticleRecord]:
        """Summarized visible articles the chat (or its forum topic ``topic``) has
        neither received nor waiting for it in the outbox, newest first."""
        walks, params = self._unseen_walks(chat_id, topic, limit)
        rows = self.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE number IN (SELECT number"
            f" FROM ({walks}) AS walks ORDER BY {NEWEST_FIRST} LIMIT ?) ORDER BY {NEWEST_FIRST}",
            (*params, limit),
        )
        return [article_from_row(row) for row in rows]

    def count_unseen(self, chat_id: int, *, topic: int = 0, at_most: int | None = None) -> int:
        """How many articles unseen_articles would give without a limit; with
        ``at_most``, counting stops there (a count costs what it counts)."""
        walks, params = self._unseen_walks(chat_id, topic, -1 if at_most is None else at_most)
        count = self.query(f"SELECT count(*) FROM ({walks}) AS walks", params)[0][0]
        return count if at_most is None else min(count, at_most)

    def _unseen_walks(self, chat_id: int, topic: int, limit: int) -> tuple[str, tuple[int, ...]]:
        """The walks of the subscriber's unseen articles, each stopping at ``limit``
        (-1: none), and their parameters: along what was added since its horizon when
        that is little, else newest first (the same rows either way)."""
        since = (
            self.query(_COUNT_SINCE, (chat_id, topic, SINCE_WALK_MAX + 1))[0][0] <= SINCE_WALK_MAX
        )
        return _UNSEEN_WALKS[self.engine, since], _walk_params(chat_id, topic, limit, since)

    def record_deliveries(self, chat_id: int, numbers: Iterable[int], *, topic: int = 0) -> None:
        """Record that the chat (or its forum topic ``topic``) received these articles
        (e.g. an on-demand /digest was sent). Already recorded pairs and unknown numbers
        are ignored."""
        with self.transaction() as db:
            self._record_deliveries(db, chat_id, numbers, topic)

    def _record_deliveries(
        self, db: sqlite3.Connection, chat_id: int, numbers: Iterable[int], topic: int = 0
    ) -> None:
        now = int(self.now_seconds())
        db.executemany(
            "INSERT OR IGNORE INTO deliveries (chat_id, topic, number, delivered_at)"
            " SELECT ?, ?, number, ? FROM articles WHERE number = ?",
            [(chat_id, topic, now, number) for number in numbers],
        )

    def delivered(self, chat_id: int, *, topic: int = 0) -> set[int]:
        """The article numbers the chat (or its forum topic ``topic``) has received."""
        rows = self.query(
            "SELECT number FROM deliveries WHERE chat_id = ? AND topic = ?", (chat_id, topic)
        )
        return {row[0] for row in rows}

    def record_held_back(self, held: Iterable[tuple[ChatKey, Iterable[int]]]) -> None:
        """Record (subscriber, article numbers) the subscribers' filters held back, in
        one transaction: done for the subscriber like a delivery (never in a digest of
        it), and counted by count_held_back. Pairs already recorded are left as they
        are. A subscriber is a chat id or a (chat id, topic) pair."""
        now = int(self.now_seconds())
        pairs = [(*chat_key(key), [int(n) for n in numbers]) for key, numbers in held]
        wanted = sorted({n for _, _, numbers in pairs for n in numbers})
        if not wanted:
            return
        with self.transaction() as db:
            # Only articles that exist (in this transaction: none goes meanwhile), then
            # plain rows: an INSERT ... SELECT costs half as much again per row.
            rows = db.execute(
                "SELECT a.number FROM articles a"
                " WHERE a.number IN (SELECT value FROM json_each(?))",
                (json.dumps(wanted),),
            ).fetchall()
            existing = {row[0] for row in rows}
            db.executemany(
                "INSERT OR IGNORE INTO deliveries (chat_id, topic, number, delivered_at,"
                " held_back) VALUES (?, ?, ?, ?, 1)",
                [
                    (chat_id, topic, number, now)
                    for chat_id, topic, numbers in pairs
                    for number in numbers
                    if number in existing
                ],
            )

    def unseen_numbers(self, chat_id: int, limit: int, *, topic: int = 0) -> list[int]:
        """The numbers of unseen_articles(chat_id, limit), without reading the articles
        (a scheduled run reads each article once, not once per chat)."""
        return self._unseen_walked(chat_id, topic, limit)

    def _unseen_walked(self, chat_id: int, topic: int, limit: int) -> list[int]:
        walks, params = self._unseen_walks(chat_id, topic, limit)
        rows = self.query(
            f"SELECT number FROM ({walks}) AS walks ORDER BY {NEWEST_FIRST} LIMIT ?",
            (*params, limit),
        )
        return [row[0] for row in rows]

    def unseen_numbers_of(
        self, keys: Iterable[ChatKey], limit: int, shared: SharedUnseen | None = None
    ) -> dict[tuple[int, int], list[int]]:
        """``unseen_numbers(chat, limit)`` of each subscriber (a chat id or a (chat id,
        topic) pair), by (chat id, topic): the same lists, read for a batch.

        A subscriber with no source off, no feed of its own, no page added and nothing
        in the outbox has unseen the shared visible summarized articles added since its
        horizon, less the ones delivered to it: those articles are walked once per
        horizon (kept in ``shared`` across the batches of a run), and each such
        subscriber costs two index lookups (its state, its deliveries among them). The
        others, and one with more deliveries among them than the walk went past the
        limit, take their own walk (:meth:`unseen_numbers`)."""
        shared = shared or SharedUnseen()
        found: dict[tuple[int, int], list[int]] = {}
        for key in keys:
            chat_id, topic = chat_key(key)
            state = self.query(_PLAIN, (chat_id, topic) * 5)[0]
            numbers = None
            if not state[1]:
                numbers = self._unseen_since(chat_id, topic, state[0] or "", limit, shared)
            if numbers is None:
                numbers = self._unseen_walked(chat_id, topic, limit)
            found[(chat_id, topic)] = numbers
        return found

    def _unseen_since(
        self, chat_id: int, topic: int, horizon: str, limit: int, shared: SharedUnseen
    ) -> list[int] | None:
        """A plain subscriber's unseen numbers (see :meth:`unseen_numbers_of`), None
        when its deliveries take too many of the walked ones."""
        walked = shared.walked.get(horizon)
        if walked is None:
            wanted = limit + SHARED_SLACK
            since = (
                self.query(_COUNT_ADDED_SINCE, (horizon, SINCE_WALK_MAX + 1))[0][0]
                <= SINCE_WALK_MAX
            )
            rows = self.query(_SHARED_WALKS[since], (horizon, wanted))
            numbers = [row[0] for row in rows]
            walked = shared.walked[horizon] = (numbers, min(numbers, default=0), len(rows) < wanted)
        numbers, smallest, complete = walked
        if not numbers:
            return []
        rows = self.query(
            "SELECT number FROM deliveries WHERE chat_id = ? AND topic = ? AND number >= ?",
            (chat_id, topic, smallest),
        )
        if not rows:
            return numbers[:limit]
        delivered = {row[0] for row in rows}
        unseen = [n for n in numbers if n not in delivered]
        if len(unseen) < limit and not complete:
            return None
        return unseen[:limit]

    def added_numbers(self, chat_id: int, *, topic: int = 0) -> set[int]:
        """The articles the chat (or its forum topic ``topic``) added to its digest itself
        ("Add to my digest"), sent or not: a digest always shows the unseen ones."""
        rows = self.query(
            "SELECT number FROM digest_additions WHERE chat_id = ? AND topic = ?",
            (chat_id, topic),
        )
        return {row[0] for row in rows}

    def count_held_back(self, chat_id: int, *, topic: int = 0) -> int:
        """How many articles the filters of the chat (or of its forum topic ``topic``)
        have held back (within the retention window: held-back articles are pruned like
        deliveries)."""
        return self.query(
            "SELECT count(*) FROM deliveries WHERE chat_id = ? AND topic = ? AND held_back = 1",
            (chat_id, topic),
        )[0][0]

    def add_to_digest(
        self, chat_id: int, article: Article, summary: Sequence[str], *, topic: int = 0
    ) -> tuple[int, bool]:
        """A page or text a user summarized goes into the chat's next digest.

        One transaction: the article is stored as *private* (in the digests of the chats
        that added it only, not in the shared list) under its ``source`` with its
        summary -- the same source again is the same article, updated if its content
        changed; a page that is already an article by its link (a seed file's, a feed
        entry's) is that article, its number kept -- and the chat's addition is recorded.
        Returns (number, added): added is False when it is already waiting for the
        chat's next digest (nothing changes then); a page added before and sent since
        goes into the next digest again.
        ``topic``: the forum topic whose digest it goes into (0: the chat itself)."""
        with self.transaction() as db:
            self._ensure_chat(db, chat_id, topic)
            number, _ = self.write_article(
                db, article, summary=summary, private=True, same_link=True
            )
            waiting = db.execute(
                f"SELECT 1 FROM articles a WHERE a.number = ? AND {_UNSEEN}",
                (number, *_unseen_params(chat_id, topic)),
            ).fetchone()
            if waiting is not None:
                return number, False
            # New, or added before and sent (or pruned) since: it goes into the next one.
            db.execute(
                "DELETE FROM deliveries WHERE chat_id = ? AND topic = ? AND number = ?",
                (chat_id, topic, number),
            )
            db.execute(
                "INSERT INTO digest_additions (chat_id, topic, number, added_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, topic, number)"
                " DO UPDATE SET added_at = excluded.added_at",
                (chat_id, topic, number, self.now_text()),
            )
            return number, True
