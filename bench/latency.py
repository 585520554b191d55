"""On-demand latency benchmark: 500 chats send ``/article N`` at the same moment.

    python -m bench.latency                      # 500 chats, 3 rounds, aiohttp transport
    python -m bench.latency --chats 500 --transport httpx
    python -m bench.latency --articles 20000 --searches 60   # searches during each burst
    python -m bench.latency --database postgresql://postgres@127.0.0.1:5432/postgres

The fake Bot API runs in its own process (``--fake``, driven over stdin/stdout); the
whole bot (``bot.telegram.app.build_application``: handlers, fast lane, store, rate limiter,
outbox sender) runs in this one with long polling, exactly as ``digestbot run`` does, on
a SQLite file (with ``--database``, a new PostgreSQL database on that server).

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
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import (
    FakeProcess,
    add_database_argument,
    bot_config,
    cpu_seconds,
    engine,
    figures,
    first_replies,
    serve_fake,
    stamp_handed_out,
    store_target,
    wait_each_chat_answered,
    write_seeds,
)

# -- the fake, in its own process -------------------------------------------------------


async def fake_process() -> None:
    handed_out = stamp_handed_out()

    async def burst(fake: Any, command: dict[str, Any]) -> dict[str, Any]:
        first, count, number = command["first"], command["count"], command["number"]
        chats = range(first, first + count)
        before = len(fake.calls)
        t0 = time.monotonic()
        searches = command.get("searches", 0)
        for n, chat in enumerate(chats):
            if searches and n % max(1, count // searches) == 0:
                fake.send_command(10_000_000 + chat, "/article harbour valley")
            fake.send_command(chat, f"/article {number}")
        await wait_each_chat_answered(fake, set(chats), before, timeout=120)
        replies = first_replies(fake, before)
        first_reply = {chat: replies[chat].time for chat in chats}
        latencies = [first_reply[chat] - t0 for chat in chats]
        in_bot = [first_reply[chat] - handed_out[chat] for chat in chats]
        fetched = [handed_out[chat] - t0 for chat in chats]
        return {"latencies": latencies, "in_bot": in_bot, "fetched": fetched}

    await serve_fake(burst)


# -- the bot, in this process -----------------------------------------------------------


def prepare_catalog(seeds: Path, database: str) -> None:
    """Read the seed files into the database with a canned summary each, so the bot's
    start-up scan finds nothing to summarize (20,000 summaries would take a minute)."""
    from bot.catalog import sync
    from bot.store import Store

    with Store(database) as store:
        sync(store, seeds, summaries=False)
        for stored in store.articles_without_summary():
            store.set_summary(stored.number, [f"The summary of {stored.title}."])


async def bot_side(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="latency-"))
    with store_target(args.database, "digestbot_bench_latency", tmp) as target:
        return await measure(args, tmp, target)


async def measure(args: argparse.Namespace, tmp: Path, target: str) -> int:
    from bot.telegram.app import build_application, prepare_process, running
    from bot.telegram.jobs import rescan_seeds
    from bot.telegram.request import AiohttpRequest

    fake = FakeProcess("bench.latency")
    write_seeds(tmp / "seeds", args.articles)
    if args.articles > 20:
        prepare_catalog(tmp / "seeds", target)
    storage = {"url": target} if args.database else {"path": target}
    config = bot_config(fake.hello, tmp, {"max_messages_per_second": args.rate}, storage=storage)
    request = AiohttpRequest(pool_size=args.pool) if args.transport == "aiohttp" else None
    application = build_application(config, request=request)
    prepare_process()  # as `digestbot run` does

    def burst(first: int, count: int, number: int) -> dict[str, list[float]]:
        command = {"first": first, "count": count, "number": number, "searches": args.searches}
        return fake.ask(command)

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
        fake.close()

    print(f"engine: {engine(target)}; load average at the end: {os.getloadavg()[0]:.2f}")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1000.0, help="max_messages_per_second")
    parser.add_argument("--transport", choices=("aiohttp", "httpx"), default="aiohttp")
    parser.add_argument("--pool", type=int, default=64, help="aiohttp transport connections")
    parser.add_argument("--articles", type=int, default=20, help="articles in the catalog")
    parser.add_argument("--searches", type=int, default=0, help="title searches per burst")
    add_database_argument(parser)
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fake:
        asyncio.run(fake_process())
        return 0
    return asyncio.run(bot_side(args))


if __name__ == "__main__":
    sys.exit(main())
