"""A digest in the size and form the chat asked for, and groups that are not spammed.

/settings (one message with buttons, edited in place; admins only in groups), what
the scheduled digest, /digest and the outbox sender make of it, /digest in groups,
and digests split by their visible text. Real HTTP: the fake Bot API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import DigestSettings, describe, press
from bot.store import Store
from bot.telegram.app import build_application, running, runtime
from bot.telegram.handlers.settings import STALE_BUTTON
from bot.telegram.jobs import rescan_seeds
from bot.telegram.replies import ADMINS_ONLY
from tests.conftest import Clock, say, write_article
from tests.fakebotapi import FakeBotAPI

CHAT = 4711
GROUP, ADMIN, MEMBER = -100555, 51, 52


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def digest_time(now: datetime) -> str:
    return (now - timedelta(minutes=5)).strftime("%H:%M")


TOPICS = [
    ("harbour", "ferry", "fishermen"),
    ("council", "budget", "tram"),
    ("orchestra", "concert", "violin"),
    ("hospital", "nurses", "ward"),
    ("school", "pupils", "exam"),
    ("football", "striker", "league"),
    ("library", "books", "reading"),
    ("railway", "signals", "commuters"),
    ("bakery", "bread", "flour"),
    ("museum", "painting", "exhibition"),
]


def distinct(n: int) -> list[str]:
    """Paragraphs about a topic of their own: articles that tell different stories."""
    a, b, c = TOPICS[n]
    return [
        f"The {a} announced changes to its {b} plans on Monday. "
        f"Local {c} welcomed the news after months of waiting.",
        f"A spokesperson said the {b} work would start in spring. "
        f"The {a} expects more {c} next year than ever before.",
    ]


@pytest.fixture
def eight_articles(seeds):
    for n in range(8):
        write_article(
            seeds, f"a{n}.md", f"Story number {n}", date=f"2024-05-0{n + 1}", paragraphs=distinct(n)
        )


async def run_digest_job(application, digest_time: str) -> None:
    (job,) = application.job_queue.get_jobs_by_name(f"digest {digest_time} UTC")
    await job.run(application)
    await runtime(application).sender.wait_idle(timeout=5)


def digest_calls(fake: FakeBotAPI, chat: int) -> list:
    return [
        c
        for c in fake.calls_to("sendMessage")
        if c.params.get("chat_id") == chat and "Your digest" in c.params.get("text", "")
    ]


# -- pure -----------------------------------------------------------------------------


def test_buttons_change_one_setting_each_and_forged_data_changes_nothing() -> None:
    start = DigestSettings()
    assert press(start, "set:size:5") == DigestSettings(size=5)
    assert press(start, "set:form:headlines") == DigestSettings(headlines=True)
    assert press(start, "set:silent:on") == DigestSettings(silent=True)
    assert press(DigestSettings(previews=True), "set:previews:off") == start
    for forged in ("set:size:7", "set:size:99", "set:form:poems", "set:loud:on", "src:1", ""):
        assert press(start, forged) is None
    assert describe(start, 10) == "10 stories · summaries · with sound · no link previews"
    assert describe(DigestSettings(5, True, True, True), 10) == (
        "5 stories · headlines only · silent · link previews"
    )


def test_settings_are_stored_per_subscriber_and_a_new_topic_starts_from_the_chats(
    tmp_path, shared_store_target: str
):
    with Store(shared_store_target) as store:
        chosen = DigestSettings(size=20, headlines=True, silent=True)
        assert store.set_digest_settings(1, chosen).settings == chosen
        assert store.get_chat(1).settings == chosen
        store.set_timezone(1, "UTC", topic=9)  # creates the topic's row
        assert store.get_chat(1, topic=9).settings == chosen
        store.set_digest_settings(1, DigestSettings(size=5), topic=9)
        assert store.get_chat(1).settings == chosen  # the chat keeps its own
        moved = store.migrate_chat(1, -1001)
        assert moved is not None and moved.settings == chosen
        assert store.get_chat(-1001, topic=9).settings == DigestSettings(size=5)
        with pytest.raises(ValueError):
            store.set_digest_settings(1, DigestSettings(size=1000))


# -- /settings ------------------------------------------------------------------------


async def test_settings_buttons_edit_the_message_in_place_and_status_shows_them(
    fake, bot_config
) -> None:
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        shown = await say(fake, CHAT, "/settings")
        assert "Stories per digest: 10" in shown.text
        assert "✓ 10" in shown.button_texts() and "✓ Summaries" in shown.button_texts()
        fake.press(CHAT, shown.message_id, "set:size:5")
        edited = await fake.wait_for_edit(CHAT, shown.message_id)
        assert "Stories per digest: 5" in edited.text and "✓ 5" in edited.button_texts()
        for n, data in enumerate(("set:form:headlines", "set:silent:on", "set:previews:on"), 2):
            fake.press(CHAT, shown.message_id, data)
            edited = await fake.wait_for_edit(CHAT, shown.message_id, n)
        assert edited.text.splitlines()[1:] == [
            "Stories per digest: 5",
            "Form: headlines only",
            "Notifications: silent",
            "Link previews: on",
        ]
        assert len(fake.messages(CHAT)) == 1  # one message, edited in place
        status = await say(fake, CHAT, "/status")
        assert "Digest: 5 stories · headlines only · silent · link previews (/settings)" in (
            status.text
        )


async def test_a_scheduled_digest_has_the_chosen_size_and_form_and_is_sent_silently(
    fake, bot_config, eight_articles, now, digest_time
) -> None:
    config = bot_config()
    application = build_application(config, clock=lambda: now)
    async with running(application, config):
        await rescan_seeds(application)
        await say(fake, CHAT, f"/subscribe {digest_time}")
        shown = await say(fake, CHAT, "/settings")
        for n, data in enumerate(("set:size:5", "set:form:headlines", "set:silent:on"), 1):
            fake.press(CHAT, shown.message_id, data)
            await fake.wait_for_edit(CHAT, shown.message_id, n)
        await run_digest_job(application, digest_time)
        (call,) = digest_calls(fake, CHAT)
        assert call.params["disable_notification"] is True
        assert call.params["link_preview_options"] == {"is_disabled": True}
        digest = fake.last_message(CHAT)
        assert len(digest.bold()) == 1 + 5  # the header and five stories
        assert not [e for e in digest.entities if e["type"] == "expandable_blockquote"]
        assert "/article" in digest.text and "May 2024" in digest.text


async def test_link_previews_on_and_summaries_are_the_other_choices(
    fake, bot_config, eight_articles, now, digest_time
) -> None:
    config = bot_config()
    application = build_application(config, clock=lambda: now)
    async with running(application, config):
        await rescan_seeds(application)
        await say(fake, CHAT, f"/subscribe {digest_time}")
        shown = await say(fake, CHAT, "/settings")
        fake.press(CHAT, shown.message_id, "set:previews:on")
        await fake.wait_for_edit(CHAT, shown.message_id)
        await run_digest_job(application, digest_time)
        (call,) = digest_calls(fake, CHAT)
        assert "link_preview_options" not in call.params
        assert not call.params.get("disable_notification")
        digest = fake.last_message(CHAT)
        assert len(digest.bold()) == 1 + 8
        quotes = [e for e in digest.entities if e["type"] == "expandable_blockquote"]
        assert len(quotes) == 8


async def test_in_a_group_anyone_sees_the_settings_and_only_admins_change_them(
    fake, bot_config
) -> None:
    fake.add_group(GROUP, admins=[ADMIN], members=[MEMBER])
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        shown = await say(fake, GROUP, "/settings", MEMBER)
        assert "administrators can change them" in shown.text
        query = fake.press(GROUP, shown.message_id, "set:size:30", user_id=MEMBER)
        await fake.wait_until(lambda: query in fake.answered_callbacks)
        assert fake.answered_callbacks[query]["text"] == ADMINS_ONLY
        assert runtime(application).store.get_chat(GROUP) is None  # nothing stored
        fake.press(GROUP, shown.message_id, "set:size:30", user_id=ADMIN)
        edited = await fake.wait_for_edit(GROUP, shown.message_id)
        assert "Stories per digest: 30" in edited.text
        assert runtime(application).store.get_chat(GROUP).settings.size == 30


async def test_a_channels_settings_are_changed_by_its_administrators_from_a_private_chat(
    fake, bot_config
) -> None:
    channel, reader = -100777888, 61
    fake.add_channel(channel)
    fake.set_member(channel, ADMIN, "administrator")
    fake.set_member(channel, reader, "member")
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        # Posted in the channel: one line for the readers, pointing to a private chat.
        before = len(fake.messages(channel))
        fake.post_in_channel(channel, "/settings")
        pointer = await fake.wait_for_message(channel, before + 1)
        assert "/channel" in pointer.text and not pointer.buttons()
        refused = await say(fake, reader, f"/channel {channel}")
        assert "Only the administrators of channel" in refused.text
        assert "Now managing" in (await say(fake, ADMIN, f"/channel {channel}")).text
        shown = await say(fake, ADMIN, "/settings")
        assert shown.text.startswith("Channel «Channel»:")
        fake.press(ADMIN, shown.message_id, "set:silent:on", user_id=ADMIN)
        edited = await fake.wait_for_edit(ADMIN, shown.message_id)
        assert "Notifications: silent" in edited.text
        assert runtime(application).store.get_chat(channel).settings.silent
        own = runtime(application).store.get_chat(ADMIN)
        assert own is None or not own.settings.silent


async def test_a_stale_settings_button_is_answered_out_of_date(fake, bot_config) -> None:
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        shown = await say(fake, CHAT, "/settings")
        # An older version's button under the same message: not ours to act on.
        message = fake.message(CHAT, shown.message_id)
        message.reply_markup["inline_keyboard"].append(
            [{"text": "old", "callback_data": "set:size:15"}]
        )
        query = fake.press(CHAT, shown.message_id, "set:size:15")
        await fake.wait_until(lambda: query in fake.answered_callbacks)
        assert fake.answered_callbacks[query]["text"] == STALE_BUTTON


# -- /digest in groups, and what it takes -----------------------------------------------


async def test_in_a_group_a_members_digest_is_one_line_pointing_to_a_private_chat(
    fake, bot_config, eight_articles
) -> None:
    fake.add_group(GROUP, admins=[ADMIN], members=[MEMBER])
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await rescan_seeds(application)
        refused = await say(fake, GROUP, "/digest", MEMBER)
        assert refused.text == (
            "In this group /digest is for administrators. Your own digest: t.me/"
            + application.bot.username
        )
        assert len(refused.text.splitlines()) == 1
        digest = await say(fake, GROUP, "/digest", ADMIN)
        assert digest.bold()[0] == "Your digest" and len(digest.bold()) == 1 + 8


async def test_a_subscribers_digest_is_a_preview_that_takes_nothing_from_the_next_one(
    fake, bot_config, eight_articles, now, digest_time
) -> None:
    config = bot_config()
    application = build_application(config, clock=lambda: now)
    async with running(application, config):
        await rescan_seeds(application)
        await say(fake, CHAT, f"/subscribe {digest_time}")
        preview = await say(fake, CHAT, "/digest")
        assert preview.text.endswith(
            "A preview: your next scheduled digest still brings these. /article lists them all."
        )
        assert "Articles waiting: 8 new articles" in (await say(fake, CHAT, "/status")).text
        await run_digest_job(application, digest_time)
        scheduled = fake.last_message(CHAT)
        assert scheduled.bold()[1:] == preview.bold()[1:]  # the same stories, still there
        assert "preview" not in scheduled.text


async def test_an_unsubscribed_chats_digest_takes_what_it_shows(
    fake, bot_config, eight_articles
) -> None:
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await rescan_seeds(application)
        first = await say(fake, CHAT, "/digest")
        assert first.text.endswith("The next /digest starts after these. /article lists them all.")
        again = await say(fake, CHAT, "/digest")
        assert again.text.startswith("Nothing new since your last digest")


# -- visible text -------------------------------------------------------------------------


async def test_ten_items_with_long_links_are_one_message_of_visible_text(
    fake, bot_config, seeds
) -> None:
    long_query = "&".join(f"utm_{k}=" + "x" * 40 for k in range(6))
    for n in range(10):
        write_article(
            seeds,
            f"l{n}.md",
            f'A long-linked & "quoted" story {n}',
            date="2026-12-07",
            url=f"https://news.example.com/2026/12/07/story-{n}?{long_query}",
            paragraphs=distinct(n),
        )
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await rescan_seeds(application)
        digest = await say(fake, CHAT, "/digest")
        (call,) = digest_calls(fake, CHAT)
        assert len(call.params["text"]) > 4096  # the HTML source
        assert len(digest.bold()) == 1 + 10  # ... yet one message: the visible text fits
        assert len(digest.links()) == 10


# -- the digest ranks stories -----------------------------------------------------------

STORM_A = "Storm Ciara floods harbour town of Kingsbridge"
STORM_B = "Kingsbridge harbour flooded as Storm Ciara hits coast"
STORM_TEXT = [
    "The storm brought heavy rain to the town on Sunday night and the water rose quickly "
    "in the streets.",
    "Residents were moved to the school hall while crews pumped water out of houses near the quay.",
]


async def test_the_digest_shows_the_biggest_stories_first_and_the_next_starts_after_it(
    fake, bot_config, seeds, now, digest_time
) -> None:
    # Two articles of one story (older than the rest), six single ones, newer.
    write_article(seeds, "s1.md", STORM_A, date="2026-11-01", paragraphs=STORM_TEXT)
    write_article(seeds, "s2.md", STORM_B, date="2026-11-01", paragraphs=STORM_TEXT)
    for n in range(6):
        write_article(
            seeds,
            f"o{n}.md",
            f"Unrelated item {n} about topic {n}",
            date=f"2026-11-1{n}",
            paragraphs=distinct(n),
        )
    config = bot_config()
    clock = Clock(now - timedelta(days=1))
    application = build_application(config, clock=clock)
    async with running(application, config):
        await rescan_seeds(application)
        await say(fake, CHAT, f"/subscribe {digest_time}")
        shown = await say(fake, CHAT, "/settings")
        fake.press(CHAT, shown.message_id, "set:size:5")
        await fake.wait_for_edit(CHAT, shown.message_id)
        await run_digest_job(application, digest_time)
        digest = fake.last_message(CHAT)
        header = digest.text.splitlines()[0]
        assert header.endswith("· 5 of 7 new stories")
        # The story two articles tell comes first, once, with the other as "Also:".
        assert digest.bold()[1] in (STORM_A, STORM_B)
        assert sum(title in (STORM_A, STORM_B) for title in digest.bold()) == 1
        assert digest.text.splitlines()[4].startswith("Also: ")
        # Then the newest single items; the end says where the other two are.
        assert digest.bold()[2:] == [f"Unrelated item {n} about topic {n}" for n in (5, 4, 3, 2)]
        assert digest.text.endswith("2 more new stories: /article lists every article.")

        # The next day: only what arrived since; the two left out stay in /article.
        write_article(seeds, "fresh.md", "Fresh story", date="2026-12-01", paragraphs=distinct(9))
        await rescan_seeds(application)
        clock.now = now
        await run_digest_job(application, digest_time)
        assert fake.last_message(CHAT).bold() == ["Your digest", "Fresh story"]
        listing = await say(fake, CHAT, "/article")
        assert "Unrelated item 0 about topic 0" in listing.text
