"""``[metrics] listen``: /metrics and /healthz scraped over HTTP while a digest goes out
through the fake Bot API, with a feed polled from the loopback news site."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import FeedConfig
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from bot.telegram.metrics import outcome_label
from bot.telegram.updater import health
from tests.conftest import write_article
from tests.fakebotapi import FakeBotAPI, Fault
from tests.feedkit import Item, long_text, rss
from tests.newssite import NewsSite

READER, BLOCKER, FLOODED = 901, 902, 903


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as news:
        item = Item(
            guid="w1",
            link="http://127.0.0.1/world/1",
            title="World story 1",
            text=long_text(4, "world 1"),
        )
        news.feeds["/world.xml"] = (rss([item], title="World Wire"), "application/rss+xml")
        news.statuses["/gone.xml"] = (500, {})
        yield news


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition, by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(session: aiohttp.ClientSession, base: str, path: str) -> tuple[int, str]:
    async with session.get(base + path) as response:
        return response.status, await response.text()


async def ask(fake: FakeBotAPI, chat: int, text: str) -> None:
    before = len(fake.messages(chat))
    fake.send_text(chat, text)
    await fake.wait_for_message(chat, before + 1)


async def test_metrics_and_health_are_served_while_a_digest_goes_out(
    fake: FakeBotAPI, bot_config: Any, seeds: Any, site: NewsSite
) -> None:
    for n in range(3):
        write_article(seeds, f"a{n}.md", f"Story {n}", date=f"2024-05-0{n + 1}")
    config = bot_config(
        metrics={"listen": "127.0.0.1:0"},
        fetch=site.fetch_keys(),
    )
    config = replace(
        config, feeds=(FeedConfig(site.url("/world.xml")), FeedConfig(site.url("/gone.xml")))
    )
    at = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%H:%M")
    application = build_application(config)
    async with running(application, config), aiohttp.ClientSession() as http:
        rt = runtime(application)
        assert rt.metrics_server is not None
        base = f"http://127.0.0.1:{rt.metrics_server.port}"
        assert await scrape(http, base, "/healthz") == (200, "ok\n")

        await rescan_seeds(application)
        assert rt.poller is not None and rt.feeds is not None
        await rt.poller.poll_many(await asyncio.to_thread(rt.feeds.feeds))
        for chat in (READER, BLOCKER, FLOODED):
            await ask(fake, chat, f"/subscribe {at}")

        # The reader's digest is slow to arrive: scraped while it is on its way.
        fake.fail(READER, Fault.delay_only(1.0))
        fake.fail(BLOCKER, Fault.blocked())
        fake.fail(FLOODED, Fault.flood(retry_after=1))
        (job,) = application.job_queue.get_jobs_by_name(f"digest {at} UTC")
        await job.run(application)
        await fake.wait_for_call(
            "sendMessage", 2, where=lambda call: call.params.get("chat_id") == READER
        )
        status, text = await scrape(http, base, "/metrics")
        assert status == 200
        during = samples(text)
        assert during[("digestbot_outbox_depth", ())] >= 1
        assert during[("digestbot_outbox_oldest_age_seconds", ())] >= 0
        assert await scrape(http, base, "/healthz") == (200, "ok\n")

        assert rt.sender is not None
        await rt.sender.wait_idle(timeout=10)
        _, text = await scrape(http, base, "/metrics")
        after = samples(text)

    assert after[("digestbot_messages_sent_total", ())] == 2  # the reader's, the flooded one's
    assert after[("digestbot_messages_failed_total", (("reason", "blocked"),))] == 1
    assert after[("digestbot_telegram_429_total", ())] == 1
    assert after[("digestbot_outbox_depth", ())] == 0
    assert after[("digestbot_leader", ())] == 1  # a sole process leads
    assert after[("digestbot_outbox_oldest_age_seconds", ())] == 0
    assert after[("digestbot_digest_run_duration_seconds_count", ())] == 1
    assert after[("digestbot_digest_last_run_chats", ())] == 2
    assert after[("digestbot_articles", ())] == 4  # three seeds, one feed article
    assert after[("digestbot_subscribers", ())] == 2  # the blocker is no longer one
    assert after[("digestbot_feed_polls_total", (("outcome", "new"),))] == 1
    assert after[("digestbot_feed_polls_total", (("outcome", "failed"),))] == 1
    assert after[("digestbot_fetches_total", (("outcome", "http_status"),))] == 1
    assert after[("digestbot_fetches_total", (("outcome", "ok"),))] >= 1  # the feed
    assert after[("digestbot_update_reply_seconds_count", ())] == 3  # the /subscribes


async def test_health_says_what_is_wrong_when_not_getting_updates(bot_config: Any) -> None:
    config = bot_config(metrics={"listen": "127.0.0.1:0"})
    application = build_application(config)
    assert health(application) == "not running: starting or stopping"


async def test_metrics_are_off_by_default_and_no_port_is_opened(
    fake: FakeBotAPI, bot_config: Any
) -> None:
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        assert runtime(application).metrics is None
        assert runtime(application).metrics_server is None


async def test_a_busy_metrics_port_is_one_line_naming_the_key(
    fake: FakeBotAPI, bot_config: Any
) -> None:
    from bot.errors import DigestbotError

    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    try:
        config = bot_config(metrics={"listen": f"127.0.0.1:{port}"})
        application = build_application(config)
        with pytest.raises(DigestbotError, match=r"^\[metrics\] listen: cannot listen on"):
            async with running(application, config):
                pass
    finally:
        blocker.close()
        await blocker.wait_closed()


def test_error_class_names_become_label_values() -> None:
    assert outcome_label("FetchTimeout") == "fetch_timeout"
    assert outcome_label("HTTPStatus") == "http_status"
    assert outcome_label("ok") == "ok"
    assert outcome_label("not_modified") == "not_modified"


async def test_healthz_in_webhook_mode_says_ok_once_the_webhook_is_registered(
    fake: FakeBotAPI, bot_config: Any
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = bot_config(
        telegram={
            "mode": "webhook",
            "url": f"http://127.0.0.1:{port}/hook",
            "listen": "127.0.0.1",
            "port": port,
            "secret_token": "s3cret-for-health",
        },
        metrics={"listen": "127.0.0.1:0"},
    )
    application = build_application(config)
    async with running(application, config), aiohttp.ClientSession() as http:
        rt = runtime(application)
        assert rt.metrics_server is not None
        base = f"http://127.0.0.1:{rt.metrics_server.port}"
        assert fake.webhook_url == config.telegram.webhook_url
        assert await scrape(http, base, "/healthz") == (200, "ok\n")


async def test_healthz_says_503_with_the_reason_when_polling_stopped(
    fake: FakeBotAPI, bot_config: Any
) -> None:
    config = bot_config(metrics={"listen": "127.0.0.1:0"})
    application = build_application(config)
    async with running(application, config), aiohttp.ClientSession() as http:
        rt = runtime(application)
        assert rt.metrics_server is not None and application.updater is not None
        base = f"http://127.0.0.1:{rt.metrics_server.port}"
        await application.updater.stop()
        assert await scrape(http, base, "/healthz") == (503, "long polling is not running\n")
