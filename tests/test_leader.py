"""bot.cluster.leader: one leader among processes, by a PostgreSQL advisory lock, on a real
PostgreSQL; the holder's death hands the leadership over within the retry interval."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bot.cluster.leader import AdvisoryLeader, SoleLeader

ROOT = Path(__file__).resolve().parents[1]
# Short intervals so a handover is quick; the deadlines below are generous bounds.
FAST = {"retry_seconds": 0.2, "check_seconds": 0.2, "timeout": 5.0}
DEADLINE = 15.0


def _lock() -> tuple[int, int]:
    # A lock of this test's own: tests running at the same time never contend.
    return (0x74657374, secrets.randbelow(2**31 - 1))


async def _terminate(dsn: str, pid: int) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


class Events:
    """What the hooks saw, in order."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def hooks(self, name: str):
        async def gain() -> None:
            self.seen.append(f"{name} gained")

        async def loss() -> None:
            self.seen.append(f"{name} lost")

        return gain, loss


async def test_a_sole_process_leads_from_the_start() -> None:
    events = Events()
    leader = SoleLeader()
    await leader.start(*events.hooks("a"))
    assert leader.is_leader and events.seen == ["a gained"]
    await leader.stop()


async def test_of_two_contenders_one_leads_and_the_other_takes_over_when_its_session_dies(
    postgres_dsn: str,
) -> None:
    lock = _lock()
    events = Events()
    a = AdvisoryLeader(postgres_dsn, lock=lock, **FAST)
    b = AdvisoryLeader(postgres_dsn, lock=lock, **FAST)
    await a.start(*events.hooks("a"))
    assert await a.wait_for(True, DEADLINE)
    await b.start(*events.hooks("b"))
    try:
        # b tries several times meanwhile; it never leads while a holds the lock.
        async with b.changed:
            waited = b.changed.wait_for(lambda: b.is_leader)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(waited, 1.0)
        assert events.seen == ["a gained"]
        assert a.backend_pid is not None
        await _terminate(postgres_dsn, a.backend_pid)
        assert await b.wait_for(True, DEADLINE), "b did not take over"
        assert await a.wait_for(False, DEADLINE), "a still believes it leads"
        assert "a lost" in events.seen and events.seen[-1] in ("a lost", "b gained")
        assert sorted(events.seen) == ["a gained", "a lost", "b gained"]
        assert not a.is_leader
    finally:
        await a.stop()
        await b.stop()


async def test_a_stopped_leader_releases_the_lock_for_the_other(postgres_dsn: str) -> None:
    lock = _lock()
    a = AdvisoryLeader(postgres_dsn, lock=lock, **FAST)
    b = AdvisoryLeader(postgres_dsn, lock=lock, **FAST)
    await a.start()
    assert await a.wait_for(True, DEADLINE)
    await b.start()
    try:
        await a.stop()
        assert await b.wait_for(True, DEADLINE)
    finally:
        await b.stop()


HOLDER = """
import asyncio, sys
from bot.cluster.leader import AdvisoryLeader

async def main():
    leader = AdvisoryLeader(sys.argv[1], lock=(int(sys.argv[2]), int(sys.argv[3])),
                            retry_seconds=0.2, check_seconds=0.2)
    await leader.start()
    await leader.wait_for(True, 30)
    print("leading", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_kill_9_of_the_leading_process_hands_over_within_the_retry_interval(
    postgres_dsn: str,
) -> None:
    lock = _lock()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres_dsn, str(lock[0]), str(lock[1])],
        stdout=subprocess.PIPE,
        env=env,
    )
    standby = AdvisoryLeader(postgres_dsn, lock=lock, **FAST)
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(holder.stdout.readline), DEADLINE)
        assert line.strip() == b"leading"
        await standby.start()
        assert not await standby.wait_for(True, 0.5)  # the holder leads
        holder.send_signal(signal.SIGKILL)
        await asyncio.to_thread(holder.wait)
        assert await standby.wait_for(True, DEADLINE), "no takeover after kill -9"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
        await standby.stop()


async def test_an_unreachable_database_means_no_leadership_and_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    leader = AdvisoryLeader(
        "postgresql://postgres@127.0.0.1:1/none", retry_seconds=0.05, timeout=1.0
    )
    await leader.start()
    try:
        assert not await leader.wait_for(True, 0.5)
    finally:
        await leader.stop()
    warnings = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(warnings) == 1
