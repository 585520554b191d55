"""Rhythms, groups, forum topics and channels end to end, against the fake Bot API:
/subscribe on chosen days several times a day, only a group's administrators changing
its digest (getChatMember, cached), a forum topic's own digest, a channel's digest.

Scheduled runs are triggered directly with an injected clock set to a past moment (the
outbox sender sends what is due by its own, real clock), never waited for."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.store.chats import TOPIC_GONE
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from bot.telegram.replies import ADMINS_ONLY, TOPIC_NOTE
from bot.telegram.updater import ALLOWED_UPDATES
from tests.conftest import Clock, say, write_article
from tests.fakebotapi import FakeBotAPI, Message

USER = 777
GROUP = -100500
FORUM = -100600
CHANNEL = -100700
OWNER, ADMIN, MEMBER = 10, 11, 12
BERLIN = ZoneInfo("Europe/Berlin")
TITLES = ["Harbour reopens after storm", "Council votes on new bridge", "Solar farm opens"]


def past_monday() -> date:
    """A Monday at least a week ago: every run in these tests is in the past."""
    today = datetime.now(UTC).date()
    return today - timedelta(days=today.weekday() + 7)


def at(day: date, hh_mm: str, tz: ZoneInfo | None = None) -> datetime:
    """That local time on that day, five seconds in (a job wakes a moment late), in UTC."""
    hours, minutes = map(int, hh_mm.split(":"))
    local = datetime.combine(day, time(hours, minutes, 5), tzinfo=tz or UTC)
    return local.astimezone(UTC)


@pytest.fixture
def articles(seeds):
    for n, title in enumerate(TITLES):
        write_article(seeds, f"a{n}.md", title, date=f"2024-05-0{n + 1}")


async def post(fake: FakeBotAPI, channel: int, text: str) -> Message:
    before = len(fake.messages(channel))
    fake.post_in_channel(channel, text)
    return await fake.wait_for_message(channel, before + 1)


async def run_digest_job(application, digest_time: str, timezone: str = "UTC") -> None:
    """Fire the slot's daily job now and wait until the outbox is drained."""
    (job,) = application.job_queue.get_jobs_by_name(f"digest {digest_time} {timezone}")
    await job.run(application)
    await runtime(application).sender.wait_idle(timeout=5)


def member_checks(fake: FakeBotAPI, user: int) -> int:
    return len([c for c in fake.calls_to("getChatMember") if c.params.get("user_id") == user])


# -- their own rhythm ----------------------------------------------------------------------


async def test_weekdays_twice_a_day_is_confirmed_in_words_and_sent_only_on_weekdays(
    fake, bot_config, articles, seeds
):
    monday = past_monday()
    saturday = monday - timedelta(days=2)
    clock = Clock(at(saturday, "12:00"))
    config = bot_config()
    application = build_application(config, clock=clock)
    async with running(application, config):
        await rescan_seeds(application)
        await say(fake, USER, "/timezone Europe/Berlin")
        reply = await say(fake, USER, "/subscribe weekdays 07:30 18:00")
        first = at(monday, "07:30", BERLIN).astimezone(BERLIN)
        next_text = f"Mon {first.day} {first:%b %Y}, 07:30 {first:%Z}"  # Mon 23 Nov 2026, …
        assert f"weekdays at 07:30 and 18:00 (Europe/Berlin); next: {next_text}." in reply.text
        status = await say(fake, USER, "/status")
        assert "Subscribed: yes, weekdays at 07:30 and 18:00 (Europe/Berlin)" in status.text
        assert f"Next digest: {next_text}" in status.text
        sent = len(fake.messages(USER))

        clock.now = at(saturday, "07:30", BERLIN)  # the slot's job runs daily...
        await run_digest_job(application, "07:30", "Europe/Berlin")
        assert len(fake.messages(USER)) == sent  # ...but Saturday is not a weekday

        clock.now = at(monday, "07:30", BERLIN)
        await run_digest_job(application, "07:30", "Europe/Berlin")
        morning = fake.last_message(USER)
        assert all(title in morning.text for title in TITLES)

        write_article(seeds, "fresh.md", "Fresh story", date="2024-06-01")
        await rescan_seeds(application)
        clock.now = at(monday, "18:00", BERLIN)
        await run_digest_job(application, "18:00", "Europe/Berlin")
        evening = fake.last_message(USER)
        assert "Fresh story" in evening.text
        assert not any(title in evening.text for title in TITLES)
        await run_digest_job(application, "18:00", "Europe/Berlin")  # the same run again
        assert len(fake.messages(USER)) == sent + 2


