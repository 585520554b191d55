"""The stories' side of the database: ``articles.story_id`` (migration 12).

:class:`StoryStore` works on a :class:`bot.store.Store` (same connection, same lock,
same transactions), like :class:`bot.store.feeds.FeedStore`, and owns one column:
``articles.story_id``, the story an article belongs to -- the smallest number among
the story's members, NULL for an article alone. :mod:`bot.compose` computes it
for the recent articles after feed polls and rescans; digests and ``/article N`` read
it. Kept beside the ``bot.store`` package, like ``bot.store.feeds``, as a view over it.

Blocking, like the store: the bot calls it from worker threads (and the tiny indexed
read of ``/article N`` on the event loop).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.store import ArticleRecord, Store
from bot.store.articles import VISIBLE_TO, visible_params
from bot.store.base import is_sqlite_int
from bot.store.records import ARTICLE_COLUMNS, ChatKey, article_from_row, chat_key

__all__ = ["RecentArticle", "StoryStore"]


@dataclass(frozen=True, slots=True)
class RecentArticle:
    """What grouping reads of one recent article."""

    number: int
    title: str
    text: str
    language: str
    published: str | None  # ISO: the feed's publication time, else the seed file's date
    added_at: str
    source_name: str | None
    story_id: int | None


class StoryStore:
    """Story ids of the articles in ``store``'s database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def recent(self, since: str, text_chars: int = 600, after: int = 0) -> list[RecentArticle]:
        """Visible articles published (else added) at or after ``since`` (ISO, UTC) and
        numbered above ``after``, in number order, with the first ``text_chars``
        characters of their text (the time filter has its index: ``articles_feed_age``)."""
        rows = self.store.query(
            "SELECT number, title, substr(text, 1, ?) AS lede, language,"
            " coalesce(published_at, date) AS published, added_at, story_id,"
            " (SELECT coalesce(f.name, f.title, f.url) FROM feeds f WHERE f.id = feed_id)"
            " AS source_name FROM articles WHERE retired_at IS NULL"
            " AND coalesce(published_at, added_at) >= ? AND number > ? ORDER BY number",
            (text_chars, since, after),
        )
        return [
            RecentArticle(
                number=row["number"],
                title=row["title"] or "",
                text=row["lede"] or "",
                language=row["language"] or "",
                published=row["published"],
                added_at=row["added_at"],
                source_name=row["source_name"],
                story_id=row["story_id"],
            )
            for row in rows
        ]

    def set_story_ids(self, story_ids: Mapping[int, int | None]) -> int:
        """Set each article's story id (None: alone), in one transaction; only rows
        whose id changes are written (each write moves ``articles_version``). Returns
        how many changed."""
        with self.store.transaction() as db:
            changed = 0
            for number, story_id in story_ids.items():
                changed += db.execute(
                    "UPDATE articles SET story_id = ? WHERE number = ? AND story_id IS NOT ?",
                    (story_id, number, story_id),
                ).rowcount
            return changed

    def story_ids(self, numbers: Iterable[int]) -> dict[int, int]:
        """The story id of each of ``numbers`` that has one (articles alone are left out)."""
        ids = json.dumps([int(n) for n in numbers if is_sqlite_int(n)])
        rows = self.store.query(
            "SELECT number, story_id FROM articles WHERE story_id IS NOT NULL"
            " AND number IN (SELECT value FROM json_each(?))",
            (ids,),
        )
        return {row[0]: row[1] for row in rows}

    def members(self, number: int, viewer: int | None = None) -> list[ArticleRecord]:
        """Every article of article ``number``'s story that chat ``viewer`` may read
        (see ``Store.get_article``), itself included, in number order; just the article
        when it is alone, [] when it is not visible to ``viewer``."""
        if not is_sqlite_int(number):
            return []
        if self.store.get_article(number, viewer) is None:
            return []
        rows = self.store.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE retired_at IS NULL AND (number = ?"
            " OR story_id = (SELECT story_id FROM articles WHERE number = ?))"
            f" AND {VISIBLE_TO} ORDER BY number",
            (number, number, *visible_params(viewer)),
        )
        return [article_from_row(row) for row in rows]

    def same_for_everyone(self, number: int) -> bool:
        """True when neither article ``number`` nor any member of its story is private:
        what ``/article N`` shows of it is then the same in every chat."""
        if not is_sqlite_int(number):
            return True
        rows = self.store.query(
            "SELECT 1 FROM articles WHERE private = 1 AND (number = ?"
            " OR story_id = (SELECT story_id FROM articles WHERE number = ?)) LIMIT 1",
            (number, number),
        )
        return not rows

    def stories_reached(
        self, chat_id: int, story_ids: Iterable[int], *, topic: int = 0
    ) -> set[int]:
        """The ``story_ids`` of which the chat (or its forum topic ``topic``) has
        received an article (held-back ones do not count) or has one waiting in the
        outbox: a later article of such a story is not shown to it again."""
        ids = json.dumps(sorted({int(s) for s in story_ids if is_sqlite_int(s)}))
        if ids == "[]":
            return set()
        rows = self.store.query(
            "SELECT DISTINCT a.story_id FROM articles a"
            " WHERE a.story_id IN (SELECT value FROM json_each(?)) AND ("
            " EXISTS (SELECT 1 FROM deliveries d WHERE d.chat_id = ? AND d.topic = ?"
            " AND d.number = a.number AND d.held_back = 0)"
            " OR a.number IN (SELECT j.value FROM outbox o, json_each(o.article_numbers) j"
            " WHERE o.chat_id = ? AND o.topic = ?))",
            (ids, chat_id, topic, chat_id, topic),
        )
        return {row[0] for row in rows}

    def record_shown_elsewhere(self, pairs: Iterable[tuple[ChatKey, Iterable[int]]]) -> None:
        """Record (subscriber, numbers) as delivered without sending them: later
        articles of stories the subscriber (a chat id or a (chat id, topic) pair)
        already had (so they do not wait for it forever). One transaction; pairs
        already recorded stay as they are."""
        now = int(self.store.now_seconds())
        rows = [(*chat_key(key), now, n) for key, numbers in pairs for n in numbers]
        if not rows:
            return
        with self.store.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO deliveries (chat_id, topic, number, delivered_at)"
                " SELECT ?, ?, number, ? FROM articles WHERE number = ?",
                rows,
            )
