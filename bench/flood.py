"""One chat floods the bot with commands: are the others still answered, and does
memory stay flat?

    python -m bench.flood                 # 20,000 /status from one chat
    python -m bench.flood --commands 5000

The whole bot (``bot.telegram.app.build_application``, long polling) runs against the fake
Bot API in this process. One chat sends ``--commands`` ``/status`` at once; right
after, ``--others`` other chats send ``/help`` one after another. Printed: how long each
other chat waited for its answer, how many of the flood's commands were answered or
dropped (with one "slow down" reply), and the process's resident memory before, at
the peak and after.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import bot_config


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1e6


async def run(args: argparse.Namespace) -> int:
    from bot.telegram.app import build_application, running
    from bot.telegram.handlers.commands import SLOW_DOWN
    from tests.fakebotapi import FakeBotAPI

    tmp = Path(tempfile.mkdtemp(prefix="flood-"))
    (tmp / "seeds").mkdir()
    async with FakeBotAPI() as fake:
        config = bot_config({"token": fake.token, "base_url": fake.base_url}, tmp)
        application = build_application(config)
        async with running(application, config):
            await asyncio.sleep(0.5)
            before = rss_mb()
            peak = before
            flooder = 4242
            for _ in range(args.commands):
                fake.send_text(flooder, "/status")
            waits = []
            for other in range(1, args.others + 1):
                started = time.monotonic()
                fake.send_text(other, "/help")
                await fake.wait_for_message(other, 1, timeout=60)
                waits.append(time.monotonic() - started)
                peak = max(peak, rss_mb())
            await fake.wait_until(lambda: fake.pending_updates == 0, timeout=120)
            peak = max(peak, rss_mb())
            processor = application.update_processor
            answered = [m for m in fake.messages(flooder)]
            told = sum(m.text == SLOW_DOWN for m in answered)
            after = rss_mb()
        print(f"one chat sent {args.commands} /status at once; {args.others} others sent /help")
        print(
            f"others answered after: median {sorted(waits)[len(waits) // 2] * 1000:.0f} ms,"
            f" max {max(waits) * 1000:.0f} ms"
        )
        print(
            f"flood: {processor.dropped} dropped, {len(answered) - told} answered so far,"
            f" {told} 'slow down' reply"
        )
        print(f"RSS: {before:.1f} MB before, {peak:.1f} MB peak, {after:.1f} MB after")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=20_000)
    parser.add_argument("--others", type=int, default=20)
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
