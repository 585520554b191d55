"""Channels as full citizens, end to end against the fake Bot API: the bot learns its
channels from ``my_chat_member``, a channel's administrator manages its digest from a
private chat (``/channel``, checked with getChatMember), and commands posted in the
channel itself leave at most one short line, which goes again after a while.

Scheduled runs are triggered directly with an injected clock, never waited for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.telegram.app import build_application, running, runtime
from bot.telegram.handlers import channels
from bot.telegram.jobs import rescan_seeds
from bot.telegram.updater import ALLOWED_UPDATES
from tests.conftest import write_article
from tests.fakebotapi import FakeBotAPI, Message
from tests.test_telegram_groups import Clock, at, past_monday

CHANNEL = -1001234
OTHER = -1005678
OWNER, EDITOR, READER = 501, 502, 503
TITLES = ["Harbour reopens after storm", "Council votes on new bridge", "Solar farm opens"]


@pytest.fixture
def articles(seeds):
    for n, title in enumerate(TITLES):
        write_article(seeds, f"a{n}.md", title, date=f"2024-05-0{n + 1}")


async def say(fake: FakeBotAPI, user: int, text: str) -> Message:
    """``user`` sends ``text`` in their private chat with the bot; the bot's reply."""
    before = len(fake.messages(user))
    fake.send_text(user, text)
    return await fake.wait_for_message(user, before + 1)


async def joined(fake: FakeBotAPI, application, channel: int, by: int) -> None:
    """``by`` makes the bot an administrator of the channel; the bot tells them so."""
    before = len(fake.messages(by))
    fake.bot_status_changed(channel, "administrator", by)
    told = await fake.wait_for_message(by, before + 1)
    assert "I am now an administrator of channel" in told.text and "/channel" in told.text


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds (a store change no Bot API call follows)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def run_digest_job(application, digest_time: str, timezone: str = "UTC") -> None:
    (job,) = application.job_queue.get_jobs_by_name(f"digest {digest_time} {timezone}")
    await job.run(application)
    await runtime(application).sender.wait_idle(timeout=5)


async def test_an_admin_chooses_the_channel_in_private_and_its_digest_goes_to_the_channel(
    fake, bot_config, articles
):
    fake.add_channel(CHANNEL, title="News", creator=OWNER, admins=[EDITOR], members=[READER])
    monday = past_monday()
    clock = Clock(at(monday, "06:00"))
    config = bot_config()
    application = build_application(config, clock=clock)
    async with running(application, config):
        await rescan_seeds(application)
        await joined(fake, application, CHANNEL, by=OWNER)
        # The editor was listed by getChatAdministrators when the bot joined.
        listing = await say(fake, EDITOR, "/channel")
        assert "this chat" in listing.text
        assert listing.button_texts() == ["📢 News", "💬 This chat"]
        fake.click(EDITOR, listing.message_id, "📢 News", EDITOR)
        chosen = await fake.wait_for_edit(EDITOR, listing.message_id)
        assert "Now managing channel «News»" in chosen.text

        reply = await say(fake, EDITOR, "/subscribe 07:30")
        assert reply.text.startswith("Channel «News»: Subscribed")
        assert "07:30" in reply.text
        status = await say(fake, EDITOR, "/status")
        assert status.text.startswith("Channel «News»:")
        assert "07:30" in status.text
        stored = runtime(application).store
        assert stored.get_chat(CHANNEL).digest_times == ("07:30",)
        own = stored.get_chat(EDITOR)
        assert own is None or own.digest_time is None  # the private chat is not subscribed
        assert fake.messages(CHANNEL) == []  # nothing said to the readers

        clock.now = at(monday, "07:30")
        await run_digest_job(application, "07:30")
        digest = fake.last_message(CHANNEL)
        assert all(title in digest.text for title in TITLES)

        # Back to the private chat: its own subscription again.
        assert "Back to this chat" in (await say(fake, EDITOR, "/channel off")).text
        status = await say(fake, EDITOR, "/status")
        assert not status.text.startswith("Channel")
        assert "Subscribed: no" in status.text


async def test_filters_sources_and_timezone_act_on_the_chosen_channel(fake, bot_config):
    fake.add_channel(CHANNEL, title="News", username="newsdaily", creator=OWNER)
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await joined(fake, application, CHANNEL, by=OWNER)
        chosen = await say(fake, OWNER, "/channel @NewsDaily")
        assert "Now managing channel «News»" in chosen.text
        added = await say(fake, OWNER, "/filter -football")
        assert added.text.startswith("Channel «News»:") and "football" in added.text
        zone = await say(fake, OWNER, "/timezone Europe/Berlin")
        assert zone.text.startswith("Channel «News»:") and "Berlin" in zone.text
        listed = await say(fake, OWNER, "/sources")
        assert listed.text.startswith("Channel «News»:")
        first = listed.buttons()[0]["callback_data"]
        fake.press(OWNER, listed.message_id, first, OWNER)
        redrawn = await fake.wait_for_edit(OWNER, listed.message_id)
        assert redrawn.text.startswith("Channel «News»:")
        feeds = runtime(application).feeds
        assert feeds.sources_off(CHANNEL) and not feeds.sources_off(OWNER)
        # /digest stays the private chat's own; /channel is for private chats.
        assert not (await say(fake, OWNER, "/digest")).text.startswith("Channel")
        fake.add_group(-100999, admins=[OWNER])
        before = len(fake.messages(-100999))
        fake.send_text(-100999, "/channel", OWNER)
        in_group = await fake.wait_for_message(-100999, before + 1)
        assert "private chat" in in_group.text
        store = runtime(application).store
        assert store.filter_terms(CHANNEL) == [("-", "football")]
        assert store.filter_terms(OWNER) == []
        assert store.get_chat(CHANNEL).timezone == "Europe/Berlin"


