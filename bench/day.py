"""A day at real volume, three days compressed: subscribers, feeds, digests, readers, pruning.

Usage::

    python -m bench.day                               # 100,000 subscribers, 3 days
    python -m bench.day --subscribers 20000 --prefill-days 5 --days 1   # a quick look

On a temporary SQLite file through the store (the bot's own code for every step, its
clock simulated): ``--prefill-days`` days of feed articles already stored (bulk insert,
``--per-day`` a day from ``--feeds`` feeds), ``--subscribers`` chats in 96 slots (every
quarter hour, UTC). Then ``--days`` days, ``--ticks`` ticks a day; each tick:

* the feeds bring ``per-day / ticks`` new summarized articles (``FeedStore.add_article``,
  one transaction each, as a poll stores them; no fetching);
* with ``--group``, the stories of the window are regrouped (``bot.compose.regroup_recent``)
  and the time is printed per tick;
* every slot due in the tick runs (``bot.telegram.jobs.queue_due_digests``: compose and
  queue every chat's digest, in this thread; its CPU time is this thread's) and the
  outbox is drained as the sender does (``due_outbox`` with a lease, ``mark_sent_many``);
* at each simulated midnight: ``FeedStore.prune`` (articles older than ``--keep-days``)
  and ``Store.prune`` (deliveries older than ``--retention-days``), timed.

Day 1 runs without filters; before day 2, 30 % of the chats (``--filtered``) get two
mute terms each, so the slot rate is printed plain and with filters.

Meanwhile a reader thread asks what users ask, ``--reads`` times a second: ``/article N``
(the reply's reads: version, article, its story, the next one), "Next", a list page,
a title search (a common word, a rare one, one no title has), ``/status`` (chat,
unseen count, filters, held back). Its latencies are those of the store calls in a
busy process (GIL included), not the Telegram round trip (bench/latency.py). A second
thread takes the write lock every 20 ms (an empty write transaction): its longest wait
is the longest any writer waited, printed for the pruning and for everything else.

It prints per day: articles in the store, file size (database + WAL), bytes the
deliveries and outbox tables hold per digest sent, prune times; and at the end: the
reader latencies (p50, p99, max), the slot-run rates, the grouping time per tick, the
writer's longest wait, and resident memory (peak, and sampled each tick).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.articles import Article, Block
from bot.compose import regroup_recent
from bot.schedule import Slot
from bot.store import Store
from bot.store.feeds import FeedStore
from bot.store.stories import StoryStore
from bot.telegram import replies
from bot.telegram.jobs import queue_due_digests
from bot.telegram.replies import WAITING_COUNTED

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
VOCABULARY = (
    "harbour storm council budget election river school hospital market police rail "
    "bridge festival museum airport energy water housing farm court bank climate park "
    "union strike vote minister mayor report study price fuel wind solar port ferry "
    "football tennis cinema theatre music science health traffic weather tourism"
)
WORDS = VOCABULARY.split()
SUMMARY = [
    "The first summary sentence says what happened and where it happened.",
    "The second one says who said so, and why it matters to the reader.",
    "The third adds a figure: 42 per cent, up from 17 per cent a year ago.",
]


class SimClock:
    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    @property
    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def title(rng: random.Random, n: int) -> str:
    return f"{' '.join(rng.choice(WORDS) for _ in range(6)).capitalize()} {n}"


def prefill(
    path: Path, args: argparse.Namespace, rng: random.Random, start: datetime = START
) -> int:
    """Feeds, subscribers and ``prefill_days`` of articles added up to ``start``, in bulk;
    returns the articles."""
    Store(path).close()  # the schema
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    now = start.isoformat()
    db.executemany(
        "INSERT INTO feeds (id, url, origin, created_at) VALUES (?, ?, 'config', ?)",
        [(f, f"https://feed{f}.example/rss", now) for f in range(1, args.feeds + 1)],
    )
    total = args.prefill_days * args.per_day
    first = start - timedelta(days=args.prefill_days)
    step = args.prefill_days * 86_400 / max(total, 1)
    summary = json.dumps(SUMMARY)
    rows = []
    for n in range(1, total + 1):
        moment = (first + timedelta(seconds=n * step)).isoformat()
        text = title(rng, n)
        feed = 1 + n % args.feeds
        rows.append(
            (
                f"feed:{feed}:{n}",
                f"{n:032x}",
                text,
                text.casefold(),
                moment[:10],
                f"https://example.com/{n}",
                "english",
                "Text. " * 60,
                summary,
                moment,
                feed,
                moment,
            )
        )
        if len(rows) == 20_000 or n == total:
            db.executemany(
                "INSERT INTO articles (source, content_hash, title, title_folded, date, url,"
                " language, text, summary, added_at, feed_id, published_at, url_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?6)",  # url_key: as written
                rows,
            )
            rows = []
    times = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)]
    db.executemany(
        "INSERT INTO chats (chat_id, topic, digest_time, created_at, updated_at, subscribed_at)"
        " VALUES (?, 0, ?, ?, ?, ?)",
        [(c, times[c % 96], now, now, now) for c in range(1, args.subscribers + 1)],
    )
    db.execute(
        "INSERT INTO subscriptions (chat_id, topic, digest_time)"
        " SELECT chat_id, topic, digest_time FROM chats"
    )
    db.execute("COMMIT")
    db.close()
    return total


def add_filters(path: Path, args: argparse.Namespace, rng: random.Random) -> int:
    chats = rng.sample(range(1, args.subscribers + 1), int(args.subscribers * args.filtered))
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    rows = []
    for chat in chats:
        for word in rng.sample(WORDS, 2):
            rows.append((chat, word, "-", word, START.isoformat()))
    db.executemany(
        "INSERT INTO chat_filters (chat_id, topic, term_key, mode, term, added_at)"
        " VALUES (?, 0, ?, ?, ?, ?)",
        rows,
    )
    db.execute("COMMIT")
    db.close()
    return len(chats)


class Readers(threading.Thread):
    """Users asking: /article N, Next, the list, search, /status; latencies by kind."""

    def __init__(self, store: Store, rate: float, subscribers: int) -> None:
        super().__init__(daemon=True)
        self.store, self.rate, self.subscribers = store, rate, subscribers
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.stop = threading.Event()
        self.rng = random.Random(11)

    def run(self) -> None:
        store, rng = self.store, self.rng
        stories = StoryStore(store)
        kinds = ["article"] * 14 + ["next"] * 2 + ["list", "search", "status"]
        while not self.stop.wait(1 / self.rate):
            kind = rng.choice(kinds)
            top = store.count_articles()
            started = time.perf_counter()
            if kind == "article":
                store.articles_version()
                number = rng.randint(max(1, top - 40_000), top + 40_000)  # recent ones
                entry = store.get_article(number)
                if entry is not None:
                    stories.members(number)
                    replies.article_messages(entry, store.next_article(number), [])
            elif kind == "next":
                store.next_article(rng.randint(1, top + 400_000))
            elif kind == "list":
                pages = max(1, -(-top // 10))
                page = rng.choice([1, 2, rng.randint(1, pages), pages])
                store.list_articles((page - 1) * 10, 10)
            elif kind == "search":
                words = rng.choice([[rng.choice(WORDS)], ["zeppelin"], ["harbour", "ferry"]])
                store.search_articles(words, 11)
            else:
                chat = rng.randint(1, self.subscribers)
                store.get_chat(chat)
                store.count_unseen(chat, at_most=WAITING_COUNTED + 1)  # as /status asks
                store.filter_terms(chat)
                store.count_held_back(chat)
            self.latencies[kind].append((time.perf_counter() - started) * 1000)


class WriteProbe(threading.Thread):
    """An empty write transaction every 20 ms: how long a writer waits for the lock."""

    def __init__(self, store: Store) -> None:
        super().__init__(daemon=True)
        self.store = store
        self.waits: dict[str, list[float]] = defaultdict(list)
        self.phase = "other"
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.02):
            phase = self.phase
            started = time.perf_counter()
            self.store.retry_later(-1, 0.0, "probe")  # no such item: the lock, nothing else
            self.waits[phase].append((time.perf_counter() - started) * 1000)


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    median = statistics.median(ordered)
    return f"p50 {median:7.2f}  p99 {p99:7.2f}  max {ordered[-1]:7.1f} ms (n={len(ordered)})"


def table_bytes(path: Path, tables: tuple[str, ...]) -> int:
    db = sqlite3.connect(path)
    try:
        names = ",".join(f"'{t}'" for t in tables)
        return db.execute(
            f"SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ({names})"
            f" OR name IN (SELECT name FROM sqlite_master WHERE tbl_name IN ({names}))"
        ).fetchone()[0]
    finally:
        db.close()


def delivery_rows(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    finally:
        db.close()


def file_mb(path: Path) -> float:
    wal = path.with_name(path.name + "-wal")
    return (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--per-day", type=int, default=20_000)
    parser.add_argument("--prefill-days", type=int, default=25)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--ticks", type=int, default=48, help="ticks a day")
    parser.add_argument("--keep-days", type=int, default=25)
    parser.add_argument("--retention-days", type=int, default=2)
    parser.add_argument("--max-articles", type=int, default=10)
    parser.add_argument("--filtered", type=float, default=0.3)
    parser.add_argument("--reads", type=float, default=50.0, help="reader questions a second")
    parser.add_argument("--group", action="store_true", help="regroup stories every tick")
    args = parser.parse_args(argv)
    rng = random.Random(5)
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / "day.sqlite3"
    started = time.perf_counter()
    prefilled = prefill(path, args, rng)
    print(
        f"prefilled {prefilled:,} articles, {args.subscribers:,} subscribers, {args.feeds}"
        f" feeds in {time.perf_counter() - started:.0f} s ({file_mb(path):.0f} MB)"
    )
    clock = SimClock(START)
    started = time.perf_counter()
    store = Store(path, clock=clock)
    print(f"store opened in {(time.perf_counter() - started) * 1000:.0f} ms")
    feeds = FeedStore(store)
    readers = Readers(store, args.reads, args.subscribers)
    probe = WriteProbe(store)
    readers.start()
    probe.start()
    rates: dict[str, list[tuple[int, float]]] = defaultdict(list)
    grouping: list[tuple[int, float]] = []
    rss: list[float] = []
    sent_total = 0
    tick_seconds = 86_400 / args.ticks
    per_tick = args.per_day // args.ticks
    n = prefilled
    times = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)]
    for day in range(args.days):
        if day == 1 and args.filtered:
            print(f"filters: {add_filters(path, args, rng):,} chats get two mute terms each")
        mode = "plain" if day == 0 or not args.filtered else "filters"
        before = table_bytes(path, ("deliveries", "outbox", "outbox_bodies"))
        rows_before = delivery_rows(path)
        sent_day = 0
        for tick in range(args.ticks):
            tick_start = START + timedelta(days=day, seconds=tick * tick_seconds)
            for _ in range(per_tick):
                n += 1
                clock.now = tick_start.timestamp() + rng.random() * tick_seconds
                feed = 1 + n % args.feeds
                feeds.add_article(
                    feed,
                    Article(
                        source=f"feed:{feed}:{n}",
                        title=title(rng, n),
                        date=clock.moment.date().isoformat(),
                        url=f"https://example.com/{n}",
                        language="english",
                        blocks=(Block("paragraph", "Text. " * 60),),
                    ),
                    keys=[f"key:{n}"],
                    fingerprint=f"{n:x}",
                    published=clock.moment,
                    summary=SUMMARY,
                )
            clock.now = tick_start.timestamp() + tick_seconds - 1
            if args.group:
                cpu = time.thread_time()
                done = regroup_recent(store, clock.moment)
                grouping.append((done.articles, time.thread_time() - cpu))
            # The quarter-hour slots that fall in this tick.
            slots = range(tick * 96 // args.ticks, (tick + 1) * 96 // args.ticks)
            for index in slots:
                slot = Slot(times[index], "UTC")
                cpu = time.thread_time()
                report = queue_due_digests(
                    store,
                    slot,
                    clock.moment,
                    default_timezone="UTC",
                    max_articles=args.max_articles,
                )
                rates[mode].append((report.due, time.thread_time() - cpu))
                while items := store.due_outbox(clock.moment, 100, lease_seconds=60):
                    store.mark_sent_many(item.id for item in items)
                    sent_day += len(items)
            rss.append(rss_mb())
        sent_total += sent_day
        grown = table_bytes(path, ("deliveries", "outbox", "outbox_bodies")) - before
        rows_grown = delivery_rows(path) - rows_before
        clock.now = (START + timedelta(days=day + 1)).timestamp()
        probe.phase = "prune"
        started = time.perf_counter()
        deleted, _ = feeds.prune(args.keep_days)
        feed_prune = time.perf_counter() - started
        started = time.perf_counter()
        pruned = store.prune(args.retention_days)
        retention = time.perf_counter() - started
        probe.phase = "other"
        print(
            f"day {day + 1}: {store.count_articles():,} articles, file {file_mb(path):,.0f} MB;"
            f" {sent_day:,} messages sent, deliveries+outbox grew"
            f" {grown / max(sent_day, 1):,.0f} bytes per message"
            f" ({rows_grown / max(sent_day, 1):.1f} delivery rows); prune: {deleted:,} feed"
            f" articles in {feed_prune:.1f} s ({feed_prune / max(deleted, 1) * 1000:.2f} ms"
            f" each), {pruned.deliveries:,} deliveries in {retention:.1f} s;"
            f" RSS {rss[-1]:.0f} MB"
        )
    readers.stop.set()
    probe.stop.set()
    readers.join()
    probe.join()
    print("\nreader questions (store calls in the busy process):")
    for kind, values in sorted(readers.latencies.items()):
        print(f"  {kind:8} {percentiles(values)}")
    print("slot runs (chats per CPU-second of the run's thread):")
    for mode, runs in rates.items():
        chats = sum(c for c, _ in runs)
        cpu = sum(s for _, s in runs)
        print(f"  {mode:8} {chats:,} chats in {cpu:.1f} CPU-s: {chats / max(cpu, 1e-9):,.0f}/s")
    if grouping:
        cpus = [s for _, s in grouping]
        print(
            f"grouping per tick: median {statistics.median(cpus):.2f} CPU-s, max {max(cpus):.2f}"
            f" (window {grouping[-1][0]:,} articles)"
        )
    for phase, waits in probe.waits.items():
        print(f"writer wait ({phase}): {percentiles(waits)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory: peak RSS {peak:.0f} MB; per tick min {min(rss):.0f}, max {max(rss):.0f} MB")
    store.close()
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
