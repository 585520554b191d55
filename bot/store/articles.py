"""Articles: seed files and feed entries as numbered rows, their summaries, and reading them.

Owns the table **articles**: one row per source (``source`` is unique); ``number`` is
the user-facing N of ``/article N``, assigned once and never reused. Every row is
written by :meth:`ArticlesMixin.write_article` (seed files, feed entries, pages and
texts added to a digest). A changed ``content_hash`` clears the summary; a seed file
that vanished is *retired* (hidden, number kept). Reading: by number, newest first, the
next one, by title words, in bulk. A private article (see :mod:`bot.store.deliveries`)
is read only by the chats it belongs to (that added it, or follow its feed of their
own): the single-article reads take the asking chat as
``viewer`` and answer None for any other, as for a number that does not exist; the
list, search and counts hold shared ones only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bot.store.base import StoreBase, fold_text, is_sqlite_int, url_key
from bot.store.records import ARTICLE_COLUMNS, ArticleRecord, article_from_row

if TYPE_CHECKING:
    from bot.articles import Article


NEWEST_FIRST = "date DESC, added_at DESC, number DESC"
_OLDEST_FIRST = "date, added_at, number"
# Listed: in the shared list, search and counts (the articles_listed index's rows).
_LISTED = "retired_at IS NULL AND private = 0"
# A title search looks at this many newest listed titles before the trigram index.
_NEWEST_SCANNED = 2000


def summary_json(summary: Sequence[str] | None) -> str | None:
    """A summary (its sentences) as the store keeps it: a JSON list; None stays None."""
    return None if summary is None else json.dumps(list(summary), ensure_ascii=False)


# Who may read an article (parameters: visible_params(viewer), the asking chat's id or
# None for nobody in particular): every shared article, and a private one only to the
# chats it belongs to -- those that added it to their digest (a page or text a user
# summarized), and those that follow its feed when the feed is theirs, not shared. Any
# forum topic of such a chat counts: the chat is one audience.
VISIBLE_TO = (
    "(articles.private = 0 OR EXISTS (SELECT 1 FROM digest_additions x"
    " WHERE x.chat_id = ? AND x.number = articles.number)"
    " OR EXISTS (SELECT 1 FROM feed_follows w"
    " WHERE w.chat_id = ? AND w.feed_id = articles.feed_id))"
)


def _like_pattern(needle: str) -> str:
    """A LIKE pattern finding ``needle`` anywhere (its wildcards taken literally)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def visible_params(viewer: int | None) -> tuple[int | None, int | None]:
    """The parameters of VISIBLE_TO for chat ``viewer``."""
    return viewer, viewer


