"""Keyword filter benchmark: what /filter costs a scheduled run.

Usage::

    python -m bench.filters ../shared/eval          # 5,000 chats, all with filters
    python -m bench.filters ../shared/eval --chats 20000 --filtered 0.2 --articles 400

It reads real news articles from the eval folder given (CNN/DailyMail in English and
OrangeSum in French, read in place, never copied) and prints, each as one line:

* reading an article's words (:class:`bot.filters.ArticleWords`: fold, cut, stem every
  distinct word), per article, with a cold and a warm stemmer cache;
* matching one article against one chat's compiled filter (words and phrases);
* one slot's scheduled run (``bot.telegram.jobs.queue_due_digests``) over ``--chats`` chats of
  which a ``--filtered`` share have 3-12 random terms (words and phrases taken from the
  articles), and the same run with no filters at all, on two fresh SQLite files.

Figures depend on the machine and its load; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot import filters
from bot.articles import Article, Block
from bot.filters import ArticleWords, Term, compile_filter, term_words
from bot.schedule import Slot
from bot.store import Store
from bot.telegram.jobs import queue_due_digests

SUMMARY = [
    "The first summary sentence says what happened and where it happened.",
    "The second one says who said so, and why it matters to the reader.",
]


def load_articles(folder: Path, limit: int) -> list[tuple[str, str, str]]:
    """(title, text, language) of up to ``limit`` real articles, English and French."""
    found: list[tuple[str, str, str]] = []
    with gzip.open(folder / "cnndm-dev.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            text = row["article"]
            found.append((text[:80], text, "english"))
    with gzip.open(folder / "orangesum-dev.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            found.append((row["title"], row["text"], row.get("language") or "french"))
    random.Random(7).shuffle(found)
    return found[:limit]


def random_terms(rng: random.Random, articles: list[tuple[str, str, str]]) -> list[Term]:
    terms = []
    for _ in range(rng.randint(3, 12)):
        words = term_words(rng.choice(articles)[1])
        start = rng.randrange(max(1, len(words) - 2))
        size = 2 if rng.random() < 0.25 else 1
        terms.append(
            Term(
                rng.choice("-+") if rng.random() < 0.3 else "-",
                " ".join(words[start : start + size]),
            )
        )
    return terms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval", type=Path, help="the eval folder (../shared/eval)")
    parser.add_argument("--chats", type=int, default=5_000, help="chats in the slot (5,000)")
    parser.add_argument("--filtered", type=float, default=1.0, help="share with filters (1.0)")
    parser.add_argument("--articles", type=int, default=300, help="unseen articles (300)")
    parser.add_argument("--max-articles", type=int, default=10, help="per digest (10)")
    args = parser.parse_args(argv)

    articles = load_articles(args.eval, args.articles)
    chars = sum(len(text) for _, text, _ in articles) / len(articles)
    print(f"{len(articles)} real articles, {chars:,.0f} characters on average")

    for label in ("cold", "warm"):
        if label == "cold":
            filters.stems.cache_clear()
        started = time.perf_counter()
        words = [ArticleWords(*a) for a in articles]
        seconds = time.perf_counter() - started
        print(f"ArticleWords ({label} stem cache): {seconds / len(articles) * 1e6:,.0f} µs/article")

    rng = random.Random(1)
    compiled = [compile_filter(random_terms(rng, articles)) for _ in range(200)]
    started = time.perf_counter()
    checks = 0
    for chat_filter in compiled:
        for article in words:
            chat_filter.allows(article)
            checks += 1
    seconds = time.perf_counter() - started
    print(f"matching: {seconds / checks * 1e6:.2f} µs per article and chat ({checks:,} checks)")

    for share in (args.filtered, 0.0):
        with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "b.sqlite3") as store:
            fill(store, articles, args.chats, share, rng)
            now = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
            report = queue_due_digests(
                store,
                Slot("08:00", "UTC"),
                now,
                default_timezone="UTC",
                max_articles=args.max_articles,
            )
            held = store.query("SELECT count(*) FROM deliveries WHERE held_back = 1")[0][0]
            rate = report.due / report.seconds if report.seconds else float("inf")
            print(
                f"run, {share:.0%} of {args.chats} chats filtered: {report.seconds:.2f} s"
                f" ({rate:,.0f} chats/s), {report.messages} messages, {held:,} held back"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")
    return 0


def fill(
    store: Store,
    articles: list[tuple[str, str, str]],
    chats: int,
    share: float,
    rng: random.Random,
) -> None:
    batch = [
        Article(
            source=f"{i:05d}.txt",
            title=title,
            date=f"2026-01-{i % 14 + 1:02d}",
            url=f"https://example.com/news/{i}",
            language=language,
            blocks=(Block("paragraph", text),),
        )
        for i, (title, text, language) in enumerate(articles)
    ]
    for number, _ in store.upsert_articles(batch):
        store.set_summary(number, SUMMARY)
    store.subscribe_many((chat_id, "08:00", "UTC") for chat_id in range(chats))
    for chat_id in range(chats):
        if rng.random() < share:
            terms = random_terms(rng, articles)
            store.add_filter_terms(chat_id, [(t.key, t.mode, t.text) for t in terms], 50)


if __name__ == "__main__":
    sys.exit(main())
