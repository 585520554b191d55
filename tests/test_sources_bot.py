"""The bot's feed side: /sources toggles, /addfeed and /removefeed, sources in replies.

Real HTTP all the way: the fake Bot API and the loopback news site (both 127.0.0.1).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bot.config import FeedConfig
from bot.telegram.app import build_application, running, runtime
from tests.conftest import say, write_article
from tests.feedkit import rss, story
from tests.newssite import NewsSite

ADMIN = 7001
USER = 7002
RSS_TYPE = "application/rss+xml"


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as news:
        news.feeds["/world.xml"] = (rss([story(1, "world")], title="World Wire"), RSS_TYPE)
        news.feeds["/sport.xml"] = (rss([story(1, "sport")], title="Sport Daily"), RSS_TYPE)
        yield news


@pytest.fixture
def make_config(bot_config: Any, site: NewsSite, seeds: Any) -> Any:
    write_article(seeds, "a.md", "Harbour reopens after storm", date="2024-05-01")

    def make() -> Any:
        config = bot_config(
            telegram={"admin_ids": [ADMIN]},
            fetch=site.fetch_keys(),
        )
        return replace(config, feeds=(FeedConfig(site.url("/world.xml")),))

    return make


async def poll_all(application: Any) -> None:
    rt = runtime(application)
    await rt.poller.poll_many(rt.feeds.feeds())


async def test_sources_toggle_what_a_chats_digest_holds(fake, make_config, site) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        from bot.telegram.jobs import rescan_seeds

        await rescan_seeds(application)
        await poll_all(application)
        listing = await say(fake, USER, "/sources")
        assert listing.text.splitlines()[1:] == ["✅ This bot's articles", "✅ 1. World Wire"]
        fake.press(USER, listing.message_id, "src:1")
        edited = await fake.wait_for_edit(USER, listing.message_id)
        assert edited.text.splitlines()[2] == "⬜ 1. World Wire"
        digest = await say(fake, USER, "/digest")
        assert "Harbour reopens after storm" in digest.text
        assert "World story 1" not in digest.text
        # Turned on again: the feed's articles from then on come in the next digest (the
        # digest sent meanwhile chose among everything new for the chat; the older one
        # is in /article).
        fake.press(USER, listing.message_id, "src:1")
        await fake.wait_for_edit(USER, listing.message_id, 2)
        site.feeds["/world.xml"] = (
            rss([story(1, "world"), story(2, "world")], title="World Wire"),
            RSS_TYPE,
        )
        await poll_all(application)
        digest = await say(fake, USER, "/digest")
        assert "World story 2" in digest.text and "World Wire" in digest.text
        # Another chat never touched /sources: everything.
        other = await say(fake, USER + 1, "/digest")
        assert "World story 1" in other.text and "Harbour" in other.text


async def test_article_shows_its_feed(fake, make_config) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_all(application)
        rt = runtime(application)
        [article] = [a for a in rt.store.list_articles() if a.feed_id]
        reply = await say(fake, USER, f"/article {article.number}")
        assert reply.text.splitlines()[1] == "30 Nov 2026 · World Wire"


async def test_admins_add_and_remove_feeds_that_survive_a_restart(fake, make_config, site) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_all(application)
        refused = await say(fake, USER, f"/addfeed {site.url('/sport.xml')}", user=USER)
        assert refused.text == "I do not know /addfeed. /help lists the commands."
        site.pages["/page"] = "<html><body><p>Not a feed at all.</p></body></html>"
        bad = await say(fake, ADMIN, f"/addfeed {site.url('/missing.xml')}", user=ADMIN)
        assert bad.text.startswith("Cannot add ") and "404" in bad.text
        added = await say(fake, ADMIN, f"/addfeed {site.url('/sport.xml')}", user=ADMIN)
        assert added.text.startswith("Added feed 2: Sport Daily (1 entry now).")
        cannot = await say(fake, ADMIN, "/removefeed 1", user=ADMIN)
        assert cannot.text.startswith("There is no feed 1 an admin added.")
    application = build_application(config)
    async with running(application, config):
        await poll_all(application)  # users see a feed once it has worked
        listing = await say(fake, USER, "/sources")
        assert listing.text.splitlines()[1:] == [
            "✅ This bot's articles",
            "✅ 1. World Wire",
            "✅ 2. Sport Daily",
        ]
        removed = await say(fake, ADMIN, "/removefeed 2", user=ADMIN)
        assert removed.text.startswith("Removed feed 2: Sport Daily.")
        listing = await say(fake, USER, "/sources")
        assert listing.text.splitlines()[1:] == ["✅ This bot's articles", "✅ 1. World Wire"]


async def test_an_admin_action_logs_one_line_saying_who_where_and_what(
    fake, make_config, site, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        with caplog.at_level(logging.INFO, logger="bot.telegram.handlers"):
            added = await say(fake, ADMIN, f"/addfeed {site.url('/sport.xml')}", user=ADMIN)
            assert added.text.startswith("Added feed 2: Sport Daily")
            adding = _handler_lines(caplog)
            caplog.clear()
            await say(fake, ADMIN, "/removefeed 2", user=ADMIN)
            removing = _handler_lines(caplog)
    assert adding == [
        f"user {ADMIN} in chat {ADMIN}: /addfeed added feed 2 Sport Daily"
        f" ({site.url('/sport.xml')})"
    ]
    assert removing == [
        f"user {ADMIN} in chat {ADMIN}: /removefeed removed feed 2 Sport Daily"
        f" ({site.url('/sport.xml')})"
    ]


def _handler_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("bot.telegram.handlers") and r.levelno >= logging.INFO
    ]


async def test_stats_names_feeds_failing_for_a_day(fake, make_config, site) -> None:
    site.statuses["/world.xml"] = (500, {})
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_all(application)
        reply = await say(fake, ADMIN, "/stats", user=ADMIN)
        assert "failing" not in reply.text
        rt = runtime(application)
        with rt.store.transaction() as db:  # a day later, still failing
            db.execute("UPDATE feeds SET failing_since = '2020-01-01T00:00:00+00:00'")
        reply = await say(fake, ADMIN, "/stats", user=ADMIN)
        assert reply.text.splitlines()[-1] == (
            f"Feeds failing for a day: 1 (1. {site.url('/world.xml')})"
        )


async def test_a_stale_source_button_is_answered_out_of_date(fake, make_config) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_all(application)
        listing = await say(fake, USER, "/sources")
        rt = runtime(application)
        with rt.store.transaction() as db:
            db.execute("UPDATE feeds SET removed_at = 'x'")
        fake.press(USER, listing.message_id, "src:1")
        call = await fake.wait_for_call("answerCallbackQuery")
        assert call.params["text"] == "This button is out of date: send /sources again."


async def test_in_a_group_only_admins_toggle_its_sources(fake, make_config) -> None:
    from bot.telegram.replies import ADMINS_ONLY

    group, admin, member = -100900, 21, 22
    fake.add_group(group, admins=[admin], members=[member])
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_all(application)
        listing = await say(fake, group, "/sources", user=member)  # anyone may look
        query_id = fake.press(group, listing.message_id, "src:1", user_id=member)
        await fake.wait_until(lambda: query_id in fake.answered_callbacks)
        assert fake.answered_callbacks[query_id]["text"] == ADMINS_ONLY
        fake.press(group, listing.message_id, "src:1", user_id=admin)
        await fake.wait_for_edit(group, listing.message_id)


async def test_addfeed_answers_one_line_for_feeds_with_bad_entries(fake, make_config, site) -> None:
    bad = rss([story(1, "bad"), story(2, "bad")], title="Bad Daily").replace(
        b"Bad story 1", b"Bad &#xD800; story"
    )
    site.feeds["/bad.xml"] = (bad, RSS_TYPE)
    deep = b"[" * 100_000 + b"]" * 100_000
    site.feeds["/deep.json"] = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "Deep", "items": [{"id": "1",'
        b' "url": "http://127.0.0.1/d/1", "content_text": "Some words here.", "x": '
        + deep
        + b"}]}",
        "application/feed+json",
    )
    site.feeds["/deeper.json"] = (
        b'{"version": "https://jsonfeed.org/version/1", "items": ' + deep[:50_000] + b"}",
        "application/feed+json",
    )
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        added = await say(fake, ADMIN, f"/addfeed {site.url('/bad.xml')}", user=ADMIN)
        assert added.text.startswith("Added feed 2: Bad Daily (2 entries now)."), added.text
        deep_added = await say(fake, ADMIN, f"/addfeed {site.url('/deep.json')}", user=ADMIN)
        assert deep_added.text.startswith("Added feed 3: Deep (1 entry now)."), deep_added.text
        broken = await say(fake, ADMIN, f"/addfeed {site.url('/deeper.json')}", user=ADMIN)
        assert broken.text.startswith("Cannot add ") and "\n" not in broken.text, broken.text


async def test_admins_name_the_feeds_they_add_and_config_feeds_keep_the_config_s_name(
    fake, make_config, site
) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_all(application)
        url = site.url("/sport.xml")
        added = await say(fake, ADMIN, f"/addfeed {url} Sports <desk>", user=ADMIN)
        assert added.text.startswith("Added feed 2: Sports <desk> (1 entry now).")
        renamed = await say(fake, ADMIN, f"/addfeed {url} Sport", user=ADMIN)
        assert renamed.text == "Feed 2 is now called Sport."
        config_feed = await say(fake, ADMIN, f"/addfeed {site.url('/world.xml')} Mine", user=ADMIN)
        assert config_feed.text == (
            "World Wire is feed 1, from the config file: its name is set there, with "
            "[[feeds]] name."
        )
        too_long = await say(fake, ADMIN, f"/addfeed {url} {'x' * 101}", user=ADMIN)
        assert too_long.text.startswith("Usage: /addfeed URL [NAME]")
        listing = await say(fake, USER, "/sources")
        assert listing.text.splitlines()[1:] == [
            "✅ This bot's articles",
            "✅ 1. World Wire",
            "✅ 2. Sport",
        ]
        fake.press(USER, listing.message_id, "src:2")
        toast = await fake.wait_for_call("answerCallbackQuery")
        assert (
            toast.params["text"] == "“Sport” is off: its articles stay out of this chat's digests."
        )
