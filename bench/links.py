"""Summaries on demand under load: 100 chats send a link at once while 500 others ask
for ``/article N``.

    python -m bench.links                   # worker processes (the bot's default)
    python -m bench.links --workers 0       # extraction and summaries in threads instead
    python -m bench.links --generated       # synthetic ~100 kB pages instead of real ones

Three processes: the fake Bot API (driven over stdin/stdout, as in bench/latency.py), a
web site on 127.0.0.1 and the whole bot (``build_application``, long polling, the
fetcher, the worker pool) in this one. The site serves the real news pages of
../shared/eval/pages/html whose HTML is 60--160 kB (read at start, never copied), or
with ``--generated`` pages of ``--size`` bytes; every link has its own host name
(``site-N.test``, resolved by a stub to 127.0.0.1) and path, so nothing is served from
the cache and ``per_host`` applies per site as on the internet.

Each round the fake queues, at the same instant T0, one link message from each of
``--links`` chats and then ``/article N`` from each of ``--articles`` other chats.
Latencies are stamped by the fake's clock, from the getUpdates answer that handed the
update to the bot to the moment the fake received the reply (``sendMessage``; the
"typing" action does not count): the goals are p95 ≤ 2 s for the summaries and
p99 ≤ 100 ms for ``/article N`` during the burst. Also printed: the bot's event loop
lag (a 5 ms ticker) and the CPU seconds of the bot process, its workers and the fake
(which stands in for Telegram but shares the machine's two cores).
A warm-up round (10 links, 50 articles) comes first and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import (
    FakeProcess,
    bot_config,
    cpu_seconds,
    figures,
    first_replies,
    loopback,
    real_pages,
    serve_app,
    serve_fake,
    stamp_handed_out,
    start_site,
    stop_site,
    synthetic_page,
    ticker,
    wait_each_chat_answered,
    write_seeds,
)
from bot.web.workers import WORKER_NICENESS

# -- the fake, in its own process -------------------------------------------------------


async def fake_process() -> None:
    handed_out = stamp_handed_out()

    async def burst(fake: Any, command: dict[str, Any]) -> dict[str, Any]:
        sends: list[tuple[int, str]] = [*command["links"], *command["articles"]]
        before = len(fake.calls)
        t0 = time.monotonic()
        for chat, text in sends:
            fake.send_text(chat, text)
        await wait_each_chat_answered(fake, {chat for chat, _ in sends}, before, timeout=300)
        replies = first_replies(fake, before)

        def measure(group: list[tuple[int, str]]) -> dict[str, list]:
            chats = [chat for chat, _ in group]
            return {
                "in_bot": [replies[c].time - handed_out[c] for c in chats],
                "from_t0": [replies[c].time - t0 for c in chats],
                "texts": [str(replies[c].params.get("text", ""))[:120] for c in chats],
            }

        return {"links": measure(command["links"]), "articles": measure(command["articles"])}

    await serve_fake(burst)


# -- the web site, in its own process ------------------------------------------------------


def serve(port_out: Any, generated: bool, size: int) -> None:
    from aiohttp import web

    pages = [] if generated else real_pages(60_000, 160_000)
    cache: dict[int, bytes] = {}

    def body(n: int) -> bytes:
        if pages:
            return pages[n % len(pages)]
        return cache.get(n) or cache.setdefault(n, synthetic_page(n, size, article=True))

    async def handle(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        return web.Response(body=body(n), content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/p/{n}", handle)
    asyncio.run(serve_app(app, port_out, extra=len(pages)))


# -- the bot, in this process -----------------------------------------------------------


def workers_cpu(workers: object) -> float:
    """CPU seconds of the worker processes so far (0 when they are threads)."""
    pool = getattr(workers, "_pool", None)
    processes = getattr(pool, "_processes", None) or {}
    return sum(cpu_seconds(pid) for pid in processes)


async def bot_side(args: argparse.Namespace) -> int:
    from bot.telegram.app import build_application, prepare_process, running, runtime
    from bot.telegram.jobs import rescan_seeds
    from bot.telegram.request import AiohttpRequest
    from bot.web.fetch import Fetcher
    from bot.web.workers import Workers

    site, (port, real) = start_site(serve, args.generated, args.size)
    fake = FakeProcess("bench.links")
    tmp = Path(tempfile.mkdtemp(prefix="links-"))
    write_seeds(tmp / "seeds", 20, url=False)
    config = bot_config(
        fake.hello,
        tmp,
        {"max_messages_per_second": args.rate},
        fetch={
            "allow_ports": [port],
            "allow_networks": ["127.0.0.1/32"],
            "max_concurrent": args.max_concurrent,
        },
    )

    application = build_application(config, request=AiohttpRequest(pool_size=64))
    rt = runtime(application)
    rt.fetcher = Fetcher(config.fetch, lookup=loopback)
    rt.workers = Workers(args.workers, niceness=args.nice)
    prepare_process()

    def burst(links: list[tuple[int, str]], articles: list[tuple[int, str]]) -> dict:
        return fake.ask({"links": links, "articles": articles})

    def plan(round_number: int, n_links: int, n_articles: int) -> tuple[list, list]:
        base = 1_000_000 * (round_number + 1)
        links = [
            (base + i, f"Look: http://site-{round_number}-{i}.test:{port}/p/{i}")
            for i in range(n_links)
        ]
        articles = [(base + 500_000 + i, f"/article {1 + i % 20}") for i in range(n_articles)]
        return links, articles

    rounds = []
    try:
        async with running(application, config):
            await rescan_seeds(application)
            links, articles = plan(0, 10, 50)
            await asyncio.to_thread(burst, links, articles)  # warm-up: workers, connections
            for round_number in range(1, args.rounds + 1):
                await asyncio.sleep(1.5)  # let the rate limiter's window empty
                links, articles = plan(round_number, args.links, args.articles)
                lags: list[float] = []
                stop = asyncio.Event()
                tick = asyncio.create_task(ticker(lags, stop, scale=1000))
                cpu, worker_cpu = time.process_time(), workers_cpu(rt.workers)
                fake_cpu = cpu_seconds(fake.pid)
                load = os.getloadavg()[0]
                answer = await asyncio.to_thread(burst, links, articles)
                cpu = time.process_time() - cpu
                worker_cpu = workers_cpu(rt.workers) - worker_cpu
                fake_cpu = cpu_seconds(fake.pid) - fake_cpu
                stop.set()
                await tick
                rounds.append((answer, lags, (cpu, worker_cpu, fake_cpu), load))
    finally:
        fake.close(timeout=30)
        stop_site(site)

    source = f"{real} real pages of 60-160 kB" if real else f"generated pages of {args.size} B"
    mode = (
        f"{args.workers} worker processes at nice {args.nice}"
        if args.workers
        else "threads (no processes)"
    )
    print(
        f"{args.links} chats send a link at once ({source}) while {args.articles} other chats "
        f"send /article N; extraction and summaries in {mode}; max_concurrent "
        f"{args.max_concurrent}; {args.rounds} rounds after a warm-up."
    )
    failed = 0
    for number, (answer, lags, cpu, load) in enumerate(rounds, 1):
        link_ms = [1000 * x for x in answer["links"]["in_bot"]]
        article_ms = [1000 * x for x in answer["articles"]["in_bot"]]
        failed += sum(1 for t in answer["links"]["texts"] if not t.startswith(("<a ", "<b>")))
        print(f"round {number} (load average before: {load:.1f}):")
        print(f"  link → summary sent   {figures(link_ms, 7)}")
        print(f"  /article N → reply    {figures(article_ms, 7)}")
        print(f"  event loop lag        {figures(lags, 7)}")
        print(
            f"  CPU: bot process {cpu[0]:.2f} s, worker processes {cpu[1]:.2f} s"
            f" ({1000 * cpu[1] / max(1, args.links):.0f} ms a page), fake Bot API {cpu[2]:.2f} s"
        )
    every_link = [1000 * x for r in rounds for x in r[0]["links"]["in_bot"]]
    every_article = [1000 * x for r in rounds for x in r[0]["articles"]["in_bot"]]
    print(f"all rounds: link → summary sent   {figures(every_link, 7)}")
    print(f"all rounds: /article N → reply    {figures(every_article, 7)}")
    sample = rounds[-1][0]["links"]["texts"][0] if rounds else ""
    print(f"replies that were not a summary: {failed}; e.g. a reply begins: {sample[:100]!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=100)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="processes; 0: threads"
    )
    parser.add_argument(
        "--nice", type=int, default=WORKER_NICENESS, help="worker processes' niceness"
    )
    parser.add_argument("--max-concurrent", type=int, default=8, help="[fetch] max_concurrent")
    parser.add_argument("--rate", type=float, default=1000.0, help="max_messages_per_second")
    parser.add_argument("--generated", action="store_true", help="synthetic pages")
    parser.add_argument("--size", type=int, default=100_000, help="synthetic page size")
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fake:
        asyncio.run(fake_process())
        return 0
    return asyncio.run(bot_side(args))


if __name__ == "__main__":
    sys.exit(main())
