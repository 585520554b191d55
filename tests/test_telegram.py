"""The bot's commands end to end: updates come over HTTP from the fake Bot API's
getUpdates, replies go back to it as real sendMessage calls, and the fake's HTML
parser proves every reply is valid and escaped."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from bot.telegram.replies import COMMANDS
from tests import conftest
from tests.conftest import number_of, write_article
from tests.fakebotapi import FakeBotAPI, Message

CHAT = 4242
TRICKY_TITLE = '<b>"AT&T" & Co</b>'


@pytest.fixture
async def bot(fake: FakeBotAPI, bot_config, seeds):
    """The bot running against the fake, with three articles read in and summarized."""
    write_article(seeds, "old.md", "Harbour reopens after storm", date="2024-05-01")
    write_article(
        seeds,
        "mid.md",
        "Council votes on new bridge",
        date="2024-05-02",
        url="https://news.example.com/bridge?id=7&src=rss",
    )
    write_article(seeds, "new.md", "Solar farm opens in the valley", date="2024-05-03")
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await rescan_seeds(application)
        yield application


async def ask(fake: FakeBotAPI, text: str, chat: int = CHAT, replies: int = 1) -> Message:
    return await conftest.ask(fake, text, chat, replies)


# -- start, help, menu ---------------------------------------------------------------


async def test_start_registers_the_command_menu_and_explains_how_to_subscribe(bot, fake):
    reply = await ask(fake, "/start")
    assert [c["command"] for c in fake.commands] == [name for name, _ in COMMANDS]
    assert "digest" in reply.text
    assert "/subscribe" in reply.text


async def test_help_lists_every_command_with_an_example(bot, fake):
    reply = await ask(fake, "/help")
    for name, _ in COMMANDS:
        assert f"/{name}" in reply.text
    assert "/subscribe 07:30" in reply.text
    assert "/timezone Berlin" in reply.text


# -- subscribe, timezone, status -----------------------------------------------------


async def test_subscribe_with_a_time_confirms_it_and_the_timezone(bot, fake):
    reply = await ask(fake, "/subscribe 07:30")
    assert "every day at 07:30 (UTC)" in reply.text
    chat = runtime(bot).store.get_chat(CHAT)
    assert chat.digest_time == "07:30" and chat.active
    assert bot.job_queue.get_jobs_by_name("digest 07:30 UTC")


async def test_subscribe_without_a_time_uses_the_configured_one(bot, fake):
    reply = await ask(fake, "/subscribe")
    assert "every day at 08:00 (UTC)" in reply.text


async def test_timezone_accepts_any_case_and_moves_the_schedule(bot, fake):
    await ask(fake, "/subscribe 09:15")
    reply = await ask(fake, "/timezone europe/berlin")
    assert "Timezone set to Europe/Berlin" in reply.text
    assert "09:15" in reply.text
    assert bot.job_queue.get_jobs_by_name("digest 09:15 Europe/Berlin")
    status = await ask(fake, "/status")
    assert "every day at 09:15 (Europe/Berlin)" in status.text


async def test_status_of_a_new_chat_says_not_subscribed_and_counts_articles(bot, fake):
    reply = await ask(fake, "/status")
    assert "Subscribed: no" in reply.text
    assert "Timezone: UTC" in reply.text
    assert "Articles waiting: 3 new articles" in reply.text


async def test_questions_are_answered_while_background_work_holds_every_default_thread(bot, fake):
    """A feed poll round or a digest run queues its store calls on asyncio's default
    executor (a round of 500 feeds: hundreds of writes, each waiting for the writer's
    lock): a reader's question does not wait behind them."""
    loop = asyncio.get_running_loop()
    release = threading.Event()
    # More than the default executor's threads (at most 32): every one of them busy.
    solar = number_of(bot, "Solar farm opens in the valley")
    busy = [loop.run_in_executor(None, release.wait) for _ in range(40)]
    try:
        assert "Articles waiting: 3 new articles" in (await ask(fake, "/status")).text
        assert "Solar farm opens" in (await ask(fake, f"/article {solar}")).text
        assert "Council votes" in (await ask(fake, "/article council")).text
    finally:
        release.set()
        await asyncio.gather(*busy)