async def test_someone_who_is_not_an_admin_cannot_choose_the_channel(fake, bot_config):
    fake.add_channel(CHANNEL, title="News", creator=OWNER, members=[READER])
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await joined(fake, application, CHANNEL, by=OWNER)
        listing = await say(fake, READER, "/channel")
        assert listing.button_texts() == ["💬 This chat"]
        assert "I know no channel you administer" in listing.text
        refused = await say(fake, READER, f"/channel {CHANNEL}")
        assert refused.text == "Only the administrators of channel «News» can manage its digest."
        reply = await say(fake, READER, "/subscribe 07:30")
        assert not reply.text.startswith("Channel")
        store = runtime(application).store
        assert store.get_chat(CHANNEL) is None
        assert store.target_of(READER) is None
        # A channel the bot is not in cannot be chosen by anyone.
        unknown = await say(fake, OWNER, f"/channel {OTHER}")
        assert "I am not an administrator of" in unknown.text


async def test_revoked_rights_or_a_bot_removed_from_the_channel_are_refused(fake, bot_config):
    fake.add_channel(CHANNEL, title="News", creator=OWNER, admins=[EDITOR])
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await joined(fake, application, CHANNEL, by=OWNER)
        assert "Now managing" in (await say(fake, EDITOR, f"/channel {CHANNEL}")).text
        assert (await say(fake, EDITOR, "/subscribe 08:00")).text.startswith("Channel «News»")

        fake.set_member(CHANNEL, EDITOR, "member")  # demoted...
        admins = runtime(application).admins.cache
        clock = admins.clock
        admins.clock = lambda: clock() + admins.admin_seconds  # ...and the cache expired
        refused = await say(fake, EDITOR, "/unsubscribe")
        assert refused.text.startswith("Not done: channel «News» cannot be managed from here")
        store = runtime(application).store
        assert store.get_chat(CHANNEL).digest_time == "08:00"  # untouched
        assert store.target_of(EDITOR) is None  # back to the private chat
        assert (await say(fake, EDITOR, "/channel")).button_texts() == ["💬 This chat"]

        # The owner keeps it until the bot is removed from the channel.
        assert "Now managing" in (await say(fake, OWNER, f"/channel {CHANNEL}")).text
        fake.bot_status_changed(CHANNEL, "left", OWNER)
        await wait_for(lambda: not store.channel(CHANNEL).present)
        gone = await say(fake, OWNER, "/status")
        assert "I am no longer an administrator there" in gone.text
        assert (await say(fake, OWNER, "/channel")).button_texts() == ["💬 This chat"]
        assert "my_chat_member" in ALLOWED_UPDATES


async def test_commands_posted_in_the_channel_leave_one_short_line_that_goes_away(
    fake, bot_config, monkeypatch
):
    monkeypatch.setattr(channels, "CHANNEL_NOTE_SECONDS", 0.0)
    fake.add_channel(CHANNEL, title="News", creator=OWNER)
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        for command in ("/status", "/filter", "/sources", "/article", "/help"):
            post = fake.post_in_channel(CHANNEL, command)
            note = await fake.wait_for_message(CHANNEL, 1)
            assert note.text == (
                f"Manage «News» from a private chat with @{fake.bot_user['username']}: "
                "send /channel there."
            ), command
            # The line and the command post are deleted a moment later.
            await fake.wait_until(lambda: fake.messages(CHANNEL) == [])
            await fake.wait_until(lambda: fake.messages(CHANNEL, from_bot=False) == [])
            deleted = {c.params.get("message_id") for c in fake.calls_to("deleteMessage")}
            assert {post["channel_post"]["message_id"], note.message_id} <= deleted

        # A change is acted on, confirmed in one line.
        fake.post_in_channel(CHANNEL, "/subscribe weekdays 07:30")
        note = await fake.wait_for_message(CHANNEL, 1)
        assert note.text.startswith("Subscribed: your digest comes weekdays at 07:30")
        assert "\n" not in note.text and len(note.text) <= 200
        await fake.wait_until(lambda: fake.messages(CHANNEL) == [])
        assert runtime(application).store.get_chat(CHANNEL).digest_times == ("07:30",)
        # A change that asks back with buttons: the pointer, no buttons for the readers.
        fake.post_in_channel(CHANNEL, "/timezone Portland")
        asked = await fake.wait_for_message(CHANNEL, 1)
        assert "/channel" in asked.text and not asked.buttons()
        await fake.wait_until(lambda: fake.messages(CHANNEL) == [])
        # The channel is known from its post: its owner can manage it from a private chat.
        chosen = await say(fake, OWNER, f"/channel {CHANNEL}")
        assert "Now managing channel «News»" in chosen.text


async def test_a_renamed_channel_is_named_so_in_the_private_chat(fake, bot_config):
    fake.add_channel(CHANNEL, title="News", creator=OWNER)
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await joined(fake, application, CHANNEL, by=OWNER)
        await say(fake, OWNER, f"/channel {CHANNEL}")
        fake.inject(
            {
                "channel_post": {
                    "message_id": 90,
                    "sender_chat": {"id": CHANNEL, "type": "channel", "title": "Daily News"},
                    "chat": {"id": CHANNEL, "type": "channel", "title": "Daily News"},
                    "date": 1_700_000_000,
                    "new_chat_title": "Daily News",
                }
            }
        )
        store = runtime(application).store
        await wait_for(lambda: store.channel(CHANNEL).title == "Daily News")
        assert (await say(fake, OWNER, "/status")).text.startswith("Channel «Daily News»:")
