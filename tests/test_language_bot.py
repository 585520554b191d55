"""The bot speaks the chat's language, end to end against the fake Bot API: Telegram's
``language_code`` on first contact, ``/language`` buttons that switch it (the message
edited in place), command menus registered per language, and Arabic written right to
left."""

from __future__ import annotations

import itertools
import re
import time
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.locales import LANGUAGES
from bot.schedule import Slot
from bot.store import Store
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import queue_due_digests, rescan_seeds
from bot.telegram.replies import ADMINS_ONLY
from tests.conftest import write_article
from tests.fakebotapi import FakeBotAPI, Message
from tests.test_jobs import add_article

MESSAGE_IDS = itertools.count(700_000)  # far above the fake's own numbering


@pytest.fixture
async def bot(fake: FakeBotAPI, bot_config, seeds):
    write_article(seeds, "a.md", "Harbour reopens after storm", date="2024-05-01")
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        yield application


async def command(fake: FakeBotAPI, chat: int, text: str, language: str | None) -> Message:
    """``text`` (a command) sent in a private chat by a user whose app speaks ``language``."""
    user: dict[str, Any] = {"id": chat, "is_bot": False, "first_name": "Ana"}
    if language is not None:
        user["language_code"] = language
    name = text.split()[0]
    before = len(fake.messages(chat))
    fake.inject(
        {
            "message": {
                "message_id": next(MESSAGE_IDS),
                "from": user,
                "chat": {"id": chat, "type": "private", "first_name": "Ana"},
                "date": int(time.time()),
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(name)}],
            }
        }
    )
    return await fake.wait_for_message(chat, before + 1)


def first_strong_direction(text: str) -> str:
    plain = re.sub(r"<[^>]+>", "", text)
    return next(
        unicodedata.bidirectional(c)
        for c in plain
        if unicodedata.bidirectional(c) in ("L", "R", "AL")
    )


async def test_a_german_user_gets_german_replies_from_the_first_message(
    fake: FakeBotAPI, bot
) -> None:
    reply = await command(fake, 4101, "/start", "de")
    assert "Hallo! Ich bin digestbot." in reply.text
    assert runtime(bot).store.chat_language(4101) == "de"
    reply = await command(fake, 4101, "/status", "de")
    assert "Abonniert: nein" in reply.text


async def test_a_regional_code_uses_its_language_and_an_unknown_one_english(
    fake: FakeBotAPI, bot
) -> None:
    assert "Olá! Eu sou o digestbot." in (await command(fake, 4102, "/start", "pt-br")).text
    assert "Hello! I am digestbot." in (await command(fake, 4103, "/start", "ja")).text
    assert "Hello! I am digestbot." in (await command(fake, 4104, "/start", None)).text


async def test_the_language_stays_the_chats_whatever_the_app_says_later(
    fake: FakeBotAPI, bot
) -> None:
    await command(fake, 4105, "/start", "fr")
    reply = await command(fake, 4105, "/help", "en")
    assert "<b>Commandes</b>" in (reply.html or "")


async def test_language_buttons_switch_the_chat_and_edit_the_message(fake: FakeBotAPI, bot) -> None:
    chat = 4106
    shown = await command(fake, chat, "/language", "en")
    assert "English" in shown.text
    assert len(shown.buttons()) == len(LANGUAGES)
    assert "✅ English" in shown.button_texts()
    query = fake.click(chat, shown.message_id, "Deutsch")
    edited = await fake.wait_for_edit(chat, shown.message_id)
    assert "Ich spreche in diesem Chat" in edited.text
    assert "✅ Deutsch" in edited.button_texts()
    await fake.wait_until(lambda: query in fake.answered_callbacks, what="the toast")
    assert fake.answered_callbacks[query]["text"] == "Ab jetzt spreche ich hier Deutsch."
    assert runtime(bot).store.chat_language(chat) == "de"
    reply = await command(fake, chat, "/unsubscribe", "en")
    assert reply.text == "Du hast kein Abo. /subscribe startet deine Übersichten."


async def test_an_arabic_reply_reads_right_to_left(fake: FakeBotAPI, bot) -> None:
    reply = await command(fake, 4107, "/start", "ar")
    assert "مرحبًا" in reply.text
    assert first_strong_direction(reply.html or reply.text) in ("R", "AL")
    reply = await command(fake, 4107, "/help", "ar")
    assert first_strong_direction(reply.html or reply.text) in ("R", "AL")


async def test_the_digest_header_is_in_the_chats_language(fake: FakeBotAPI, bot) -> None:
    await rescan_seeds(bot)
    reply = await command(fake, 4108, "/digest", "de")
    assert reply.text.startswith("Deine Übersicht · ")
    assert "1 Meldung" in reply.text


