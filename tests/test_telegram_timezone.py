"""Setting the timezone, end to end against the fake Bot API: /timezone with a city, an
IANA name or a fixed offset, ambiguous and misspelt names answered with buttons, a
shared location, and /start naming the timezone in use with the user's likely ones."""

from __future__ import annotations

import itertools
import time as clock_time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from bot.telegram.replies import ADMINS_ONLY, FIXED_OFFSET_NOTE, LOCATION_NOTE, SHARE_LOCATION
from tests.conftest import Clock, say, write_article
from tests.fakebotapi import FakeBotAPI, Message

USER = 5151
GROUP = -100515
ADMIN, MEMBER = 51, 52
MESSAGE_IDS = itertools.count(900_000)  # far above the fake's own numbering


@pytest.fixture
async def bot(fake: FakeBotAPI, bot_config, seeds):
    write_article(seeds, "a.md", "Harbour reopens after storm", date="2024-05-01")
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        yield application


def user_message(chat: int, user: int, language: str = "en", **content: Any) -> dict[str, Any]:
    """A raw private message from ``user`` whose app speaks ``language``."""
    return {
        "message_id": next(MESSAGE_IDS),
        "from": {"id": user, "is_bot": False, "first_name": "Ana", "language_code": language},
        "chat": {"id": chat, "type": "private", "first_name": "Ana"},
        "date": int(clock_time.time()),
        **content,
    }


async def inject(fake: FakeBotAPI, chat: int, message: dict[str, Any]) -> Message:
    before = len(fake.messages(chat))
    fake.inject({"message": message})
    return await fake.wait_for_message(chat, before + 1)


def stored_timezone(application, chat: int = USER) -> str | None:
    row = runtime(application).store.get_chat(chat)
    return row.timezone if row else None


# -- /timezone with words --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "zone_name"),
    [
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("São Paulo", "America/Sao_Paulo"),
        ("sao paulo", "America/Sao_Paulo"),
        ("Mumbai", "Asia/Kolkata"),
        ("europe/berlin", "Europe/Berlin"),
    ],
)
async def test_timezone_takes_a_city_or_an_iana_name_in_any_case(bot, fake, typed, zone_name):
    reply = await say(fake, USER, f"/timezone {typed}")
    assert reply.text.startswith(f"Timezone set to {zone_name}.")
    assert FIXED_OFFSET_NOTE not in reply.text
    assert stored_timezone(bot) == zone_name


async def test_a_fixed_offset_is_set_with_a_note_and_its_digest_comes_on_time(
    fake, bot_config, seeds
):
    write_article(seeds, "a.md", "Harbour reopens after storm", date="2024-05-01")
    day = datetime.now(UTC).date() - timedelta(days=3)
    local = datetime.combine(day, datetime.min.time(), tzinfo=timezone(timedelta(hours=5.5)))
    clock = Clock((local + timedelta(hours=9, minutes=15, seconds=5)).astimezone(UTC))
    config = bot_config()
    application = build_application(config, clock=clock)
    async with running(application, config):
        await rescan_seeds(application)
        await say(fake, USER, "/subscribe 09:15")
        reply = await say(fake, USER, "/timezone UTC+5:30")
        assert reply.text.startswith("Timezone set to UTC+05:30.")
        assert FIXED_OFFSET_NOTE in reply.text
        assert stored_timezone(application) == "UTC+05:30"
        status = await say(fake, USER, "/status")
        assert "every day at 09:15 (UTC+05:30)" in status.text
        (job,) = application.job_queue.get_jobs_by_name("digest 09:15 UTC+05:30")
        before = len(fake.messages(USER))
        await job.run(application)
        await runtime(application).sender.wait_idle(timeout=5)
        digest = await fake.wait_for_message(USER, before + 1)
        assert "Harbour reopens after storm" in digest.text


async def test_gmt_minus_three_is_a_fixed_offset_too(bot, fake):
    reply = await say(fake, USER, "/timezone GMT-3")
    assert "UTC-03:00" in reply.text and FIXED_OFFSET_NOTE in reply.text


async def test_an_ambiguous_city_is_answered_with_buttons_and_the_pressed_one_is_set(bot, fake):
    reply = await say(fake, USER, "/timezone Portland")
    assert "“Portland” is in more than one timezone" in reply.text
    assert reply.button_texts() == [
        "Portland, Oregon · America/Los_Angeles",
        "Portland, Maine · America/New_York",
    ]
    assert stored_timezone(bot) is None
    fake.click(USER, reply.message_id, "Portland, Maine")
    answer = await fake.wait_for_call("answerCallbackQuery")
    assert answer.params["text"] == "Timezone: America/New_York"
    edited = await fake.wait_for_edit(USER, reply.message_id)
    assert edited.text.startswith("Timezone set to America/New_York.")
    assert edited.buttons() == []
    assert stored_timezone(bot) == "America/New_York"


