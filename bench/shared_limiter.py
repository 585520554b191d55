"""The shared send rates (bot.cluster.limiter) against the process's own limiter.

    python -m bench.shared_limiter                        # Redis at 127.0.0.1:6379/0
    python -m bench.shared_limiter --redis redis://host:6379/1 --sizes 1000 5000 20000
    python -m bench.shared_limiter --processes 2 --cap 1000 --seconds 3

Two parts:

* **overhead**: ``reserve`` of ``N`` sends (distinct chats, digests and replies mixed,
  ``--concurrency`` at once) on :class:`bot.telegram.ratelimit.Limiter` (in memory) and
  on :class:`bot.cluster.limiter.SharedLimiter` (one Lua script on Redis), at each of
  ``--sizes``: CPU time of this process per send (``time.process_time``), wall time per
  send, and, for Redis, the round trip's share. Only the bookings are measured (nobody
  waits for the booked time), so N sends book N / cap seconds ahead.
* **two processes**: ``--processes`` processes book sends as fast as they can for
  ``--seconds`` seconds of booked time each at ``--cap``; the bookings of all of them are
  merged and counted in every sliding window of ``1 + margin`` s and of 1 s: the most in
  any window must not exceed the cap.

Redis's own CPU is not in the client's figures (it runs in its own process); on a 2-core
machine shared with other work the wall times move: say the load with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window + 1e-9:
            start += 1
        most = max(most, end - start + 1)
    return most


async def _overhead(url: str, sizes: list[int], cap: float, concurrency: int) -> None:
    from bot.cluster.limiter import SharedLimiter
    from bot.cluster.redis import connect
    from bot.telegram.ratelimit import Limiter

    client = connect(url)
    prefix = f"digestbot-bench:{secrets.token_hex(4)}:"
    print(f"overhead per send (cap {cap:g}/s, {concurrency} at once, distinct chats)")
    print(f"{'sends':>7} {'local cpu µs':>13} {'redis cpu µs':>13} {'redis wall µs':>14}")
    try:
        for n in sizes:
            local = Limiter(cap)
            started = time.process_time()
            for i in range(n):
                local.reserve(10_000 + i, paced=i % 3 != 0)
            local_cpu = (time.process_time() - started) / n * 1e6
            shared = SharedLimiter(client, f"{prefix}{n}:", cap)
            queue = iter(range(n))

            async def worker(limiter: SharedLimiter = shared, todo=queue) -> None:
                for i in todo:
                    await limiter.reserve(10_000 + i, paced=i % 3 != 0)

            await shared.reserve(1, paced=True)  # the script loaded, the connection open
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            redis_cpu = (time.process_time() - cpu) / n * 1e6
            redis_wall = (time.perf_counter() - wall) / n * 1e6
            print(f"{n:>7} {local_cpu:>13.1f} {redis_cpu:>13.1f} {redis_wall:>14.1f}")
    finally:
        keys = [key async for key in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


BOOKER = """
import asyncio, json, sys
from bot.cluster.limiter import SharedLimiter
from bot.cluster.redis import connect

async def main():
    url, prefix, cap, seconds, base = sys.argv[1:6]
    client = connect(url)
    limiter = SharedLimiter(client, prefix, float(cap))
    count = int(float(cap) * float(seconds))
    print("ready", flush=True)
    sys.stdin.readline()
    todo = iter(range(count))
    booked = []
    async def worker():
        for i in todo:
            grant = await limiter.reserve(int(base) + i, paced=i % 3 != 0)
            booked.append(grant.at)
    await asyncio.gather(*(worker() for _ in range(32)))
    print(json.dumps(booked), flush=True)
    await client.aclose()

asyncio.run(main())
"""


def _processes(url: str, processes: int, cap: float, seconds: float) -> None:
    prefix = f"digestbot-bench:{secrets.token_hex(4)}:"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", BOOKER, url, prefix, str(cap), str(seconds), str(k * 10**7)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        for k in range(1, processes + 1)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate()[0] for proc in procs]
    wall = time.perf_counter() - started
    booked = [json.loads(out) for out in outputs]
    times = [at for each in booked for at in each]
    # The bookers' SharedLimiter has the default margin, 0.03 s: windows of 1.03 s.
    span = max(times) - min(times)
    print(
        f"{processes} processes, cap {cap:g}/s: {len(times)} sends booked in {wall:.2f} s of"
        f" wall time, spanning {span:.2f} s of booked time ({len(times) / span:.0f}/s);"
        f" most in any 1.03 s window {most_in_any_window(times, 1.03)},"
        f" in any 1 s window {most_in_any_window(times, 1.0)} (cap {int(cap)})"
    )
    per_process = ", ".join(str(len(b)) for b in booked)
    print(f"  sends per process: {per_process}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.shared_limiter", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis URL")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--cap", type=float, default=1000.0, help="messages a second")
    parser.add_argument("--concurrency", type=int, default=32, help="bookings at once")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0, help="booked time per process")
    args = parser.parse_args(argv)
    asyncio.run(_overhead(args.redis, args.sizes, args.cap, args.concurrency))
    _processes(args.redis, args.processes, args.cap, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
