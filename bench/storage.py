"""Storage benchmark: the database file stays flat once deliveries are pruned.

Usage::

    python -m bench.storage                          # 10,000 subscribers, 60 days, 30-day window
    python -m bench.storage --subscribers 2000 --days 20 --retention-days 5 --every 1

It simulates ``--days`` days on a fresh SQLite file (in a temporary folder) with the
store's clock injected. Every simulated day it:

* adds ``--articles-per-day`` summarized articles (fewer than ``--max-articles``, so a
  pruned article that came back as "unseen" would show up in the next digest);
* composes and queues each subscriber's digest (``unseen_articles`` ->
  ``bot.digest.digest_messages`` -> ``queue_digests``, as the scheduled run does);
* drains the outbox as a sender does (``due_outbox`` pages, ``mark_sent_many``), which
  records the deliveries;
* prunes with a ``--retention-days`` window (``bot.store.prune_expired``; 0: never,
  to see the growth pruning prevents).

Every ``--every`` days it prints the file size (database + WAL), the pages SQLite
keeps free for reuse, the bytes of the deliveries/outbox/articles tables and their
indexes (from ``dbstat``), the delivery rows kept and the time the prune took. At the
end it checks that no digest carried an article older than that day's additions
(an article sent twice) and prints the peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.articles import Article, Block
from bot.digest import digest_messages
from bot.store import DAY_SECONDS, Store, prune_expired

START = datetime(2026, 1, 1, 8, 0, tzinfo=UTC).timestamp()
SUMMARY = [
    "The first summary sentence says what happened and where it happened.",
    "The second one says who said so, and why it matters to the reader.",
    "The third adds a figure: 42 per cent, up from 17 per cent a year ago.",
]


class SimClock:
    """The simulated time the store reads."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000, help="(10,000)")
    parser.add_argument("--days", type=int, default=60, help="simulated days (60)")
    parser.add_argument(
        "--retention-days", type=int, default=30, help="prune window, 0: never prune (30)"
    )
    parser.add_argument("--articles-per-day", type=int, default=6, help="new articles (6)")
    parser.add_argument("--max-articles", type=int, default=10, help="per digest (10)")
    parser.add_argument("--every", type=int, default=5, help="print every N days (5)")
    args = parser.parse_args(argv)

    clock = SimClock()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        with Store(path, clock=clock) as store:
            store.subscribe_many((chat_id, "08:00", "UTC") for chat_id in range(args.subscribers))
            window = f"{args.retention_days}-day window" if args.retention_days else "no pruning"
            print(
                f"{args.subscribers} subscribers, {args.articles_per_day} new articles a day,"
                f" digests of up to {args.max_articles}, {window}"
            )
            print(
                f"{'day':>4} {'file MB':>8} {'db MB':>7} {'wal MB':>7} {'free MB':>8}"
                f" {'deliv MB':>9} {'outbox MB':>10} {'articles MB':>12}"
                f" {'deliveries':>11} {'sent':>7} {'prune s':>8} {'day s':>6}"
            )
            repeated = 0
            next_article = 0
            for day in range(1, args.days + 1):
                started = time.perf_counter()
                clock.now = START + day * DAY_SECONDS
                today = add_articles(store, next_article, args.articles_per_day)
                next_article += args.articles_per_day
                run_key = datetime.fromtimestamp(clock.now, UTC).date().isoformat()
                repeated += queue_day(store, run_key, args.max_articles, set(today))
                sent = drain(store, clock.now)
                pruning = time.perf_counter()
                if args.retention_days:
                    prune_expired(store, args.retention_days)
                prune_seconds = time.perf_counter() - pruning
                if day % args.every == 0 or day == args.days:
                    report(path, day, sent, prune_seconds, time.perf_counter() - started)
    print(f"articles sent to a chat that had them before (must be 0): {repeated}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")
    return 0 if repeated == 0 else 1


def add_articles(store: Store, first: int, count: int) -> list[int]:
    batch = [
        Article(
            source=f"{i:06d}.txt",
            title=f"Article {i}: something happened somewhere & someone said so",
            date=None,
            url=f"https://example.com/news/{i}",
            language="english",
            blocks=(Block("paragraph", "A sentence of the article body. " * 60),),
        )
        for i in range(first, first + count)
    ]
    numbers = [number for number, _ in store.upsert_articles(batch)]
    for number in numbers:
        store.set_summary(number, SUMMARY)
    return numbers


def queue_day(store: Store, run_key: str, max_articles: int, today: set[int]) -> int:
    """Queue every subscriber's digest; returns how many articles in them are not from
    today's additions (every older one reached every chat on its own day)."""
    repeated = 0
    composed: dict[tuple[int, ...], list[tuple[str, list[int]]]] = {}
    batch: list[tuple[int, list[tuple[str, list[int]]]]] = []
    for chat in store.iter_subscribers():
        entries = store.unseen_articles(chat.chat_id, max_articles)
        numbers = tuple(entry.number for entry in entries)
        repeated += len(set(numbers) - today)
        if numbers not in composed:
            composed[numbers] = digest_messages(entries)
        batch.append((chat.chat_id, composed[numbers]))
        if len(batch) == 1000:
            store.queue_digests(run_key, batch)
            batch.clear()
    store.queue_digests(run_key, batch)
    return repeated


def drain(store: Store, now: float) -> int:
    sent = 0
    while items := store.due_outbox(now, limit=1000):
        sent += sum(store.mark_sent_many([item.id for item in items]))
    return sent


def report(path: Path, day: int, sent: int, prune_seconds: float, day_seconds: float) -> None:
    db_bytes = os.path.getsize(path)
    wal = path.with_name(path.name + "-wal")
    wal_bytes = os.path.getsize(wal) if wal.exists() else 0
    raw = sqlite3.connect(path)
    try:
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        free = raw.execute("PRAGMA freelist_count").fetchone()[0] * page_size
        sizes = dict(
            raw.execute(
                "SELECT coalesce(i.tbl_name, s.name), sum(s.pgsize) FROM dbstat s"
                " LEFT JOIN sqlite_master i ON i.name = s.name GROUP BY 1"
            ).fetchall()
        )
        rows = raw.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    finally:
        raw.close()
    mb = 1024 * 1024
    print(
        f"{day:>4} {(db_bytes + wal_bytes) / mb:>8.1f} {db_bytes / mb:>7.1f} {wal_bytes / mb:>7.1f}"
        f" {free / mb:>8.1f} {sizes.get('deliveries', 0) / mb:>9.1f}"
        f" {sizes.get('outbox', 0) / mb:>10.1f} {sizes.get('articles', 0) / mb:>12.1f}"
        f" {rows:>11,} {sent:>7,} {prune_seconds:>8.2f} {day_seconds:>6.1f}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
