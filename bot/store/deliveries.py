"""Deliveries: which article reached (or was held back from) which chat, and what is unseen.

Owns the table **deliveries**: a row per (chat, article) the chat received, or that
its ``/filter`` terms held back (``held_back = 1``, done for the chat like a delivery
and counted by ``count_held_back``, issue 14). A digest holds only articles the chat
has not received, that are not waiting for it in the outbox, that are newer than its
pruned deliveries (**pruned_deliveries**, see :mod:`bot.store.retention`) and that come
from sources it has on (``chat_sources_off``, see :mod:`bot.feedstore`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from bot.store.articles import _NEWEST_FIRST
from bot.store.base import StoreBase
from bot.store.records import _ARTICLE_COLUMNS, ArticleRecord, _article

# Unseen by a chat (parameters: chat_id three times): summarized, visible, not
# delivered, not added before the chat's pruned deliveries (Store.prune), and not in a
# message still waiting in the outbox (the digest queued yesterday and still being
# retried must not be repeated by today's).
_UNSEEN = (
    "summary IS NOT NULL AND retired_at IS NULL"
    " AND a.added_at >= coalesce((SELECT p.added_before FROM pruned_deliveries p"
    " WHERE p.chat_id = ?), '')"
    " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.chat_id = ? AND d.number = a.number)"
    " AND a.number NOT IN (SELECT j.value FROM outbox o, json_each(o.article_numbers) j"
    " WHERE o.chat_id = ?)"
    # Only the chat's sources (feed 0: the seeds folder); see bot.feedstore.
    " AND coalesce(a.feed_id, 0) NOT IN (SELECT s.feed_id FROM chat_sources_off s"
    " WHERE s.chat_id = ?)"
)


class DeliveriesMixin(StoreBase):
    """Deliveries, held-back articles and the articles each chat has not seen."""

    def unseen_articles(self, chat_id: int, limit: int) -> list[ArticleRecord]:
        """Summarized visible articles the chat has neither received nor waiting for it
        in the outbox, newest first."""
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles a WHERE {_UNSEEN} ORDER BY {_NEWEST_FIRST}"
            " LIMIT ?",
            (chat_id, chat_id, chat_id, chat_id, limit),
        )
        return [_article(row) for row in rows]

    def count_unseen(self, chat_id: int) -> int:
        """How many articles unseen_articles would give without a limit."""
        return self._query(f"SELECT count(*) FROM articles a WHERE {_UNSEEN}", (chat_id,) * 4)[0][0]

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
            (chat_id, chat_id, chat_id, chat_id, limit),
        )
        return [row[0] for row in rows]

    def count_held_back(self, chat_id: int) -> int:
        """How many articles the chat's filters have held back (within the retention
        window: held-back articles are pruned like deliveries)."""
        return self._query(
            "SELECT count(*) FROM deliveries WHERE chat_id = ? AND held_back = 1", (chat_id,)
        )[0][0]