async def test_unsubscribe_stops_the_digest(bot, fake):
    await ask(fake, "/subscribe 06:00")
    reply = await ask(fake, "/unsubscribe")
    assert "Unsubscribed" in reply.text
    assert runtime(bot).store.get_chat(CHAT).digest_time is None
    again = await ask(fake, "/unsubscribe")
    assert "not subscribed" in again.text
    assert "Subscribed: no" in (await ask(fake, "/status")).text


# -- digest ---------------------------------------------------------------------------


async def test_digest_now_shows_the_new_articles_newest_first_then_nothing_new(bot, fake):
    reply = await ask(fake, "/digest")
    titles = reply.bold()
    assert titles[0] == "Your digest"
    assert titles[1:] == [
        "Solar farm opens in the valley",
        "Council votes on new bridge",
        "Harbour reopens after storm",
    ]
    assert "https://news.example.com/bridge?id=7&src=rss" in reply.links()
    assert f"/article {number_of(bot, 'Council votes on new bridge')}" in reply.text
    again = await ask(fake, "/digest")
    assert again.text.startswith("Nothing new since your last digest.")
    assert "Articles waiting: 0" in (await ask(fake, "/status")).text


# -- article ----------------------------------------------------------------------------


async def test_article_lists_newest_first_with_a_button_per_article(bot, fake):
    reply = await ask(fake, "/article")
    lines = reply.text.splitlines()
    assert lines[0] == "Articles 1–3 of 3, newest first"
    numbers = [
        number_of(bot, t)
        for t in (
            "Solar farm opens in the valley",
            "Council votes on new bridge",
            "Harbour reopens after storm",
        )
    ]
    assert lines[1:4] == [
        f"{numbers[0]}. Solar farm opens in the valley",
        f"{numbers[1]}. Council votes on new bridge",
        f"{numbers[2]}. Harbour reopens after storm",
    ]
    assert reply.button_texts() == [str(n) for n in numbers]  # one page: no Prev/Next


async def test_article_number_shows_title_link_date_summary_and_a_next_button(bot, fake):
    number = number_of(bot, "Council votes on new bridge")
    reply = await ask(fake, f"/article {number}")
    assert reply.bold() == ["Council votes on new bridge"]
    assert reply.links() == ["https://news.example.com/bridge?id=7&src=rss"]
    assert "2 May 2024" in reply.text
    assert "The first sentence of Council votes on new bridge" in reply.text
    following = number_of(bot, "Harbour reopens after storm")
    assert reply.button_texts() == [f"Next: {following} ▶"]

    fake.click(CHAT, reply.message_id, "Next")
    nxt = await fake.wait_for_reply(CHAT)
    assert nxt.bold() == ["Harbour reopens after storm"]
    assert nxt.buttons() == []  # the last one in the list has no Next
    await fake.wait_until(lambda: len(fake.answered_callbacks) == 1)


async def test_article_list_pages_with_prev_and_next_buttons(bot, fake, seeds):
    for n in range(20):
        write_article(
            seeds, f"extra{n:02d}.md", f"Extra story {n:02d}", date=f"2023-01-{n + 1:02d}"
        )
    await rescan_seeds(bot)
    first = await ask(fake, "/article")
    assert first.text.startswith("Articles 1–10 of 23, newest first (page 1 of 3)")
    assert first.button_texts()[-1] == "Next ▶"
    assert "◀ Prev" not in first.button_texts()
    assert len(first.button_texts()) == 11  # ten articles and Next

    fake.click(CHAT, first.message_id, "Next")
    second = await fake.wait_for_edit(CHAT, first.message_id, 1)
    assert second.text.startswith("Articles 11–20 of 23, newest first (page 2 of 3)")
    assert second.button_texts()[-2:] == ["◀ Prev", "Next ▶"]
    # Oldest extra stories come last: page 2 ends with story 03 (dated 2023-01-04).
    assert second.text.splitlines()[10].endswith("Extra story 03")

    fake.click(CHAT, first.message_id, "Next")
    third = await fake.wait_for_edit(CHAT, first.message_id, 2)
    assert third.text.startswith("Articles 21–23 of 23, newest first (page 3 of 3)")
    assert third.button_texts()[-1] == "◀ Prev"

    fake.click(CHAT, first.message_id, "◀ Prev")
    back = await fake.wait_for_edit(CHAT, first.message_id, 3)
    assert "(page 2 of 3)" in back.text

    # A number button sends that article as a new message; the list stays.
    fake.click(CHAT, first.message_id, "11")
    shown = await fake.wait_for_reply(CHAT)
    assert shown.bold() == [runtime(bot).store.get_article(11).title]
    assert len(fake.messages(CHAT)) == 2