async def test_command_menus_are_registered_per_language(fake: FakeBotAPI, bot) -> None:
    calls = fake.calls_to("setMyCommands")
    codes = {str(call.params.get("language_code") or "") for call in calls}
    assert codes == {"" if code == "en" else code for code in LANGUAGES}
    assert [c["command"] for c in fake.commands_by_language["de"]] == [
        c["command"] for c in fake.commands
    ]
    german = {c["command"]: c["description"] for c in fake.commands_by_language["de"]}
    assert german["help"] == "Alle Befehle"
    assert {c["command"]: c["description"] for c in fake.commands}["help"] == "All commands"


def test_the_scheduled_digest_of_each_chat_is_in_its_language(store_target: str) -> None:
    with Store(store_target) as store:
        add_article(store, "one", "2024-01-01")
        for chat_id in (1, 2, 3):
            store.subscribe(chat_id, "08:00", "Europe/Berlin")
        store.set_chat_language(2, "de")
        store.set_chat_language(3, "ru")
        now = datetime(2026, 1, 15, 7, 0, 3, tzinfo=UTC)
        report = queue_due_digests(
            store, Slot("08:00", "Europe/Berlin"), now, default_timezone="UTC", max_articles=10
        )
        assert report.queued == 3
        texts = {item.chat_id: item.text for item in store.due_outbox(now, limit=10)}
        assert texts[1].startswith("<b>Your digest</b> · Thu 15 Jan 2026 · 1 story")
        assert texts[2].startswith("<b>Deine Übersicht</b> · Do., 15. Jan. 2026 · 1 Meldung")
        assert "<i>1 Jan 2024</i>" in texts[1] and "<i>1. Jan. 2024</i>" in texts[2]
        assert texts[3].startswith("<b>Ваш дайджест</b> · чт, 15 янв. 2026\u202fг. · 1 сюжет")


async def test_an_article_and_its_buttons_are_in_the_chats_language(fake: FakeBotAPI, bot) -> None:
    await rescan_seeds(bot)
    english = await command(fake, 4109, "/article", "en")
    assert "Articles 1–1 of 1, newest first" in english.text
    german = await command(fake, 4110, "/article", "de")
    assert "Artikel 1–1 von 1, neueste zuerst" in german.text
    assert "Tippe eine Nummer an oder sende /article N." in german.text
    missing = await command(fake, 4110, "/article 99", "de")
    assert missing.text.startswith("Es gibt keinen Artikel 99 (jetzt 1 Artikel).")


async def test_a_channel_managed_from_a_german_chat_is_named_in_german(
    fake: FakeBotAPI, bot_config, seeds
) -> None:
    owner, channel = 4120, -1004120
    fake.add_channel(channel, title="News", creator=owner)
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        runtime(application).store.set_chat_language(owner, "de")
        before = len(fake.messages(owner))
        fake.bot_status_changed(channel, "administrator", owner)
        told = await fake.wait_for_message(owner, before + 1)
        assert "Ich bin jetzt Administrator des Kanals «News»" in told.text
        listing = await command(fake, owner, "/channel", "en")
        assert listing.button_texts() == ["📢 News", "💬 Dieser Chat"]
        fake.click(owner, listing.message_id, "📢 News", owner)
        chosen = await fake.wait_for_edit(owner, listing.message_id)
        assert "Du verwaltest jetzt Kanal «News»" in chosen.text
        reply = await command(fake, owner, "/subscribe 07:30", "en")
        assert reply.text.startswith("Kanal «News»: Abonniert")


async def test_in_a_group_only_administrators_change_the_language(fake: FakeBotAPI, bot) -> None:
    group, admin, member = -1004130, 4131, 4132
    fake.add_group(group, creator=admin, members=[member])
    before = len(fake.messages(group))
    fake.send_text(group, "/language", member)
    shown = await fake.wait_for_message(group, before + 1)
    refused = fake.click(group, shown.message_id, "Deutsch", member)
    await fake.wait_until(lambda: refused in fake.answered_callbacks, what="the refusal")
    assert fake.answered_callbacks[refused]["text"] == ADMINS_ONLY
    assert runtime(bot).store.chat_language(group) == "en"
    fake.click(group, shown.message_id, "Deutsch", admin)
    await fake.wait_for_edit(group, shown.message_id)
    assert runtime(bot).store.chat_language(group) == "de"


async def test_the_chosen_language_tapped_again_changes_nothing_and_is_no_error(
    fake: FakeBotAPI, bot
) -> None:
    chat = 4115
    shown = await command(fake, chat, "/language", "en")
    query = fake.press(chat, shown.message_id, "lang:en")  # the one already chosen
    await fake.wait_until(lambda: query in fake.answered_callbacks, what="the toast")
    # Telegram refuses the edit ("message is not modified"): no "something went wrong".
    reply = await command(fake, chat, "/unsubscribe", "en")  # after the button: same chat
    assert fake.calls_to("editMessageText")
    assert [m.text for m in fake.messages(chat)] == [shown.text, reply.text]
    assert reply.text == "You are not subscribed. /subscribe starts your digests."
