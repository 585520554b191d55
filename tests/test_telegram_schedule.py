"""Scheduled digests end to end: the job is triggered directly with an injected clock
(never waited for), the digest goes through the outbox and the sender to the fake
Bot API; restarts keep everything; a missed digest is sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from tests.conftest import Clock, write_article
from tests.fakebotapi import FakeBotAPI, Fault

CHAT = 777
TITLES = ["Harbour reopens after storm", "Council votes on new bridge", "Solar farm opens"]


@pytest.fixture
def now() -> datetime:
    # Real time: the outbox sender sends items due at or before its own (real) clock.
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def digest_time(now: datetime) -> str:
    """A daily time that fell due five minutes ago."""
    return (now - timedelta(minutes=5)).strftime("%H:%M")


@pytest.fixture
def articles(seeds):
    for n, title in enumerate(TITLES):
        write_article(seeds, f"a{n}.md", title, date=f"2024-05-0{n + 1}")


async def ask(fake: FakeBotAPI, text: str, chat: int = CHAT):
    before = len(fake.messages(chat))
    fake.send_text(chat, text)
    return await fake.wait_for_message(chat, before + 1)


async def run_digest_job(application, digest_time: str, timezone: str = "UTC") -> None:
    """Fire the slot's daily job now (as APScheduler would at its time) and wait until
    the outbox is drained."""
    (job,) = application.job_queue.get_jobs_by_name(f"digest {digest_time} {timezone}")
    await job.run(application)
    await runtime(application).sender.wait_idle(timeout=5)


async def test_start_subscribe_then_the_scheduled_digest_arrives_once(
    fake, bot_config, articles, now, digest_time
):
    config = bot_config()
    clock = Clock(now)
    application = build_application(config, clock=clock)
    async with running(application, config):
        await rescan_seeds(application)
        await ask(fake, "/start")
        reply = await ask(fake, f"/subscribe {digest_time}")
        assert f"every day at {digest_time} (UTC)" in reply.text

        await run_digest_job(application, digest_time)
        digest = fake.last_message(CHAT)
        assert digest.bold() == ["Your digest", *reversed(TITLES)]
        assert len(fake.messages(CHAT)) == 3

        # The same run again (a duplicate timer, a catch-up): nothing is sent twice.
        await run_digest_job(application, digest_time)
        assert len(fake.messages(CHAT)) == 3
        assert "Articles waiting: 0" in (await ask(fake, "/status")).text


async def test_the_next_days_digest_holds_only_the_new_articles(
    fake, bot_config, articles, seeds, now, digest_time
):
    config = bot_config()
    clock = Clock(now - timedelta(days=1))
    application = build_application(config, clock=clock)
    async with running(application, config):
        await rescan_seeds(application)
        await ask(fake, f"/subscribe {digest_time}")
        await run_digest_job(application, digest_time)
        assert len(fake.last_message(CHAT).bold()) == 4

        write_article(seeds, "fresh.md", "Fresh story", date="2024-06-01")
        await rescan_seeds(application)
        clock.now = now
        await run_digest_job(application, digest_time)
        assert fake.last_message(CHAT).bold() == ["Your digest", "Fresh story"]


async def test_nothing_new_sends_no_scheduled_message(fake, bot_config, articles, digest_time):
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await rescan_seeds(application)
        # Before subscribing, /digest is the chat's digest: it takes what it shows.
        await ask(fake, "/digest")
        await ask(fake, f"/subscribe {digest_time}")
        # The chat's updates are handled in order: once /status is answered, /digest has
        # finished too (its deliveries are recorded after its message was sent).
        assert "Articles waiting: 0" in (await ask(fake, "/status")).text
        sent = len(fake.messages(CHAT))
        await run_digest_job(application, digest_time)
        assert len(fake.messages(CHAT)) == sent
        assert runtime(application).store.count_outbox() == 0


async def test_digest_time_follows_the_chats_timezone(fake, bot_config, articles):
    berlin_now = datetime.now(UTC)
    config = bot_config()
    application = build_application(config, clock=lambda: berlin_now)
    async with running(application, config):
        await rescan_seeds(application)
        await ask(fake, "/timezone Europe/Berlin")
        local = berlin_now.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
        at = (local - timedelta(minutes=1)).strftime("%H:%M")
        reply = await ask(fake, f"/subscribe {at}")
        assert f"every day at {at} (Europe/Berlin)" in reply.text
        assert not application.job_queue.get_jobs_by_name(f"digest {at} UTC")
        await run_digest_job(application, at, "Europe/Berlin")
        assert fake.last_message(CHAT).bold()[0] == "Your digest"


async def test_a_blocked_chat_is_deactivated_and_start_turns_it_back_on(
    fake, bot_config, articles, digest_time
):
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await rescan_seeds(application)
        await ask(fake, f"/subscribe {digest_time}")
        fake.fail(CHAT, Fault.blocked(), times=None)
        await run_digest_job(application, digest_time)
        chat = runtime(application).store.get_chat(CHAT)
        assert not chat.active

        fake.clear_faults(CHAT)  # the user unblocked the bot and asks
        status = await ask(fake, "/status")
        assert "Deliveries are paused: Forbidden: bot was blocked by the user" in status.text
        welcome = await ask(fake, "/start")
        assert "Welcome back" in welcome.text
        assert "paused" not in (await ask(fake, "/status")).text
        assert "Articles waiting: 3" in fake.last_message(CHAT).text


# -- restarts -----------------------------------------------------------------------------


async def test_subscriptions_and_articles_survive_a_restart(fake, bot_config, articles):
    config = bot_config()
    first = build_application(config)
    async with running(first, config):
        await rescan_seeds(first)
        await ask(fake, "/timezone Asia/Tokyo")
        await ask(fake, "/digest")  # not subscribed yet: it takes what it shows
        await ask(fake, "/subscribe 06:45")
        listing = (await ask(fake, "/article")).text
        await ask(fake, "/status")  # /digest has finished recording its deliveries

    second = build_application(config)
    async with running(second, config):
        assert second.job_queue.get_jobs_by_name("digest 06:45 Asia/Tokyo")
        status = await ask(fake, "/status")
        assert "every day at 06:45 (Asia/Tokyo)" in status.text
        assert "Articles waiting: 0" in status.text
        assert (await ask(fake, "/article")).text == listing


async def subscribe_an_hour_ago(fake, config, now: datetime, digest_time: str) -> None:
    """Run the bot an hour ago (by its clock and the store's) to subscribe CHAT."""
    an_hour_ago = now - timedelta(hours=1)
    # The store stamps subscribed_at with its own clock: a digest due before that
    # moment was never missed.
    with Store(config.storage.database, clock=an_hour_ago.timestamp) as store:
        application = build_application(config, store, clock=lambda: an_hour_ago)
        async with running(application, config):
            await rescan_seeds(application)
            await ask(fake, f"/subscribe {digest_time}")


async def test_a_digest_missed_while_down_is_sent_once_after_restart(
    fake, bot_config, articles, now, digest_time
):
    config = bot_config()
    await subscribe_an_hour_ago(fake, config, now, digest_time)
    # The bot was down when the digest fell due five minutes ago.
    sent = len(fake.messages(CHAT))

    second = build_application(config, clock=lambda: now)
    async with running(second, config):
        assert runtime(second).catch_up == ((digest_time, "UTC"),)
        digest = await fake.wait_for_message(CHAT, sent + 1)
        assert digest.bold() == ["Your digest", *reversed(TITLES)]
        await runtime(second).sender.wait_idle(timeout=5)

    third = build_application(config, clock=lambda: now + timedelta(minutes=1))
    async with running(third, config):
        # The missed digest was recorded as queued: no second catch-up.
        assert runtime(third).catch_up == ()
        await runtime(third).sender.wait_idle(timeout=5)
    assert len(fake.messages(CHAT)) == sent + 1


async def test_a_digest_missed_longer_than_the_grace_period_is_skipped(
    fake, bot_config, articles, now, digest_time
):
    config = bot_config(digest={"missed_grace_seconds": 60})  # due 5 minutes ago
    await subscribe_an_hour_ago(fake, config, now, digest_time)
    second = build_application(config, clock=lambda: now)
    async with running(second, config):
        assert runtime(second).catch_up == ()
        assert second.job_queue.get_jobs_by_name(f"digest {digest_time} UTC")
