"""Articles: seed files and feed entries as numbered rows, their summaries, and reading them.

Owns the table **articles**: one row per source (``source`` is unique); ``number`` is
the user-facing N of ``/article N``, assigned once and never reused. A changed
``content_hash`` clears the summary; a seed file that vanished is *retired* (hidden,
number kept). Reading: by number, newest first, the next one, by title words, in bulk.
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
_OLDEST_FIRST = "date, added_at, number"
# Listed: in the shared list, search and counts (the articles_listed index's rows).
_LISTED = "retired_at IS NULL AND private = 0"
# A title search looks at this many newest listed titles before the trigram index.
_NEWEST_SCANNED = 2000


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
        holds as long as the version does. A read: it never waits for the writer."""
        return self._query("SELECT n FROM article_changes")[0][0]

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
        number, all descending.

        The page's numbers come from the articles_listed index alone (no row is read to
        be skipped), walked from the nearer end: a page past the middle is counted
        from the oldest article backwards."""
        offset, limit = max(offset, 0), max(limit, 0)
        total = self.count_articles()
        order = _NEWEST_FIRST
        if offset > total // 2 and offset < total:
            order = _OLDEST_FIRST
            offset, limit = max(total - offset - limit, 0), min(limit, total - offset)
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE number IN"
            f" (SELECT number FROM articles INDEXED BY articles_listed WHERE {_LISTED}"
            f" ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {_NEWEST_FIRST}",
            (limit, offset),
        )
        return [_article(row) for row in rows]

    def next_article(self, number: int) -> ArticleRecord | None:
        """The visible article listed right after ``number`` (newest first, as in
        list_articles), or None when ``number`` is the last one or not visible.

        Keyset steps along the articles_listed index, each one seek: the rest of the
        same date and time added, of the same date, else the next older date, else the
        first undated article (NULL is the smallest value in SQLite, so undated articles
        come last)."""
        if not _is_sqlite_int(number):
            return None
        rows = self._query(
            "SELECT date, added_at FROM articles WHERE number = ? AND retired_at IS NULL",
            (number,),
        )
        if not rows:
            return None
        date, added_at = rows[0]["date"], rows[0]["added_at"]
        # Each step is one range of the index (an OR would make it a scan of the date).
        same = "date IS NULL" if date is None else "date = ?"
        dated: tuple[Any, ...] = () if date is None else (date,)
        steps: list[tuple[str, tuple[Any, ...]]] = [
            (f"{same} AND added_at = ? AND number < ?", (*dated, added_at, number)),
            (f"{same} AND added_at < ?", (*dated, added_at)),
        ]
        if date is not None:
            steps.append(("date < ?", (date,)))
            steps.append(("date IS NULL", ()))
        for condition, params in steps:
            found = self._query(
                f"SELECT {_ARTICLE_COLUMNS} FROM articles INDEXED BY articles_listed"
                f" WHERE {_LISTED} AND {condition} ORDER BY {_NEWEST_FIRST} LIMIT 1",
                params,
            )
            if found:
                return _article(found[0])
        return None

    def count_articles(self) -> int:
        """How many articles are listed (visible, shared): a counter the triggers on
        articles keep, not a count of rows."""
        return self._query("SELECT listed FROM article_changes")[0][0]

    def search_articles(
        self, words: Iterable[str], limit: int | None = None
    ) -> list[ArticleRecord]:
        """Visible articles whose title contains every word (case-insensitive, Unicode
        casefold, substring match), newest first. No words: no articles.

        Two ways, each costing about what it finds: the newest listed titles first
        (words in many titles are found there), then, when they held too few, the
        trigram index article_titles for the words of three characters or more (each
        candidate checked with instr(), so the match is exactly the substring rule).
        Only words all shorter than three characters read every title."""
        needles = [_casefold(word) for word in words if word.strip()]
        if not needles:
            return []
        condition = " AND ".join("instr(title_folded, ?) > 0" for _ in needles)
        if limit is not None:
            rows = self._query(
                f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE number IN"
                f" (SELECT number FROM articles INDEXED BY articles_listed WHERE {_LISTED}"
                f" ORDER BY {_NEWEST_FIRST} LIMIT ?) AND {condition}"
                f" ORDER BY {_NEWEST_FIRST} LIMIT ?",
                (_NEWEST_SCANNED, *needles, limit),
            )
            if len(rows) >= limit or self.count_articles() <= _NEWEST_SCANNED:
                return [_article(row) for row in rows]
        indexed = [needle for needle in needles if len(needle) >= 3]
        if indexed:
            match = " AND ".join('"' + needle.replace('"', '""') + '"' for needle in indexed)
            candidates = "number IN (SELECT rowid FROM article_titles WHERE article_titles MATCH ?)"
            params: tuple[Any, ...] = (match, *needles)
        else:
            candidates, params = "1", tuple(needles)
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles"
            f" WHERE {candidates} AND {_LISTED} AND {condition}"
            f" ORDER BY {_NEWEST_FIRST} LIMIT ?",
            (*params, -1 if limit is None else limit),
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
