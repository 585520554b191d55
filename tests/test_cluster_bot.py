"""Two bots of one database, one leader (a real PostgreSQL advisory lock), against the
fake Bot API: only the leader has the schedule and polls; when its session dies the
other rebuilds the schedule from the database and answers; a slot made while another
process leads is found by the leader."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest

from bot.cluster.leader import AdvisoryLeader
from bot.schedule import Slot
from bot.store import Store
from bot.telegram import leaderjobs
from bot.telegram.app import build_application, running, runtime
from bot.telegram.slots import job_name
from bot.telegram.updater import health
from tests.conftest import say
from tests.fakebotapi import FakeBotAPI

CHAT = 4242
DEADLINE = 20.0


def _leader(dsn: str, lock: tuple[int, int]) -> AdvisoryLeader:
    return AdvisoryLeader(dsn, lock=lock, retry_seconds=0.2, check_seconds=0.2)


def _has_slot(application: Any, slot: Slot) -> bool:
    return application.job_queue.scheduler.get_job(job_name(slot)) is not None


def _slot_jobs(application: Any) -> int:
    return sum(isinstance(job.data, Slot) for job in application.job_queue.jobs())


def _leader_jobs(application: Any) -> list[str]:
    """The leader's repeating jobs the application has."""
    names = {"poll feeds", "rescan seeds", "retention", "slots made elsewhere"}
    return sorted(j.name for j in application.job_queue.jobs() if j.name in names)


async def _until(fake: FakeBotAPI, condition: Callable[[], bool]) -> None:
    await fake.wait_until(condition, timeout=DEADLINE)


async def _terminate(dsn: str, pid: int | None) -> None:
    assert pid is not None
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.fixture
def two_bots(
    bot_config: Callable[..., Any], postgres_dsn: str, tmp_path
) -> Callable[[], Awaitable[Any]]:
    lock = (0x74657374, secrets.randbelow(2**31 - 1))
    config = bot_config()
    stores = [Store(config.storage.path), Store(config.storage.path)]
    apps = [
        build_application(config, store, leader=_leader(postgres_dsn, lock)) for store in stores
    ]
    yield config, stores, apps
    for store in stores:
        store.close()


async def test_only_the_leader_schedules_and_polls_and_the_other_takes_over_on_its_death(
    fake: FakeBotAPI, two_bots, postgres_dsn: str
) -> None:
    config, _, (first, second) = two_bots
    slot = Slot("08:00", "UTC")
    async with running(first, config):
        assert await runtime(first).leader.wait_for(True, DEADLINE)
        async with running(second, config):
            reply = await say(fake, CHAT, "/subscribe 08:00")
            assert reply.text.startswith("Subscribed")
            assert _has_slot(first, slot)
            assert not runtime(second).leader.is_leader and _slot_jobs(second) == 0
            assert second.updater is not None and not second.updater.running
            assert health(second) is None  # a standby is healthy: another process polls
            # The leader's session dies (as when its process is killed).
            await _terminate(postgres_dsn, runtime(first).leader.backend_pid)
            assert await runtime(second).leader.wait_for(True, DEADLINE)
            await _until(fake, lambda: _has_slot(second, slot))
            await _until(fake, lambda: _slot_jobs(first) == 0)
            assert _leader_jobs(first) == []
            assert _leader_jobs(second) == [
                "poll feeds",
                "rescan seeds",
                "retention",
                "slots made elsewhere",
            ]
            assert runtime(second).schedule is not None
            assert runtime(second).schedule.chats == 1
            # The new leader polls: a command is answered (by it).
            assert (await say(fake, CHAT, "/status")).text


async def test_a_slot_subscribed_elsewhere_is_found_by_the_leader(
    fake: FakeBotAPI, two_bots, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leaderjobs, "SLOT_REFRESH_SECONDS", 0.2)
    config, stores, (first, _) = two_bots
    async with running(first, config):
        assert await runtime(first).leader.wait_for(True, DEADLINE)
        # As a process that does not lead does on /subscribe: the database only.
        stores[1].subscribe(CHAT, "06:45", "Europe/Paris")
        await _until(fake, lambda: _has_slot(first, Slot("06:45", "Europe/Paris")))


async def test_with_a_redis_the_rates_tokens_quotas_and_admins_are_shared(
    fake: FakeBotAPI, bot_config: Callable[..., Any], redis_url: str
) -> None:
    from bot.cluster.limiter import SharedLimiter
    from bot.cluster.state import RedisAdmins, RedisQuotas, RedisTokens
    from bot.telegram.ratelimit import TelegramRateLimiter

    config = bot_config(cluster={"redis_url": redis_url})
    application = build_application(config)
    async with running(application, config):
        rt = runtime(application)
        limiter = application.bot.rate_limiter
        assert isinstance(limiter, TelegramRateLimiter)
        assert isinstance(limiter.shared, SharedLimiter)
        assert isinstance(rt.pending, RedisTokens) and isinstance(rt.quotas, RedisQuotas)
        assert isinstance(rt.admins, RedisAdmins)
        # A reply is booked in Redis, then sent.
        assert (await say(fake, CHAT, "/status")).text
        assert not limiter.shared.down


async def test_losing_the_lead_mid_scan_cancels_it_and_the_stop_is_clean(
    fake: FakeBotAPI, bot_config: Callable[..., Any]
) -> None:
    import asyncio

    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        rt = runtime(application)

        async def scanning() -> None:
            async with rt.rescan_lock:  # no other scan starts meanwhile
                await asyncio.Event().wait()

        rt.rescan_task = scan = asyncio.create_task(scanning())  # a scan under way
        await leaderjobs.lose(application)
        assert scan.cancelled() and rt.rescan_task is None
        assert _slot_jobs(application) == 0 and _leader_jobs(application) == []
