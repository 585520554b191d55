"""A chat's own feeds through the bot: /add (feed URL, page with rel=alternate, refusals),
limits, /remove, /sources, /export and OPML import, one poll per feed however many chats
follow it, private follows in digests, and shared feeds hidden until their first success.

Real HTTP all the way: the fake Bot API and the loopback news site (both 127.0.0.1).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bot.config import FeedConfig
from bot.telegram import replies
from bot.telegram.app import build_application, running, runtime
from tests.fakebotapi import FakeBotAPI, Message
from tests.feedkit import rss, story
from tests.newssite import NewsSite
from tests.test_language_bot import command

ADMIN = 7001
ALICE = 7101
BOB = 7102
RSS_TYPE = "application/rss+xml"


def blog_page(feed_href: str | None) -> str:
    link = (
        f'<link rel="alternate" type="application/rss+xml" title="Feed" href="{feed_href}">'
        if feed_href
        else ""
    )
    return (
        f"<!doctype html><html><head><title>Tech blog</title>{link}</head>"
        "<body><p>Welcome to the blog.</p></body></html>"
    )


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as news:
        news.feeds["/world.xml"] = (rss([story(1, "world")], title="World Wire"), RSS_TYPE)
        news.feeds["/tech.xml"] = (
            rss([story(1, "tech", 28), story(2, "tech", 29)], title="Tech Times"),
            RSS_TYPE,
        )
        news.feeds["/sport.xml"] = (rss([story(1, "sport")], title="Sport Daily"), RSS_TYPE)
        news.pages["/blog"] = blog_page("/tech.xml")
        news.pages["/plain"] = blog_page(None)
        yield news


@pytest.fixture
def make_config(bot_config: Any, site: NewsSite) -> Any:
    def make(feeds: tuple[str, ...] = ("/world.xml",), **sources: Any) -> Any:
        config = bot_config(
            telegram={"admin_ids": [ADMIN]},
            fetch=site.fetch_keys(),
            sources=sources,
        )
        return replace(config, feeds=tuple(FeedConfig(site.url(path)) for path in feeds))

    return make


async def ask(fake: FakeBotAPI, chat: int, text: str, user: int | None = None) -> Message:
    before = len(fake.messages(chat))
    fake.send_text(chat, text, user_id=user)
    return await fake.wait_for_message(chat, before + 1, timeout=15)


async def settle(application: Any) -> None:
    """Wait for the first polls started beside /add's and the import's replies."""
    rt = runtime(application)
    await asyncio.wait_for(asyncio.gather(*rt.feed_polls), 15)


async def poll_all(application: Any) -> None:
    rt = runtime(application)
    await rt.poller.poll_many(rt.feeds.feeds())


async def test_add_follows_a_feed_and_only_its_followers_get_its_articles(
    fake, make_config, site
) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_all(application)
        added = await ask(fake, ALICE, f"/add {site.url('/tech.xml')}")
        assert added.text == (
            "Following Tech Times (newest: “Tech story 2”); new articles join this chat's"
            " digest, read every 60 minutes."
        )
        assert any(
            str(call.params.get("chat_id")) == str(ALICE) and call.params.get("action") == "typing"
            for call in fake.calls_to("sendChatAction")
        )
        await settle(application)
        listing = await ask(fake, ALICE, "/sources")
        assert listing.text.splitlines()[1:] == [
            "✅ This bot's articles",
            "✅ 1. World Wire",
            "",
            "This chat's own feeds · ✖ stops following one",
            "✅ 2. Tech Times",
        ]
        buttons = [b["callback_data"] for b in listing.buttons()]
        assert buttons == ["src:0", "src:1", "src:2", "unf:2:s"]
        mine = await ask(fake, ALICE, "/digest")
        assert "Tech story 2" in mine.text and "World story 1" in mine.text
        theirs = await ask(fake, BOB, "/digest")
        assert "World story 1" in theirs.text and "Tech story" not in theirs.text
        # /article N of a followed feed's article: its followers only, and not listed.
        rt = runtime(application)
        [tech] = [f for f in rt.feeds.feeds() if f.url == site.url("/tech.xml")]
        number = rt.store.query("SELECT max(number) FROM articles WHERE feed_id = ?", (tech.id,))[
            0
        ][0]
        assert "Tech story" in (await ask(fake, ALICE, f"/article {number}")).text
        hidden = await ask(fake, BOB, f"/article {number}")
        assert hidden.text.startswith(f"There is no article {number}")
        assert "Tech story" not in (await ask(fake, BOB, "/article tech")).text
        # The same feed again: no second follow.
        again = await ask(fake, ALICE, f"/add {site.url('/tech.xml')}")
        assert again.text == replies.already_followed_text("Tech Times")
        # An operator's shared feed is in every digest already.
        shared = await ask(fake, ALICE, f"/add {site.url('/world.xml')}")
        assert shared.text == replies.shared_feed_text("World Wire")
        # ✖ in /sources: no longer followed, the list redrawn without it.
        fake.press(ALICE, listing.message_id, "unf:2:s")
        edited = await fake.wait_for_edit(ALICE, listing.message_id)
        assert edited.text.splitlines()[1:] == ["✅ This bot's articles", "✅ 1. World Wire"]
        assert runtime(application).feeds.followed(ALICE) == []


async def test_add_finds_the_feed_a_page_declares(fake, make_config, site) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        added = await ask(fake, ALICE, f"/add {site.url('/blog')}")
        assert added.text.startswith("Following Tech Times (newest: “Tech story 2”)")
        rt = runtime(application)
        [own] = rt.feeds.followed(ALICE)
        assert own.url == site.url("/tech.xml")  # the feed is stored, not the page
        await settle(application)


async def test_add_says_why_not_in_one_line(fake, make_config, site) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        usage = await ask(fake, ALICE, "/add")
        assert usage.text == replies.ADD_USAGE
        plain = await ask(fake, ALICE, f"/add {site.url('/plain')}")
        assert plain.text.startswith(f"Cannot follow {site.url('/plain')}. No feed found")
        site.statuses["/down.xml"] = (404, {})
        gone = await ask(fake, ALICE, f"/add {site.url('/down.xml')}")
        assert gone.text.startswith("Cannot follow ") and "404" in gone.text
        slam = await ask(fake, ALICE, f"/add {site.raw_url('/slam')}")
        assert slam.text.startswith("Cannot follow ")
        fenced_url = f"http://10.1.2.3:{site.port}/feed.xml"
        fenced = await ask(fake, ALICE, f"/add {fenced_url}")
        assert fenced.text.startswith(f"Cannot follow {fenced_url}. I will not open that link")
        assert "[fetch] allow_networks" in fenced.text
        port = await ask(fake, ALICE, "/add http://127.0.0.1:1/feed.xml")
        assert "[fetch] allow_ports" in port.text
        assert runtime(application).feeds.followed(ALICE) == []


async def test_a_german_user_is_told_why_not_in_german(fake, make_config, site) -> None:
    """The reasons from below (the address fence, the site's status, the feed parser)
    are said in the chat's language; config keys stay as they are written."""
    site.feeds["/notes.json"] = (b'{"notes": []}', "application/json")
    site.pages["/broken"] = blog_page("/notes.json")
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        port = await command(fake, ALICE, "/add http://127.0.0.1:1/feed.xml", "de")
        assert port.text.startswith("http://127.0.0.1:1/feed.xml kann nicht gefolgt werden. ")
        assert "Diesen Link öffne ich nicht: Port 1 ist nicht erlaubt (erlaubt: " in port.text
        assert "trage ihn in [fetch] allow_ports ein)" in port.text
        fenced = await command(fake, ALICE, f"/add http://10.1.2.3:{site.port}/a.xml", "de")
        assert "10.1.2.3 ist eine private Adresse (um sie zu erlauben, trage ihr Netz in " in (
            fenced.text
        )
        assert "[fetch] allow_networks ein" in fenced.text
        site.statuses["/down.xml"] = (404, {})
        gone = await command(fake, ALICE, f"/add {site.url('/down.xml')}", "de")
        assert "HTTP 404 Nicht gefunden" in gone.text
        plain = await command(fake, ALICE, f"/add {site.url('/plain')}", "de")
        assert "Kein Feed gefunden: die Seite nennt keinen in <link " in plain.text
        broken = await command(fake, ALICE, f"/add {site.url('/broken')}", "de")
        assert "kein Feed: JSON ohne jsonfeed.org-Version" in broken.text
        assert "Die Feeds, die die Seite nennt, sind nicht lesbar" in broken.text
        assert "not a feed" not in broken.text and "not allowed" not in port.text
        assert runtime(application).feeds.followed(ALICE) == []


async def test_limits_per_chat_and_in_all_have_clear_replies(fake, make_config, site) -> None:
    config = make_config(max_per_chat=1, max_feeds=2)  # the config's feed is one
    application = build_application(config)
    async with running(application, config):
        first = await ask(fake, ALICE, f"/add {site.url('/tech.xml')}")
        assert first.text.startswith("Following Tech Times")
        await settle(application)
        full = await ask(fake, ALICE, f"/add {site.url('/sport.xml')}")
        assert full.text == replies.chat_full_text(1)
        refused = await ask(fake, BOB, f"/add {site.url('/sport.xml')}")
        assert refused.text == replies.all_full_text(2)
        # A feed already polled adds none: Bob may follow it, without a fetch.
        hits = site.hits["/tech.xml"]
        joined = await ask(fake, BOB, f"/add {site.url('/tech.xml')}")
        assert joined.text.startswith("Following Tech Times (newest: “Tech story 2”)")
        assert site.hits["/tech.xml"] == hits


async def test_the_operator_can_turn_user_feeds_off(fake, make_config, site) -> None:
    config = make_config(user_feeds=False)
    application = build_application(config)
    async with running(application, config):
        off = await ask(fake, ALICE, f"/add {site.url('/tech.xml')}")
        assert off.text == replies.USER_FEEDS_OFF
        assert site.hits["/tech.xml"] == 0
        # A feed followed while they were on is not polled while they are off.
        rt = runtime(application)
        done = rt.feeds.follow(ALICE, site.url("/tech.xml"), max_per_chat=5, max_feeds=5)
        assert done.feed is not None
        rt.feeds.schedule(done.feed.id, 0)
        rt.feeds.schedule(1, 0)  # and the operator's feed, which is polled
        await rt.poller.poll_due()
        assert site.hits["/tech.xml"] == 0 and site.hits["/world.xml"] == 1


async def test_in_a_group_only_admins_add_feeds_and_a_channel_adds_them_by_posting(
    fake, make_config, site
) -> None:
    group, admin, member = -100700, 31, 32
    fake.add_group(group, admins=[admin], members=[member])
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        refused = await ask(fake, group, f"/add {site.url('/tech.xml')}", user=member)
        assert refused.text == replies.ADMINS_ONLY
        added = await ask(fake, group, f"/add {site.url('/tech.xml')}", user=admin)
        assert added.text.startswith("Following Tech Times")
        await settle(application)
        # A channel: its posts are its administrators'.
        channel = -100800
        fake.add_channel(channel)
        before = len(fake.messages(channel))
        fake.post_in_channel(channel, f"/add {site.url('/sport.xml')}")
        posted = await fake.wait_for_message(channel, before + 1, timeout=15)
        assert posted.text.startswith("Following Sport Daily")
        await settle(application)
        assert [f.label for f in runtime(application).feeds.followed(channel)] == ["Sport Daily"]


async def test_remove_lists_the_chats_feeds_and_stops_polling_the_last_followers(
    fake, make_config, site
) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        rt = runtime(application)
        empty = await ask(fake, ALICE, "/remove")
        assert empty.text == replies.NO_OWN_FEEDS
        await ask(fake, ALICE, f"/add {site.url('/tech.xml')}")
        await ask(fake, ALICE, f"/add {site.url('/sport.xml')}")
        await ask(fake, BOB, f"/add {site.url('/sport.xml')}")
        await settle(application)
        listing = await ask(fake, ALICE, "/remove")
        assert listing.text.splitlines()[1:3] == ["2. Tech Times", "3. Sport Daily"]
        fake.press(ALICE, listing.message_id, "unf:2")
        edited = await fake.wait_for_edit(ALICE, listing.message_id)
        assert edited.text.splitlines()[1] == "3. Sport Daily"
        tech = rt.feeds.get_feed(2)
        assert tech is not None and tech.removed_at is not None  # nobody follows it now
        by_number = await ask(fake, ALICE, "/remove 3")
        assert by_number.text == replies.unfollowed_text("Sport Daily")
        sport = rt.feeds.get_feed(3)
        assert sport is not None and sport.removed_at is None  # Bob still follows it
        assert (await ask(fake, ALICE, "/remove 3")).text == replies.NOT_FOLLOWED
        assert (await ask(fake, ALICE, "/remove 1")).text == replies.NOT_FOLLOWED
        assert [f.id for f in rt.feeds.feeds()] == [1, 3]


async def test_export_and_import_move_a_chats_feeds(fake, make_config, site) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        none = await ask(fake, ALICE, "/export")
        assert none.text == replies.NO_OWN_FEEDS
        await ask(fake, ALICE, f"/add {site.url('/tech.xml')}")
        await ask(fake, ALICE, f"/add {site.url('/sport.xml')}")
        await settle(application)
        exported = await ask(fake, ALICE, "/export")
        assert exported.document is not None
        assert exported.text == replies.export_caption(2)
        data = exported.document.content
        assert site.url("/tech.xml").encode() in data and b"world.xml" not in data
        before = len(fake.messages(BOB))
        fake.send_document(BOB, data, "my-feeds.opml", mime_type="text/x-opml")
        report = await fake.wait_for_message(BOB, before + 1, timeout=15)
        assert report.text.splitlines()[0] == (
            "Imported my-feeds.opml: 2 feeds in the file: 2 added, 0 skipped, 0 failed."
        )
        rt = runtime(application)
        assert [f.label for f in rt.feeds.followed(BOB)] == ["Tech Times", "Sport Daily"]
        fake.send_document(BOB, data, "my-feeds.opml")
        again = await fake.wait_for_message(BOB, before + 2, timeout=15)
        assert again.text.splitlines()[0] == (
            "Imported my-feeds.opml: 2 feeds in the file: 0 added, 2 skipped, 0 failed."
        )


async def test_import_respects_the_chats_limit(fake, make_config, site) -> None:
    config = make_config(max_per_chat=1)
    application = build_application(config)
    async with running(application, config):
        opml = (
            '<?xml version="1.0"?><opml version="2.0"><head/><body>'
            f'<outline type="rss" text="Tech" xmlUrl="{site.url("/tech.xml")}"/>'
            f'<outline type="rss" text="Sport" xmlUrl="{site.url("/sport.xml")}"/>'
            "</body></opml>"
        ).encode()
        before = len(fake.messages(ALICE))
        fake.send_document(ALICE, opml, "mine.xml", caption="/import")
        report = await fake.wait_for_message(ALICE, before + 1, timeout=15)
        assert report.text.splitlines()[0] == (
            "Imported mine.xml: 2 feeds in the file: 1 added, 0 skipped, 1 failed."
        )
        assert "over this chat's limit of 1 feeds" in report.text
        assert site.hits["/sport.xml"] == 0  # refused without fetching
        await settle(application)


async def test_two_chats_following_one_feed_fetch_it_once_per_interval(
    fake, make_config, site
) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        rt = runtime(application)
        await ask(fake, ALICE, f"/add {site.url('/tech.xml')}")
        await settle(application)
        await ask(fake, BOB, f"/add {site.url('/tech.xml')}")
        [feed] = [f for f in rt.feeds.feeds() if f.url == site.url("/tech.xml")]
        assert rt.feeds.followers(feed.id) == 2
        for interval in range(1, 4):
            hits = site.hits["/tech.xml"]
            rt.feeds.schedule(feed.id, 0)  # its interval has passed
            await rt.poller.poll_due()
            assert site.hits["/tech.xml"] == hits + 1, f"interval {interval}"
        for chat in (ALICE, BOB):
            assert "Tech story 2" in (await ask(fake, chat, "/digest")).text


async def test_a_shared_feed_that_never_worked_is_not_listed_until_its_first_success(
    fake, make_config, site
) -> None:
    site.statuses["/late.xml"] = (500, {})
    config = make_config(feeds=("/world.xml", "/late.xml"))
    application = build_application(config)
    async with running(application, config):
        await poll_all(application)
        listing = await ask(fake, ALICE, "/sources")
        assert listing.text.splitlines()[1:] == ["✅ This bot's articles", "✅ 1. World Wire"]
        del site.statuses["/late.xml"]
        site.feeds["/late.xml"] = (rss([story(1, "late")], title="Late News"), RSS_TYPE)
        await poll_all(application)
        listing = await ask(fake, ALICE, "/sources")
        assert listing.text.splitlines()[1:] == [
            "✅ This bot's articles",
            "✅ 1. World Wire",
            "✅ 2. Late News",
        ]


async def test_a_channels_admin_adds_and_imports_feeds_for_the_channel_from_a_private_chat(
    fake, make_config, site
) -> None:
    channel = -100808
    fake.add_channel(channel, title="Wire", creator=ALICE)
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        fake.bot_status_changed(channel, "administrator", ALICE)
        await fake.wait_for_message(ALICE, 1)  # "I am now an administrator of channel «Wire»"
        assert "Now managing" in (await ask(fake, ALICE, f"/channel {channel}")).text
        added = await ask(fake, ALICE, f"/add {site.url('/tech.xml')}")
        assert added.text.startswith("Channel «Wire»:") and "Tech Times" in added.text
        opml = (
            '<?xml version="1.0"?><opml version="2.0"><body>'
            f'<outline type="rss" text="Sport" xmlUrl="{site.url("/sport.xml")}"/>'
            "</body></opml>"
        ).encode()
        before = len(fake.messages(ALICE))
        fake.send_document(ALICE, opml, "sport.opml", mime_type="text/x-opml")
        report = await fake.wait_for_message(ALICE, before + 1, timeout=15)
        assert report.text.startswith("Channel «Wire»: Imported sport.opml")
        await settle(application)
        rt = runtime(application)
        assert [f.label for f in rt.feeds.followed(channel)] == ["Tech Times", "Sport Daily"]
        assert rt.feeds.followed(ALICE) == []
