"""Lines logged by an idle bot: ``digestbot run`` as a real process with nothing to do.

Usage::

    python -m bench.idle_logs                  # 600 s (10 minutes)
    python -m bench.idle_logs --seconds 60 --format json

Starts the fake Bot API and a loopback news site in this process, then ``python -m bot
run`` (after ``ingest`` and ``fetch`` read the seeds and the feed: nothing is new) with
a config whose periodic work all runs during the window: the seeds folder
(three articles) rescanned every 60 s, one feed (unchanged) polled every minute, one
subscriber whose digest time is hours away. A first short run groups the stories and
takes the subscriber; the measured one is a restart with nothing new. After
``--seconds`` it sends SIGTERM and prints how many lines the process wrote to stderr in
all, before and including ``ready``, and after it (the stop's own two lines apart).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _message(line: str, fmt: str) -> str:
    if fmt == "json":
        return str(json.loads(line)["message"])
    parts = line.split(" ", 3)
    return parts[3].split(": ", 1)[-1] if len(parts) == 4 else line


async def measure(seconds: float, fmt: str, folder: Path) -> dict[str, object]:
    from tests.conftest import write_article
    from tests.fakebotapi import FakeBotAPI
    from tests.feedkit import rss, story
    from tests.newssite import NewsSite

    seeds = folder / "seeds"
    seeds.mkdir()
    for i in range(3):
        write_article(seeds, f"a{i}.md", f"Harbour story {i}", date="2026-12-01")
    async with FakeBotAPI() as fake, NewsSite() as site:
        site.feeds["/world.xml"] = (rss([story(1, "world")], title="World"), "application/rss+xml")
        fetch = site.fetch_keys()
        config = folder / "config.toml"
        config.write_text(
            f'[telegram]\nbase_url = "{fake.base_url}"\n\n'
            f'[seeds]\ndir = "{seeds}"\nrescan_seconds = 60\n\n'
            '[storage]\npath = "bot.sqlite3"\n\n'
            f"[fetch]\nallow_networks = {json.dumps(fetch['allow_networks'])}\n"
            f"allow_ports = {json.dumps(fetch['allow_ports'])}\n\n"
            "[sources]\ninterval_minutes = 1\n\n"
            f'[log]\nformat = "{fmt}"\n\n'
            f'[[feeds]]\nurl = "{site.url("/world.xml")}"\n'
        )
        env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
        env["TELEGRAM_BOT_TOKEN"] = fake.token
        env["PYTHONPATH"] = str(ROOT)
        # What there is to read is read before the bot starts: idle means nothing new.
        for command in ("ingest", "fetch"):
            before = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                command,
                "--config",
                str(config),
                env=env,
                cwd=folder,
                stdout=asyncio.subprocess.DEVNULL,
            )
            await before.wait()

        async def run(seconds: float, subscribe: bool) -> tuple[bytes, int]:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--config",
                str(config),
                env=env,
                cwd=folder,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                polling = fake.polls_started
                await fake.wait_until(
                    lambda: fake.polls_started > polling, timeout=120, what="the first long poll"
                )
                if subscribe:
                    later = (datetime.now(UTC) + timedelta(hours=6)).strftime("%H:%M")
                    fake.send_text(99, f"/subscribe {later}")
                    await fake.wait_for_message(99, timeout=30)
                polls_before = site.hits.get("/world.xml", 0)
                await asyncio.sleep(seconds)
                polls = site.hits.get("/world.xml", 0) - polls_before
                process.send_signal(signal.SIGTERM)
                _out, err = await asyncio.wait_for(process.communicate(), 30)
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
            return err, polls

        # A first run groups what ingest read into stories (one line) and takes the
        # subscriber: the measured run is a restart with nothing new, as in production.
        await run(5, subscribe=True)
        err, polls = await run(seconds, subscribe=False)
    lines = err.decode().splitlines()
    if os.environ.get("IDLE_LOGS_SHOW"):
        print(err.decode())
    messages = [_message(line, fmt) for line in lines]
    ready = messages.index("ready") if "ready" in messages else len(messages) - 1
    after = [m for m in messages[ready + 1 :] if not m.startswith("digestbot stop")]
    return {
        "lines": len(lines),
        "up_to_ready": ready + 1,
        "after_ready": len(after),
        "stop_lines": len(messages) - ready - 1 - len(after),
        "feed_polls": polls,
        "token_seen": fake.token in err.decode(),
        "after_ready_text": after,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        result = asyncio.run(measure(args.seconds, args.format, Path(name)))
    print(
        f"idle {args.seconds:.0f} s ({args.format}): {result['lines']} lines in all,"
        f" {result['up_to_ready']} up to ready, {result['after_ready']} after it"
        f" (+{result['stop_lines']} at the stop); feed polled {result['feed_polls']} times;"
        f" token in the log: {'yes' if result['token_seen'] else 'no'}"
    )
    for text in result["after_ready_text"]:  # type: ignore[attr-defined]
        print(f"  after ready: {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
