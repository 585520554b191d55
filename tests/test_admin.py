"""Admin-only commands answer the user ids in [telegram] admin_ids and nobody else."""

from __future__ import annotations

import pytest

from bot.telegram.app import build_application, running
from bot.telegram.jobs import rescan_seeds
from tests.conftest import say, write_article
from tests.fakebotapi import FakeBotAPI
from tests.test_language_bot import command

ADMIN = 7001
USER = 7002


@pytest.fixture
async def bot(fake: FakeBotAPI, bot_config, seeds):
    write_article(seeds, "a.md", "Harbour reopens after storm", date="2024-05-01")
    config = bot_config(telegram={"admin_ids": [ADMIN]})
    application = build_application(config)
    async with running(application, config):
        await rescan_seeds(application)
        yield application


async def test_stats_answers_an_admin_with_the_counts(bot, fake):
    await say(fake, USER, "/subscribe 08:00")
    reply = await say(fake, ADMIN, "/stats")
    assert reply.text == ("digestbot\nSubscribers: 1\nArticles: 1\nMessages waiting to be sent: 0")


@pytest.mark.parametrize("command", ["/stats", "/rescan"])
async def test_admin_commands_are_unknown_to_everyone_else(bot, fake, command):
    reply = await say(fake, USER, command)
    assert reply.text == f"I do not know {command}. /help lists the commands."


async def test_an_admin_in_a_group_is_recognised_by_user_not_chat(bot, fake):
    group = -100123
    before = len(fake.messages(group))
    fake.send_text(group, "/stats", user_id=ADMIN)
    reply = await fake.wait_for_message(group, before + 1)
    assert reply.text.startswith("digestbot\nSubscribers:")
    fake.send_text(group, "/stats", user_id=USER)
    reply = await fake.wait_for_message(group, before + 2)
    assert reply.text == "I do not know /stats. /help lists the commands."


async def test_rescan_reads_new_seed_files_now(bot, fake, seeds):
    write_article(seeds, "b.md", "Council votes on new bridge", date="2024-05-02")
    reply = await say(fake, ADMIN, "/rescan")
    assert reply.text == "Seeds folder read: 2 articles (before: 1)."


async def test_a_german_admin_gets_stats_and_rescan_in_german(bot, fake, seeds):
    reply = await command(fake, ADMIN, "/stats", "de")
    assert reply.text == (
        "digestbot\nAbonnenten: 0\nArtikel: 1\nNachrichten in der Warteschlange: 0"
    )
    write_article(seeds, "b.md", "Council votes on new bridge", date="2024-05-02")
    reply = await command(fake, ADMIN, "/rescan", "de")
    assert reply.text == "Seeds-Ordner gelesen: 2 Artikel (vorher: 1)."
