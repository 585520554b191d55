"""How long the leadership takes to move after ``kill -9`` of the leader (bot.cluster.leader).

    python -m bench.handover                                  # PostgreSQL on 127.0.0.1
    python -m bench.handover --dsn postgresql://postgres@db/test --runs 5 --retry 5

Each run starts a process that takes the leadership (``AdvisoryLeader`` with
``--retry`` and ``--check`` seconds), then a standby in this process; once the holder
leads it is killed with SIGKILL and the time from the kill to the standby leading is
measured. With the defaults (retry every 5 s) it is at most the retry interval plus a
query: PostgreSQL ends a killed client's session at once on loopback. Prints each run
and the median and the worst.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HOLDER = """
import asyncio, sys
from bot.cluster.leader import AdvisoryLeader

async def main():
    leader = AdvisoryLeader(sys.argv[1], lock=(int(sys.argv[2]), int(sys.argv[3])),
                            retry_seconds=float(sys.argv[4]), check_seconds=float(sys.argv[5]))
    await leader.start()
    await leader.wait_for(True, 60)
    print("leading", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def one_run(dsn: str, retry: float, check: float) -> float:
    from bot.cluster.leader import AdvisoryLeader

    lock = (0x62656E63, secrets.randbelow(2**31 - 1))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [dsn, str(lock[0]), str(lock[1]), str(retry), str(check)]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, *args], stdout=subprocess.PIPE, env=env
    )
    standby = AdvisoryLeader(dsn, lock=lock, retry_seconds=retry, check_seconds=check)
    try:
        assert holder.stdout is not None
        line = await asyncio.to_thread(holder.stdout.readline)
        if line.strip() != b"leading":
            raise SystemExit("the holder did not lead: is PostgreSQL reachable?")
        await standby.start()
        # Let the standby try (and fail) at least once, at a random phase of its retries.
        await asyncio.sleep(retry * (1 + secrets.randbelow(100) / 100))
        killed = time.perf_counter()
        holder.send_signal(signal.SIGKILL)
        if not await standby.wait_for(True, 10 * retry + 30):
            raise SystemExit("no takeover")
        return time.perf_counter() - killed
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
        await standby.stop()


async def run(dsn: str, runs: int, retry: float, check: float) -> None:
    seconds = []
    for n in range(1, runs + 1):
        took = await one_run(dsn, retry, check)
        seconds.append(took)
        print(f"run {n}: the standby led {took:.2f} s after kill -9 of the leader")
    print(
        f"retry {retry:g} s: median {statistics.median(seconds):.2f} s,"
        f" worst {max(seconds):.2f} s over {runs} runs"
    )


def main(argv: list[str] | None = None) -> int:
    from bot.cluster.leader import CHECK_SECONDS, RETRY_SECONDS

    parser = argparse.ArgumentParser(
        prog="python -m bench.handover", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--retry", type=float, default=RETRY_SECONDS, help="seconds")
    parser.add_argument("--check", type=float, default=CHECK_SECONDS, help="seconds")
    args = parser.parse_args(argv)
    asyncio.run(run(args.dsn, args.runs, args.retry, args.check))
    return 0


if __name__ == "__main__":
    sys.exit(main())
