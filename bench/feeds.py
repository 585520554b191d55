"""Feed polling benchmark: many feeds of teaser entries whose pages need extraction.

    python -m bench.feeds                              # 1,000 feeds x 20 entries
    python -m bench.feeds --feeds 100 --entries 20     # a quick run
    python -m bench.feeds --executor threads           # build in threads, not processes
    python -m bench.feeds --feeds 100 --database postgresql://postgres@127.0.0.1:5432/postgres

A news site in its own process serves ``--feeds`` RSS feeds of ``--entries`` entries on
127.0.0.1; each entry is a teaser (about 30 words), so the poller fetches its page
(about 9 kB of HTML: navigation, an article of six paragraphs, a footer), extracts it
(bot.extract, trafilatura) and summarizes it. Each feed has its own host name
(``feed-N.test``, resolved by a stub to 127.0.0.1) so ``per_host`` applies per site as
on the internet. Feeds answer with an ETag and 304 to a matching If-None-Match.

The bot side is the real poller (:class:`bot.feeds.poll.Poller` with a
:class:`bot.web.fetch.Fetcher` and a SQLite file, or with ``--database`` a new PostgreSQL
database on that server), building articles in a process pool of
``--workers`` (or threads). While it polls, a probe on the same event loop does what
``/article N`` does every 20 ms (read a random stored article, compose its reply) and
records how late it finished. Printed:

* first poll: feeds, articles stored, wall time, articles/s end to end;
* the /article probe during the first poll: p50/p99/max;
* second poll (every feed answers 304): wall time;
* peak RSS of the bot's process plus its workers (sampled every 100 ms; the news site's
  process is not counted), and the machine's load average.

Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import tempfile
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

from aiohttp import web

from bench.harness import (
    add_database_argument,
    engine,
    loopback,
    quantiles_ms,
    serve_app,
    start_site,
    stop_site,
    store_size_mb,
    store_target,
)
from bot.config import Config, FeedConfig, FetchConfig, SourcesConfig
from bot.digest import article_detail_messages
from bot.feeds.poll import Poller
from bot.store import Store
from bot.store.feeds import FeedStore
from bot.web.fetch import Fetcher

SAMPLE = (
    "the government said on monday that new rules would apply to energy markets across"
    " the region while critics warned prices could rise before winter as officials"
    " prepared a report on transport housing schools and hospitals in several cities"
    " where residents asked for more support after a difficult year for local business"
)
VOCABULARY = SAMPLE.split(" ")


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(VOCABULARY) for _ in range(rng.randint(12, 22))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def page(feed: int, entry: int) -> bytes:
    rng = random.Random(feed * 1000 + entry)
    title = f"Story {entry} of feed {feed}: " + " ".join(rng.choice(VOCABULARY) for _ in range(6))
    body = "".join(f"<p>{paragraph(rng)}</p>\n" for _ in range(6))
    nav = "".join(f'<li><a href="/s/{i}">Section {i}</a></li>' for i in range(25))
    html = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)} |"
        f" Feed {feed} News</title>"
        f'<meta property="og:title" content="{escape(title)}">'
        '<meta property="article:published_time" content="2026-11-30T08:00:00+00:00">'
        f"</head><body><header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"<h1>{escape(title)}</h1><p class=byline>By A. Reporter</p>{body}</article>"
        "<aside><h2>Most read</h2><ul><li><a href=/x>Another story</a></li></ul></aside>"
        "</main><footer><p>Copyright Feed News. All rights reserved.</p></footer></body></html>"
    )
    return html.encode()


def feed(n: int, entries: int, port: int) -> bytes:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    items = []
    for e in range(entries):
        rng = random.Random(n * 1000 + e)
        link = f"http://feed-{n}.test:{port}/a/{n}/{e}"
        items.append(
            f"<item><title>Story {e} of feed {n}</title><link>{link}</link>"
            f"<guid>{link}</guid><description>{escape(paragraph(rng, 2))}</description>"
            f"<pubDate>{format_datetime(now - timedelta(minutes=e))}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n} News</title><link>http://feed-{n}.test/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def serve(port_out: multiprocessing.connection.Connection, entries: int) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        port = request.url.port or 80
        parts = request.path.strip("/").split("/")
        if parts[0] == "f":
            n = int(parts[1])
            etag = f'"f{n}"'
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag})
            return web.Response(
                body=feed(n, entries, port),
                headers={"Content-Type": "application/rss+xml", "ETag": etag},
            )
        if parts[0] == "a":
            return web.Response(
                body=page(int(parts[1]), int(parts[2])),
                headers={"Content-Type": "text/html; charset=utf-8"},
            )
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/{path:.*}", handle)
    asyncio.run(serve_app(app, port_out, backlog=2048))


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def worker_pids() -> list[int]:
    me = os.getpid()
    pids = [me]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            pids.append(int(entry))
    return pids


async def sample_rss(peak: list[float], stop: asyncio.Event, server_pid: int) -> None:
    while not stop.is_set():
        pids = [p for p in worker_pids() if p != server_pid]
        peak[0] = max(peak[0], rss_mb(pids))
        await asyncio.sleep(0.1)


async def probe(store: Store, lates: list[float], stop: asyncio.Event) -> None:
    """Every 20 ms, what /article N does on the loop: one indexed read and the reply."""
    loop = asyncio.get_running_loop()
    rng = random.Random(7)
    period = 0.02
    while not stop.is_set():
        due = loop.time() + period
        await asyncio.sleep(period)
        top = store.articles_version()  # a cheap read, as the handler's cache check
        article = store.get_article(rng.randint(1, max(1, top // 2)))
        if article is not None:
            article_detail_messages(article)
        lates.append(loop.time() - due)


def make_executor(kind: str, workers: int) -> Executor:
    if kind == "threads":
        return ThreadPoolExecutor(workers)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["bot.feeds.poll"])
    return ProcessPoolExecutor(workers, mp_context=context)


def warm(_: int) -> int:
    import bot.feeds.poll  # noqa: F401

    return os.getpid()


async def run(args: argparse.Namespace, port: int, server_pid: int, path: str) -> None:
    fetch = FetchConfig(
        allow_ports=(port,),
        allow_networks=("127.0.0.1/32",),
        max_concurrent=args.max_concurrent,
        cache_minutes=0,
        total_timeout=60,
    )
    urls = [f"http://feed-{n}.test:{port}/f/{n}" for n in range(args.feeds)]
    config = Config(
        fetch=fetch,
        sources=replace(SourcesConfig(), workers=args.workers),
        feeds=tuple(FeedConfig(url) for url in urls),
    )
    executor = make_executor(args.executor, args.workers)
    loop = asyncio.get_running_loop()
    if args.executor == "processes":  # start the workers before the clock runs
        await asyncio.gather(*(loop.run_in_executor(executor, warm, i) for i in range(8)))
    print(f"engine: {engine(path)}")
    store = Store(path)
    feeds = FeedStore(store)
    feeds.sync_config(config.feeds)
    peak = [0.0]
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(peak, stop, server_pid))
    async with Fetcher(fetch, lookup=loopback) as fetcher:
        poller = Poller(feeds, fetcher, config, executor=executor)
        lates: list[float] = []
        probing = asyncio.Event()
        prober = asyncio.create_task(probe(store, lates, probing))
        start = time.perf_counter()
        outcomes = await poller.poll_many(feeds.feeds())
        first = time.perf_counter() - start
        probing.set()
        await prober
        new = sum(o.new for o in outcomes)
        failed = [o for o in outcomes if o.failed]
        print(
            f"first poll: {args.feeds} feeds x {args.entries} teaser entries, {new} articles"
            f" fetched, extracted, summarized and stored in {first:.1f} s:"
            f" {new / first:.1f} articles/s ({args.executor}, {args.workers} workers);"
            f" {len(failed)} feeds failed"
        )
        for outcome in failed[:3]:
            print("  " + outcome.describe())
        probe_figures = quantiles_ms(lates, (50, 99))
        print(f"/article probe on the event loop during the first poll: {probe_figures}")
        start = time.perf_counter()
        again = await poller.poll_many(feeds.feeds())
        second = time.perf_counter() - start
        not_modified = sum(o.not_modified for o in again)
        print(f"second poll: {not_modified} of {len(again)} feeds answered 304 in {second:.2f} s")
        poller.close()
    stop.set()
    await sampler
    executor.shutdown()
    summarized = sum(1 for a in store.list_articles(0, 100_000) if a.summary)
    store.close()
    print(f"articles with a summary: {summarized}; database {store_size_mb(path):.0f} MB")
    print(f"peak RSS, bot process + workers: {peak[0]:.0f} MB")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executor", choices=["processes", "threads"], default="processes")
    parser.add_argument("--max-concurrent", type=int, default=FetchConfig().max_concurrent)
    add_database_argument(parser)
    args = parser.parse_args(argv)
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    server, port = start_site(serve, args.entries)
    try:
        with (
            tempfile.TemporaryDirectory() as folder,
            store_target(args.database, "digestbot_bench_feeds", Path(folder)) as target,
        ):
            asyncio.run(run(args, port, server.pid or 0, target))
    finally:
        stop_site(server)


if __name__ == "__main__":
    main()