async def test_bad_rhythms_get_a_usage_line_with_examples(fake, bot_config):
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        for command, problem in [
            ("/subscribe weekdays 7.30", "“7.30” is not a time of day"),
            ("/subscribe 08:00 mon", "Days come first"),
            ("/subscribe 1:00 2:00 3:00 4:00 5:00", "At most 4 times a day"),
        ]:
            reply = await say(fake, USER, command)
            assert problem in reply.text
            assert "Usage: /subscribe [daily|weekdays|weekends|mon,wed,fri] HH:MM" in reply.text
            assert "/subscribe weekdays 07:30 18:00" in reply.text
        assert runtime(application).store.get_chat(USER) is None


async def test_what_subscribe_leaves_out_stays_as_it_was(fake, bot_config):
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        reply = await say(fake, USER, "/subscribe mon,wed,fri 12:00 18:00")
        assert "Mon, Wed and Fri at 12:00 and 18:00 (UTC)" in reply.text
        reply = await say(fake, USER, "/subscribe weekends")
        assert "weekends at 12:00 and 18:00 (UTC)" in reply.text
        reply = await say(fake, USER, "/subscribe 06:00")
        assert "weekends at 06:00 (UTC)" in reply.text
        assert "weekends at 06:00 (UTC)" in (await say(fake, USER, "/subscribe")).text


# -- groups: administrators only -------------------------------------------------------------


async def test_only_a_groups_administrators_change_its_digest(fake, bot_config):
    fake.add_group(GROUP, creator=OWNER, admins=[ADMIN], members=[MEMBER])
    config = bot_config()
    application = build_application(config)
    store = runtime(application).store
    async with running(application, config):
        for command in ("/subscribe 07:30", "/timezone Europe/Berlin", "/unsubscribe"):
            assert (await say(fake, GROUP, command, MEMBER)).text == ADMINS_ONLY
        assert store.get_chat(GROUP) is None or not store.get_chat(GROUP).subscribed
        # Anyone may read.
        assert "Subscribed: no" in (await say(fake, GROUP, "/status", MEMBER)).text

        reply = await say(fake, GROUP, "/subscribe weekdays 07:30", ADMIN)
        assert reply.text.startswith("Subscribed: your digest comes weekdays at 07:30")
        assert "Timezone set" in (await say(fake, GROUP, "/timezone Europe/Berlin", ADMIN)).text
        assert (await say(fake, GROUP, "/unsubscribe", OWNER)).text.startswith("Unsubscribed")
        await say(fake, GROUP, "/subscribe 08:00", ADMIN)
        # Telegram was asked once per person: the answers are kept for minutes.
        assert (member_checks(fake, MEMBER), member_checks(fake, ADMIN)) == (1, 1)
        assert member_checks(fake, OWNER) == 1

        # An administrator writing anonymously, as the group itself.
        calls = len(fake.calls_to("getChatMember"))
        reply = await say(fake, GROUP, "/subscribe 09:00", as_group=True)
        assert reply.text.startswith("Subscribed")
        assert len(fake.calls_to("getChatMember")) == calls
        assert store.get_chat(GROUP).digest_times == ("09:00",)  # type: ignore[union-attr]


async def test_a_refusal_is_asked_again_after_a_minute_so_a_new_admin_gets_in(fake, bot_config):
    fake.add_group(GROUP, admins=[ADMIN], members=[MEMBER])
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        admins = runtime(application).admins.cache
        assert (await say(fake, GROUP, "/subscribe 07:30", MEMBER)).text == ADMINS_ONLY
        fake.set_member(GROUP, MEMBER, "administrator")
        assert (await say(fake, GROUP, "/subscribe 07:30", MEMBER)).text == ADMINS_ONLY
        clock = admins.clock
        admins.clock = lambda: clock() + admins.refusal_seconds  # a minute later
        assert (await say(fake, GROUP, "/subscribe 07:30", MEMBER)).text.startswith("Subscribed")
        assert member_checks(fake, MEMBER) == 2


