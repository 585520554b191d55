"""bot.cluster.state: button tokens, per-chat quotas and the admins' cache, shared by two
instances (two processes' worth of clients) on a real Redis, and kept alike in memory."""

from __future__ import annotations

import secrets

import pytest
from redis.asyncio import Redis

from bot.cluster.redis import key_prefix
from bot.cluster.state import (
    LocalAdmins,
    LocalQuotas,
    LocalTokens,
    RedisAdmins,
    RedisQuotas,
    RedisTokens,
)
from bot.errors import TooManyRequests
from bot.web.links import PageSummary
from bot.web.quota import Quota

SUMMARY = PageSummary(
    title="Council approves «the» budget",
    url="https://news.example.org/budget",
    site_name="Example News",
    date="2026-12-07",
    language="english",
    sentences=("The council approved the budget.", "It takes effect in May."),
    blocks=(("p", "The council approved the budget."), ("h2", "Next")),
)


@pytest.fixture
async def clients(redis_url: str):
    """Two clients (as two processes have) and a prefix of this test's own."""
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    prefix = f"digestbot-test:{secrets.token_hex(6)}:"
    yield first, second, prefix
    keys = [key async for key in first.scan_iter(f"{prefix}*")]
    if keys:
        await first.delete(*keys)
    await first.aclose()
    await second.aclose()


async def test_a_token_made_by_one_process_works_in_the_other_for_its_chat_only(clients) -> None:
    first, second, prefix = clients
    token = await RedisTokens(first, prefix).add(42, SUMMARY)
    other = RedisTokens(second, prefix)
    assert await other.get(42, token) == SUMMARY
    assert await other.get(43, token) is None  # another chat's token
    assert await other.get(42, "forged") is None
    assert await other.get(42, "x" * 100) is None


async def test_a_token_expires_with_its_key(clients) -> None:
    first, _, prefix = clients
    tokens = RedisTokens(first, prefix, seconds=60)
    token = await tokens.add(1, SUMMARY)
    ttl = await first.ttl(f"{prefix}token:{token}")
    assert 0 < ttl <= 60


async def test_a_chat_is_busy_and_counted_whichever_process_it_asks(clients) -> None:
    first, second, prefix = clients
    a = RedisQuotas(first, prefix, per_window=2)
    b = RedisQuotas(second, prefix, per_window=2)
    await a.admit(7)
    with pytest.raises(TooManyRequests) as busy:
        await b.admit(7)
    assert busy.value.busy
    await b.admit(8)  # another chat is not held up
    await a.done(7)
    await b.admit(7)
    await b.done(7)
    with pytest.raises(TooManyRequests) as over:
        await a.admit(7)  # two starts in the hour already
    assert not over.value.busy and 3590 < over.value.retry_in <= 3600


async def test_a_busy_mark_is_a_lease_that_a_dead_process_cannot_keep(clients) -> None:
    first, _, prefix = clients
    quotas = RedisQuotas(first, prefix, per_window=5, busy_seconds=30)
    await quotas.admit(9)
    ttl = await first.pttl(f"{prefix}quota:busy:9")
    assert 0 < ttl <= 30_000


async def test_an_admin_answer_is_shared_and_a_refusal_kept_shorter(clients) -> None:
    first, second, prefix = clients
    a = RedisAdmins(first, prefix)
    b = RedisAdmins(second, prefix)
    assert await b.recall(-100, 5) is None
    await a.remember(-100, 5, True)
    await a.remember(-100, 6, False)
    assert await b.recall(-100, 5) is True
    assert await b.recall(-100, 6) is False
    admin_ttl = await first.pttl(f"{prefix}admin:-100:5")
    refusal_ttl = await first.pttl(f"{prefix}admin:-100:6")
    assert 60_000 < admin_ttl <= 300_000 and 0 < refusal_ttl <= 60_000


async def test_the_memory_forms_keep_todays_rules() -> None:
    tokens = LocalTokens()
    token = await tokens.add(1, SUMMARY)
    assert await tokens.get(1, token) is SUMMARY and await tokens.get(2, token) is None
    quotas = LocalQuotas(Quota(1))
    await quotas.admit(1)
    with pytest.raises(TooManyRequests):
        await quotas.admit(1)
    admins = LocalAdmins()
    await admins.remember(-1, 2, True)
    assert await admins.recall(-1, 2) is True and await admins.recall(-1, 3) is None


def test_each_bot_has_its_own_keys_and_the_token_secret_is_not_in_them() -> None:
    assert key_prefix("123456:AAAA-secret") == "digestbot:123456:"
    assert key_prefix(None) == "digestbot:0:"
    assert "secret" not in key_prefix("99:secret")