async def test_article_words_list_matches_or_show_the_only_one(bot, fake):
    several = await ask(fake, "/article opens")
    assert several.text.splitlines()[0] == "Titles with “opens”"
    assert len(several.text.splitlines()) == 3
    assert len(several.buttons()) == 2

    one = await ask(fake, "/article BRIDGE council")
    assert one.bold() == ["Council votes on new bridge"]
    assert "The first sentence of Council votes on new bridge" in one.text

    none = await ask(fake, "/article zeppelin")
    assert "No article title contains “zeppelin”" in none.text


async def test_a_title_with_markup_is_shown_literally_everywhere(bot, fake, seeds):
    write_article(seeds, "tricky.md", TRICKY_TITLE, date="2024-06-01", url="https://e.com/?a=1&b=2")
    await rescan_seeds(bot)
    number = number_of(bot, TRICKY_TITLE)

    listing = await ask(fake, "/article")
    assert f"{number}. {TRICKY_TITLE}" in listing.text.splitlines()

    detail = await ask(fake, f"/article {number}")
    assert detail.bold() == [TRICKY_TITLE]
    assert detail.links() == ["https://e.com/?a=1&b=2"]

    found = await ask(fake, '/article "AT&T"')
    assert found.bold() == [TRICKY_TITLE]

    digest = await ask(fake, "/digest")
    assert TRICKY_TITLE in digest.bold()
    # Every reply went through the fake's HTML parser: none was refused.
    assert all(c.status == 200 for c in fake.calls_to("sendMessage"))


# -- bad input ------------------------------------------------------------------------

LONG = "x" * 3000


@pytest.mark.parametrize(
    ("command", "problem", "example"),
    [
        ("/subscribe 25:99", "“25:99” is not a time of day", "/subscribe 08:30"),
        ("/subscribe eight", "“eight” is not a time of day", "/subscribe 08:30"),
        # Several times a day are a rhythm now; more than four are not.
        ("/subscribe 01:00 02:00 03:00 04:00 05:00", "At most 4 times a day", "/subscribe 08:30"),
        ("/subscribe 07:30 weekdays", "Days come first", "/subscribe weekdays 07:30 18:00"),
        ("/timezone Mars/Olympus", "“Mars/Olympus” is not a timezone", "/timezone Berlin"),
        ("/timezone ../../etc/passwd", "is not a timezone", "/timezone Berlin"),
        ("/article 99999", "There is no article 99999", "/article 3"),
        ("/article 99999999999999999999999", "There is no article", "/article 3"),
        ("/article -1", "“-1” is not an article number", "/article 3"),
        ("/article 0", "“0” is not an article number", "/article 3"),
        (f"/subscribe {LONG}", "too long (3,000 characters", "/subscribe 08:30"),
        (f"/timezone {LONG}", "too long (3,000 characters", "/timezone Berlin"),
        (f"/article {LONG}", "too long (3,000 characters", "/article 3"),
    ],
)
async def test_malformed_arguments_get_usage_and_an_example(bot, fake, command, problem, example):
    reply = await ask(fake, command)
    assert problem in reply.text
    assert "Usage:" in reply.text
    assert example in reply.text
    chat = runtime(bot).store.get_chat(CHAT)
    assert chat is None or (chat.digest_time is None and chat.timezone is None)


