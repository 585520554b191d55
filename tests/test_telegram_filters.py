"""/filter and the digest format end to end, through the fake Bot API: filters shape
/digest and the scheduled digest, /status counts what they held back, bad input gets
a reason and the usage, and every digest item has its blockquote summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest import day_text
from bot.filters import MAX_TERMS
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from tests import conftest
from tests.conftest import Clock, write_article
from tests.fakebotapi import FakeBotAPI, Message

CHAT = 5151
OTHER = 6262
FOOTBALL = "Transfer window closes with record deals"
ELECTION = "Local elections decided in the north"
HARBOUR = "Harbour reopens after storm"


@pytest.fixture
def now() -> datetime:
    # Real time: the outbox sender sends items due at or before its own (real) clock.
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def bot(fake: FakeBotAPI, bot_config, seeds, now):
    write_article(seeds, "football.md", FOOTBALL, date="2024-05-03")
    write_article(seeds, "election.md", ELECTION, date="2024-05-02")
    write_article(seeds, "harbour.md", HARBOUR, date="2024-05-01")
    config = bot_config()
    application = build_application(config, clock=Clock(now))
    async with running(application, config):
        await rescan_seeds(application)
        yield application


async def ask(fake: FakeBotAPI, text: str, chat: int = CHAT) -> Message:
    return await conftest.ask(fake, text, chat)


def titles(message: Message) -> list[str]:
    return message.bold()[1:]  # after "Your digest"


# -- /filter ---------------------------------------------------------------------------


async def test_filter_alone_explains_how_to_use_it(bot, fake):
    reply = await ask(fake, "/filter")
    assert reply.text.startswith("No filters: your digests hold every new article.")
    assert "/filter -football" in reply.text
    assert '/filter -"transfer window"' in reply.text
    assert "/filter +election" in reply.text
    assert "/filter remove football" in reply.text and "/filter clear" in reply.text


async def test_filters_are_listed_then_removed_then_cleared(bot, fake):
    reply = await ask(fake, '/filter -football -"Transfer  Window" +election')
    assert "Filters saved" in reply.text
    assert "Your filters (3 of 50)" in reply.text
    assert 'Muted: football, "Transfer Window"' in reply.text
    assert "Only articles with: election" in reply.text
    store = runtime(bot).store
    assert store.filter_terms(CHAT) == [
        ("-", "football"),
        ("-", "Transfer Window"),
        ("+", "election"),
    ]

    reply = await ask(fake, "/filter remove FOOTBALL cricket")
    assert reply.text.startswith("Removed: football. You had no filter “cricket”.")
    assert "Your filters (2 of 50)" in reply.text
    reply = await ask(fake, '/filter remove "transfer window"')
    assert reply.text.startswith("Removed: Transfer Window.")

    reply = await ask(fake, "/filter clear")
    assert reply.text.startswith("Removed 1 filter.\nNo filters")
    assert store.filter_terms(CHAT) == []
    assert store.filter_terms(OTHER) == []


async def test_a_term_can_switch_from_mute_to_keep(bot, fake):
    await ask(fake, "/filter -election")
    reply = await ask(fake, "/filter +Élection")
    assert "Only articles with: Élection" in reply.text and "Muted" not in reply.text
    assert runtime(bot).store.filter_terms(CHAT) == [("+", "Élection")]


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("/filter football", "Start “football” with - to mute articles that mention it"),
        ('/filter -"transfer window', "The quote before “transfer window” is not closed."),
        ("/filter -" + "x" * 51, "a filter term has at most 50."),
        ("/filter -<&>", "“<&>” has no letters or digits"),
        ("/filter remove", "Say which word to remove"),
    ],
)
async def test_bad_input_gets_the_reason_and_the_usage(bot, fake, command, reason):
    reply = await ask(fake, command)
    assert reason in reply.text
    assert "/filter -word — mute articles that mention it" in reply.text
    assert runtime(bot).store.filter_terms(CHAT) == []


async def test_more_than_fifty_terms_are_refused_with_a_clear_reply(bot, fake):
    reply = await ask(fake, "/filter " + " ".join(f"-w{n}" for n in range(MAX_TERMS)))
    assert "Your filters (50 of 50)" in reply.text
    reply = await ask(fake, "/filter +one +two")
    assert reply.text.startswith("Too many filters: a chat has at most 50 terms")
    assert "this would make 52. Nothing was changed" in reply.text
    assert len(runtime(bot).store.filter_terms(CHAT)) == MAX_TERMS
    # Changing the mode of a term it has is no new term.
    reply = await ask(fake, "/filter +w7")
    assert "Filters saved" in reply.text


async def test_an_overlong_argument_is_refused_before_parsing(bot, fake):
    reply = await ask(fake, "/filter " + "-word " * 600)
    assert reply.text.startswith("That argument is too long (3,599 characters; at most 3,000)")


# -- the filters at work ----------------------------------------------------------------


async def test_digest_leaves_out_muted_articles_and_status_counts_them(bot, fake):
    await ask(fake, '/filter -"transfer window"')
    reply = await ask(fake, "/digest")
    assert titles(reply) == [ELECTION, HARBOUR]
    assert "Transfer" not in reply.text
    status = await ask(fake, "/status")
    assert "Filters: 1 term (/filter); they held back 1 article" in status.text
    assert "Articles waiting: 0 new articles" in status.text


async def test_keep_terms_match_other_forms_of_the_word(bot, fake):
    await ask(fake, "/filter +election")  # the title says "elections"
    reply = await ask(fake, "/digest")
    assert titles(reply) == [ELECTION]
    assert "held back 2 articles" in (await ask(fake, "/status")).text


async def test_everything_held_back_says_so(bot, fake):
    await ask(fake, "/filter +cricket")
    reply = await ask(fake, "/digest")
    assert reply.text == (
        "Nothing new since your last digest. Your filters held back 3 articles "
        "(/filter shows them)."
    )


async def test_scheduled_digests_follow_each_chats_filters(bot, fake, now):
    digest_time = (now - timedelta(minutes=5)).strftime("%H:%M")
    for chat in (CHAT, OTHER):
        await ask(fake, f"/subscribe {digest_time}", chat)
    await ask(fake, "/filter -storm", CHAT)  # "Harbour reopens after storm"
    await ask(fake, "/filter +transfers", OTHER)
    (job,) = bot.job_queue.get_jobs_by_name(f"digest {digest_time} UTC")
    await job.run(bot)
    await runtime(bot).sender.wait_idle(timeout=5)

    mine, theirs = fake.last_message(CHAT), fake.last_message(OTHER)
    assert titles(mine) == [FOOTBALL, ELECTION]
    assert titles(theirs) == [FOOTBALL]
    # Dated by the slot's day (5 minutes back: yesterday just after midnight).
    slot_day = (now - timedelta(minutes=5)).date()
    assert theirs.text.startswith(f"Your digest · {day_text(slot_day)} · 1 story\n")
    assert "held back 1 article" in (await ask(fake, "/status", CHAT)).text
    assert "held back 2 articles" in (await ask(fake, "/status", OTHER)).text
    # What was held back stays back, even without the filter.
    await ask(fake, "/filter clear", CHAT)
    again = await ask(fake, "/digest", CHAT)
    assert again.text.startswith("Nothing new since your last digest.")
    status = await ask(fake, "/status", CHAT)
    assert "Filters: none now (/filter); they held back 1 article" in status.text


# -- the digest's format -----------------------------------------------------------------


async def test_each_item_has_its_link_date_number_and_a_folded_summary(bot, fake, now):
    await ask(fake, "/timezone Pacific/Kiritimati")  # UTC+14: often another day than UTC
    reply = await ask(fake, "/digest")
    local_day = now.astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    assert reply.text.startswith(f"Your digest · {day_text(local_day)} · 3 stories\n\n")
    lines = reply.text.splitlines()
    number = conftest.number_of(bot, FOOTBALL)
    assert lines[3] == f"3 May 2024 · /article {number}"
    quotes = [e for e in reply.entities if e["type"] == "expandable_blockquote"]
    assert len(quotes) == 3
    # Each item's source line, and the last line: what /digest took from the next digest.
    assert [e["type"] for e in reply.entities].count("italic") == 4
    assert reply.text.endswith("The next /digest starts after these. /article lists them all.")
    (call,) = [
        c
        for c in fake.calls_to("sendMessage")
        if c.params.get("chat_id") == CHAT and "Your digest" in c.params.get("text", "")
    ]
    assert call.params["link_preview_options"] == {"is_disabled": True}
