"""On-demand latency benchmark: 500 chats send ``/article N`` at the same moment.

    python bench/latency.py                      # 500 chats, 3 rounds, aiohttp transport
    python bench/latency.py --chats 500 --transport httpx
    python bench/latency.py --articles 20000 --searches 60   # searches during each burst

The fake Bot API runs in its own process (``--fake``, driven over stdin/stdout); the
whole bot (``bot.telegram.app.build_application``: handlers, fast lane, store, rate limiter,
outbox sender) runs in this one with long polling, exactly as ``digestbot run`` does.

Each round, the fake queues one ``/article N`` update for each of ``--chats`` chats at
the same instant T0 (while the bot is long-polling). Two latencies per chat, both
stamped by the fake's clock:

* **update received → reply sent** (the latency measure): from the getUpdates answer that
  handed the update to the bot to the moment the fake received the bot's
  ``sendMessage`` for that chat.
* **user's message → reply sent**: from T0, so it adds the wait to be fetched (the Bot
  API hands out at most 100 updates per getUpdates, one batch after another). On this
  2-core machine the fake itself needs about as much CPU as the bot and shares it.

With ``--searches S``, S other chats send a title search (``/article harbour valley``,
which matches every title, so SQLite reads them all) at the same instant as each
burst; only the ``/article N`` replies are timed. ``--articles`` sets how many
articles the catalog holds (written as seed files and read in before the bot starts).

A warm-up round (not counted) comes first. The fake runs without its garbage collector:
its pauses would be counted against the bot (the bot keeps its own).

The bot's global cap (``[telegram] max_messages_per_second``, ``--rate``) applies to
replies too: at the default 30 no bot can answer 500 chats within 100 ms, so the
benchmark runs at ``--rate 1000`` (paid broadcasts) by default.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# -- the fake, in its own process -------------------------------------------------------


async def fake_process() -> None:
    from tests import fakebotapi
    from tests.fakebotapi import FakeBotAPI

    # When each update was handed to the bot (the getUpdates answer that carried it).
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
        # The fake stands in for Telegram's servers: its own garbage-collector pauses
        # (it keeps every call) would be counted against the bot. The bot keeps its GC.
        gc.collect()
        gc.disable()
        print(json.dumps({"token": fake.token, "base_url": fake.base_url}), flush=True)
        while line := (await reader.readline()).decode().strip():
            command = json.loads(line)
            first, count, number = command["first"], command["count"], command["number"]
            chats = range(first, first + count)
            before = len(fake.calls)
            t0 = time.monotonic()
            searches = command.get("searches", 0)
            for n, chat in enumerate(chats):
                if searches and n % max(1, count // searches) == 0:
                    fake.send_command(10_000_000 + chat, "/article harbour valley")
                fake.send_command(chat, f"/article {number}")
            wanted = set(chats)
            missing = set(chats)
            seen = [before]  # calls already looked at: each is looked at once

            def replied(missing: set[int] = missing, seen: list[int] = seen) -> bool:
                calls = fake.calls
                for call in calls[seen[0] :]:
                    if call.method.lower() == "sendmessage" and call.status == 200:
                        missing.discard(call.params.get("chat_id"))
                seen[0] = len(calls)
                return not missing

            await fake.wait_until(replied, timeout=120)
            first_reply: dict[int, float] = {}
            for call in fake.calls[before:]:
                chat = call.params.get("chat_id")
                if call.method.lower() == "sendmessage" and call.status == 200 and chat in wanted:
                    first_reply.setdefault(chat, call.time)
            latencies = [first_reply[chat] - t0 for chat in chats]
            in_bot = [first_reply[chat] - handed_out[chat] for chat in chats]
            fetched = [handed_out[chat] - t0 for chat in chats]
            answer = {"latencies": latencies, "in_bot": in_bot, "fetched": fetched}
            print(json.dumps(answer), flush=True)


# -- the bot, in this process -----------------------------------------------------------


def write_seeds(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"article-{number:03d}.md").write_text(
            f'+++\ntitle = "Article {number}: the harbour, the council & the valley"\n'
            f'date = "2026-11-{1 + number % 27:02d}"\n'
            f'url = "https://news.example.com/{number}"\n+++\n\n'
            + "\n\n".join(
                f"Paragraph {p} of article {number} tells what happened in the town today. "
                "Officials said the work would continue next week in the capital. "
                "Critics argued that the plan was too expensive and far too slow."
                for p in range(4)
            )
            + "\n"
        )


def prepare_catalog(seeds: Path, database: Path) -> None:
    """Read the seed files into the database with a canned summary each, so the bot's
    start-up scan finds nothing to summarize (20,000 summaries would take a minute)."""
    from bot.catalog import sync
    from bot.store import Store

    with Store(database) as store:
        sync(store, seeds, summaries=False)
        for stored in store.articles_without_summary():
            store.set_summary(stored.number, [f"The summary of {stored.title}."])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def bot_side(args: argparse.Namespace) -> int:
    from bot.config import config_from_dict
    from bot.telegram.app import build_application, freeze_startup_objects, running
    from bot.telegram.jobs import rescan_seeds
    from bot.telegram.request import AiohttpRequest

    fake = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--fake"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdin is not None and fake.stdout is not None
    hello = json.loads(fake.stdout.readline())
    tmp = Path(tempfile.mkdtemp(prefix="latency-"))
    write_seeds(tmp / "seeds", args.articles)
    if args.articles > 20:
        prepare_catalog(tmp / "seeds", tmp / "bot.sqlite3")
    config = config_from_dict(
        {
            "telegram": {
                "token": hello["token"],
                "base_url": hello["base_url"],
                "max_messages_per_second": args.rate,
            },
            "seeds": {"dir": str(tmp / "seeds"), "rescan_seconds": 3600},
            "storage": {"path": str(tmp / "bot.sqlite3")},
        },
        base=tmp,
        env={},
    )
    request = AiohttpRequest(pool_size=args.pool) if args.transport == "aiohttp" else None
    application = build_application(config, request=request)
    freeze_startup_objects()  # as `digestbot run` does

    def burst(first: int, count: int, number: int) -> dict[str, list[float]]:
        command = {"first": first, "count": count, "number": number, "searches": args.searches}
        fake.stdin.write(json.dumps(command) + "\n")
        fake.stdin.flush()
        return json.loads(fake.stdout.readline())

    rounds: list[dict[str, list[float]]] = []
    cpu: list[tuple[float, float]] = []
    try:
        async with running(application, config):
            await rescan_seeds(application)
            # Warm-up: connections, caches, first-call costs.
            await asyncio.to_thread(burst, 1_000_000, min(100, args.chats), 3)
            for round_number in range(args.rounds):
                # Let the rate limiter's sliding window (1 s and its margin) empty: at a
                # cap of 1,000 msg/s, back-to-back rounds of 500 would measure the cap
                # (replies held back by design), not the bot's latency.
                await asyncio.sleep(1.5)
                first = 1 + round_number * args.chats
                bot_cpu, fake_cpu = time.process_time(), cpu_seconds(fake.pid)
                answer = await asyncio.to_thread(burst, first, args.chats, 1 + round_number)
                rounds.append({key: [1000 * x for x in values] for key, values in answer.items()})
                cpu.append((time.process_time() - bot_cpu, cpu_seconds(fake.pid) - fake_cpu))
    finally:
        fake.stdin.close()
        fake.wait(timeout=10)

    def figures(values: list[float]) -> str:
        return (
            f"p50 {percentile(values, 0.50):6.1f} ms  p95 {percentile(values, 0.95):6.1f} ms"
            f"  p99 {percentile(values, 0.99):6.1f} ms  max {max(values):6.1f} ms"
        )

    print(
        f"{args.chats} chats send /article N at once; transport {args.transport},"
        f" max_messages_per_second {args.rate:g}, {args.rounds} rounds;"
        f" {args.articles} articles, {args.searches} title searches per burst."
    )
    print("From the update received by the bot (its getUpdates answer) to the reply sent:")
    for number, (values, (bot_cpu, fake_cpu)) in enumerate(zip(rounds, cpu, strict=True), 1):
        print(
            f"  round {number}: {figures(values['in_bot'])};  CPU bot"
            f" {1000 * bot_cpu / args.chats:.2f} ms, fake {1000 * fake_cpu / args.chats:.2f} ms"
            " per chat"
        )
    every = [x for values in rounds for x in values["in_bot"]]
    print(f"  all {len(every)}:   {figures(every)}")
    print(
        "From the user's message (all queued at the fake at once) to the reply sent, which"
        " adds the wait to be fetched, 100 updates per getUpdates:"
    )
    for number, values in enumerate(rounds, 1):
        print(f"  round {number}: {figures(values['latencies'])}")
    every = [x for values in rounds for x in values["latencies"]]
    print(f"  all {len(every)}:   {figures(every)}")
    every = [x for values in rounds for x in values["fetched"]]
    print(f"  of which waiting to be fetched: {figures(every)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1000.0, help="max_messages_per_second")
    parser.add_argument("--transport", choices=("aiohttp", "httpx"), default="aiohttp")
    parser.add_argument("--pool", type=int, default=64, help="aiohttp transport connections")
    parser.add_argument("--articles", type=int, default=20, help="articles in the catalog")
    parser.add_argument("--searches", type=int, default=0, help="title searches per burst")
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake:
        asyncio.run(fake_process())
        return 0
    return asyncio.run(bot_side(args))


if __name__ == "__main__":
    sys.exit(main())