async def test_user_input_echoed_in_a_reply_is_escaped(bot, fake):
    reply = await ask(fake, "/timezone <b>Nowhere&</b>")
    assert "“<b>Nowhere&</b>” is not a timezone" in reply.text


async def test_unknown_commands_and_plain_text_get_a_short_hint(bot, fake):
    unknown = await ask(fake, "/frobnicate now")
    assert unknown.text == "I do not know /frobnicate. /help lists the commands."
    text = await ask(fake, "hello there")
    assert "/article" in text.text and "/help" in text.text


# -- fresh articles -----------------------------------------------------------------------


async def test_the_seeds_folder_is_rescanned_every_rescan_seconds(bot):
    (job,) = bot.job_queue.get_jobs_by_name("rescan seeds")
    assert job.job.trigger.interval.total_seconds() == 3600  # [seeds] rescan_seconds


async def test_new_and_changed_seed_files_are_picked_up_without_a_restart(bot, fake, seeds):
    write_article(seeds, "fresh.md", "Fresh news arrives", date="2024-07-01")
    path = seeds / "old.md"
    write_article(
        seeds,
        "old.md",
        "Harbour reopens after storm",
        date="2024-05-01",
        paragraphs=["An entirely rewritten report about the harbour now says something new."],
    )
    before = runtime(bot).summarized
    await rescan_seeds(bot)
    assert runtime(bot).summarized == before + 2  # the new one and the changed one
    listing = await ask(fake, "/article")
    assert "Fresh news arrives" in listing.text.splitlines()[1]
    detail = await ask(fake, f"/article {number_of(bot, 'Harbour reopens after storm')}")
    assert "entirely rewritten report" in detail.text
    await rescan_seeds(bot)  # nothing changed: nothing summarized again
    assert runtime(bot).summarized == before + 2
    assert path.exists()


async def test_commands_addressed_to_the_bot_work_in_a_group(bot, fake):
    group = -100123
    reply = await ask(fake, "/article@digest_test_bot opens", chat=group)
    assert reply.text.startswith("Titles with “opens”")


async def test_a_failed_reply_is_logged_and_the_bot_keeps_answering(bot, fake, caplog):
    from tests.fakebotapi import Fault

    fake.fail(CHAT, Fault.server_error())  # the next message to the chat fails once
    apology = await ask(fake, "/help")
    assert apology.text == "Sorry, something went wrong. Please try again."
    assert "error while handling update" in caplog.text
    assert (await ask(fake, "/help")).text.startswith("Commands")


async def test_a_search_with_many_matches_shows_ten_and_asks_to_narrow_it(bot, fake, seeds):
    for n in range(12):
        write_article(seeds, f"match{n:02d}.md", f"Weather report {n:02d}", date="2023-02-01")
    await rescan_seeds(bot)
    reply = await ask(fake, "/article weather report")
    assert len(reply.text.splitlines()) == 1 + 10 + 2  # header, ten titles, blank, hint
    assert "More than 10 match: add a word to narrow it down." in reply.text
    assert len(reply.buttons()) == 10


async def test_a_button_for_an_article_that_is_gone_answers_with_an_alert(bot, fake, seeds):
    listing = await ask(fake, "/article")
    number = number_of(bot, "Harbour reopens after storm")
    (seeds / "old.md").unlink()
    await rescan_seeds(bot)
    query_id = fake.click(CHAT, listing.message_id, str(number))
    await fake.wait_until(lambda: query_id in fake.answered_callbacks)
    answer = fake.answered_callbacks[query_id]
    assert answer["text"] == "That article is no longer available."
    assert answer["show_alert"] is True
    assert len(fake.messages(CHAT)) == 1  # no article was sent


# -- hostile and careless input ------------------------------------------------------


