"""Forum topics subscribing on their own, end to end against the fake Bot API: each topic
gets its own digest in its topic at its own times, with its own filters and sources,
/unsubscribe in one leaves the others; a deleted topic stops only itself, the bot kicked
stops every topic, a group becoming a supergroup takes every topic along.

Scheduled runs are triggered directly with an injected clock (see test_telegram_groups)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.store.chats import TOPIC_GONE
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from bot.telegram.replies import TOPIC_NOTE
from tests.conftest import say, write_article
from tests.fakebotapi import Fault, Message
from tests.test_telegram_groups import TITLES, Clock, at, past_monday, run_digest_job

FORUM = -100900
ADMIN, MEMBER = 21, 22
TECH, SPORTS = 3, 5


@pytest.fixture
def articles(seeds):
    for n, title in enumerate(TITLES):
        write_article(seeds, f"a{n}.md", title, date=f"2024-05-0{n + 1}")


def monday_bot(bot_config):  # type: ignore[no-untyped-def]
    """A bot (its config, its clock and the day) whose clock stands at 06:00 on a past Monday."""
    monday = past_monday()
    clock = Clock(at(monday, "06:00"))
    config = bot_config()
    return build_application(config, clock=clock), config, clock, monday


def in_topic(fake, chat: int, topic: int | None) -> list[Message]:
    return [m for m in fake.messages(chat) if m.thread_id == topic]


async def test_two_topics_subscribe_at_their_own_times_and_get_their_digests_there(
    fake, bot_config, articles, seeds
):
    fake.add_group(FORUM, admins=[ADMIN], members=[MEMBER], forum=True, topics=[TECH, SPORTS])
    application, config, clock, monday = monday_bot(bot_config)
    store = runtime(application).store
    async with running(application, config):
        await rescan_seeds(application)
        tech = await say(fake, FORUM, "/subscribe 07:00", ADMIN, thread_id=TECH)
        sports = await say(fake, FORUM, "/subscribe weekdays 18:00", ADMIN, thread_id=SPORTS)
        assert (tech.thread_id, sports.thread_id) == (TECH, SPORTS)
        assert TOPIC_NOTE in tech.text and "weekdays at 18:00" in sports.text
        status = await say(fake, FORUM, "/status", MEMBER, thread_id=SPORTS)
        assert "weekdays at 18:00" in status.text and TOPIC_NOTE in status.text
        general = await say(fake, FORUM, "/status", MEMBER)  # the group itself
        assert "Subscribed: no" in general.text and TOPIC_NOTE not in general.text

        clock.now = at(monday, "07:00")
        await run_digest_job(application, "07:00")
        [morning] = in_topic(fake, FORUM, TECH)[-1:]
        assert all(title in morning.text for title in TITLES)
        assert len(in_topic(fake, FORUM, SPORTS)) == 2  # its two replies only

        write_article(seeds, "fresh.md", "Fresh story", date="2024-06-01")
        await rescan_seeds(application)
        clock.now = at(monday, "18:00")
        await run_digest_job(application, "18:00")
        evening = in_topic(fake, FORUM, SPORTS)[-1]
        # Sports' first digest: everything, not just what is new since Tech's.
        assert all(title in evening.text for title in [*TITLES, "Fresh story"])

        clock.now = at(monday + timedelta(days=1), "07:00")
        await run_digest_job(application, "07:00")
        tuesday = in_topic(fake, FORUM, TECH)[-1]
        assert "Fresh story" in tuesday.text
        assert not any(title in tuesday.text for title in TITLES)
        assert in_topic(fake, FORUM, None) == [general]
        sports_row = store.get_chat(FORUM, topic=SPORTS)
        assert sports_row is not None and sports_row.last_key_at("18:00") is not None


async def test_unsubscribe_in_one_topic_leaves_the_other(fake, bot_config, articles):
    fake.add_group(FORUM, admins=[ADMIN], members=[MEMBER], forum=True, topics=[TECH, SPORTS])
    application, config, clock, monday = monday_bot(bot_config)
    async with running(application, config):
        await rescan_seeds(application)
        await say(fake, FORUM, "/subscribe 07:30", ADMIN, thread_id=TECH)
        await say(fake, FORUM, "/subscribe 07:30", ADMIN, thread_id=SPORTS)
        refused = await say(fake, FORUM, "/unsubscribe", MEMBER, thread_id=TECH)
        assert "administrators" in refused.text
        done = await say(fake, FORUM, "/unsubscribe", ADMIN, thread_id=TECH)
        assert (done.thread_id, done.text.startswith("Unsubscribed")) == (TECH, True)
        assert "Subscribed: no" in (await say(fake, FORUM, "/status", thread_id=TECH)).text
        tech_messages = len(in_topic(fake, FORUM, TECH))

        clock.now = at(monday, "07:30")
        await run_digest_job(application, "07:30")
        assert all(title in in_topic(fake, FORUM, SPORTS)[-1].text for title in TITLES)
        assert len(in_topic(fake, FORUM, TECH)) == tech_messages


async def test_filters_and_sources_in_one_topic_do_not_affect_the_other(fake, bot_config, articles):
    fake.add_group(FORUM, admins=[ADMIN], members=[MEMBER], forum=True, topics=[TECH, SPORTS])
    application, config, clock, monday = monday_bot(bot_config)
    async with running(application, config):
        await rescan_seeds(application)
        await say(fake, FORUM, "/subscribe 07:30", ADMIN, thread_id=TECH)
        await say(fake, FORUM, "/subscribe 07:30", ADMIN, thread_id=SPORTS)
        saved = await say(fake, FORUM, "/filter -harbour", ADMIN, thread_id=TECH)
        assert saved.thread_id == TECH and "harbour" in saved.text
        shown = await say(fake, FORUM, "/filter", MEMBER, thread_id=SPORTS)
        assert "No filters" in shown.text

        clock.now = at(monday, "07:30")
        await run_digest_job(application, "07:30")
        tech, sports = in_topic(fake, FORUM, TECH)[-1], in_topic(fake, FORUM, SPORTS)[-1]
        assert "Harbour reopens after storm" not in tech.text
        assert "Council votes on new bridge" in tech.text
        assert all(title in sports.text for title in TITLES)
        status = await say(fake, FORUM, "/status", MEMBER, thread_id=TECH)
        assert "Filters: 1 term (/filter); they held back 1 article" in status.text
        assert "Filters" not in (await say(fake, FORUM, "/status", thread_id=SPORTS)).text

        # /sources in Sports: the seeds folder off there, and only there.
        write_article_to = runtime(application).config.seeds.dir
        write_article(write_article_to, "fresh.md", "Fresh story", date="2024-06-01")
        await rescan_seeds(application)
        listing = await say(fake, FORUM, "/sources", MEMBER, thread_id=SPORTS)
        assert listing.thread_id == SPORTS and "✅ This bot's articles" in listing.text
        fake.press(FORUM, listing.message_id, "src:0", user_id=ADMIN)
        edited = await fake.wait_for_edit(FORUM, listing.message_id)
        assert "⬜ This bot's articles" in edited.text
        nothing = await say(fake, FORUM, "/digest", ADMIN, thread_id=SPORTS)
        assert nothing.text.startswith("Nothing new since your last digest")
        fresh = await say(fake, FORUM, "/digest", ADMIN, thread_id=TECH)
        assert (fresh.thread_id, "Fresh story" in fresh.text) == (TECH, True)
        other = await say(fake, FORUM, "/sources", MEMBER, thread_id=TECH)
        assert "✅ This bot's articles" in other.text


async def test_a_deleted_topic_stops_its_own_digest_and_the_group_gets_no_copy(
    fake, bot_config, articles, caplog
):
    fake.add_group(FORUM, admins=[ADMIN], forum=True, topics=[TECH, SPORTS])
    application, config, clock, monday = monday_bot(bot_config)
    store = runtime(application).store
    async with running(application, config):
        await rescan_seeds(application)
        await say(fake, FORUM, "/subscribe 07:30", ADMIN)  # the group itself
        await say(fake, FORUM, "/subscribe 07:30", ADMIN, thread_id=SPORTS)
        fake.delete_topic(FORUM, SPORTS)
        before = len(fake.messages(FORUM))

        clock.now = at(monday, "07:30")
        with caplog.at_level(logging.INFO, logger="bot.telegram.delivery"):
            await run_digest_job(application, "07:30")
        [digest] = fake.messages(FORUM)[before:]
        assert digest.thread_id is None and all(title in digest.text for title in TITLES)
        gone = store.get_chat(FORUM, topic=SPORTS)
        assert gone is not None and (gone.active, gone.deactivated_reason) == (False, TOPIC_GONE)
        assert store.get_chat(FORUM).subscribed  # type: ignore[union-attr]
        lines = [r.getMessage() for r in caplog.records if f"topic {SPORTS}" in r.getMessage()]
        assert lines == [f"chat {FORUM} topic {SPORTS} deactivated: {TOPIC_GONE}"]


async def test_the_bot_kicked_from_a_forum_stops_every_topic(fake, bot_config, articles):
    fake.add_group(FORUM, admins=[ADMIN], forum=True, topics=[TECH, SPORTS])
    application, config, clock, monday = monday_bot(bot_config)
    store = runtime(application).store
    async with running(application, config):
        await rescan_seeds(application)
        for topic in (None, TECH, SPORTS):
            await say(fake, FORUM, "/subscribe 07:30", ADMIN, thread_id=topic)
        fake.fail(FORUM, Fault.kicked(), times=None)
        clock.now = at(monday, "07:30")
        await run_digest_job(application, "07:30")
        assert [c.active for c in store.chat_topics(FORUM)] == [False, False, False]
        assert store.count_outbox(FORUM) == 0
        assert len(fake.calls_to("sendMessage")) == 4  # three replies, one refused digest

        fake.clear_faults(FORUM)  # added back: /start in one topic resumes them all
        await say(fake, FORUM, "/start", ADMIN, thread_id=TECH)
        assert [c.active for c in store.chat_topics(FORUM)] == [True, True, True]


async def test_a_group_becoming_a_supergroup_takes_every_topic_along(fake, bot_config, articles):
    old, new = -4242, -1004242
    fake.add_group(new, forum=True, topics=[TECH, SPORTS])
    application, config, clock, monday = monday_bot(bot_config)
    store = runtime(application).store
    async with running(application, config):
        await rescan_seeds(application)
        await say(fake, old, "/subscribe 07:30", ADMIN, thread_id=TECH)
        await say(fake, old, "/subscribe 07:30", ADMIN, thread_id=SPORTS)
        fake.fail(old, Fault.migrated(new), times=None)  # the group was upgraded

        clock.now = at(monday, "07:30")
        await run_digest_job(application, "07:30")
        digests = fake.messages(new)
        assert sorted(m.thread_id for m in digests) == [TECH, SPORTS]
        assert all(title in m.text for m in digests for title in TITLES)
        assert store.chat_topics(old) == []
        assert [c.key for c in store.subscribers()] == [(new, TECH), (new, SPORTS)]
