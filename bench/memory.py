"""Memory ceiling: links to large pages, one after another, and the bot's resident memory.

    python -m bench.memory                         # 60 links to ~5 MB pages
    python -m bench.memory --sizes 1000000 2500000 4900000 --links 60

The whole bot (``build_application``, long polling, the fetcher, one worker process that
extracts and summarizes) runs in this process; the fake Bot API (``python -m bench.links
--fake``) and a web site on 127.0.0.1 serving generated article pages of ``--size``
bytes (``bench.links``' pages: one <article> of paragraphs, so the whole page is
article text) run in their own processes. One chat sends ``--links`` links to different
pages, each after the previous one's summary arrived (each summary's "Add to my digest"
button stays pressable for a while: the bot keeps those summaries too).

Printed per page size: the bot process's resident memory (VmRSS, /proc) before the
first link (after a warm-up link of the same size), after every ``--every`` links and
at the end, the growth, and the peak (VmHWM); also the worker process's RSS. The goal:
60 links to 5 MB pages raise the bot's resident memory by at most 100 MB. (Pages are
at most ``[fetch] max_bytes``, 5,000,000 by default: "5 MB" pages are 4.9 MB here.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import (
    ROOT,
    FakeProcess,
    bot_config,
    loopback,
    start_site,
    stop_site,
    write_seeds,
)
from bench.links import serve

CHAT = 4242


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run_size(args: argparse.Namespace, size: int) -> dict[str, object]:
    from bot.telegram.app import build_application, running, runtime
    from bot.telegram.jobs import rescan_seeds
    from bot.web.fetch import Fetcher
    from bot.web.workers import Workers

    site, (port, _) = start_site(serve, True, size)
    fake = FakeProcess("bench.links")
    tmp = Path(tempfile.mkdtemp(prefix="memory-"))
    write_seeds(tmp / "seeds", 5, url=False)
    config = bot_config(
        fake.hello,
        tmp,
        fetch={
            "allow_ports": [port],
            "allow_networks": ["127.0.0.1/32"],
            "per_chat_per_hour": 10_000,
            "total_timeout": 120,
        },
    )
    application = build_application(config)
    rt = runtime(application)
    rt.fetcher = Fetcher(config.fetch, lookup=loopback)
    rt.workers = Workers(1)

    def ask(n: int) -> str:
        link = (CHAT, f"http://site-{n}.test:{port}/p/{n}")
        return fake.ask({"links": [link], "articles": []})["links"]["texts"][0]

    samples: list[tuple[int, float]] = []
    failed = 0
    started = time.monotonic()
    try:
        async with running(application, config):
            await rescan_seeds(application)
            await asyncio.to_thread(ask, 10_000)  # warm-up: the worker, a first page
            samples.append((0, rss_mb()))
            for n in range(1, args.links + 1):
                text = await asyncio.to_thread(ask, n)
                failed += not text.startswith(("<a ", "<b>"))
                if n % args.every == 0 or n == args.links:
                    samples.append((n, rss_mb()))
            pool = getattr(rt.workers, "_pool", None)
            worker_rss = [rss_mb(pid) for pid in (getattr(pool, "_processes", None) or {})]
    finally:
        fake.close(timeout=30)
        stop_site(site)
    return {
        "size": size,
        "samples": samples,
        "peak": rss_mb(field="VmHWM"),
        "workers": worker_rss,
        "failed": failed,
        "seconds": time.monotonic() - started,
    }


def child(args: argparse.Namespace) -> int:
    """One page size in a fresh process (so one size's peak does not hide the next)."""
    result = asyncio.run(run_size(args, args.size))
    print(json.dumps(result), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4_900_000])
    parser.add_argument("--links", type=int, default=60)
    parser.add_argument("--every", type=int, default=20, help="sample RSS every N links")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size is not None:
        return child(args)
    print(
        f"{args.links} links, one after another, each to a different generated page; "
        "the bot's resident memory (MB):"
    )
    worst = 0.0
    for size in args.sizes:
        command = [sys.executable, "-m", "bench.memory", "--size", str(size)]
        command += ["--links", str(args.links), "--every", str(args.every)]
        output = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
        lines = [line for line in output.stdout.splitlines() if line.startswith("{")]
        if not lines:
            print(f"pages of {size:,} B: failed\n{output.stderr[-2000:]}")
            return 1
        result = json.loads(lines[-1])
        samples = result["samples"]
        base, end = samples[0][1], samples[-1][1]
        worst = max(worst, end - base)
        steps = ", ".join(f"after {n}: {mb:.0f}" for n, mb in samples[1:])
        workers = ", ".join(f"{mb:.0f}" for mb in result["workers"])
        print(
            f"pages of {size / 1e6:.1f} MB: {base:.0f} before, {steps}; growth"
            f" {end - base:+.0f} MB, peak {result['peak']:.0f} MB; worker process {workers} MB;"
            f" {result['failed']} failed; {result['seconds']:.0f} s"
        )
    print(f"largest growth: {worst:+.0f} MB (goal: at most +100 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
