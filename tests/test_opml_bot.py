"""``/opml`` in the bot: export as a document, import from a document with the caption
``/opml``, hostile files refused, non-admins answered as for an unknown command.

Real HTTP all the way: the fake Bot API (sendDocument, getFile, file downloads) and the
loopback news site, both on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.config import FeedConfig
from bot.feeds.opml import parse_opml
from bot.telegram.app import build_application, running, runtime
from tests.conftest import say
from tests.fakebotapi import FakeBotAPI, Message
from tests.feedkit import rss, story
from tests.newssite import NewsSite
from tests.test_language_bot import command
from tests.test_opml import BILLION_LAUGHS, xxe

ADMIN = 7101
USER = 7102
GROUP = -1007100
RSS_TYPE = "application/rss+xml"
UNKNOWN = "I do not know /opml. /help lists the commands."


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as news:
        news.feeds["/world.xml"] = (rss([story(1, "world")], title="World Wire"), RSS_TYPE)
        news.feeds["/sport.xml"] = (rss([story(1, "sport")], title="Sport Daily"), RSS_TYPE)
        news.feeds["/arts.xml"] = (rss([story(1, "arts")], title="Arts & Letters"), RSS_TYPE)
        yield news


@pytest.fixture
def config(bot_config: Any, site: NewsSite) -> Any:
    made = bot_config(
        telegram={"admin_ids": [ADMIN]},
        fetch=site.fetch_keys(),
    )
    return replace(made, feeds=(FeedConfig(site.url("/world.xml"), name="World Wire"),))


async def send_file(
    fake: FakeBotAPI,
    chat: int,
    data: bytes,
    name: str = "feeds.opml",
    caption: str | None = "/opml",
    user: int | None = None,
    thread_id: int | None = None,
) -> Message:
    before = len(fake.messages(chat))
    fake.send_document(
        chat,
        data,
        name,
        caption=caption,
        mime_type="text/x-opml",
        user_id=user,
        thread_id=thread_id,
    )
    return await fake.wait_for_message(chat, before + 1, timeout=15)


def feedly_file(site: NewsSite) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="1.0">'
        "<head><title>Subscriptions in feedly Cloud</title></head><body>\n"
        '<outline text="Sports" title="Sports">\n'
        f'  <outline type="rss" text="Sport" title="Sport" xmlUrl="{site.url("/sport.xml")}"/>\n'
        "</outline>\n"
        '<outline text="Culture" title="Culture">\n'
        f'  <outline type="rss" text="Arts" xmlUrl="{site.url("/arts.xml")}"/>\n'
        f'  <outline type="rss" text="World" xmlUrl="{site.url("/world.xml")}"/>\n'
        f'  <outline type="rss" text="Gone" xmlUrl="{site.url("/gone.xml")}"/>\n'
        "</outline>\n</body></opml>\n"
    ).encode()


async def test_admin_exports_the_feeds_as_an_opml_document(
    fake: FakeBotAPI, config: Any, site: NewsSite
) -> None:
    application = build_application(config)
    async with running(application, config):
        rt = runtime(application)
        await rt.poller.poll_many(rt.feeds.feeds())
        rt.feeds.add_feed(site.url("/arts.xml"), title="Arts & Letters", added_by=ADMIN)
        sent = await say(fake, ADMIN, "/opml", user=ADMIN)
    assert sent.document is not None
    assert sent.document.file_name == "digestbot-feeds.opml"
    assert sent.text == (
        "2 feeds as OPML: import the file into Feedly, Inoreader or Miniflux, "
        "or send it back with the caption /opml."
    )
    content = sent.document.content.decode("utf-8")
    assert content.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    lines = [line.strip() for line in content.splitlines() if "<outline" in line]
    assert lines == [
        f'<outline type="rss" text="World Wire" title="World Wire" '
        f'xmlUrl="{site.url("/world.xml")}"/>',
        f'<outline type="rss" text="Arts &amp; Letters" title="Arts &amp; Letters" '
        f'xmlUrl="{site.url("/arts.xml")}"/>',
    ]
    [call] = fake.calls_to("sendDocument")
    assert call.params["document"] == "digestbot-feeds.opml"  # uploaded as a file


async def test_a_german_admin_gets_the_export_caption_in_german(
    fake: FakeBotAPI, config: Any
) -> None:
    application = build_application(config)
    async with running(application, config):
        rt = runtime(application)
        await rt.poller.poll_many(rt.feeds.feeds())
        sent = await command(fake, ADMIN, "/opml", "de")
    assert sent.document is not None
    assert sent.text == (
        "1 Feed als OPML: importiere die Datei in Feedly, Inoreader oder Miniflux "
        "oder schick sie mit der Bildunterschrift /opml zurück."
    )


async def test_admin_imports_a_document_sent_with_the_caption_opml(
    fake: FakeBotAPI, config: Any, site: NewsSite
) -> None:
    application = build_application(config)
    async with running(application, config):
        reply = await send_file(fake, ADMIN, feedly_file(site), "feedly.opml", user=ADMIN)
        assert reply.text == (
            "Imported feedly.opml: 4 feeds in the file: 2 added, 1 skipped, 1 failed.\n"
            "\nAdded:\n2. Sport Daily\n3. Arts & Letters\n"
            f"\nSkipped:\n{site.url('/world.xml')} — already feed 1\n"
            f"\nFailed:\n{site.url('/gone.xml')} — HTTP 404 Not Found\n"
            "\nNew feeds are read from now on; /sources lists them."
        )
        [download] = fake.downloads
        assert download.endswith(".opml")
        # The new feeds are polled right away: their stories arrive without a restart.
        # The first polls of the new feeds began before the reply: wait for them to end.
        rt = runtime(application)
        await asyncio.wait_for(asyncio.gather(*rt.feed_polls), 15)
        assert {a.title for a in rt.store.list_articles()} >= {"Sport story 1", "Arts story 1"}
        await rt.poller.poll_many(rt.feeds.feeds())  # feed 1 too: listed once it worked
        listing = await say(fake, USER, "/sources")
        assert listing.text.splitlines()[2:] == [
            "✅ 1. World Wire",
            "✅ 2. Sport Daily",
            "✅ 3. Arts & Letters",
        ]
        # Exported and sent back: every feed is already there.
        exported = await say(fake, ADMIN, "/opml", user=ADMIN)
        assert exported.document is not None
        again = await send_file(fake, ADMIN, exported.document.content, user=ADMIN)
        assert again.text.splitlines()[0] == (
            "Imported feeds.opml: 3 feeds in the file: 0 added, 3 skipped, 0 failed."
        )


async def test_non_admins_get_the_unknown_command_reply_and_nothing_is_read(
    fake: FakeBotAPI, config: Any, site: NewsSite
) -> None:
    application = build_application(config)
    async with running(application, config):
        assert (await say(fake, USER, "/opml", user=USER)).text == UNKNOWN
        reply = await send_file(fake, USER, feedly_file(site), user=USER)
        assert reply.text == UNKNOWN
        rt = runtime(application)
        assert [f.url for f in rt.feeds.feeds()] == [site.url("/world.xml")]
    assert fake.calls_to("getFile") == [] and fake.downloads == []
    assert fake.calls_to("sendDocument") == []
    assert site.hits["/sport.xml"] == 0


async def test_hostile_files_are_refused_with_one_line(
    fake: FakeBotAPI, config: Any, site: NewsSite, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-4711\n")
    application = build_application(config)
    async with running(application, config):
        laughs = await send_file(fake, ADMIN, BILLION_LAUGHS, "laughs.opml", user=ADMIN)
        assert laughs.text == (
            "Cannot import laughs.opml: refused: the file declares XML entities (entity 'lol')."
        )
        stolen = await send_file(fake, ADMIN, xxe(secret), "xxe.opml", user=ADMIN)
        assert stolen.text == (
            "Cannot import xxe.opml: refused: the file declares XML entities (external entity "
            f"'xxe' pointing at 'file://{secret}' was not read)."
        )
        assert "TOP-SECRET" not in stolen.text
        not_xml = await send_file(fake, ADMIN, b"\x89PNG\r\n\x1a\n", "photo.png", user=ADMIN)
        assert re.fullmatch(
            r"Cannot import photo\.png: not a valid XML file: [^\n]+\.", not_xml.text
        )
        downloads = len(fake.downloads)
        outline = b'<outline text="x" xmlUrl="http://127.0.0.1/f"/>\n'
        big = b"<opml><body>" + outline * (10 * 1024 * 1024 // len(outline)) + b"</body></opml>"
        huge = await send_file(fake, ADMIN, big, "huge.opml", user=ADMIN)
        assert huge.text == (
            "Cannot import huge.opml: the file is too big for an OPML feed list: "
            "10.0 MB (at most 2.0 MB)."
        )
        assert len(fake.downloads) == downloads  # refused from its size, never downloaded
        rt = runtime(application)
        assert len(rt.feeds.feeds()) == 1
    assert sum(n for path, n in site.hits.items() if path != "/world.xml") == 0


async def test_in_a_forum_topic_the_file_goes_to_the_topic_and_other_bots_files_are_ignored(
    fake: FakeBotAPI, config: Any, site: NewsSite
) -> None:
    fake.add_group(GROUP, admins=[ADMIN], members=[USER], forum=True, topics=[5])
    application = build_application(config)
    async with running(application, config):
        fake.send_document(
            GROUP, feedly_file(site), "other.opml", caption="/opml@other_bot", user_id=ADMIN
        )
        fake.send_document(GROUP, feedly_file(site), "plain.opml", caption="/opml", user_id=USER)
        fake.send_text(GROUP, "/opml", user_id=ADMIN, thread_id=5)
        sent = await fake.wait_for_message(GROUP)
        assert sent.document is not None and sent.thread_id == 5
        assert parse_opml(sent.document.content).feeds[0].url == site.url("/world.xml")
        reply = await send_file(
            fake, GROUP, feedly_file(site), "topic.opml", "/opml@digest_test_bot", ADMIN, 5
        )
        assert reply.thread_id == 5
        assert reply.text.startswith("Imported topic.opml: 4 feeds in the file: 2 added")
    # Neither the other bot's file nor a member's plain /opml was read or answered.
    assert fake.downloads == [fake.downloads[0]] and len(fake.messages(GROUP)) == 2