async def test_a_channel_post_copied_into_its_discussion_group_changes_nothing(fake, bot_config):
    fake.add_group(GROUP, admins=[ADMIN], members=[MEMBER])
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        fake.inject(
            {
                "message": {
                    "message_id": 900,
                    "from": {"id": 777000, "is_bot": False, "first_name": "Telegram"},
                    "sender_chat": {"id": CHANNEL, "type": "channel", "title": "Channel"},
                    "chat": {"id": GROUP, "type": "supergroup", "title": "Group"},
                    "date": 1_700_000_000,
                    "text": "/subscribe 07:30",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
                    "is_automatic_forward": True,
                }
            }
        )
        # One chat's updates are handled in order: the copy was handled before this.
        status = await say(fake, GROUP, "/status", MEMBER)
        assert "Subscribed: no" in status.text
        assert len(fake.messages(GROUP)) == 1  # no refusal posted for the copy


# -- forum topics -------------------------------------------------------------------------------


async def test_a_forum_topic_subscribes_on_its_own_and_gets_the_digest_there(
    fake, bot_config, articles, seeds
):
    fake.add_group(FORUM, admins=[ADMIN], members=[MEMBER], forum=True, topics=[3, 5])
    monday = past_monday()
    clock = Clock(at(monday, "06:00"))
    config = bot_config()
    application = build_application(config, clock=clock)
    store = runtime(application).store
    async with running(application, config):
        await rescan_seeds(application)
        refusal = await say(fake, FORUM, "/subscribe 07:30", MEMBER, thread_id=5)
        assert (refusal.text, refusal.thread_id) == (ADMINS_ONLY, 5)
        reply = await say(fake, FORUM, "/subscribe 07:30", ADMIN, thread_id=5)
        assert reply.thread_id == 5
        assert TOPIC_NOTE in reply.text
        assert store.get_chat(FORUM, topic=5).thread_id == 5  # type: ignore[union-attr]
        assert not store.get_chat(FORUM).subscribed  # type: ignore[union-attr]

        clock.now = at(monday, "07:30")
        await run_digest_job(application, "07:30")
        digest = fake.last_message(FORUM)
        assert digest.thread_id == 5
        assert all(title in digest.text for title in TITLES)

        # The topic is deleted: its subscription stops, nothing goes to the group itself.
        fake.delete_topic(FORUM, 5)
        sent = len(fake.messages(FORUM))
        write_article(seeds, "fresh.md", "Fresh story", date="2024-06-01")
        await rescan_seeds(application)
        clock.now = at(monday + timedelta(days=1), "07:30")
        await run_digest_job(application, "07:30")
        assert len(fake.messages(FORUM)) == sent
        gone = store.get_chat(FORUM, topic=5)
        assert gone is not None and (gone.active, gone.deactivated_reason) == (False, TOPIC_GONE)


# -- channels -------------------------------------------------------------------------------------


async def test_a_channel_subscribes_by_a_post_and_digests_are_posted_there(
    fake, bot_config, articles
):
    fake.add_channel(CHANNEL)
    monday = past_monday()
    clock = Clock(at(monday, "06:00"))
    config = bot_config()
    application = build_application(config, clock=clock)
    async with running(application, config):
        await rescan_seeds(application)
        reply = await post(fake, CHANNEL, "/subscribe weekdays 07:30")
        assert reply.text.startswith("Subscribed: your digest comes weekdays at 07:30 (UTC)")
        assert not fake.calls_to("getChatMember")  # only administrators can post there
        # Showing the settings is for a private chat (handlers.channels): one pointer line.
        assert "/channel" in (await post(fake, CHANNEL, "/status")).text

        fake.post_in_channel(CHANNEL, "Today's news, posted by the channel's editors.")
        clock.now = at(monday, "07:30")
        await run_digest_job(application, "07:30")
        digest = fake.last_message(CHANNEL)
        assert all(title in digest.text for title in TITLES)
        assert len(fake.messages(CHANNEL)) == 3  # no reply to the editors' post
        # The bot asks Telegram for channel posts at all.
        assert "channel_post" in ALLOWED_UPDATES
        poll = fake.calls_to("getUpdates")[-1]
        assert "channel_post" in poll.params["allowed_updates"]


async def test_only_group_admins_change_the_groups_filters(fake, bot_config):
    fake.add_group(GROUP, admins=[ADMIN], members=[MEMBER])
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        assert (await say(fake, GROUP, "/filter -football", MEMBER)).text == ADMINS_ONLY
        added = await say(fake, GROUP, "/filter -football", ADMIN)
        assert "football" in added.text
        shown = await say(fake, GROUP, "/filter", MEMBER)  # anyone may look
        assert "football" in shown.text
