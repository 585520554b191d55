"""Summaries on demand under load: 100 chats send a link at once while 500 others ask
for ``/article N``.

    python bench/links.py                   # worker processes (the bot's default)
    python bench/links.py --workers 0       # extraction and summaries in threads instead
    python bench/links.py --generated       # synthetic ~100 kB pages instead of real ones

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
import gc
import glob
import gzip
import json
import multiprocessing
import multiprocessing.connection
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.web.workers import WORKER_NICENESS  # noqa: E402

PAGES = ROOT.parent / "shared" / "eval" / "pages" / "html"
if not PAGES.exists():
    PAGES = Path("/work/shared/eval/pages/html")


# -- the fake, in its own process -------------------------------------------------------


async def fake_process() -> None:
    from tests import fakebotapi
    from tests.fakebotapi import FakeBotAPI

    handed_out: dict[int, float] = {}
    get_updates = fakebotapi._HANDLERS["getupdates"]

    async def stamped_get_updates(fake: FakeBotAPI, params: dict) -> list:
        updates = await get_updates(fake, params)
        now = time.monotonic()
        for update in updates:
            message = update.get("message")
            if message is not None:
                handed_out.setdefault(message["chat"]["id"], now)
        return updates

    fakebotapi._HANDLERS["getupdates"] = stamped_get_updates
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with FakeBotAPI(record=True) as fake:
        gc.collect()
        gc.disable()  # its pauses would be counted against the bot
        print(json.dumps({"token": fake.token, "base_url": fake.base_url}), flush=True)
        while line := (await reader.readline()).decode().strip():
            command = json.loads(line)
            sends: list[tuple[int, str]] = [*command["links"], *command["articles"]]
            before = len(fake.calls)
            t0 = time.monotonic()
            for chat, text in sends:
                fake.send_text(chat, text)
            missing = {chat for chat, _ in sends}
            seen = [before]

            def replied(missing: set[int] = missing, seen: list[int] = seen) -> bool:
                calls = fake.calls
                for call in calls[seen[0] :]:
                    if call.method.lower() == "sendmessage" and call.status == 200:
                        missing.discard(call.params.get("chat_id"))
                seen[0] = len(calls)
                return not missing

            await fake.wait_until(replied, timeout=300)
            first: dict[int, float] = {}
            texts: dict[int, str] = {}
            for call in fake.calls[before:]:
                if call.method.lower() == "sendmessage" and call.status == 200:
                    chat = call.params.get("chat_id")
                    if chat not in first:
                        first[chat] = call.time
                        texts[chat] = str(call.params.get("text", ""))[:120]

            def measure(
                group: list[tuple[int, str]],
                first: dict[int, float] = first,
                texts: dict[int, str] = texts,
                t0: float = t0,
            ) -> dict[str, list]:
                chats = [chat for chat, _ in group]
                return {
                    "in_bot": [first[c] - handed_out[c] for c in chats],
                    "from_t0": [first[c] - t0 for c in chats],
                    "texts": [texts[c] for c in chats],
                }

            answer = {"links": measure(command["links"]), "articles": measure(command["articles"])}
            print(json.dumps(answer), flush=True)


# -- the web site, in its own process ------------------------------------------------------


def synthetic_page(n: int, size: int) -> bytes:
    words = (  # noqa: SIM905
        "the government said on monday that new rules would apply to energy markets "
        "across the region while critics warned prices could rise before winter"
    ).split()
    rng = random.Random(n)
    parts = [
        f"<!doctype html><html lang=en><head><title>Story {n}</title>"
        '<meta property="og:site_name" content="Bench News"></head><body><article>'
        f"<h1>Story {n}</h1>"
    ]
    length = len(parts[0])
    while length < size:
        sentence = " ".join(rng.choice(words) for _ in range(18)).capitalize() + ". "
        paragraph = "<p>" + sentence * 3 + "</p>\n"
        parts.append(paragraph)
        length += len(paragraph)
    parts.append("</article></body></html>")
    return "".join(parts).encode()


def real_pages(low: int, high: int) -> list[bytes]:
    pages = []
    for path in sorted(glob.glob(str(PAGES / "*.html.gz"))):
        body = gzip.decompress(Path(path).read_bytes())
        if low <= len(body) <= high:
            pages.append(body)
    return pages


def serve(port_out: multiprocessing.connection.Connection, generated: bool, size: int) -> None:
    from aiohttp import web

    pages = [] if generated else real_pages(60_000, 160_000)
    cache: dict[int, bytes] = {}

    def body(n: int) -> bytes:
        if pages:
            return pages[n % len(pages)]
        return cache.get(n) or cache.setdefault(n, synthetic_page(n, size))

    async def handle(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        return web.Response(body=body(n), content_type="text/html", charset="utf-8")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/p/{n}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port_out.send((runner.addresses[0][1], len(pages)))
        await asyncio.Event().wait()

    asyncio.run(main())


# -- the bot, in this process -----------------------------------------------------------


def write_seeds(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"article-{number:03d}.md").write_text(
            f'+++\ntitle = "Article {number}: the harbour, the council & the valley"\n'
            f'date = "2026-11-{1 + number % 27:02d}"\n+++\n\n'
            + "\n\n".join(
                f"Paragraph {p} of article {number} tells what happened in the town today. "
                "Officials said the work would continue next week in the capital. "
                "Critics argued that the plan was too expensive and far too slow."
                for p in range(4)
            )
            + "\n"
        )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def figures(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.50):7.1f} ms  p95 {percentile(values, 0.95):7.1f} ms"
        f"  p99 {percentile(values, 0.99):7.1f} ms  max {max(values):7.1f} ms"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_cpu(workers: object) -> float:
    """CPU seconds of the worker processes so far (0 when they are threads)."""
    pool = getattr(workers, "_pool", None)
    processes = getattr(pool, "_processes", None) or {}
    return sum(cpu_seconds(pid) for pid in processes)


async def ticker(lags: list[float], stop: asyncio.Event, period: float = 0.005) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(period)
        lags.append(1000 * (loop.time() - start - period))


async def bot_side(args: argparse.Namespace) -> int:
    from bot.config import config_from_dict
    from bot.telegram.app import build_application, freeze_startup_objects, running, runtime
    from bot.telegram.jobs import rescan_seeds
    from bot.telegram.request import AiohttpRequest
    from bot.web.fetch import Fetcher
    from bot.web.workers import Workers

    receive, send = multiprocessing.Pipe(duplex=False)
    site = multiprocessing.Process(
        target=serve, args=(send, args.generated, args.size), daemon=True
    )
    site.start()
    port, real = receive.recv()
    fake = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--fake"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdin is not None and fake.stdout is not None
    hello = json.loads(fake.stdout.readline())
    tmp = Path(tempfile.mkdtemp(prefix="links-"))
    write_seeds(tmp / "seeds", 20)
    config = config_from_dict(
        {
            "telegram": {
                "token": hello["token"],
                "base_url": hello["base_url"],
                "max_messages_per_second": args.rate,
            },
            "seeds": {"dir": str(tmp / "seeds"), "rescan_seconds": 3600},
            "storage": {"path": str(tmp / "bot.sqlite3")},
            "fetch": {
                "allow_ports": [port],
                "allow_networks": ["127.0.0.1/32"],
                "max_concurrent": args.max_concurrent,
            },
        },
        base=tmp,
        env={},
    )

    async def lookup(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    application = build_application(config, request=AiohttpRequest(pool_size=64))
    rt = runtime(application)
    rt.fetcher = Fetcher(config.fetch, lookup=lookup)
    rt.workers = Workers(args.workers, niceness=args.nice)
    freeze_startup_objects()

    def burst(links: list[tuple[int, str]], articles: list[tuple[int, str]]) -> dict:
        fake.stdin.write(json.dumps({"links": links, "articles": articles}) + "\n")
        fake.stdin.flush()
        return json.loads(fake.stdout.readline())

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
                tick = asyncio.create_task(ticker(lags, stop))
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
        fake.stdin.close()
        fake.wait(timeout=30)
        site.terminate()
        site.join()

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
        print(f"  link → summary sent   {figures(link_ms)}")
        print(f"  /article N → reply    {figures(article_ms)}")
        print(f"  event loop lag        {figures(lags)}")
        print(
            f"  CPU: bot process {cpu[0]:.2f} s, worker processes {cpu[1]:.2f} s"
            f" ({1000 * cpu[1] / max(1, args.links):.0f} ms a page), fake Bot API {cpu[2]:.2f} s"
        )
    every_link = [1000 * x for r in rounds for x in r[0]["links"]["in_bot"]]
    every_article = [1000 * x for r in rounds for x in r[0]["articles"]["in_bot"]]
    print(f"all rounds: link → summary sent   {figures(every_link)}")
    print(f"all rounds: /article N → reply    {figures(every_article)}")
    sample = rounds[-1][0]["links"]["texts"][0] if rounds else ""
    print(f"replies that were not a summary: {failed}; e.g. a reply begins: {sample[:100]!r}")
    return 0


def main() -> int:
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
    args = parser.parse_args()
    if args.fake:
        asyncio.run(fake_process())
        return 0
    return asyncio.run(bot_side(args))


if __name__ == "__main__":
    sys.exit(main())
