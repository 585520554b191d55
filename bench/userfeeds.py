"""Users' own feeds benchmark: what a chat's digest query and ``/add`` cost as the number
of feeds users follow grows.

Usage::

    python -m bench.userfeeds                      # 1,000 / 10,000 / 100,000 user feeds
    python -m bench.userfeeds --sizes 1000 20000 --articles 3

For each size it builds a fresh SQLite file with ``--shared`` operator feeds and N feeds
only users follow (each followed by one chat, ``--articles`` summarized articles per
feed; rows written with plain SQL so the set-up stays quick) and prints, as one line:

* a chat's digest query (``Store.unseen_articles``, 10 articles) for a chat that follows
  one feed and for a chat that follows none: median and p95 over ``--runs`` runs;
* ``FeedStore.follow`` of a new feed (limits counted in the same transaction);
* ``FeedStore.followed`` (the chat's own list, ``/sources`` and ``/remove``).

The digest query reads two short lists (the operator's feeds, the chat's follows), so its
cost should not grow with N; ``follow`` counts the active feeds along an index, which
does. Figures depend on the machine and its load; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.store import Store
from bot.store.feeds import FeedStore

NOW = "2026-12-01T08:00:00+00:00"


def build(path: Path, user_feeds: int, shared: int, articles: int) -> Store:
    store = Store(path)
    summary = json.dumps(["A summary sentence.", "Another one."])
    with store.transaction() as db:
        feeds = [(f"https://shared{i}.example/rss", 1, "config", NOW) for i in range(shared)] + [
            (f"https://user{i}.example/rss", 0, "user", NOW) for i in range(user_feeds)
        ]
        db.executemany(
            "INSERT INTO feeds (url, shared, origin, created_at) VALUES (?, ?, ?, ?)", feeds
        )
        db.executemany(
            "INSERT INTO feed_follows (chat_id, topic, feed_id, added_at) VALUES (?, 0, ?, ?)",
            [(1000 + i, shared + 1 + i, NOW) for i in range(user_feeds)],
        )
        rows = []
        for feed_id in range(1, shared + user_feeds + 1):
            private = int(feed_id > shared)
            for n in range(articles):
                title = f"Story {n} of feed {feed_id}"
                rows.append(
                    (
                        f"feed:{feed_id}:{n}",
                        f"h{feed_id}-{n}",
                        title,
                        title.casefold(),
                        "english",
                        "Some text.",
                        summary,
                        f"2026-11-{1 + n % 28:02d}T00:00:00+00:00",
                        feed_id,
                        private,
                    )
                )
        db.executemany(
            "INSERT INTO articles (source, content_hash, title, title_folded, language, text,"
            " summary, added_at, feed_id, private) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return store


def timed(function: object, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times


def measure(store: Store, size: int, runs: int) -> str:
    """One line of figures for a built store (see the module docstring)."""
    feeds = FeedStore(store)
    follower = 1000 + size // 2
    digest_follower = timed(lambda: store.unseen_articles(follower, 10), runs)
    digest_other = timed(lambda: store.unseen_articles(5, 10), runs)
    counter = iter(range(10**9))

    def follow_new() -> None:
        n = next(counter)
        feeds.follow(7, f"https://new{n}.example/rss", max_per_chat=10**6, max_feeds=10**9)

    follow = timed(follow_new, min(runs, 100))
    listing = timed(lambda: feeds.followed(follower), runs)
    return (
        f"digest query, follower {ms(digest_follower)}; non-follower {ms(digest_other)};"
        f" follow {ms(follow)}; own list {ms(listing)}"
    )


def ms(values: list[float]) -> str:
    """Median and p95 in milliseconds, two decimals."""
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.userfeeds", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--shared", type=int, default=20, help="operator feeds")
    parser.add_argument("--articles", type=int, default=2, help="articles per feed")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            store = build(Path(folder) / "b.sqlite3", size, args.shared, args.articles)
            built = time.perf_counter() - start
            line = measure(store, size, args.runs)
            store.close()
        print(
            f"user feeds {size:>7,} (+{args.shared} shared, {args.articles} articles each,"
            f" built in {built:.1f} s): {line}"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
