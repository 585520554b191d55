"""Start-up at size: from ``digestbot run``'s start to the bot's first ``getUpdates``.

Usage::

    python -m bench.startup                 # 500,000 articles, 100,000 subscribers
    python -m bench.startup --articles 100000 --subscribers 20000

Builds the database as bench/readers.py does (articles with summaries, subscribers in
96 slots, an outbox item each), then starts the whole bot (``build_application`` and
``running``, long polling, as ``digestbot run`` does) against the fake Bot API in this
process, and prints the time until the fake receives the first ``getUpdates``: opening
the store (migrations, the check at open), the menu, jobs for every slot, the sender.
The database is opened cold for the OS as far as this process goes (a file the build
just wrote is in the page cache: a machine that just booted reads it from disk).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.harness import bot_config


async def measure(path: Path, folder: Path) -> float:
    from bot.telegram.app import build_application, running
    from tests.fakebotapi import FakeBotAPI

    (folder / "seeds").mkdir(exist_ok=True)
    async with FakeBotAPI(record=True) as fake:
        hello = {"token": fake.token, "base_url": fake.base_url}
        config = bot_config(hello, folder, storage={"path": str(path)})
        started = time.monotonic()
        application = build_application(config)
        async with running(application, config):
            while not fake.calls_to("getUpdates"):
                await asyncio.sleep(0.01)
            return fake.calls_to("getUpdates")[0].time - started


def main(argv: list[str] | None = None) -> int:
    from bench.readers import build

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[500_000])
    parser.add_argument("--subscribers", type=int, default=100_000)
    args = parser.parse_args(argv)
    for articles in args.articles:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            path = folder / "bot.sqlite3"
            build(path, articles, args.subscribers)
            size = path.stat().st_size >> 20
            seconds = asyncio.run(measure(path, folder))
            print(
                f"{articles:,} articles, {args.subscribers:,} subscribers ({size} MB):"
                f" first getUpdates after {seconds:.2f} s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
