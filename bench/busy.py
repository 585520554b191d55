"""Readers' questions through the Bot API on a busy day at real volume.

Usage::

    python -m bench.busy --articles 50000 --db /tmp/busy-50k.sqlite3   # built once, reused
    python -m bench.busy --articles 500000 --subscribers 100000 --seconds 90

Three processes besides this one: the fake Bot API (``--fake``, driven over
stdin/stdout as in bench/latency.py), a loopback news site serving ``--feeds`` RSS
feeds (real HTTP on 127.0.0.1, every host name resolved there by a stub), and the whole
bot in this process, built as ``digestbot run`` builds it
(``bot.telegram.app.build_application``, long polling, handlers, jobs, feed poller,
outbox sender).

**The database** (``--db``; built when missing, else reused and brought to the run's
moment): ``--articles`` feed articles added over the ``--prefill-days`` before the
build, ``--subscribers`` chats in 96 quarter-hour slots (UTC), each with its language
and the digest it last received -- ten articles delivered, its horizon at that slot's
last time -- as a day of digests leaves them (the prefill is bench/day.py's). At each
run: the chats' last run keys and horizons are set as of now (each had its slot's last
digest), the outbox is emptied, every feed points at the news site, and the first
``--slot-chats`` chats are moved to one slot a little after the warm-up, so its digest
run (``queue_due_digests``, then the sender at ``--rate`` messages a second) happens
during the measurement.

**The feeds**: every feed is polled each minute (the bot's feed job ticks every
30 s) and brings a new full-text entry every ``--feeds * 60 / --new-per-minute``
seconds, summarized by the poller's workers and stored as the bot does.

**The questions** (sessions started at ``--questions`` a second, Poisson, each from a
chat not asking anything else at the time and not in the slot): ``/article N`` (random
N), ``/article N`` then its "Next" button, ``/article`` (the list) then "Next ▶" (an
edit) then a random page (the same button with another page number, as a client may
send it), title search (a word many titles have, two words, a word no title has),
``/status`` and ``/digest`` from chats caught up by their last digest (the slot before
now; only what the feeds brought since is new for them). A session's steps are 1.5 s
apart (a reader reading; the per-chat limit of one message a second never holds a
reply back).

Printed per question: p50/p95/p99/max from the update received (the fake's time of the
getUpdates answer that carried it) to the reply reaching the fake (its sendMessage or
editMessageText, the fake's clock); then the load average, the slot run's chats and
chats per second (its own log line), the digests the sender delivered, the feed polls'
new articles during the window, the bot's CPU, and its event loop's lag (a 5 ms
ticker).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import multiprocessing.connection
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

from bench.harness import (
    FakeProcess,
    bot_config,
    cpu_seconds,
    figures,
    loopback,
    serve_app,
    serve_fake,
    stamp_each_update,
    start_site,
    stop_site,
    ticker,
)

SLOT_TIMES = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)]
# A word many titles have, two words, and one no title has (titles: bench/day.py's
# vocabulary, the feeds' own below).
COMMON, PAIR, NOWHERE = "harbour", "council budget", "zeppelin"
FEED_WORDS = [
    "region",
    "energy",
    "markets",
    "council",
    "winter",
    "prices",
    "officials",
    "report",
    "city",
]
STEP_PAUSE = 1.5  # seconds between a session's steps
QUESTIONS = {  # session kind: weight
    "article": 6,
    "next": 2,
    "list": 1,
    "search": 2,
    "search two words": 1,
    "search none found": 1,
    "status": 3,
    "digest": 2,
}

# -- the database -----------------------------------------------------------------------


def last_run(slot: str, now: datetime) -> datetime:
    """The latest moment at ``slot`` ("HH:MM", UTC) not after ``now``."""
    hour, minute = map(int, slot.split(":"))
    today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return today if today <= now else today - timedelta(days=1)


def build(path: Path, args: argparse.Namespace) -> None:
    """bench/day.py's prefill (feeds, subscribers, articles up to now), then each chat's
    language and the ten articles its last digest delivered."""
    from bench import day
    from bot.store.base import iso_time

    now = datetime.now(UTC)
    per_day = max(1, args.articles // args.prefill_days)
    prefill_args = argparse.Namespace(
        feeds=args.feeds,
        prefill_days=args.prefill_days,
        per_day=per_day,
        subscribers=args.subscribers,
    )
    total = day.prefill(path, prefill_args, random.Random(5), start=now)
    first = now - timedelta(days=args.prefill_days)
    step = args.prefill_days * 86_400 / total
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN")
        stamp = iso_time(now.timestamp())
        db.execute(
            "INSERT INTO chat_languages (chat_id, language, updated_at)"
            " SELECT chat_id, 'en', ? FROM chats",
            (stamp,),
        )
        rows = []
        for chat in range(1, args.subscribers + 1):
            moment = last_run(SLOT_TIMES[chat % 96], now)
            newest = min(total, int((moment - first).total_seconds() / step))
            seconds = int(moment.timestamp())
            rows.extend((chat, n, seconds) for n in range(max(1, newest - 9), newest + 1))
            if len(rows) >= 100_000 or chat == args.subscribers:
                db.executemany(
                    "INSERT OR IGNORE INTO deliveries (chat_id, topic, number, delivered_at)"
                    " VALUES (?, 0, ?, ?)",
                    rows,
                )
                rows = []
        db.execute("COMMIT")
    finally:
        db.close()


def prepare(
    path: Path, args: argparse.Namespace, port: int, now: datetime, slot: str
) -> dict[str, Any]:
    """Bring the database to ``now``: last keys and horizons as the chats' slots left
    them, no outbox, the feeds at the news site (first polls spread anew), and chats
    1..``slot_chats`` moved to ``slot`` (their digest of today still to come)."""
    from bot.store.base import iso_time

    db = sqlite3.connect(path, isolation_level=None)
    try:
        subscribers = db.execute("SELECT max(chat_id) FROM chats").fetchone()[0]
        db.execute("BEGIN")
        db.execute("DELETE FROM outbox")
        db.execute("DELETE FROM outbox_bodies")
        db.execute("UPDATE chats SET horizon_pending = NULL")
        db.execute("DELETE FROM pruned_deliveries")
        for index, at in enumerate(SLOT_TIMES):
            moment = last_run(at, now)
            key = moment.date().isoformat()
            chats = [c for c in range(index, subscribers + 1, 96) if c >= 1]
            rows = [(key, c, at) for c in chats]
            db.executemany(
                "UPDATE subscriptions SET last_run_key = ? WHERE chat_id = ? AND digest_time = ?",
                rows,
            )
            db.executemany(
                "UPDATE chats SET last_digest_key = ? WHERE chat_id = ? AND topic = 0",
                [(key, c) for c in chats],
            )
            db.executemany(
                "INSERT INTO pruned_deliveries (chat_id, topic, added_before) VALUES (?, 0, ?)",
                [(c, iso_time(moment.timestamp())) for c in chats],
            )
        yesterday = (now - timedelta(days=1)).date().isoformat()
        moved = list(range(1, args.slot_chats + 1))
        db.executemany(
            "DELETE FROM subscriptions WHERE chat_id = ? AND topic = 0", [(c,) for c in moved]
        )
        db.executemany(
            "INSERT INTO subscriptions (chat_id, topic, digest_time, last_run_key)"
            " VALUES (?, 0, ?, ?)",
            [(c, slot, yesterday) for c in moved],
        )
        db.executemany(
            "UPDATE chats SET digest_time = ?, last_digest_key = ? WHERE chat_id = ? AND topic = 0",
            [(slot, yesterday, c) for c in moved],
        )
        db.execute(
            "UPDATE feeds SET url = 'http://feed-' || id || '.test:' || ? || '/f/' || id,"
            " etag = NULL, last_modified = NULL, next_poll_at = NULL, failures = 0,"
            " failing_since = NULL",
            (port,),
        )
        db.execute("COMMIT")
        feeds = [row[0] for row in db.execute("SELECT url FROM feeds ORDER BY id")]
        articles = db.execute("SELECT max(number) FROM articles").fetchone()[0]
    finally:
        db.close()
    # Caught up by its last digest: the chats of the latest slot before now (only what
    # the feeds brought since is new for them), none of them moved to the run's slot.
    latest = max(SLOT_TIMES, key=lambda at: last_run(at, now))
    index = SLOT_TIMES.index(latest)
    caught_up = [c for c in range(index, subscribers + 1, 96) if c > args.slot_chats]
    return {
        "subscribers": subscribers,
        "feeds": feeds,
        "articles": articles,
        "caught_up": caught_up,
    }


# -- the news site ----------------------------------------------------------------------


def feed_document(n: int, port: int, start: float, period: float, now: float) -> bytes:
    """Feed ``n``: its entries published since ``start`` (one every ``period`` s, feed
    by feed staggered; numbered by the clock, so no run repeats another's), the newest
    five, each a full text of about 200 words."""
    from bench.feeds import paragraph

    offset = (n % 97) / 97 * period
    newest = math.floor((now - offset) / period)
    first = math.floor((start - offset) / period) + 1
    items = []
    for entry in range(max(first, newest - 4), newest + 1):
        rng = random.Random(n * 100_003 + entry)
        published = datetime.fromtimestamp(offset + entry * period, UTC)
        link = f"http://feed-{n}.test:{port}/a/{n}/{entry}"
        words = " ".join(rng.choice(FEED_WORDS) for _ in range(5))
        body = "".join(f"<p>{paragraph(rng)}</p>" for _ in range(3))
        items.append(
            f"<item><title>{words.capitalize()} {n}-{entry}</title><link>{link}</link>"
            f"<guid>{link}</guid><description>{escape(body)}</description>"
            f"<pubDate>{format_datetime(published)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>http://feed-{n}.test/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def serve_feeds(port_out: multiprocessing.connection.Connection, period: float) -> None:
    from aiohttp import web

    start = time.time()

    async def handle(request: web.Request) -> web.StreamResponse:
        parts = request.path.strip("/").split("/")
        if parts[0] == "f":
            body = feed_document(int(parts[1]), request.url.port or 80, start, period, time.time())
            return web.Response(body=body, headers={"Content-Type": "application/rss+xml"})
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/{path:.*}", handle)
    asyncio.run(serve_app(app, port_out, backlog=2048))


# -- the fake, in its own process -------------------------------------------------------

CONTENT = {"sendmessage", "editmessagetext"}


async def fake_process() -> None:
    by_update, by_query = stamp_each_update()

    async def stream(fake: Any, command: dict[str, Any]) -> dict[str, Any]:
        rng = random.Random(command["seed"])
        readers = range(command["first_reader"], command["subscribers"] + 1)
        caught_up: list[int] = command["caught_up"]
        top: int = command["articles"]
        busy: set[int] = set()
        waiting: dict[int, tuple[int, asyncio.Future[Any]]] = {}
        results: dict[str, list[float]] = defaultdict(list)
        lost: dict[str, int] = defaultdict(int)
        slow: list[tuple[float, str, float]] = []
        others: list[float] = []  # sendMessage to chats nobody asked in: the digests
        seen = [len(fake.calls)]
        stop = asyncio.Event()

        async def watch() -> None:
            while not stop.is_set():
                calls = fake.calls
                for index in range(seen[0], len(calls)):
                    call = calls[index]
                    if call.method.lower() not in CONTENT or call.status != 200:
                        continue
                    chat = call.params.get("chat_id")
                    wanted = waiting.get(chat)
                    if wanted is not None and index >= wanted[0] and not wanted[1].done():
                        wanted[1].set_result(call)
                    elif call.method.lower() == "sendmessage" and chat <= command["slot_chats"]:
                        others.append(call.time)
                seen[0] = len(calls)
                await asyncio.sleep(0.002)

        async def ask(label: str, chat: int, send: Any) -> Any:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            waiting[chat] = (len(fake.calls), future)
            sent = send()
            try:
                call = await asyncio.wait_for(future, command["timeout"])
            except TimeoutError:
                lost[label] += 1
                return None
            finally:
                waiting.pop(chat, None)
            received = by_query[sent] if isinstance(sent, str) else by_update[sent["update_id"]]
            results[label].append(1000 * (call.time - received))
            if command["slow"] and 1000 * (call.time - received) > command["slow"]:
                slow.append((received, label, 1000 * (call.time - received)))
            return call

        def pick(pool: Any) -> int:
            while True:
                chat = rng.choice(pool)
                if chat not in busy:
                    return chat

        def last_message(chat: int, call: Any) -> Any:
            return fake.messages(chat)[-1] if call is not None else None

        async def session(kind: str) -> None:
            chat = pick(caught_up if kind == "digest" else readers)
            busy.add(chat)
            try:
                if kind == "article":
                    number = rng.randint(1, top)
                    await ask(kind, chat, lambda: fake.send_command(chat, f"/article {number}"))
                elif kind == "next":
                    number = rng.randint(1, top - 1)
                    call = await ask(
                        "article", chat, lambda: fake.send_command(chat, f"/article {number}")
                    )
                    await asyncio.sleep(STEP_PAUSE)
                    message = last_message(chat, call)
                    data = [
                        b["callback_data"]
                        for b in (message.buttons() if message else [])
                        if b.get("callback_data", "").startswith("art:")
                    ]
                    if data:
                        mid = message.message_id
                        await ask("next", chat, lambda: fake.press(chat, mid, data[0]))
                elif kind == "list":
                    call = await ask("list", chat, lambda: fake.send_command(chat, "/article"))
                    message = last_message(chat, call)
                    if message is None:
                        return
                    mid = message.message_id
                    await asyncio.sleep(STEP_PAUSE)
                    await ask("list: Next ▶", chat, lambda: fake.press(chat, mid, "list:2"))
                    await asyncio.sleep(STEP_PAUSE)
                    page = rng.randint(1, max(1, top // 10))
                    await ask(
                        "list: any page",
                        chat,
                        lambda: fake.press(chat, mid, f"list:{page}", forged=True),
                    )
                elif kind.startswith("search"):
                    words = {"search": COMMON, "search two words": PAIR}.get(kind, NOWHERE)
                    await ask(kind, chat, lambda: fake.send_command(chat, f"/article {words}"))
                else:  # status, digest
                    await ask(kind, chat, lambda: fake.send_command(chat, f"/{kind}"))
            finally:
                busy.discard(chat)

        watcher = asyncio.create_task(watch())
        kinds, weights = list(QUESTIONS), list(QUESTIONS.values())
        started = time.monotonic()
        tasks = []
        while time.monotonic() - started < command["seconds"]:
            await asyncio.sleep(rng.expovariate(command["rate"]))
            tasks.append(asyncio.create_task(session(rng.choices(kinds, weights)[0])))
        await asyncio.gather(*tasks)
        stop.set()
        await watcher
        return {
            "results": results,
            "lost": lost,
            "digests": others,
            "started": started,
            "slow": slow,
        }

    await serve_fake(stream)


# -- the bot, in this process -----------------------------------------------------------


class Captured(logging.Handler):
    """The bot's digest-run and feed-poll log lines, with when they came."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((time.monotonic(), record.getMessage()))


async def bot_side(args: argparse.Namespace) -> int:
    from bot.telegram.app import build_application, prepare_process, running, runtime
    from bot.web.fetch import Fetcher

    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="busy-")) / "busy.sqlite3"
    if not path.exists():
        started = time.perf_counter()
        build(path, args)
        print(
            f"built {path}: {args.articles:,} articles, {args.subscribers:,} subscribers"
            f" in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    if args.build_only:
        return 0
    period = args.feeds * 60 / args.new_per_minute
    site, port = start_site(serve_feeds, period)
    fake = FakeProcess("bench.busy")
    now = datetime.now(UTC)
    slot_at = now + timedelta(seconds=args.warmup + 45)
    slot_at = slot_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    slot = slot_at.strftime("%H:%M")
    prepared = prepare(path, args, port, now, slot)
    tmp = Path(tempfile.mkdtemp(prefix="busy-"))
    (tmp / "seeds").mkdir()
    config = bot_config(
        fake.hello,
        tmp,
        {"max_messages_per_second": args.rate},
        storage={"path": str(path)},
        digest={"timezone": "UTC", "max_articles": 10, "missed_grace_seconds": 600},
        sources={"interval_minutes": 1, "keep_days": args.prefill_days + 30},
        fetch={"allow_ports": [port], "allow_networks": ["127.0.0.1/32"], "cache_minutes": 0},
        feeds=[{"url": url, "interval_minutes": 1} for url in prepared["feeds"]],
    )
    captured = Captured()
    for name in ("bot.telegram.jobs", "bot.feeds.poll") if not args.slow else ("bot",):
        logging.getLogger(name).addHandler(captured)
        logging.getLogger(name).setLevel(logging.DEBUG if args.slow else logging.INFO)
    logging.basicConfig(level=logging.WARNING)
    application = build_application(config)
    rt = runtime(application)
    rt.fetcher = Fetcher(config.fetch, lookup=loopback)
    prepare_process()  # as `digestbot run` does
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval / 1000)

    def stream(seconds: float, seed: int) -> dict[str, Any]:
        return fake.ask(
            {
                "seconds": seconds,
                "rate": args.questions,
                "seed": seed,
                "first_reader": args.slot_chats + 1,
                "slot_chats": args.slot_chats,
                "subscribers": prepared["subscribers"],
                "caught_up": prepared["caught_up"],
                "articles": prepared["articles"],
                "timeout": 60,
                "slow": args.slow,
            }
        )

    lags: list[float] = []
    try:
        started = time.perf_counter()
        async with running(application, config):
            print(
                f"bot started in {time.perf_counter() - started:.1f} s; slot {slot} UTC"
                f" ({args.slot_chats:,} chats); warm-up {args.warmup} s",
                flush=True,
            )
            await asyncio.to_thread(stream, args.warmup, 1)
            # The window opens a little before the slot and lasts --seconds.
            lead = (slot_at - datetime.now(UTC)).total_seconds() - 10
            if lead > 0:
                await asyncio.sleep(lead)
            stop = asyncio.Event()
            lag_task = asyncio.create_task(ticker(lags, stop, 0.005, 1000))
            load_before = os.getloadavg()
            articles_before = await asyncio.to_thread(rt.store.count_articles)
            window_start = time.monotonic()
            cpu = time.process_time(), cpu_seconds(fake.pid), cpu_seconds(site.pid or 0)
            answer = await asyncio.to_thread(stream, args.seconds, 2)
            window_end = time.monotonic()
            cpu_used = (
                time.process_time() - cpu[0],
                cpu_seconds(fake.pid) - cpu[1],
                cpu_seconds(site.pid or 0) - cpu[2],
            )
            load_after = os.getloadavg()
            articles_after = await asyncio.to_thread(rt.store.count_articles)
            stop.set()
            await lag_task
    finally:
        fake.close()
        stop_site(site)

    window = window_end - window_start
    print(
        f"\n{prepared['articles']:,} articles, {prepared['subscribers']:,} subscribers,"
        f" {len(prepared['feeds'])} feeds; questions {args.questions:g} sessions/s for"
        f" {window:.0f} s; max_messages_per_second {args.rate:g}"
    )
    print("From the update received (getUpdates answer) to the reply at the fake:")
    results: dict[str, list[float]] = answer["results"]
    for label in sorted(results):
        values = results[label]
        lost = answer["lost"].get(label, 0)
        print(
            f"  {label:18} {figures(values)}  (n={len(values)}"
            + (f", {lost} unanswered in 60 s)" if lost else ")")
        )
    every = [x for values in results.values() for x in values]
    if every:
        print(f"  {'all':18} {figures(every)}  (n={len(every)})")
    print(
        f"load average: {' '.join(f'{x:.2f}' for x in load_before)} at the start,"
        f" {' '.join(f'{x:.2f}' for x in load_after)} at the end"
    )
    runs = [text for at, text in captured.lines if text.startswith("digest run")]
    for text in runs:
        match = re.search(r"(\d+) due.*?([\d.]+) s$", text)
        if match:
            due, seconds = int(match[1]), float(match[2])
            print(f"slot run: {text}: {due / max(seconds, 1e-9):,.0f} chats/s")
    digests = [t for t in answer["digests"] if window_start <= t <= window_end]
    print(
        f"sender: {len(digests):,} digest messages delivered in the window"
        f" ({len(digests) / window:.1f}/s)"
    )
    polls = [text for at, text in captured.lines if window_start <= at <= window_end]
    polled = [text for text in polls if text.startswith("feeds:")]
    print(
        f"feeds: {articles_after - articles_before:,} new articles stored in the window"
        f" ({len(polled)} poll rounds with news)"
    )
    print(
        f"CPU in the window: bot {cpu_used[0]:.1f} s ({cpu_used[0] / window:.0%}),"
        f" fake {cpu_used[1]:.1f} s, news site {cpu_used[2]:.1f} s"
    )
    if args.slow:
        events = [(at, "bot: " + text) for at, text in captured.lines]
        events += [(at, f"{label} took {ms:.0f} ms") for at, label, ms in answer["slow"]]
        for at, text in sorted(events):
            if window_start - 5 <= at <= window_end:
                print(f"  {at - window_start:7.2f} s  {text}")
    if lags:
        print(f"event loop lag (5 ms ticker): {figures(lags)}  (n={len(lags)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=500_000)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--prefill-days", type=int, default=25)
    parser.add_argument("--db", help="database file: built when missing, else reused")
    parser.add_argument("--build-only", action="store_true", help="build --db and stop")
    parser.add_argument("--slot-chats", type=int, default=5_000, help="chats in the run's slot")
    parser.add_argument("--questions", type=float, default=10.0, help="sessions a second")
    parser.add_argument("--seconds", type=float, default=60.0, help="the measured window")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=30.0, help="max_messages_per_second")
    parser.add_argument("--new-per-minute", type=float, default=60.0, help="feed entries")
    parser.add_argument(
        "--slow", type=float, default=0, help="list the answers slower than this (ms), in time"
    )
    parser.add_argument(
        "--switch-interval", type=float, default=0, help="sys.setswitchinterval, ms (0: the bot's)"
    )
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fake:
        asyncio.run(fake_process())
        return 0
    return asyncio.run(bot_side(args))


if __name__ == "__main__":
    sys.exit(main())
