"""bot.cluster.limiter: the send rates several processes share in a real Redis -- two
processes together never book more than the cap in any window, a chat's limit and a
429's pause hold in every process."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.cluster.limiter import SharedLimiter

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def redis(redis_url: str):
    client = Redis.from_url(redis_url)
    prefix = f"digestbot-test:{secrets.token_hex(6)}:"
    yield client, prefix
    keys = [key async for key in client.scan_iter(f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def most_in_any_window(times: list[float], window: float) -> int:
    """The most booked times in any window of ``window`` seconds (closed on the left)."""
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window + 1e-9:
            start += 1
        most = max(most, end - start + 1)
    return most


BOOKER = """
import asyncio, json, sys
from bot.cluster.limiter import SharedLimiter
from bot.cluster.redis import connect

async def main():
    url, prefix, count, base = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    client = connect(url)
    limiter = SharedLimiter(client, prefix, 50)
    print("ready", flush=True)
    sys.stdin.readline()  # both start together
    async def one(i):
        # Distinct chats (no chat limit in the way): replies and digests mixed.
        grant = await limiter.reserve(base + i, paced=i % 3 != 0)
        return grant.at
    times = await asyncio.gather(*(one(i) for i in range(count)))
    print(json.dumps(times), flush=True)
    await client.aclose()

asyncio.run(main())
"""


async def test_two_processes_together_never_book_more_than_the_cap_in_any_window(
    redis, redis_url: str
) -> None:
    _, prefix = redis
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", BOOKER, redis_url, prefix, "300", str(base)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        for base in (1_000, 2_000)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert (await asyncio.to_thread(proc.stdout.readline)).strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [await asyncio.to_thread(proc.communicate) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    booked = [json.loads(out) for out, _ in outputs]
    assert [len(b) for b in booked] == [300, 300]
    times = booked[0] + booked[1]
    # 600 sends at a cap of 50: twelve seconds' worth, never over the cap in any
    # window of 1.03 s (the margin) -- nor, then, in any second.
    assert most_in_any_window(times, 1.03) <= 50
    assert most_in_any_window(times, 1.0) <= 50
    assert max(times) - min(times) >= 11 * 1.03  # and booked close to the cap


async def test_a_chat_gets_its_burst_then_one_a_second_whichever_process_asks(redis) -> None:
    client, prefix = redis
    a = SharedLimiter(client, prefix, 30)
    b = SharedLimiter(client, prefix, 30)
    grants = [await (a if i % 2 else b).reserve(42, paced=False) for i in range(4)]
    assert [g.granted for g in grants] == [True, True, True, False]
    # The fourth must wait for the bucket: about a second and 50 ms after the first.
    assert 0.9 < grants[3].at - grants[0].at <= 1.1


async def test_a_group_gets_at_most_twenty_in_a_minute(redis) -> None:
    client, prefix = redis
    limiter = SharedLimiter(client, prefix, 30, chat_per_second=1000, chat_burst=100)
    grants = [await limiter.reserve(-100, paced=True) for _ in range(21)]
    assert all(g.granted for g in grants[:20]) and not grants[20].granted
    assert grants[20].at - grants[0].at >= 60.0


async def test_a_429_in_one_process_pauses_the_chat_and_everyone_in_the_other(redis) -> None:
    client, prefix = redis
    a = SharedLimiter(client, prefix, 30)
    b = SharedLimiter(client, prefix, 30)
    began = await a.penalize(7, 5.0)
    chat = await b.reserve(7, paced=False)
    assert not chat.granted and chat.at >= began + 5.0 - 1e-6
    other = await b.reserve(8, paced=False)
    # Everyone else waits the global pause (a second), not the chat's five.
    assert other.granted and began + 1.0 - 1e-6 <= other.at < began + 5.0


async def test_an_unreachable_redis_lets_sends_go_under_the_local_limiter(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    limiter = SharedLimiter(client, "x:", 30)
    waits: list[float] = []

    async def pause(delay: float) -> None:
        waits.append(delay)

    await limiter.acquire(1, False, pause)
    await limiter.acquire(2, True, pause)
    await client.aclose()
    assert waits == [] and limiter.down
    assert len([r for r in caplog.records if "cannot be reached" in r.getMessage()]) == 1


async def test_a_reply_overtakes_digests_booked_ahead_and_the_cap_still_holds(redis) -> None:
    client, prefix = redis
    limiter = SharedLimiter(client, prefix, 30, reply_reserve=1)
    # A fan-out books ahead: two thirds of a window's worth of digests.
    digests = [await limiter.reserve(1000 + i) for i in range(20)]
    assert digests[-1].wait > 0.6
    reply = await limiter.reserve(7, paced=False)
    assert reply.granted and reply.wait < 0.05  # booked now, not behind the digests
    # Replies beyond the reserve queue behind the digests, which yield their places.
    more = [await limiter.reserve(8 + i, paced=False) for i in range(5)]
    later = [await limiter.reserve(2000 + i) for i in range(30)]
    times = [g.at for g in [*digests, reply, *more, *later]]
    assert most_in_any_window(times, limiter.window - 1e-6) <= 30
    # The digests alone keep the reserve free in every window.
    assert most_in_any_window([g.at for g in digests + later], limiter.window - 1e-6) <= 29