async def test_a_misspelt_city_gets_suggestions_and_the_usage(bot, fake):
    reply = await say(fake, USER, "/timezone Berln")
    assert "“Berln” is not a timezone or a city I know. Did you mean" in reply.text
    assert "Usage: /timezone CITY" in reply.text
    assert any(text.endswith("Europe/Berlin") for text in reply.button_texts())
    nothing = await say(fake, USER, "/timezone Qwxzy Vvv")
    assert nothing.buttons() == [] and "Did you mean" not in nothing.text
    assert stored_timezone(bot) is None


async def test_a_forged_timezone_button_is_answered_out_of_date(bot, fake):
    reply = await say(fake, USER, "/timezone Portland")
    message = fake.message(USER, reply.message_id)
    assert message.reply_markup is not None
    message.reply_markup["inline_keyboard"].append(
        [{"text": "forged", "callback_data": "tz:Mars/Olympus"}]
    )
    fake.press(USER, reply.message_id, "tz:Mars/Olympus")
    answer = await fake.wait_for_call("answerCallbackQuery")
    assert answer.params["text"] == "This button is out of date: send /timezone again."
    assert stored_timezone(bot) is None


async def test_in_a_group_only_administrators_press_a_timezone_button(bot, fake):
    fake.add_group(GROUP, admins=[ADMIN], members=[MEMBER])
    refused = await say(fake, GROUP, "/timezone Birmingham", MEMBER)
    assert refused.text == ADMINS_ONLY and refused.buttons() == []
    reply = await say(fake, GROUP, "/timezone Birmingham", ADMIN)
    fake.click(GROUP, reply.message_id, "Birmingham, Alabama", MEMBER)
    pressed = await fake.wait_for_call("answerCallbackQuery")
    assert pressed.params["text"] == ADMINS_ONLY
    assert stored_timezone(bot, GROUP) is None
    fake.click(GROUP, reply.message_id, "Birmingham, Alabama", ADMIN)
    await fake.wait_for_edit(GROUP, reply.message_id)
    assert stored_timezone(bot, GROUP) == "America/Chicago"


# -- a shared location -----------------------------------------------------------------


async def test_timezone_alone_in_a_private_chat_offers_to_share_the_location(bot, fake):
    reply = await say(fake, USER, "/timezone")
    assert "Your digests use UTC, this bot's default, until you set your timezone." in reply.text
    assert reply.reply_markup is not None
    (row,) = reply.reply_markup["keyboard"]
    assert row == [{"text": SHARE_LOCATION, "request_location": True}]


async def test_a_shared_location_sets_the_timezone_and_is_not_kept(bot, fake):
    location = {"location": {"latitude": -23.55, "longitude": -46.63}}
    reply = await inject(fake, USER, user_message(USER, USER, **location))
    assert reply.text.startswith("Timezone set to America/Sao_Paulo, from your location.")
    assert LOCATION_NOTE in reply.text
    assert reply.reply_markup == {"remove_keyboard": True}
    assert stored_timezone(bot) == "America/Sao_Paulo"


async def test_a_location_at_sea_gets_the_nautical_zone_as_an_offset(bot, fake):
    location = {"location": {"latitude": 40.0, "longitude": -30.0}}
    reply = await inject(fake, USER, user_message(USER, USER, **location))
    assert reply.text.startswith("Timezone set to UTC-02:00, from your location.")
    assert stored_timezone(bot) == "Etc/GMT+2"


# -- /start ------------------------------------------------------------------------------


async def test_start_names_the_default_timezone_and_offers_the_language_s_likely_ones(bot, fake):
    reply = await inject(
        fake,
        USER,
        user_message(
            USER,
            USER,
            "de",
            text="/start",
            entities=[{"type": "bot_command", "offset": 0, "length": 6}],
        ),
    )
    # A German app: the answer is German (the chat's language from its first message).
    assert "Deine Übersichten nutzen UTC, die Standardzeitzone dieses Bots" in reply.text
    assert reply.button_texts() == [
        "Berlin · Europe/Berlin",
        "Vienna · Europe/Vienna",
        "Zurich · Europe/Zurich",
    ]
    fake.click(USER, reply.message_id, "Vienna")
    await fake.wait_for_edit(USER, reply.message_id)
    assert stored_timezone(bot) == "Europe/Vienna"
    again = await say(fake, USER, "/start")
    assert "Deine Zeitzone: Europe/Vienna (/timezone ändert sie)." in again.text
    assert again.buttons() == []


async def test_start_in_a_language_without_likely_zones_still_says_how_to_set_one(bot, fake):
    reply = await inject(
        fake,
        USER,
        user_message(
            USER,
            USER,
            "xx",
            text="/start",
            entities=[{"type": "bot_command", "offset": 0, "length": 6}],
        ),
    )
    assert "until you set yours: send /timezone and your city" in reply.text
    assert reply.buttons() == []
