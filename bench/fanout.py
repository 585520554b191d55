"""Fan-out benchmark: N subscribers due in the same minute, against the fake Bot API.

    python -m bench.fanout --n 10000 --cap 30            # Telegram's broadcast limit
    python -m bench.fanout --n 20000 --cap 1000          # paid broadcasts
    python -m bench.fanout --n 5000 --cap 1000 --transport httpx    # PTB's default transport
    python -m bench.fanout --n 5000 --cap 1000 --database postgresql://postgres@127.0.0.1/postgres
    python -m bench.fanout --n 1500 --cap 30 --replies 5            # replies during it

What runs where:

* the fake Bot API (``tests/fakebotapi.py``) in its own process, refusing with 429 any
  message beyond ``--cap`` in a sliding second;
* a database (a SQLite file; with ``--database``, a new PostgreSQL database on that
  server) with ``--subscribers`` chats (default 100,000), ``--n`` of them due at 08:00;
* the bot side in its own process (``--worker``): it opens the store, walks every
  subscriber (as the scheduler does at start-up), runs the 08:00 digest job's work
  (``bot.telegram.jobs.queue_due_digests``: compose and queue each due chat's digest in
  batches) while :class:`bot.telegram.delivery.Sender` drains the outbox through
  :class:`bot.telegram.ratelimit.TelegramRateLimiter` and the chosen transport. Its peak RSS is its
  own ``ru_maxrss``.

``--replies R``: while the digests go out, replies to users (``sendMessage`` with the
default priority, as a handler sends them) start at ``R`` a second (Poisson), each to a
chat not in the fan-out; their latency runs from the call to its answer.

Printed: achieved messages/s (as the fake counted them, replies included), 429s, lost
and duplicated messages (outbox left, chats without their digest), the digests' own
rate, the replies' latency, the bot process's CPU per message and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import (
    ROOT,
    add_database_argument,
    engine,
    percentile,
    start_fake_server,
    store_target,
)
from bot.config import TelegramConfig

TOKEN = "123456789:TEST-fake-token_abcdefghijklmnopqrstu"
# Chats the replies (--replies) go to: none of them is in the fan-out.
REPLY_CHATS = 900_000_000


# -- parent -------------------------------------------------------------------


def fake_stats(base_url: str) -> dict:
    root = base_url.rsplit("/bot", 1)[0]
    with urllib.request.urlopen(f"{root}/_fake/stats", timeout=10) as answer:
        return json.load(answer)


def build_database(path: Path | str, subscribers: int, due: int) -> None:
    from bot.articles import Article, Block
    from bot.store import Store

    with Store(path) as store:
        for number in range(1, 6):
            article = Article(
                source=f"bench/{number}.md",
                title=f"Article {number}",
                date="2026-11-27",
                url=f"https://example.com/news/{number}",
                language="english",
                blocks=(Block("paragraph", f"Body of article {number}."),),
            )
            number_in_db, _ = store.upsert_article(article)
            store.set_summary(
                number_in_db,
                [
                    f"Sentence {s} of the summary of article {number}, long enough to be a "
                    "real sentence in a real digest."
                    for s in range(1, 4)
                ],
            )
        # In one transaction: store.subscribe() per chat would take a transaction each.
        store.subscribe_many(
            (1000 + i, "08:00" if i < due else f"09:{i % 60:02d}", None) for i in range(subscribers)
        )


def parent(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="fanout-"))
    with store_target(args.database, "digestbot_bench_fanout", tmp) as db:
        return measure(args, db)


def measure(args: argparse.Namespace, db: str) -> int:
    print(f"engine: {engine(db)}; load average at the start: {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    build_database(db, args.subscribers, args.n)
    print(
        f"database: {args.subscribers} subscribers, {args.n} due at 08:00"
        f" (built in {time.perf_counter() - started:.1f} s)"
    )
    fake, base_url = start_fake_server(args.cap)
    try:
        worker = subprocess.run(  # stderr: the bot's log (--log)
            [
                sys.executable,
                "-m",
                "bench.fanout",
                "--worker",
                "--db",
                db,
                "--base-url",
                base_url,
                "--cap",
                str(args.cap),
                "--transport",
                args.transport,
                *(["--concurrency", str(args.concurrency)] if args.concurrency else []),
                *(["--margin", str(args.margin)] if args.margin is not None else []),
                "--reply-reserve",
                str(args.reply_reserve),
                "--replies",
                str(args.replies),
                *(["--log"] if args.log else []),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=None if args.log else subprocess.PIPE,
            text=True,
            check=False,
        )
        if worker.returncode != 0:
            print(worker.stderr, file=sys.stderr)
            raise SystemExit(f"worker failed with exit code {worker.returncode}")
        report = json.loads(worker.stdout.strip().splitlines()[-1])
        stats = fake_stats(base_url)
    finally:
        fake.terminate()
        fake.wait(timeout=10)

    from bot.store import Store

    with Store(db) as store:
        left = store.count_outbox()
        rows = store.query(
            "SELECT count(*) FROM chats c WHERE c.digest_time = '08:00' AND"
            " (SELECT count(*) FROM deliveries d WHERE d.chat_id = c.chat_id) != 5"
        )
        missing = rows[0][0]
    sent = stats["sent"]
    rate = stats["messages_per_second"] or 0.0
    print(
        f"transport: {args.transport}, cap: {args.cap:g} msg/s,"
        f" concurrency: {report['concurrency']}"
    )
    print(
        f"digest job: {report['queued']} digests ({report['messages']} messages) composed and"
        f" queued in {report['queue_seconds']:.2f} s; all sent {report['send_seconds']:.1f} s"
        " after the job started"
    )
    print(
        f"achieved: {rate:.1f} msg/s over {stats['send_span_seconds']:.1f} s"
        f" ({100 * rate / args.cap:.1f} % of the cap); peak in any sliding second:"
        f" {stats['peak_per_second']}"
    )
    print(
        f"429s: {stats['rejected_cap']} (cap) + {stats['rejected_chat_cap']} (per chat);"
        f" accepted by the fake: {sent}; outbox left: {left};"
        f" due chats without their digest: {missing};"
        f" duplicates: {sent - report['messages'] - report['replies']}"
    )
    print(
        f"digests: {report['sent'] / report['digest_seconds']:.1f} msg/s from the first to"
        f" the last; reply reserve {args.reply_reserve:g}"
    )
    if report["replies"]:
        latencies = report["latencies"]
        print(
            f"replies during the fan-out: {report['replies']},"
            f" call to answer p50 / p95 / p99 / max"
            f" {percentile(latencies, 0.5):.0f} / {percentile(latencies, 0.95):.0f} /"
            f" {percentile(latencies, 0.99):.0f} / {max(latencies):.0f} ms"
        )
    print(
        f"bot process: CPU {report['cpu_seconds']:.1f} s"
        f" ({1000 * report['cpu_seconds'] / max(1, args.n):.2f} ms/message),"
        f" peak RSS {report['max_rss_mb']:.1f} MB"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


# -- worker (the bot side) ----------------------------------------------------


async def worker(args: argparse.Namespace) -> dict:
    from telegram.ext import ExtBot
    from telegram.request import HTTPXRequest

    from bot.schedule import Slot
    from bot.store import Store
    from bot.telegram.delivery import Sender
    from bot.telegram.jobs import queue_due_digests
    from bot.telegram.ratelimit import Limiter, TelegramRateLimiter, reply_places
    from bot.telegram.request import AiohttpRequest

    store = Store(args.db)
    # What the bot does at start-up: walk every subscriber to rebuild the schedule.
    schedule: dict[str, int] = {}
    for chat in store.iter_subscribers():
        schedule[chat.digest_time or ""] = schedule.get(chat.digest_time or "", 0) + 1
    if args.margin is None:  # the bot's own limiter for this cap
        limiter = TelegramRateLimiter.from_config(args.cap, reply_reserve=args.reply_reserve)
    else:
        places = reply_places(args.cap, args.reply_reserve)
        limiter = TelegramRateLimiter(Limiter(args.cap, margin=args.margin, reply_reserve=places))
    pool = args.concurrency or min(32, max(8, int(args.cap) // 50))
    if args.transport == "aiohttp":
        request = AiohttpRequest(pool_size=pool)
    else:
        request = HTTPXRequest(connection_pool_size=pool)
    bot = ExtBot(TOKEN, base_url=args.base_url, request=request, rate_limiter=limiter)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    stamps: list[float] = []

    async def reply(chat_id: int) -> None:
        began = time.perf_counter()
        await bot.send_message(chat_id, "a reply")
        latencies.append(1000 * (time.perf_counter() - began))

    async def replies() -> None:
        rng = random.Random(7)
        tasks = []
        while not stamps:  # the first digest has gone
            await asyncio.sleep(0.01)
        while len(stamps) < 2:  # until the last is sent
            await asyncio.sleep(rng.expovariate(args.replies))
            tasks.append(asyncio.create_task(reply(REPLY_CHATS + len(tasks))))
        await asyncio.gather(*tasks)

    async def watch(sender: Sender) -> None:
        while not sender.totals.sent:
            await asyncio.sleep(0.005)
        stamps.append(time.perf_counter())

    async with bot:
        sender = Sender(bot, store, concurrency=args.concurrency)
        started = time.perf_counter()
        sender.start()
        watcher = asyncio.create_task(watch(sender))
        replying = asyncio.create_task(replies()) if args.replies > 0 else None
        # What the digest job does at 08:00: compose and queue every due chat's digest
        # in batches (off the event loop), waking the sender after each batch.
        report = await asyncio.to_thread(
            queue_due_digests,
            store,
            Slot("08:00", "UTC"),
            datetime(2026, 11, 28, 8, 0, tzinfo=UTC),
            default_timezone="UTC",
            max_articles=10,
            on_batch=lambda: loop.call_soon_threadsafe(sender.notify),
        )
        sender.notify()
        await sender.wait_idle()
        send_seconds = time.perf_counter() - started
        await watcher
        stamps.append(time.perf_counter())
        if replying is not None:
            await replying
        await sender.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    store.close()
    return {
        "queue_seconds": report.seconds,
        "queued": report.queued,
        "messages": report.messages,
        "send_seconds": send_seconds,
        "digest_seconds": stamps[1] - stamps[0],
        "replies": len(latencies),
        "latencies": latencies,
        "sent": sender.totals.sent,
        "retried": sender.totals.retried,
        "concurrency": sender.concurrency,
        "retry_after": limiter.retry_after_count,
        "cpu_seconds": (usage.ru_utime - cpu_before.ru_utime)
        + (usage.ru_stime - cpu_before.ru_stime),
        "max_rss_mb": usage.ru_maxrss / 1024,
        "schedule_times": len(schedule),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10000, help="subscribers due at once")
    parser.add_argument("--cap", type=float, default=30, help="the fake's msgs per second")
    parser.add_argument("--subscribers", type=int, default=100_000, help="chats in the DB")
    parser.add_argument("--transport", choices=("aiohttp", "httpx"), default="aiohttp")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument(
        "--margin", type=float, default=None, help="limiter window margin, s (default: the bot's)"
    )
    parser.add_argument(
        "--reply-reserve",
        type=float,
        default=TelegramConfig().reply_reserve,
        help="share of the cap left to replies (default: the bot's)",
    )
    parser.add_argument(
        "--replies", type=float, default=0.0, help="replies a second during the fan-out"
    )
    parser.add_argument("--log", action="store_true", help="the bot's INFO log on stderr")
    add_database_argument(parser)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        if args.log:
            logging.basicConfig(
                level=logging.INFO, format="%(relativeCreated)8.0f ms %(name)s: %(message)s"
            )
        print(json.dumps(asyncio.run(worker(args))))
        return 0
    os.environ.setdefault("PYTHONHASHSEED", "0")
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
