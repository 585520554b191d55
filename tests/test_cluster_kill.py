"""Two ``digestbot run`` processes on one PostgreSQL database (and one Redis), against
the fake Bot API: the leader queues a slot's digests, both send; ``kill -9`` of the
leader mid-digest loses nothing -- the other process takes the lead, sends the rest and
the killed one's claimed messages after their lease -- and at most the messages that
were in flight at the kill are sent twice."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import secrets
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from redis.asyncio import Redis

from tests.conftest import write_article
from tests.fakebotapi import FakeBotAPI

CHATS = range(5_000_001, 5_000_121)  # 120 subscribers of one slot
CAP = 5  # messages a second, shared: the digests take ~24 s, time to kill mid-way
KILL_AFTER = 30  # digest messages sent before the leader is killed
# The lease (25 s) + what is left at CAP + start-up and a loaded machine.
DEADLINE = 150.0
ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("bot.store.engine") is None,
    reason="the store does not run on PostgreSQL in this build (no bot.store.engine)",
)


def _database(dsn: str, name: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture
async def database(postgres_dsn: str):
    name = f"digestbot_kill_{secrets.token_hex(4)}"
    async with await psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"'.encode())
    yield _database(postgres_dsn, name)
    async with await psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True) as admin:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def _prepare(url: str, seeds: Path, digest_time: str) -> None:
    """The articles, and the subscribers of a slot that fell due two minutes ago (they
    subscribed yesterday, so its digest is owed: the leader's start queues it)."""
    from bot.catalog import sync
    from bot.store import Store

    store = Store(url)
    try:
        sync(store, seeds)
        store.subscribe_many((chat, digest_time, "UTC") for chat in CHATS)
    finally:
        store.close()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("UPDATE chats SET subscribed_at = %s", (yesterday,))


def _outbox(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute("SELECT count(*) FROM outbox").fetchone()
    return int(row[0]) if row else -1


async def _start(tmp_path: Path, name: str, config: Path, token: str):
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "PYTHONPATH": str(ROOT)}
    log = (tmp_path / f"{name}.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=log,
    )
    log.close()
    return proc


async def _wait_log(path: Path, text: str, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while text not in path.read_text(errors="replace"):
            await asyncio.sleep(0.1)


async def test_kill_9_of_the_leader_mid_digest_loses_nothing_and_repeats_at_most_in_flight(
    fake: FakeBotAPI, tmp_path: Path, seeds: Path, database: str, redis_url: str
) -> None:
    for n, title in enumerate(["Harbour reopens", "Bridge vote", "Solar farm opens"]):
        write_article(seeds, f"a{n}.md", title, date=f"2024-05-0{n + 1}")
    digest_time = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%H:%M")
    await asyncio.to_thread(_prepare, database, seeds, digest_time)
    redis = Redis.from_url(redis_url)
    keys = [key async for key in redis.scan_iter(f"digestbot:{fake.token.split(':')[0]}:*")]
    if keys:
        await redis.delete(*keys)  # the rates of an earlier run
    await redis.aclose()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{fake.base_url}"\nmax_messages_per_second = {CAP}\n\n'
        f'[seeds]\ndir = "{seeds}"\nrescan_seconds = 3600\n\n'
        f'[storage]\nurl = "{database}"\n\n'
        f'[cluster]\nredis_url = "{redis_url}"\n'
    )

    def digests() -> dict[int, int]:
        return {chat: n for chat in CHATS if (n := len(fake.messages(chat)))}

    leader = await _start(tmp_path, "leader", config, fake.token)
    other = None
    try:
        await _wait_log(tmp_path / "leader.log", "ready", DEADLINE)
        assert "; leader" in (tmp_path / "leader.log").read_text()
        other = await _start(tmp_path, "other", config, fake.token)
        await _wait_log(tmp_path / "other.log", "ready", DEADLINE)
        assert "; standby" in (tmp_path / "other.log").read_text()
        await fake.wait_until(lambda: sum(digests().values()) >= KILL_AFTER, timeout=DEADLINE)
        leader.send_signal(signal.SIGKILL)
        await leader.wait()
        sent_at_kill = sum(digests().values())
        assert sent_at_kill < len(CHATS), "the digests were over before the kill"
        await _wait_log(tmp_path / "other.log", "now runs the schedule", DEADLINE)
        await fake.wait_until(lambda: len(digests()) == len(CHATS), timeout=DEADLINE)
        async with asyncio.timeout(DEADLINE):
            while await asyncio.to_thread(_outbox, database):
                await asyncio.sleep(0.2)
    finally:
        for proc in (leader, other):
            if proc is not None and proc.returncode is None:
                proc.kill()
                await proc.wait()
    counts = digests()
    assert sorted(counts) == list(CHATS)  # nothing lost
    twice = [chat for chat, n in counts.items() if n > 1]
    print(f"sent before the kill {sent_at_kill}, twice {len(twice)}")
    # At most the killed process's sends in flight (its sender's concurrency, 8).
    assert len(twice) <= 8 and all(counts[chat] == 2 for chat in twice)
