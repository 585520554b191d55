"""Articles: seed files and feed entries as numbered rows, their summaries, and reading them.

Owns the table **articles**: one row per source (``source`` is unique); ``number`` is
the user-facing N of ``/article N``, assigned once and never reused. A changed
``content_hash`` clears the summary; a seed file that vanished is *retired* (hidden,
number kept). Reading: by number, newest first, the next one, by title words, in bulk. A private
article (see :mod:`bot.store.deliveries`) is read only by a chat that added it: the
single-article reads take the asking chat as ``viewer`` and answer None for any other,
as for a number that does not exist; the list, search and counts hold shared ones only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bot.store.base import StoreBase, _casefold, _is_sqlite_int
from bot.store.records import _ARTICLE_COLUMNS, ArticleRecord, _article

if TYPE_CHECKING:
    from bot.articles import Article


_NEWEST_FIRST = "date DESC, added_at DESC, number DESC"

# Who may read an article (one parameter: the asking chat's id, or None for nobody in
# particular): every shared article, and a private one (a page or text a chat added to
# its digest) only to the chats that added it -- any forum topic of such a chat counts.
VISIBLE_TO = (
    "(articles.private = 0 OR EXISTS (SELECT 1 FROM digest_additions x"
    " WHERE x.chat_id = ? AND x.number = articles.number))"
)


class ArticlesMixin(StoreBase):
    """The articles and their summaries."""

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

    def get_article(self, number: int, viewer: int | None = None) -> ArticleRecord | None:
        """Article ``number`` as chat ``viewer`` may read it, or None if there is none,
        it was retired, or it is private and ``viewer`` did not add it (None: no chat,
        shared articles only)."""
        if not _is_sqlite_int(number):
            return None  # "/article 99999999999999999999" is just not an article
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE number = ? AND retired_at IS NULL"
            f" AND {VISIBLE_TO}",
            (number, viewer),
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

    def next_article(self, number: int, viewer: int | None = None) -> ArticleRecord | None:
        """The visible article listed right after ``number`` (newest first, as in
        list_articles), or None when ``number`` is the last one or not visible (to chat
        ``viewer``, as in get_article)."""
        if not _is_sqlite_int(number):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT date, added_at FROM articles WHERE number = ? AND retired_at IS NULL"
                f" AND {VISIBLE_TO}",
                (number, viewer),
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

    def articles_by_number(self, numbers: Iterable[int]) -> dict[int, ArticleRecord]:
        """The visible articles among ``numbers``, by number, in one query."""
        ids = json.dumps([int(n) for n in numbers if _is_sqlite_int(n)])
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE retired_at IS NULL"
            " AND number IN (SELECT value FROM json_each(?))",
            (ids,),
        )
        return {row["number"]: _article(row) for row in rows}
