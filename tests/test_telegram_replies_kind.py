"""What the bot says is true and kind, end to end against the fake Bot API: a plain
private message hears what the bot can do with it, the seeds folder's source has the
operator's name, /stop is /unsubscribe, and toasts name what they are about."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from bot.telegram.replies import (
    MEDIA_HINT,
    NOT_SUBSCRIBED,
    TOAST_NAME_CHARS,
    UNSUBSCRIBED,
    added_text,
    source_toggled_text,
)
from tests.conftest import say, write_article
from tests.fakebotapi import FakeBotAPI, Message

USER = 6161
GROUP = -100616
CHANNEL = -100617
MESSAGE_IDS = itertools.count(800_000)  # far above the fake's own numbering


@pytest.fixture
async def bot(fake: FakeBotAPI, bot_config, seeds):
    write_article(seeds, "a.md", "Harbour reopens after storm", date="2024-05-01")
    config = bot_config(seeds={"name": "Editors' <picks> & more"})
    application = build_application(config)
    async with running(application, config):
        await rescan_seeds(application)
        yield application


async def send_raw(fake: FakeBotAPI, chat: int, **content: Any) -> Message:
    before = len(fake.messages(chat))
    fake.inject(
        {
            "message": {
                "message_id": next(MESSAGE_IDS),
                "from": {"id": chat, "is_bot": False, "first_name": "Ana"},
                "chat": {"id": chat, "type": "private", "first_name": "Ana"},
                "date": int(time.time()),
                **content,
            }
        }
    )
    return await fake.wait_for_message(chat, before + 1)


# -- a plain message in a private chat -------------------------------------------------


async def test_a_short_message_hears_what_the_bot_can_do_with_it(bot, fake):
    reply = await say(fake, USER, "good morning")
    assert reply.text.startswith(
        "I summarize web pages and texts of at least 50 words. "
        "Send me a link, or paste the whole text, and I will answer with its summary."
    )
    nearly = await say(fake, USER, " ".join(["word"] * 30))
    assert nearly.text.startswith(
        "I summarize web pages and texts of at least 50 words; this message has 30 words."
    )
    assert "/article climate" in reply.text and "/help" in reply.text
    assert "timezone" not in reply.text and "/subscribe" not in reply.text


async def test_a_city_or_a_time_alone_is_offered_as_the_command_that_uses_it(bot, fake):
    city = await say(fake, USER, "São Paulo")
    assert "Is it your timezone? /timezone São Paulo sets it." in city.text
    offset = await say(fake, USER, "UTC+2")
    assert "/timezone UTC+2 sets it." in offset.text
    clock = await say(fake, USER, "07:30")
    assert "A time for your digest? /subscribe 07:30 sets it." in clock.text
    assert runtime(bot).store.get_chat(USER) is None  # nothing was changed


async def test_a_sticker_or_a_photo_without_a_link_hears_what_the_bot_reads(bot, fake):
    sticker = {
        "file_id": "CAACsticker",
        "file_unique_id": "AgADsticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    reply = await send_raw(fake, USER, sticker=sticker)
    assert reply.text == MEDIA_HINT
    photo = [{"file_id": "AgACphoto", "file_unique_id": "AQADphoto", "width": 90, "height": 90}]
    captioned = await send_raw(fake, USER, photo=photo, caption="look at this")
    assert captioned.text == MEDIA_HINT


async def test_chatter_in_a_group_gets_no_hint(bot, fake):
    fake.add_group(GROUP, admins=[1], members=[2])
    fake.send_text(GROUP, "good morning everyone", 2)
    reply = await say(fake, GROUP, "/status", 2)  # answered in order: nothing came before
    assert reply.text.startswith("Subscribed: no")
    assert len(fake.messages(GROUP)) == 1


# -- the shared sources' names -------------------------------------------------------------


async def test_the_seeds_folder_has_the_operator_s_name_in_sources_and_its_toast(bot, fake):
    listing = await say(fake, USER, "/sources")
    assert listing.text.splitlines()[1] == "✅ Editors' <picks> & more"
    assert listing.button_texts()[0] == "✅ Editors' <picks> & more"
    fake.press(USER, listing.message_id, "src:0")
    answer = await fake.wait_for_call("answerCallbackQuery")
    assert answer.params["text"] == (
        "“Editors' <picks> & more” is off: its articles stay out of this chat's digests."
    )
    edited = await fake.wait_for_edit(USER, listing.message_id)
    assert edited.text.splitlines()[1] == "⬜ Editors' <picks> & more"
    fake.press(USER, listing.message_id, "src:0")
    again = await fake.wait_for_call("answerCallbackQuery", 2)
    assert again.params["text"].startswith("“Editors' <picks> & more” is on: its new articles")


# -- /stop ----------------------------------------------------------------------------------


async def test_stop_is_unsubscribe_and_is_in_the_command_menu(bot, fake):
    assert "stop" in [c["command"] for c in fake.commands]
    await say(fake, USER, "/subscribe 07:30")
    assert (await say(fake, USER, "/stop")).text == UNSUBSCRIBED
    assert runtime(bot).store.get_chat(USER).digest_time is None
    assert (await say(fake, USER, "/stop")).text == NOT_SUBSCRIBED
    assert "/stop — stop the digests" in (await say(fake, USER, "/help")).text


async def test_stop_posted_in_a_channel_stops_its_digest(bot, fake):
    fake.add_channel(CHANNEL)
    before = len(fake.messages(CHANNEL))
    fake.post_in_channel(CHANNEL, "/subscribe 07:30")
    await fake.wait_for_message(CHANNEL, before + 1)
    fake.post_in_channel(CHANNEL, "/stop")
    reply = await fake.wait_for_message(CHANNEL, before + 2)
    assert reply.text == UNSUBSCRIBED


# -- toasts ------------------------------------------------------------------------------


def test_toasts_name_the_article_or_source_in_plain_text_within_telegram_s_limit():
    title = "<b>AT&T</b> buys " + "a very long company name " * 20
    added = added_text(12, True, title)
    assert added.startswith("Added “<b>AT&T</b> buys a very long")
    assert added.endswith("…” to your next digest as article 12 (/article 12).")
    assert len(added) <= 200
    assert added_text(12, False, "Storm").startswith("“Storm” is already in your next digest")
    toggled = source_toggled_text("World\u202e Wire " * 30, False)
    assert "\u202e" not in toggled and len(toggled) <= 200
    assert TOAST_NAME_CHARS < 200
