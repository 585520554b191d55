"""Scheduled digest run benchmark: the store side of a big fan-out.

Usage::

    python -m bench.digest_run                      # 100,000 chats, 10,000 per slot
    python -m bench.digest_run --chats 20000 --per-slot 20000 --articles 500
    python -m bench.digest_run --database postgresql://postgres@127.0.0.1:5432/postgres

It fills a fresh SQLite file (in a temporary folder; with ``--database``, a new
PostgreSQL database on that server) with ``--articles`` summarized
articles and ``--chats`` subscribers spread over slots of ``--per-slot`` chats, then
times and prints, each as one line:

* reading every subscriber (``Store.subscribers()``, a list, and ``iter_subscribers()``);
* one slot's scheduled run (``bot.telegram.jobs.queue_due_digests``): compose and queue the
  digest of every chat in the slot, as the digest job does;
* draining that slot's outbox the way a sender does -- ``due_outbox`` in pages and one
  ``mark_sent`` per message -- and again with ``mark_sent_many`` per page;

the slot run's CPU seconds in this process (chats per CPU-second; on PostgreSQL the
server's own CPU is not in it), and the peak RSS of the process. Nothing is sent: this
measures what the database and the digest composition cost per chat, not Telegram.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import add_database_argument, engine, store_target
from bot.articles import Article, Block
from bot.schedule import Slot
from bot.store import Store
from bot.telegram.jobs import queue_due_digests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=100_000, help="subscribers (100,000)")
    parser.add_argument("--per-slot", type=int, default=10_000, help="chats per slot (10,000)")
    parser.add_argument("--articles", type=int, default=200, help="summarized articles (200)")
    parser.add_argument("--max-articles", type=int, default=10, help="per digest (10)")
    add_database_argument(parser)
    args = parser.parse_args(argv)

    with (
        tempfile.TemporaryDirectory() as folder,
        store_target(args.database, "digestbot_bench_digest_run", Path(folder)) as target,
    ):
        print(f"engine: {engine(target)}")
        with Store(target) as store:
            fill(store, args.chats, args.per_slot, args.articles)
            run(store, args.chats, args.max_articles)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


def fill(store: Store, chats: int, per_slot: int, articles: int) -> None:
    started = time.perf_counter()
    batch = [
        Article(
            source=f"{i:05d}.txt",
            title=f"Article {i}: something happened somewhere & someone said so",
            date=f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
            url=f"https://example.com/news/{i}",
            language="english",
            blocks=(Block("paragraph", "A sentence of the article body. " * 40),),
        )
        for i in range(articles)
    ]
    for number, _ in store.upsert_articles(batch):
        store.set_summary(
            number,
            [
                "The first summary sentence says what happened and where it happened.",
                "The second one says who said so, and why it matters to the reader.",
                "The third adds a figure: 42 per cent, up from 17 per cent a year ago.",
            ],
        )
    store.subscribe_many(
        (chat_id, f"{chat_id // per_slot // 60 % 24:02d}:{chat_id // per_slot % 60:02d}", "UTC")
        for chat_id in range(chats)
    )
    print(
        f"filled: {articles} articles, {chats} chats in {-(-chats // per_slot)} slots,"
        f" {time.perf_counter() - started:.2f} s"
    )


def run(store: Store, chats: int, max_articles: int) -> None:
    started = time.perf_counter()
    everyone = store.subscribers()
    print(f"subscribers(): {len(everyone)} chats in {time.perf_counter() - started:.2f} s")
    del everyone
    started = time.perf_counter()
    counted = sum(1 for _ in store.iter_subscribers())
    print(f"iter_subscribers(): {counted} chats in {time.perf_counter() - started:.2f} s")

    now = datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
    cpu = time.process_time()
    report = queue_due_digests(
        store, Slot("00:00", "UTC"), now, default_timezone="UTC", max_articles=max_articles
    )
    cpu = time.process_time() - cpu
    rate = report.due / report.seconds if report.seconds else float("inf")
    print(f"{report.describe()} ({rate:,.0f} chats/s)")
    print(
        f"slot run CPU: {cpu:.2f} s ({report.due / cpu if cpu else 0:,.0f} chats per CPU-second"
        " of this process)"
    )

    pending = store.count_outbox()
    half = pending // 2
    started = time.perf_counter()
    sent = 0
    while sent < half:
        items = store.due_outbox(now, 500)
        if not items:
            break
        for item in items[: half - sent]:
            store.mark_sent(item.id)
            sent += 1
    seconds = time.perf_counter() - started
    print(f"drain with mark_sent: {sent} messages in {seconds:.2f} s ({sent / seconds:,.0f} msg/s)")
    started = time.perf_counter()
    batched = 0
    while items := store.due_outbox(now, 500):
        store.mark_sent_many([item.id for item in items])
        batched += len(items)
    seconds = time.perf_counter() - started
    print(
        f"drain with mark_sent_many: {batched} messages in {seconds:.2f} s"
        f" ({batched / seconds:,.0f} msg/s)"
    )


if __name__ == "__main__":
    sys.exit(main())
