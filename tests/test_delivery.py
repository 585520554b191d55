"""Tests for bot.telegram.delivery: the outbox sender against the fake Bot API over HTTP."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from telegram.ext import ExtBot

from bot.articles import Article, Block
from bot.store import Store
from bot.telegram.delivery import Sender
from bot.telegram.ratelimit import Limiter, Priority, TelegramRateLimiter
from bot.telegram.request import AiohttpRequest
from tests.fakebotapi import FakeBotAPI, Fault


def make_bot(fake: FakeBotAPI, rate: float = 1000.0, read_timeout: float = 5.0) -> ExtBot:
    """A bot as the digestbot runs it: aiohttp transport, our rate limiter."""
    return ExtBot(
        fake.token,
        base_url=fake.base_url,
        request=AiohttpRequest(pool_size=16, read_timeout=read_timeout),
        rate_limiter=TelegramRateLimiter(Limiter(rate)),
    )


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds, checking every 10 ms; TimeoutError after
    ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@pytest.fixture
def store(tmp_path: Path, shared_store_target: str) -> Store:
    with Store(shared_store_target) as store:
        for number in range(1, 4):
            store.upsert_article(
                Article(
                    source=f"{number}.md",
                    title=f"Article {number}",
                    date="2026-11-27",
                    url=None,
                    language="english",
                    blocks=(Block("paragraph", f"Text {number}."),),
                )
            )
        yield store


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[ExtBot]:
    async with make_bot(fake) as bot:
        yield bot


def queue(store: Store, chats: list[int], parts: int = 1, run_key: str = "2026-11-28") -> None:
    """Subscribe each chat and queue a digest of ``parts`` messages for it; message k
    carries article k (so deliveries can be checked)."""
    for chat in chats:
        store.subscribe(chat, "08:00", "UTC")
        messages = [(f"<b>Digest</b> for {chat}, part {k}", [k]) for k in range(1, parts + 1)]
        assert store.queue_digest(chat, run_key, messages)


def texts(fake: FakeBotAPI, chat: int) -> list[str]:
    return [message.text for message in fake.messages(chat)]


async def drain(bot: ExtBot, store: Store, **kwargs) -> Sender:
    sender = Sender(bot, store, **kwargs)
    sender.start()
    sender.notify()
    try:
        await sender.wait_idle(timeout=15)
    finally:
        await sender.stop()
    return sender


async def test_every_queued_message_arrives_once_in_order_and_is_recorded(fake, store, bot):
    chats = list(range(100, 140))
    queue(store, chats, parts=3)
    sender = await drain(bot, store)
    for chat in chats:
        assert texts(fake, chat) == [f"Digest for {chat}, part {k}" for k in (1, 2, 3)]
        assert store.delivered(chat) == {1, 2, 3}
    assert store.count_outbox() == 0
    assert sender.totals.sent == 120
    sent = fake.calls_to("sendMessage")
    assert all(call.params["parse_mode"] == "HTML" for call in sent)


async def test_one_chat_has_one_message_in_flight_at_a_time(fake, store, bot):
    queue(store, [7], parts=3)
    fake.fail(7, Fault.delay_only(0.2), times=1)
    await drain(bot, store)
    calls = [call for call in fake.calls_to("sendMessage") if call.params["chat_id"] == 7]
    # Call times are taken when the fake answers: the delayed first message still
    # answered before the second was sent.
    assert [call.params["text"] for call in calls] == [
        f"<b>Digest</b> for 7, part {k}" for k in (1, 2, 3)
    ]
    assert texts(fake, 7) == [f"Digest for 7, part {k}" for k in (1, 2, 3)]


async def test_blocked_kicked_and_missing_chats_are_deactivated(fake, store, bot, caplog):
    queue(store, [1, 2, 3, 4], parts=2)
    fake.fail(1, Fault.blocked(), times=None)
    fake.fail(2, Fault.kicked(), times=None)
    fake.fail(3, Fault.chat_not_found(), times=None)
    with caplog.at_level(logging.INFO, logger="bot.telegram.delivery"):
        sender = await drain(bot, store)
    for chat, reason in ((1, "blocked"), (2, "kicked"), (3, "chat not found")):
        record = store.get_chat(chat)
        assert record is not None and not record.active
        assert reason in (record.deactivated_reason or "").lower()
        assert store.count_outbox(chat) == 0
        assert store.delivered(chat) == set()
        assert texts(fake, chat) == []
    assert store.get_chat(4).active
    assert texts(fake, 4) == ["Digest for 4, part 1", "Digest for 4, part 2"]
    # Deactivated once each: the second message of their digest was dropped unsent.
    assert sender.totals.deactivated == 3
    assert len(fake.calls_to("sendMessage")) == 3 + 2


async def test_another_bad_request_is_logged_with_the_chat_and_not_retried(
    fake, store, bot, caplog
):
    store.subscribe(55, "08:00", "UTC")
    store.queue_digest(55, "run", [("<b>unclosed", [1])])
    queue(store, [56])
    with caplog.at_level(logging.WARNING, logger="bot.telegram.delivery"):
        sender = await drain(bot, store)
    refused = [call for call in fake.calls_to("sendMessage") if call.params["chat_id"] == 55]
    assert len(refused) == 1 and refused[0].status == 400
    assert store.count_outbox() == 0
    assert store.delivered(55) == set()  # its articles stay unseen for the next digest
    assert store.get_chat(55).active
    assert texts(fake, 56) == ["Digest for 56, part 1"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("chat 55" in line and "can't parse entities" in line.lower() for line in warnings)
    assert sender.totals.failed == 1


async def test_each_digest_run_is_logged_in_one_line(fake, store, bot, caplog):
    queue(store, [10, 11, 12])
    fake.fail(11, Fault.blocked())
    fake.fail(12, Fault.chat_not_found())
    store.subscribe(13, "08:00", "UTC")
    store.queue_digest(13, "run", [("<i>bad", [1])])
    with caplog.at_level(logging.INFO, logger="bot.telegram.delivery"):
        await drain(bot, store)
    runs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("digest run:")]
    assert len(runs) == 1
    assert runs[0].startswith("digest run: due=4 sent=1 failed=1 deactivated=2 retried=0")
    assert "duration=" in runs[0]


async def test_stop_returns_promptly_and_keeps_what_was_not_answered(fake, store, bot):
    queue(store, [21])
    fake.fail(21, Fault.delay_only(2), times=1)
    sender = Sender(bot, store, stop_timeout=0.2)
    sender.start()
    sender.notify()
    await wait_for(lambda: fake.stats.calls >= 2)  # getMe, then the delayed sendMessage
    async with asyncio.timeout(3):
        await sender.stop()
    assert store.count_outbox(21) == 1
    assert store.delivered(21) == set()


async def test_a_notify_after_an_idle_period_sends_new_digests(fake, store, bot):
    sender = Sender(bot, store)
    sender.start()
    try:
        await sender.wait_idle(timeout=5)
        queue(store, [31, 32])
        sender.notify()
        await sender.wait_idle(timeout=5)
    finally:
        await sender.stop()
    assert texts(fake, 31) == ["Digest for 31, part 1"]
    assert texts(fake, 32) == ["Digest for 32, part 1"]


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling(store):
    sender = Sender(object(), store, backoff_base=2.0, backoff_max=60.0)  # type: ignore[arg-type]
    for attempt, ceiling in ((1, 2.0), (2, 4.0), (3, 8.0), (5, 32.0), (9, 60.0)):
        delays = [sender.backoff(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert max(delays) - min(delays) > ceiling / 4  # jittered, not one fixed value


async def test_waiting_for_a_retry_does_not_spin(fake, store):
    queue(store, [81], parts=2)
    fake.fail(81, Fault.flood(retry_after=1), times=1)
    fetches = 0
    due_outbox = store.due_outbox

    def counting_due_outbox(*args, **kwargs):
        nonlocal fetches
        fetches += 1
        return due_outbox(*args, **kwargs)

    store.due_outbox = counting_due_outbox  # type: ignore[method-assign]
    bot = make_bot(fake)
    bot.rate_limiter.max_retries = 0  # the 429 comes back to the sender: retry in 1 s
    async with bot:
        # Part 1 waits a second for its retry; part 2, queued long ago, waits behind it.
        await drain(bot, store)
    assert texts(fake, 81) == ["Digest for 81, part 1", "Digest for 81, part 2"]
    assert fetches < 20


async def test_a_failing_database_does_not_kill_the_sender(fake, store, bot, caplog):
    queue(store, [91])
    due_outbox = store.due_outbox
    failures = 0

    def flaky_due_outbox(*args, **kwargs):
        nonlocal failures
        if failures < 2:
            failures += 1
            raise sqlite3.OperationalError("database is locked")
        return due_outbox(*args, **kwargs)

    store.due_outbox = flaky_due_outbox  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="bot.telegram.delivery"):
        await drain(bot, store, backoff_base=0.05)
    assert texts(fake, 91) == ["Digest for 91, part 1"]
    assert sum("cannot read the outbox" in r.getMessage() for r in caplog.records) == 2


async def test_digests_go_through_the_rate_limiter_as_paced_broadcasts(fake, store, bot):
    queue(store, [95, 96])
    seen: list[tuple[str, object, object]] = []
    process_request = bot.rate_limiter.process_request

    async def spy(callback, args, kwargs, endpoint, data, rate_limit_args):
        seen.append((endpoint, data.get("chat_id"), rate_limit_args))
        return await process_request(callback, args, kwargs, endpoint, data, rate_limit_args)

    bot.rate_limiter.process_request = spy
    await drain(bot, store)
    assert sorted(seen, key=str) == [
        ("sendmessage", 95, Priority.BROADCAST),
        ("sendmessage", 96, Priority.BROADCAST),
    ]
    # The priority travels to the limiter only, not to Telegram.
    assert all(
        set(c.params) <= {"chat_id", "text", "parse_mode", "link_preview_options"}
        for c in fake.calls_to("sendMessage")
    )


async def test_two_leasing_senders_on_one_outbox_send_each_message_once_in_order(
    fake, store, bot, shared_store_target
):
    chats = list(range(300, 340))
    queue(store, chats, parts=3)
    with Store(shared_store_target) as other_store:  # the same database
        async with make_bot(fake) as other_bot:
            senders = [
                Sender(bot, store, lease_seconds=30),
                Sender(other_bot, other_store, lease_seconds=30),
            ]
            for sender in senders:
                sender.start()
                sender.notify()
            try:
                await wait_for(lambda: store.count_outbox() == 0, timeout=15)
            finally:
                for sender in senders:
                    await sender.stop()
    for chat in chats:
        assert texts(fake, chat) == [f"Digest for {chat}, part {k}" for k in (1, 2, 3)]
    assert sum(sender.totals.sent for sender in senders) == 120
    assert all(sender.totals.sent > 0 for sender in senders)  # both took a share


async def test_an_idle_leasing_sender_sends_what_another_process_queued(
    fake, store, bot, shared_store_target
):
    # Only the leader's slot job wakes its own sender: another process's idle sender
    # must find the new digests by itself.
    sender = Sender(bot, store, lease_seconds=30, poll_seconds=0.05)
    sender.start()
    try:
        await sender.wait_idle(timeout=5)
        with Store(shared_store_target) as leader_store:  # the leader, elsewhere
            queue(leader_store, [41, 42])
        await wait_for(lambda: store.count_outbox() == 0, timeout=5)
    finally:
        await sender.stop()
    assert texts(fake, 41) == ["Digest for 41, part 1"]
    assert texts(fake, 42) == ["Digest for 42, part 1"]


async def test_a_leased_message_whose_turn_comes_after_its_lease_is_left_for_others(fake, store):
    queue(store, [9])
    # A one-second lease ends before the chat's turn (a 3 s block after a 429).
    async with make_bot(fake) as slow:
        limiter = slow.rate_limiter
        assert isinstance(limiter, TelegramRateLimiter)
        limiter.limiter.penalize(9, 3.0)
        sender = Sender(slow, store, lease_seconds=11.0)  # starts by claim + 1 s
        sender.start()
        sender.notify()
        try:
            await wait_for(lambda: sender.totals.retried == 1, timeout=10)
        finally:
            await sender.stop()
    assert texts(fake, 9) == [] and store.count_outbox() == 1
