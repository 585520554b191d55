"""Readers' questions at three sizes: what each costs as the articles table grows.

Usage::

    python -m bench.readers                       # 10,000 / 100,000 / 500,000 articles
    python -m bench.readers --sizes 10000 100000 --subscribers 20000
    python -m bench.readers --database postgresql://postgres@127.0.0.1/postgres

With ``--database`` (a PostgreSQL server: the database to connect to for creating the
others) each size is built in a new PostgreSQL database (``digestbot_bench_<size>``,
dropped afterwards), filled through the store's own connection and ANALYZEd, as an
operator would after a bulk load; the questions are the same.

For each size it builds a database on a temporary file through the store's own schema
(articles inserted in bulk with summaries and titles from a small vocabulary, feed
articles for a quarter of them, ``--subscribers`` subscribed chats in 96 slots, one
queued outbox item each, one chat that received every article -- "caught up" -- one
caught up as a digest leaves it (its horizon past the newest article) and one that
received none) and times, each ``--repeat`` times (median and worst, in ms):

* opening the store (``Store(path)``: what start-up waits for);
* ``/article N``: ``get_article`` and ``next_article`` (the "Next" button);
* the list: ``count_articles`` and ``list_articles`` on its first, middle and last page;
* title search: a common word, a rare word, two words, a word no title has;
* ``/status`` and ``/digest``: ``count_unseen`` / ``unseen_articles`` of the
  caught-up chats and of the fresh one;
* the sender's ``next_outbox_due``;
* deleting the oldest feed articles among the first 1 % (at most 2,000) of the
  articles (``FeedStore.prune``): the time per deleted article;
* the bytes a delivery row takes (table and indexes, SQLite's dbstat).

It only calls the store's methods, so it runs unchanged on older commits (to print
the "before" figures).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import admin, database_url
from bot.store import Store
from bot.store.feeds import FeedStore

VOCABULARY = (
    "harbour storm council budget election river school hospital market police rail "
    "bridge festival museum airport energy water housing farm court bank climate park "
    "union strike vote minister mayor report study price fuel wind solar port ferry"
)
WORDS = VOCABULARY.split()
RARE = "zeppelin"
START = datetime(2026, 1, 1, tzinfo=UTC)
SUMMARY = json.dumps(["One sentence says what happened.", "Another says why it matters."])


def build(path: Path, articles: int, subscribers: int, seed: int = 7) -> None:
    """Fill a new database at ``path`` (through Store's schema, rows inserted in bulk)."""
    rng = random.Random(seed)
    Store(path).close()  # the schema, by the store's migrations
    db = sqlite3.connect(path, isolation_level=None)  # then a bulk fill
    try:
        db.execute("BEGIN")
        for feed in range(1, 501):
            db.execute(
                "INSERT INTO feeds (id, url, origin, created_at) VALUES (?, ?, 'config', ?)",
                (feed, f"https://feed{feed}.example/rss", START.isoformat()),
            )
        rows = []
        for n in range(1, articles + 1):
            moment = START + timedelta(seconds=n * 4)
            title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize()
            if n % 50_000 == 25_000:
                title += f" {RARE}"
            feed = (n % 500) + 1 if n % 4 else None
            rows.append(
                (
                    n,
                    f"bench/{n}" if feed is None else f"feed:{feed}:{n}",
                    f"{n:032x}",
                    title,
                    title.casefold(),
                    moment.date().isoformat() if n % 10 else None,
                    f"https://example.com/{n}",
                    "en",
                    "Text. " * 40,
                    SUMMARY,
                    moment.isoformat(),
                    feed,
                    None if feed is None else moment.isoformat(),
                )
            )
            if len(rows) == 20_000 or n == articles:
                db.executemany(
                    "INSERT INTO articles (number, source, content_hash, title, title_folded,"
                    " date, url, language, text, summary, added_at, feed_id, published_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                rows = []
        now = START.isoformat()
        db.executemany(
            "INSERT INTO chats (chat_id, topic, digest_time, created_at, updated_at)"
            " VALUES (?, 0, ?, ?, ?)",
            [
                (c, f"{(c % 96) // 4:02d}:{(c % 4) * 15:02d}", now, now)
                for c in range(1, subscribers + 1)
            ],
        )
        db.execute(
            "INSERT INTO subscriptions (chat_id, topic, digest_time)"
            " SELECT chat_id, topic, digest_time FROM chats"
        )
        db.executemany(
            "INSERT INTO chats (chat_id, topic, created_at, updated_at) VALUES (?, 0, ?, ?)",
            [(-1, now, now), (-2, now, now), (-3, now, now)],
        )
        # Chat -3 is caught up as a digest leaves a chat: its last digest (the ten newest
        # articles) was sent after the newest article was added, so its horizon
        # (pruned_deliveries.added_before, moved by every digest sent) is past them all.
        db.execute(
            "INSERT INTO pruned_deliveries (chat_id, topic, added_before) VALUES (-3, 0, ?)",
            ((START + timedelta(seconds=articles * 4 + 1)).isoformat(),),
        )
        # The delivery time as the store writes it (ISO text before migration 21).
        types = {row[1]: row[2] for row in db.execute("PRAGMA table_info(deliveries)")}
        delivered: int | str = int(START.timestamp()) if types["delivered_at"] == "INTEGER" else now
        db.execute(
            "INSERT INTO deliveries (chat_id, topic, number, delivered_at)"
            " SELECT -1, 0, number, ? FROM articles",
            (delivered,),
        )
        # Everybody else got a digest of ten articles.
        db.execute(
            "INSERT INTO deliveries (chat_id, topic, number, delivered_at)"
            " SELECT c.chat_id, 0, a.number, ? FROM chats c"
            " JOIN articles a ON a.number > ? - 10 WHERE c.chat_id > 0 OR c.chat_id = -3",
            (delivered, articles),
        )
        outbox_text = "<b>Digest</b>\n" + "An article title and its summary.\n" * 60
        body_sql = _outbox_insert(db)
        db.executemany(
            body_sql,
            [
                (c, "2026-01-02", outbox_text, "[1, 2, 3]", START.timestamp() + c, now)
                for c in range(1, subscribers + 1)
            ],
        )
        columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
        if "url_key" in columns:  # as the store writes it (else the open fills it in)
            db.execute("UPDATE articles SET url_key = url")
        db.execute("COMMIT")
    finally:
        db.close()


def build_postgresql(url: str, articles: int, subscribers: int, seed: int = 7) -> None:
    """:func:`build` on a new PostgreSQL database at ``url`` (the same rows)."""
    rng = random.Random(seed)
    with Store(url) as store, store.transaction() as db:
        db.executemany(
            "INSERT INTO feeds (id, url, origin, created_at) VALUES (?, ?, 'config', ?)",
            [(f, f"https://feed{f}.example/rss", START.isoformat()) for f in range(1, 501)],
        )
        rows = []
        for n in range(1, articles + 1):
            moment = START + timedelta(seconds=n * 4)
            title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize()
            if n % 50_000 == 25_000:
                title += f" {RARE}"
            feed = (n % 500) + 1 if n % 4 else None
            rows.append(
                (
                    n,
                    f"bench/{n}" if feed is None else f"feed:{feed}:{n}",
                    f"{n:032x}",
                    title,
                    title.casefold(),
                    moment.date().isoformat() if n % 10 else None,
                    f"https://example.com/{n}",
                    "en",
                    "Text. " * 40,
                    SUMMARY,
                    moment.isoformat(),
                    feed,
                    None if feed is None else moment.isoformat(),
                    f"https://example.com/{n}",
                )
            )
            if len(rows) == 20_000 or n == articles:
                db.executemany(
                    "INSERT INTO articles (number, source, content_hash, title, title_folded,"
                    " date, url, language, text, summary, added_at, feed_id, published_at,"
                    " url_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                rows = []
        for table, column in (("feeds", "id"), ("articles", "number")):
            db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                f" (SELECT max({column}) FROM {table}))"
            )
        now = START.isoformat()
        db.executemany(
            "INSERT INTO chats (chat_id, topic, digest_time, created_at, updated_at)"
            " VALUES (?, 0, ?, ?, ?)",
            [
                (c, f"{(c % 96) // 4:02d}:{(c % 4) * 15:02d}", now, now)
                for c in range(1, subscribers + 1)
            ],
        )
        db.execute(
            "INSERT INTO subscriptions (chat_id, topic, digest_time)"
            " SELECT chat_id, topic, digest_time FROM chats"
        )
        db.executemany(
            "INSERT INTO chats (chat_id, topic, created_at, updated_at) VALUES (?, 0, ?, ?)",
            [(-1, now, now), (-2, now, now), (-3, now, now)],
        )
        db.execute(
            "INSERT INTO pruned_deliveries (chat_id, topic, added_before) VALUES (-3, 0, ?)",
            ((START + timedelta(seconds=articles * 4 + 1)).isoformat(),),
        )
        delivered = int(START.timestamp())
        db.execute(
            "INSERT INTO deliveries (chat_id, topic, number, delivered_at)"
            " SELECT -1, 0, number, ? FROM articles",
            (delivered,),
        )
        db.execute(
            "INSERT INTO deliveries (chat_id, topic, number, delivered_at)"
            " SELECT c.chat_id, 0, a.number, ? FROM chats c"
            " JOIN articles a ON a.number > ? - 10 WHERE c.chat_id > 0 OR c.chat_id = -3",
            (delivered, articles),
        )
        outbox_text = "<b>Digest</b>\n" + "An article title and its summary.\n" * 60
        db.execute("INSERT INTO outbox_bodies (hash, text) VALUES (?, ?)", (b"bench", outbox_text))
        db.executemany(
            "INSERT INTO outbox (chat_id, run_key, body, article_numbers, next_attempt_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (c, "2026-01-02", b"bench", "[1, 2, 3]", START.timestamp() + c, now)
                for c in range(1, subscribers + 1)
            ],
        )
    import psycopg

    with psycopg.connect(url, autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")


def _outbox_insert(db: Any) -> str:
    columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
    if "text" in columns:
        return (
            "INSERT INTO outbox (chat_id, run_key, text, article_numbers, next_attempt_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)"
        )
    # Shared bodies: one stored text, every item referring to it by hash.
    db.execute(
        "INSERT OR IGNORE INTO outbox_bodies (hash, text) VALUES ('bench', ?)",
        ("<b>Digest</b>\n" + "An article title and its summary.\n" * 60,),
    )
    return (
        "INSERT INTO outbox (chat_id, run_key, body, article_numbers, next_attempt_at,"
        " created_at) VALUES (?, ?, 'bench' || substr(?, 1, 0), ?, ?, ?)"
    )


def timed(function: Callable[..., Any], *args: Any, repeat: int = 7, **kwargs: Any) -> str:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(*args, **kwargs)
        times.append((time.perf_counter() - started) * 1000)
    return f"{statistics.median(times):8.2f} {max(times):8.2f}"


def delivery_bytes(path: Path | str) -> str:
    """Bytes a delivery row takes (the table and its indexes, by SQLite's dbstat, or
    PostgreSQL's pg_total_relation_size)."""
    if isinstance(path, str):
        with Store(path) as store:
            size = store.query("SELECT pg_total_relation_size('deliveries')")[0][0]
            rows = store.query("SELECT count(*) FROM deliveries")[0][0]
        return f"{size / rows:8.1f} {rows:8d}"
    db = sqlite3.connect(path)
    try:
        size = db.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN"
            " (SELECT name FROM sqlite_master WHERE tbl_name = 'deliveries')"
        ).fetchone()[0]
        rows = db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    finally:
        db.close()
    return f"{size / rows:8.1f} {rows:8d}"


def measure(path: Path | str, articles: int, repeat: int) -> list[tuple[str, str]]:
    started = time.perf_counter()
    store = Store(path)
    opened = (time.perf_counter() - started) * 1000
    results = [("open the store (start-up)", f"{opened:8.2f} {opened:8.2f}")]
    middle = articles // 2
    total = store.count_articles()
    pages = -(-total // 10)
    cases: list[tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = [
        ("/article N: get_article", store.get_article, (middle,), {}),
        ("Next: next_article (dated)", store.next_article, (middle + 1,), {}),
        ("Next: next_article (undated)", store.next_article, (middle,), {}),
        ("/status count_articles", store.count_articles, (), {}),
        ("list page 1", store.list_articles, (0, 10), {}),
        ("list middle page", store.list_articles, ((pages // 2) * 10, 10), {}),
        ("list last page", store.list_articles, ((pages - 1) * 10, 10), {}),
        ("search common word", store.search_articles, (["harbour"], 11), {}),
        ("search two words", store.search_articles, (["harbour", "ferry"], 11), {}),
        ("search rare word", store.search_articles, ([RARE], 11), {}),
        ("search word none has", store.search_articles, (["qwertyuiop"], 11), {}),
        ("unseen count, caught-up chat", store.count_unseen, (-1,), {}),
        ("unseen 50, caught-up chat", store.unseen_articles, (-1, 50), {}),
        ("unseen count, caught up by digest", store.count_unseen, (-3,), {}),
        ("unseen 50, caught up by digest", store.unseen_articles, (-3, 50), {}),
        ("unseen count, fresh chat", store.count_unseen, (-2,), {}),
        ("unseen 50, fresh chat", store.unseen_articles, (-2, 50), {}),
        ("next_outbox_due", store.next_outbox_due, (), {}),
    ]
    for name, function, args, kwargs in cases:
        results.append((name, timed(function, *args, repeat=repeat, **kwargs)))
    feeds = FeedStore(store)
    # Delete the oldest 1 % of the articles (at most 2,000; a quarter are seed files,
    # kept): a keep_days that cuts there.
    cutoff_n = min(max(articles // 100, 1), 2000)
    cut_at = START + timedelta(seconds=cutoff_n * 4)
    keep_days = 1
    store._clock = lambda: (cut_at + timedelta(days=keep_days)).timestamp()
    started = time.perf_counter()
    deleted, _ = feeds.prune(keep_days)
    elapsed = (time.perf_counter() - started) * 1000
    per = elapsed / max(deleted, 1)
    results.append((f"prune {deleted} articles: ms each", f"{per:8.3f} {elapsed:8.0f}"))
    store.close()
    results.append(("delivery row: bytes, rows", delivery_bytes(path)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 500_000])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--database", help="a PostgreSQL server URL: run on PostgreSQL instead of SQLite"
    )
    args = parser.parse_args(argv)
    table: dict[str, list[str]] = {}
    for size in args.sizes:
        if args.database:
            name = f"digestbot_bench_{size}"
            admin(args.database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin(args.database, f'CREATE DATABASE "{name}"')
            url = database_url(args.database, name)
            try:
                started = time.perf_counter()
                build_postgresql(url, size, args.subscribers)
                print(
                    f"built {size:,} articles, {args.subscribers:,} subscribers"
                    f" in {time.perf_counter() - started:.0f} s (PostgreSQL)",
                    file=sys.stderr,
                )
                for name_, figures in measure(url, size, args.repeat):
                    table.setdefault(name_, []).append(figures)
            finally:
                admin(args.database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            continue
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.sqlite3"
            started = time.perf_counter()
            build(path, size, args.subscribers)
            print(
                f"built {size:,} articles, {args.subscribers:,} subscribers"
                f" in {time.perf_counter() - started:.0f} s ({path.stat().st_size >> 20} MB)",
                file=sys.stderr,
            )
            for name, figures in measure(path, size, args.repeat):
                table.setdefault(name, []).append(figures)
    print(f"{'question (ms: median worst)':34}" + "".join(f"{s:>20,}" for s in args.sizes))
    for name, cells in table.items():
        print(f"{name:34}" + "".join(f"{c:>20}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