@pytest.mark.parametrize("data", ["list:²", "art:²", "art:", "list:99999999999999999999", "x"])
async def test_a_forged_button_is_answered_out_of_date_without_an_error(bot, fake, data):
    listing = await ask(fake, "/article")
    message = fake.message(CHAT, listing.message_id)
    message.reply_markup = {"inline_keyboard": [[{"text": "forged", "callback_data": data}]]}
    query_id = fake.press(CHAT, listing.message_id, data)
    await fake.wait_until(lambda: query_id in fake.answered_callbacks)
    assert fake.answered_callbacks[query_id]["text"].startswith("This button is out of date")
    assert not any("went wrong" in m.text for m in fake.messages(CHAT))


async def test_a_callback_without_its_message_is_answered_quietly(bot, fake, caplog):
    query_id = fake.press_stale(CHAT, "art:1")
    await fake.wait_until(lambda: query_id in fake.answered_callbacks)
    assert "text" not in fake.answered_callbacks[query_id]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_in_a_group_only_commands_addressed_to_the_bot_are_answered(bot, fake):
    group = -100777
    fake.send_text(group, "hello everyone")
    fake.send_text(group, "/start@otherbot")
    fake.send_text(group, "/roll")
    fake.send_text(group, "/roll@digest_test_bot")
    reply = await fake.wait_for_message(group, 1)
    assert reply.text == "I do not know /roll@digest_test_bot. /help lists the commands."
    fake.send_text(group, "/help")
    await fake.wait_for_message(group, 2)
    assert [m.text.split("\n")[0] for m in fake.messages(group)] == [
        "I do not know /roll@digest_test_bot. /help lists the commands.",
        "Commands",
    ]


async def test_bidirectional_controls_are_not_echoed(bot, fake):
    reply = await ask(fake, "/timezone \u202eEurope/Nowhere")
    assert "\u202e" not in reply.text
    assert "“Europe/Nowhere” is not a timezone" in reply.text


@pytest.mark.parametrize("argument", ["7:5", "07:30:00", "8h30"])
async def test_a_malformed_time_is_told_the_format(bot, fake, argument):
    reply = await ask(fake, f"/subscribe {argument}")
    assert reply.text.startswith(f"“{argument}” is not a time of day: use HH:MM, e.g. 08:30.")


async def test_an_out_of_range_time_is_told_the_range(bot, fake):
    reply = await ask(fake, "/subscribe 24:00")
    assert "hours go 00–23 and minutes 00–59" in reply.text


async def test_a_flooding_chat_is_told_to_slow_down_and_others_are_answered(bot, fake):
    from bot.telegram.handlers.commands import SLOW_DOWN

    flooder, other = 5151, 6161
    for _ in range(300):
        fake.send_text(flooder, "/status")
    fake.send_text(other, "/help")
    # The bound of the issue ("within a second"), with room for a loaded machine.
    reply = await fake.wait_for_message(other, timeout=5)
    assert reply.text.startswith("Commands")
    await fake.wait_until(
        lambda: any(m.text == SLOW_DOWN for m in fake.messages(flooder)), timeout=10
    )
    processor = bot.update_processor
    assert processor.dropped >= 300 - 2 * processor.max_backlog
    told = [m for m in fake.messages(flooder) if m.text == SLOW_DOWN]
    assert len(told) == 1
    # Dropped unparsed or not, every update was taken (the offset moved past them all).
    await fake.wait_until(lambda: fake.pending_updates == 0, timeout=10)


async def test_the_daily_retention_job_is_scheduled_and_prunes_old_deliveries(bot, fake):
    from bot.telegram.jobs import prune_job
    from bot.telegram.runtime import BotContext

    [job] = bot.job_queue.get_jobs_by_name("retention")
    assert job.callback is prune_job
    # Late is fine, skipped is not: a busy event loop must not drop a repeating job.
    for name in ("retention", "rescan seeds", "poll feeds"):
        [repeating] = bot.job_queue.get_jobs_by_name(name)
        assert repeating.job.misfire_grace_time is None
        assert repeating.job.coalesce
    store = runtime(bot).store
    store.record_deliveries(CHAT, [1])
    store._clock = lambda: 4_000_000_000.0  # far past the 90-day window (year 2096)
    await prune_job(BotContext(bot))
    assert store.delivered(CHAT) == set()