class ArticlesMixin(StoreBase):
    """The articles and their summaries."""

    def upsert_article(self, article: Article) -> tuple[int, bool]:
        """Store an article read from a seed file; returns (number, changed).

        New source: a new number, changed=True. Same source, new content hash: the row
        is updated, its summary cleared, changed=True. Same hash: nothing changes
        (changed=False), except that a retired article comes back (changed=True).
        """
        with self.transaction() as db:
            return self.write_article(db, article)

    def upsert_articles(self, articles: Iterable[Article]) -> list[tuple[int, bool]]:
        """upsert_article for many articles in one transaction (fast bulk ingest)."""
        with self.transaction() as db:
            return [self.write_article(db, article) for article in articles]

    def write_article(
        self,
        db: sqlite3.Connection,
        article: Article,
        *,
        summary: Sequence[str] | None = None,
        number: int | None = None,
        feed_id: int | None = None,
        published: str | None = None,
        private: bool = False,
        same_link: bool = False,
    ) -> tuple[int, bool]:
        """The one function that writes article rows (seed files, feed entries, pages
        and texts added to a digest), inside the caller's transaction ``db`` (from
        :meth:`transaction`); returns (number, changed).

        The article is found by ``number`` when given (KeyError if there is none), else
        by its ``source``, else -- with ``same_link`` -- as the visible article whose
        link has the same canonical URL: a page that is already an article (a seed
        file's or a feed entry's link) keeps that article's number, and its content
        stays that source's (nothing is written).

        * Not found: a new row with a new number (``summary`` None: still to be
          computed; ``feed_id``, ``published`` (ISO), ``private``); changed=True.
        * Found, another content hash: title, date, link, language, text and the summary
          replaced by ``summary`` (None clears it, so it is computed again), and a
          retired article comes back; changed=True. Its number, source, feed,
          publication time and privacy stay.
        * Found, same hash: a retired article comes back (changed=True); a missing
          summary is filled with ``summary`` when given; nothing else changes.

        Every row written has its title folded for search (Unicode casefold), its
        summary as a JSON list and its link's canonical URL (``url_key``).
        """
        if number is not None:
            row = db.execute(
                "SELECT number, content_hash, retired_at, summary IS NULL AS unsummarized"
                " FROM articles WHERE number = ?",
                (number,),
            ).fetchone()
            if row is None:
                raise KeyError(f"no article number {number}")
        else:
            row = db.execute(
                "SELECT number, content_hash, retired_at, summary IS NULL AS unsummarized"
                " FROM articles WHERE source = ?",
                (article.source,),
            ).fetchone()
        key = url_key(article.url)
        if row is None and same_link and key:
            found = db.execute(
                "SELECT number FROM articles WHERE url_key = ? AND retired_at IS NULL"
                " ORDER BY number LIMIT 1",
                (key,),
            ).fetchone()
            if found is not None:
                return found["number"], False
        fields = (
            article.content_hash,
            article.title,
            article.date,
            article.url,
            article.language,
            article.text,
            summary_json(summary),
            fold_text(article.title),
            key,
        )
        if row is None:
            cursor = db.execute(
                "INSERT INTO articles (content_hash, title, date, url, language, text,"
                " summary, title_folded, url_key, source, added_at, feed_id, published_at,"
                " private) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING number",
                (*fields, article.source, self.now_text(), feed_id, published, int(private)),
            )
            return int(cursor.fetchone()[0]), True
        number = row["number"]
        if row["content_hash"] != article.content_hash:
            db.execute(
                "UPDATE articles SET content_hash = ?, title = ?, date = ?, url = ?,"
                " language = ?, text = ?, summary = ?, title_folded = ?, url_key = ?,"
                " retired_at = NULL WHERE number = ?",
                (*fields, number),
            )
            return number, True
        if summary is not None and row["unsummarized"]:
            db.execute(
                "UPDATE articles SET summary = ? WHERE number = ?", (summary_json(summary), number)
            )
        if row["retired_at"] is not None:
            db.execute("UPDATE articles SET retired_at = NULL WHERE number = ?", (number,))
            return number, True
        return number, False

    def retire_missing(self, present_sources: Iterable[str]) -> list[int]:
        """Retire every article whose source is not in ``present_sources`` (the seed
        files found by the latest scan); returns their numbers. Retired articles are
        hidden everywhere but keep their number and summary in case the file returns."""
        present = set(present_sources)
        with self.transaction() as db:
            rows = db.execute(
                "SELECT number, source FROM articles WHERE retired_at IS NULL AND private = 0"
                " AND feed_id IS NULL"  # feed articles are not seed files
            ).fetchall()
            gone = [row["number"] for row in rows if row["source"] not in present]
            now = self.now_text()
            db.executemany(
                "UPDATE articles SET retired_at = ? WHERE number = ?",
                [(now, number) for number in gone],
            )
            return gone

    def set_summary(self, number: int, sentences: Sequence[str]) -> None:
        """Store the summary (a list of sentences) of article ``number``."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE articles SET summary = ? WHERE number = ?",
                (summary_json(sentences), number),
            )
            if cursor.rowcount == 0:
                raise KeyError(f"no article number {number}")

    def articles_without_summary(self, limit: int | None = None) -> list[ArticleRecord]:
        """Visible articles whose summary is still to be computed, oldest number first."""
        rows = self.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles"
            " WHERE summary IS NULL AND retired_at IS NULL ORDER BY number LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [article_from_row(row) for row in rows]

    def articles_version(self) -> int:
        """A number that changes whenever any article is added, changed or retired (by
        this process or another): what was composed from the articles at one version
        holds as long as the version does. A read: it never waits for the writer."""
        return self.query("SELECT n FROM article_changes")[0][0]

    def get_article(self, number: int, viewer: int | None = None) -> ArticleRecord | None:
        """Article ``number`` as chat ``viewer`` may read it, or None if there is none,
        it was retired, or it is private and ``viewer`` did not add it (None: no chat,
        shared articles only)."""
        if not is_sqlite_int(number):
            return None  # "/article 99999999999999999999" is just not an article
        rows = self.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE number = ? AND retired_at IS NULL"
            f" AND {VISIBLE_TO}",
            (number, *visible_params(viewer)),
        )
        return article_from_row(rows[0]) if rows else None

    def visible_sources(self) -> set[str]:
        """The seed files (``source``) of every visible article."""
        return {
            row[0] for row in self.query("SELECT source FROM articles WHERE retired_at IS NULL")
        }

    def list_articles(self, offset: int = 0, limit: int = 10) -> list[ArticleRecord]:
        """Visible articles newest first: by date (undated last), then added_at, then
        number, all descending.

        The page's numbers come from the articles_listed index alone (no row is read to
        be skipped), walked from the nearer end: a page past the middle is counted
        from the oldest article backwards."""
        offset, limit = max(offset, 0), max(limit, 0)
        total = self.count_articles()
        order = NEWEST_FIRST
        if offset > total // 2 and offset < total:
            order = _OLDEST_FIRST
            offset, limit = max(total - offset - limit, 0), min(limit, total - offset)
        rows = self.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE number IN"
            f" (SELECT number FROM articles INDEXED BY articles_listed WHERE {_LISTED}"
            f" ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {NEWEST_FIRST}",
            (limit, offset),
        )
        return [article_from_row(row) for row in rows]

    def next_article(self, number: int, viewer: int | None = None) -> ArticleRecord | None:
        """The visible article listed right after ``number`` (newest first, as in
        list_articles), or None when ``number`` is the last one or not visible (to chat
        ``viewer``, as in get_article).

        Keyset steps along the articles_listed index, each one seek: the rest of the
        same date and time added, of the same date, else the next older date, else the
        first undated article (NULL is the smallest value in SQLite, so undated articles
        come last)."""
        if not is_sqlite_int(number):
            return None
        rows = self.query(
            "SELECT date, added_at FROM articles WHERE number = ? AND retired_at IS NULL"
            f" AND {VISIBLE_TO}",
            (number, *visible_params(viewer)),
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
            found = self.query(
                f"SELECT {ARTICLE_COLUMNS} FROM articles INDEXED BY articles_listed"
                f" WHERE {_LISTED} AND {condition} ORDER BY {NEWEST_FIRST} LIMIT 1",
                params,
            )
            if found:
                return article_from_row(found[0])
        return None

    def count_articles(self) -> int:
        """How many articles are listed (visible, shared): a counter the triggers on
        articles keep, not a count of rows."""
        return self.query("SELECT listed FROM article_changes")[0][0]

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
        needles = [word.casefold() for word in words if word.strip()]
        if not needles:
            return []
        condition = " AND ".join("instr(title_folded, ?) > 0" for _ in needles)
        if limit is not None:
            # The newest titles: on SQLite their numbers (from the index alone) drive
            # the query; PostgreSQL would rather check every title and then keep the
            # newest, so there they are read as a table of their own first.
            newest = (
                f"(SELECT * FROM articles WHERE {_LISTED} ORDER BY {NEWEST_FIRST} LIMIT ?)"
                " AS articles WHERE"
                if self.engine == "postgresql"
                else "articles WHERE number IN (SELECT number FROM articles INDEXED BY"
                f" articles_listed WHERE {_LISTED} ORDER BY {NEWEST_FIRST} LIMIT ?) AND"
            )
            rows = self.query(
                f"SELECT {ARTICLE_COLUMNS} FROM {newest} {condition}"
                f" ORDER BY {NEWEST_FIRST} LIMIT ?",
                (_NEWEST_SCANNED, *needles, limit),
            )
            if len(rows) >= limit or self.count_articles() <= _NEWEST_SCANNED:
                return [article_from_row(row) for row in rows]
        indexed = [needle for needle in needles if len(needle) >= 3]
        if indexed and self.engine == "postgresql":
            # The pg_trgm GIN index article_titles serves LIKE '%word%' on the folded title.
            candidates = " AND ".join("title_folded LIKE ?" for _ in indexed)
            params: tuple[Any, ...] = (*(_like_pattern(n) for n in indexed), *needles)
        elif indexed:
            match = " AND ".join('"' + needle.replace('"', '""') + '"' for needle in indexed)
            candidates = "number IN (SELECT rowid FROM article_titles WHERE article_titles MATCH ?)"
            params = (match, *needles)
        else:
            candidates, params = "1 = 1", tuple(needles)
        rows = self.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles"
            f" WHERE {candidates} AND {_LISTED} AND {condition}"
            f" ORDER BY {NEWEST_FIRST} LIMIT ?",
            (*params, -1 if limit is None else limit),
        )
        return [article_from_row(row) for row in rows]

    def articles_by_number(self, numbers: Iterable[int]) -> dict[int, ArticleRecord]:
        """The visible articles among ``numbers``, by number, in one query."""
        ids = json.dumps([int(n) for n in numbers if is_sqlite_int(n)])
        rows = self.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE retired_at IS NULL"
            " AND number IN (SELECT value FROM json_each(?))",
            (ids,),
        )
        return {row["number"]: article_from_row(row) for row in rows}
