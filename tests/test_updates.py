"""The fast lane for ``/article N`` (bot.telegram.updates): the pure parser that picks those
updates out of the Bot API JSON, DigestBot handing them over as ArticleRequests, the
per-chat order of both kinds of update, and the cache of composed replies -- all with a
running bot talking to the fake Bot API over HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import Chat, Message, Update
from telegram.ext import TypeHandler

from bot import digest
from bot.articles import Article, Block
from bot.store import Store
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from bot.telegram.updates import ArticleRequest, DigestBot, PerChatUpdateProcessor, article_request
from tests import conftest
from tests.conftest import number_of, write_article
from tests.fakebotapi import FakeBotAPI, Fault
from tests.fakebotapi import Message as SentMessage

CHAT = 4242
FORUM = -100777

# -- the parser: article_request(raw update, bot username) ---------------------------------


def raw_update(
    text: str | None,
    *,
    entities: list[dict[str, Any]] | None = None,
    chat: dict[str, Any] | None = None,
    key: str = "message",
    **fields: Any,
) -> dict[str, Any]:
    """An update as the Bot API sends it, with a message of ``text``; by default its first
    word, when it starts with "/", is a bot_command entity at offset 0 (as Telegram does)."""
    message: dict[str, Any] = {
        "message_id": 3,
        "from": {"id": 77, "is_bot": False, "first_name": "Ann"},
        "chat": chat if chat is not None else {"id": 77, "type": "private", "first_name": "Ann"},
        "date": 1_700_000_000,
        **fields,
    }
    if text is not None:
        message["text"] = text
        if entities is None and text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if entities is not None:
        message["entities"] = entities
    return {"update_id": 10, key: message}


@pytest.mark.parametrize(
    ("text", "username", "argument"),
    [
        ("/article 3", "digestbot", "3"),
        ("/article@DigestBot 3", "digestbot", "3"),
        ("/article@digestbot 3", "DigestBot", "3"),
        ("/ARTICLE@DIGESTBOT 3", "digestbot", "3"),
        ("/Article 3", "digestbot", "3"),
        ("/article 007", "digestbot", "007"),
        ("/article    42   ", "digestbot", "42"),
        ("/article\n5", "digestbot", "5"),
        ("/article 999999999999999999", "digestbot", "999999999999999999"),  # 18 digits
        ("/article 0", "digestbot", "0"),  # the handler explains that they start at 1
    ],
)
def test_parser_accepts_article_with_one_ascii_number(text, username, argument) -> None:
    request = article_request(raw_update(text), username)
    assert request == ArticleRequest(update_id=10, chat_id=77, thread_id=None, argument=argument)


def test_parser_keeps_the_group_chat_id() -> None:
    group = {"id": -100123, "type": "supergroup", "title": "News"}
    request = article_request(raw_update("/article@digestbot 3", chat=group), "digestbot")
    assert request == ArticleRequest(10, -100123, None, "3")


def test_parser_answers_a_forum_topic_message_in_its_topic() -> None:
    forum = {"id": FORUM, "type": "supergroup", "title": "Forum", "is_forum": True}
    raw = raw_update("/article 3", chat=forum, message_thread_id=5, is_topic_message=True)
    request = article_request(raw, "digestbot")
    assert request is not None and request.thread_id == 5


def test_parser_ignores_the_thread_of_a_message_that_is_not_in_a_topic() -> None:
    # A reply in an ordinary group carries message_thread_id too: answering "in that
    # thread" would be refused by Telegram, so only topic messages get a thread.
    group = {"id": -100123, "type": "supergroup", "title": "News"}
    for extra in ({"message_thread_id": 9}, {"message_thread_id": 9, "is_topic_message": False}):
        request = article_request(raw_update("/article 3", chat=group, **extra), "digestbot")
        assert request is not None and request.thread_id is None


def without_chat(raw: dict[str, Any]) -> dict[str, Any]:
    del raw["message"]["chat"]
    return raw


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(raw_update("/article 3", entities=[]), id="no-entities"),
        pytest.param(raw_update("article 3"), id="no-command-at-all"),
        pytest.param(
            raw_update(
                "see /article 3", entities=[{"type": "bot_command", "offset": 4, "length": 8}]
            ),
            id="command-not-at-offset-0",
        ),
        pytest.param(
            raw_update("/article 3", entities=[{"type": "bold", "offset": 0, "length": 8}]),
            id="first-entity-not-a-command",
        ),
        pytest.param(raw_update("/articles 3"), id="other-command-articles"),
        pytest.param(raw_update("/start 3"), id="other-command-start"),
        pytest.param(raw_update("/article3"), id="number-glued-to-the-command"),
        pytest.param(raw_update("/article@otherbot 3"), id="addressed-to-another-bot"),
        pytest.param(raw_update("/article"), id="no-argument"),
        pytest.param(raw_update("/article 3 4"), id="two-arguments"),
        pytest.param(raw_update("/article three"), id="a-word"),
        pytest.param(raw_update("/article -3"), id="negative"),
        pytest.param(raw_update("/article +3"), id="plus-sign"),
        pytest.param(raw_update("/article 3.5"), id="decimal"),
        pytest.param(raw_update("/article ٣"), id="arabic-indic-digit"),
        pytest.param(raw_update("/article ３"), id="fullwidth-digit"),
        pytest.param(raw_update("/article ²"), id="superscript-digit"),
        pytest.param(raw_update("/article 1234567890123456789"), id="19-digits"),
        pytest.param(raw_update("/article 3", key="edited_message"), id="edited-message"),
        pytest.param(raw_update("/article 3", key="channel_post"), id="channel-post"),
        pytest.param(raw_update("/article 3", chat={"type": "private"}), id="chat-without-id"),
        pytest.param(raw_update("/article 3", chat={"id": "77"}), id="chat-id-not-a-number"),
        pytest.param(without_chat(raw_update("/article 3")), id="chat-missing"),
        pytest.param(
            raw_update(
                None,
                caption="/article 3",
                caption_entities=[{"type": "bot_command", "offset": 0, "length": 8}],
                photo=[{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}],
            ),
            id="caption-of-a-photo",
        ),
        pytest.param(
            {
                "update_id": 10,
                "callback_query": {
                    "id": "1",
                    "from": {"id": 77, "is_bot": False, "first_name": "Ann"},
                    "chat_instance": "i",
                    "data": "art:3",
                    "message": raw_update("/article 3")["message"],
                },
            },
            id="callback-query",
        ),
    ],
)
def test_parser_leaves_everything_else_to_python_telegram_bot(raw) -> None:
    assert article_request(raw, "digestbot") is None


def test_parser_refuses_a_command_addressed_to_an_empty_bot_name() -> None:
    raw = raw_update("/article@ 3", entities=[{"type": "bot_command", "offset": 0, "length": 9}])
    assert article_request(raw, "digestbot") is None


# -- DigestBot.get_updates ------------------------------------------------------------------


@pytest.fixture
async def updates_bot(fake: FakeBotAPI, bot_config, store_target: str):
    """The bot's own DigestBot, as build_application makes it, initialized (not polling)."""
    with Store(store_target) as store:
        application = build_application(bot_config(), store)
        assert isinstance(application.bot, DigestBot)
        async with application.bot:
            yield application.bot


async def test_get_updates_hands_over_article_requests_and_other_updates_in_order(
    updates_bot: DigestBot, fake: FakeBotAPI
) -> None:
    first = fake.send_command(5, "/article 3")
    fake.send_command(5, "/help")
    fake.send_command(-100123, "/article@digest_test_bot 12")
    fake.send_command(-100123, "/article@other_bot 12")
    fake.send_command(5, "/article -3")
    updates = await updates_bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == list(range(first["update_id"], first["update_id"] + 5))
    assert updates[0] == ArticleRequest(first["update_id"], 5, None, "3")
    assert updates[2] == ArticleRequest(first["update_id"] + 2, -100123, None, "12")
    others = [updates[1], updates[3], updates[4]]
    assert all(isinstance(u, Update) for u in others)
    assert [u.effective_message.text for u in others] == [
        "/help",
        "/article@other_bot 12",
        "/article -3",
    ]
    assert others[0].get_bot() is updates_bot  # a PTB Update bound to the bot, as before
    # The offset confirms them all, ArticleRequests included.
    assert await updates_bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert fake.pending_updates == 0


async def test_get_updates_takes_the_long_poll_timeout_as_a_timedelta_as_ptb_does(
    updates_bot: DigestBot, fake: FakeBotAPI
) -> None:
    fake.send_command(5, "/article 3")
    updates = await updates_bot.get_updates(timeout=timedelta(seconds=1))
    assert [type(u) for u in updates] == [ArticleRequest]


async def test_a_digestbot_without_its_own_updates_request_still_gets_updates(
    fake: FakeBotAPI,
) -> None:
    bot = DigestBot(fake.token, base_url=fake.base_url)
    fake.send_command(5, "/article 3")
    async with bot:
        updates = await bot.get_updates()
    assert [type(u) for u in updates] == [ArticleRequest]


# -- PerChatUpdateProcessor -----------------------------------------------------------------


def ptb_update(update_id: int, chat_id: int) -> Update:
    """A python-telegram-bot Update of a message in a private chat."""
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(1, datetime(2026, 1, 1, tzinfo=UTC), chat, text="/status")
    return Update(update_id, message=message)


async def test_processor_keeps_one_chats_order_across_both_kinds_and_lets_other_chats_pass():
    processor = PerChatUpdateProcessor()
    await processor.initialize()
    done: list[str] = []
    release = asyncio.Event()
    other_chat_done = asyncio.Event()

    async def slow(name: str) -> None:
        await release.wait()
        done.append(name)

    async def quick(name: str, then: asyncio.Event | None = None) -> None:
        done.append(name)
        if then is not None:
            then.set()

    tasks = [
        asyncio.create_task(processor.process_update(ptb_update(1, 7), slow("7: subscribe"))),
        asyncio.create_task(
            processor.process_update(ArticleRequest(2, 7, None, "1"), quick("7: article"))
        ),
        asyncio.create_task(
            processor.process_update(
                ArticleRequest(3, 8, None, "1"), quick("8: article", other_chat_done)
            )
        ),
    ]
    # Chat 8 is not held up by chat 7's slow update ...
    await asyncio.wait_for(other_chat_done.wait(), 5)
    # ... while chat 7's article waits for the update before it, though it came first
    # in the event loop's queue before chat 8's.
    assert done == ["8: article"]
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert done == ["8: article", "7: subscribe", "7: article"]
    await processor.shutdown()


# -- a running bot -------------------------------------------------------------------------


@pytest.fixture
def seen() -> list[object]:
    """What the bot's handlers were given, in order: Updates and ArticleRequests."""
    return []


@pytest.fixture
async def bot(fake: FakeBotAPI, bot_config, seeds, seen):
    """The bot running against the fake with three articles, recording the kind of every
    update its handlers get (a TypeHandler in a group before the bot's own)."""
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

    async def record(update: object, context: object) -> None:
        seen.append(update)

    application.add_handler(TypeHandler(object, record), group=-1)
    async with running(application, config):
        await rescan_seeds(application)
        yield application


async def ask(fake: FakeBotAPI, text: str, chat: int = CHAT, replies: int = 1) -> SentMessage:
    return await conftest.ask(fake, text, chat, replies)


def sent_to(fake: FakeBotAPI, chat: int) -> list[dict[str, Any]]:
    """The parameters of every sendMessage call to ``chat``, in order."""
    return [c.params for c in fake.calls_to("sendMessage") if c.params.get("chat_id") == chat]


def inject_group_command(
    fake: FakeBotAPI, text: str, *, thread: int | None = None, topic: bool = False
) -> dict[str, Any]:
    """A command typed in supergroup FORUM, in a forum topic (``topic``) or carrying a
    thread id without being in a topic (a reply in a group)."""
    message: dict[str, Any] = {
        "message_id": 900 + len(fake.calls),
        "from": {"id": 31, "is_bot": False, "first_name": "Ann"},
        "chat": {"id": FORUM, "type": "supergroup", "title": "Forum", "is_forum": topic},
        "date": 0,
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
    }
    if thread is not None:
        message["message_thread_id"] = thread
    if topic:
        message["is_topic_message"] = True
    return fake.inject({"message": message})


async def test_article_number_is_answered_through_the_fast_lane_as_before(bot, fake, seen):
    number = number_of(bot, "Council votes on new bridge")
    following = number_of(bot, "Harbour reopens after storm")
    reply = await ask(fake, f"/article {number}")
    assert [type(u) for u in seen] == [ArticleRequest]

    assert reply.bold() == ["Council votes on new bridge"]
    assert reply.links() == ["https://news.example.com/bridge?id=7&src=rss"]
    assert "2 May 2024" in reply.text
    assert "The first sentence of Council votes on new bridge" in reply.text
    # Exactly what the handler composed before the fast lane: the digest module's
    # message and an inline keyboard with one Next button.
    entry = runtime(bot).store.get_article(number)
    assert [reply.html] == digest.article_detail_messages(entry)
    assert reply.reply_markup == {
        "inline_keyboard": [[{"text": f"Next: {following} ▶", "callback_data": f"art:{following}"}]]
    }
    (call,) = sent_to(fake, CHAT)
    assert call["parse_mode"] == "HTML"
    assert call["link_preview_options"] == {"is_disabled": True}
    assert "message_thread_id" not in call and "reply_parameters" not in call

    fake.click(CHAT, reply.message_id, "Next")
    nxt = await fake.wait_for_reply(CHAT)
    assert nxt.bold() == ["Harbour reopens after storm"]


async def test_fast_lane_and_ptb_lane_send_the_very_same_reply(bot, fake, seen):
    number = number_of(bot, "Solar farm opens in the valley")
    await ask(fake, f"/article {number}")
    # "+N" is not the fast lane's: PTB's /article handler answers it.
    await ask(fake, f"/article +{number}")
    await ask(fake, f"/article@digest_test_bot {number}")
    assert [type(u) for u in seen] == [ArticleRequest, Update, ArticleRequest]
    fast, slow, addressed = sent_to(fake, CHAT)
    assert fast == slow == addressed


async def test_article_in_a_forum_topic_is_answered_in_that_topic(bot, fake, seen):
    number = number_of(bot, "Council votes on new bridge")
    inject_group_command(fake, f"/article {number}", thread=5, topic=True)
    reply = await fake.wait_for_message(FORUM)
    assert reply.bold() == ["Council votes on new bridge"]
    assert isinstance(seen[-1], ArticleRequest)
    inject_group_command(fake, "/article 99", thread=5, topic=True)
    await fake.wait_for_message(FORUM, 2)
    shown, missing = sent_to(fake, FORUM)
    assert shown["message_thread_id"] == 5
    assert missing["message_thread_id"] == 5  # "There is no article" goes there too
    assert "There is no article 99" in fake.messages(FORUM)[1].text


async def test_article_replying_in_a_group_without_topics_is_answered_in_the_chat(bot, fake):
    number = number_of(bot, "Council votes on new bridge")
    inject_group_command(fake, f"/article {number}", thread=9, topic=False)
    reply = await fake.wait_for_message(FORUM)
    assert reply.bold() == ["Council votes on new bridge"]
    (call,) = sent_to(fake, FORUM)
    assert "message_thread_id" not in call


async def test_a_long_article_sends_every_part_to_the_topic_and_next_on_the_last(bot, fake):
    number = number_of(bot, "Solar farm opens in the valley")
    following = number_of(bot, "Council votes on new bridge")
    long_summary = [f"Sentence {i} " + "word " * 500 + "end." for i in range(3)]
    store = runtime(bot).store
    await asyncio.to_thread(store.set_summary, number, long_summary)
    expected = digest.article_detail_messages(store.get_article(number))
    assert len(expected) >= 2
    inject_group_command(fake, f"/article {number}", thread=5, topic=True)
    await fake.wait_for_message(FORUM, len(expected))
    parts = fake.messages(FORUM)
    assert [m.html for m in parts] == expected
    assert all(m.buttons() == [] for m in parts[:-1])
    assert parts[-1].button_texts() == [f"Next: {following} ▶"]
    assert {c["message_thread_id"] for c in sent_to(fake, FORUM)} == {5}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/article 99", "There is no article 99 (3 articles now). /article lists them."),
        ("/article 999999999999999999", "There is no article 999999999999999999 (3 articles"),
        ("/article 0", "“0” is not an article number: they start at 1."),
        ("/article 000", "“000” is not an article number: they start at 1."),
    ],
)
async def test_fast_lane_explains_numbers_that_are_not_articles(bot, fake, seen, command, expected):
    reply = await ask(fake, command)
    assert expected in reply.text
    assert "Usage:" in reply.text and "/article 3" in reply.text
    assert [type(u) for u in seen] == [ArticleRequest]


async def test_a_retired_article_is_no_longer_shown(bot, fake, seeds):
    number = number_of(bot, "Harbour reopens after storm")
    assert (await ask(fake, f"/article {number}")).bold() == ["Harbour reopens after storm"]
    (seeds / "old.md").unlink()
    await rescan_seeds(bot)
    gone = await ask(fake, f"/article {number}")
    assert f"There is no article {number} (2 articles now)" in gone.text


# -- order within a chat, across both lanes ----------------------------------------------


async def test_replies_follow_the_order_of_one_chats_commands_across_both_lanes(bot, fake, seen):
    number = number_of(bot, "Council votes on new bridge")
    # One batch: the long poll wakes only after all three are queued.
    fake.send_text(CHAT, "/subscribe 07:30")
    fake.send_text(CHAT, f"/article {number}")
    fake.send_text(CHAT, "/status")
    await fake.wait_for_message(CHAT, 3)
    subscribed, shown, status = fake.messages(CHAT)
    assert "every day at 07:30 (UTC)" in subscribed.text
    assert shown.bold() == ["Council votes on new bridge"]
    assert "Subscribed: yes, every day at 07:30" in status.text
    assert [type(u) for u in seen] == [Update, ArticleRequest, Update]


async def test_order_is_kept_per_chat_when_two_chats_interleave_both_lanes(bot, fake):
    first = number_of(bot, "Solar farm opens in the valley")
    second = number_of(bot, "Harbour reopens after storm")
    other = 5151
    for chat, text in [
        (CHAT, "/status"),
        (other, f"/article {second}"),
        (CHAT, f"/article {first}"),
        (other, "/subscribe 09:00"),
        (CHAT, "/subscribe 06:45"),
        (other, "/status"),
        (CHAT, f"/article {second}"),
        (CHAT, "/status"),
    ]:
        fake.send_text(chat, text)
    await fake.wait_for_message(CHAT, 5)
    await fake.wait_for_message(other, 3)
    mine = fake.messages(CHAT)
    assert "Subscribed: no" in mine[0].text
    assert mine[1].bold() == ["Solar farm opens in the valley"]
    assert "every day at 06:45 (UTC)" in mine[2].text
    assert mine[3].bold() == ["Harbour reopens after storm"]
    assert "Subscribed: yes, every day at 06:45" in mine[4].text
    theirs = fake.messages(other)
    assert theirs[0].bold() == ["Harbour reopens after storm"]
    assert "every day at 09:00 (UTC)" in theirs[1].text
    assert "Subscribed: yes, every day at 09:00" in theirs[2].text


# -- errors ---------------------------------------------------------------------------------


async def test_a_failed_fast_lane_reply_is_logged_and_the_chat_told(bot, fake, seen, caplog):
    number = number_of(bot, "Council votes on new bridge")
    fake.fail(CHAT, Fault.server_error())  # the next message to the chat fails once
    sent = fake.send_text(CHAT, f"/article {number}")
    apology = await fake.wait_for_message(CHAT)
    assert apology.text == "Sorry, something went wrong. Please try again."
    assert f"error while handling update {sent['update_id']}" in caplog.text
    assert isinstance(seen[-1], ArticleRequest)
    again = await ask(fake, f"/article {number}")
    assert again.bold() == ["Council votes on new bridge"]


# -- the reply cache ---------------------------------------------------------------------------


async def test_a_repeated_article_is_served_from_the_cache_while_nothing_changes(bot, fake):
    rt = runtime(bot)
    number = number_of(bot, "Council votes on new bridge")
    first = await ask(fake, f"/article {number}")
    cached = rt.article_replies.get((number, "en"))
    second = await ask(fake, f"/article {number}")
    assert rt.article_replies.get((number, "en")) is cached
    await rescan_seeds(bot)  # the folder did not change: neither do the articles
    third = await ask(fake, f"/article {number}")
    assert rt.article_replies.get((number, "en")) is cached
    assert first.html == second.html == third.html


async def test_a_changed_seed_file_is_shown_after_the_rescan_not_the_cached_reply(bot, fake, seeds):
    number = number_of(bot, "Harbour reopens after storm")
    before = await ask(fake, f"/article {number}")
    assert before.bold() == ["Harbour reopens after storm"]
    write_article(
        seeds,
        "old.md",
        "Harbour closes again after a second storm",
        date="2024-05-01",
        paragraphs=[
            "An entirely rewritten report says the harbour closed again on Friday. "
            "Boats were moved inland before the wind arrived in the evening. "
            "The port authority expects to reopen it within a week."
        ],
    )
    await rescan_seeds(bot)
    assert number_of(bot, "Harbour closes again after a second storm") == number
    after = await ask(fake, f"/article {number}")
    assert after.bold() == ["Harbour closes again after a second storm"]
    assert "entirely rewritten report" in after.text
    assert "The first sentence of Harbour reopens" not in after.text


async def test_the_next_button_follows_a_new_article_placed_after_a_cached_one(bot, fake, seeds):
    number = number_of(bot, "Solar farm opens in the valley")
    before = await ask(fake, f"/article {number}")
    assert before.button_texts() == [f"Next: {number_of(bot, 'Council votes on new bridge')} ▶"]
    # Same date as the council story, read later: newer, so between the two.
    write_article(seeds, "between.md", "Market opens on the square", date="2024-05-02")
    await rescan_seeds(bot)
    between = number_of(bot, "Market opens on the square")
    assert [a.number for a in runtime(bot).store.list_articles(0, 2)] == [number, between]
    after = await ask(fake, f"/article {number}")
    assert after.button_texts() == [f"Next: {between} ▶"]


async def test_a_change_written_by_another_process_is_shown_not_the_cached_reply(bot, fake):
    rt = runtime(bot)
    number = number_of(bot, "Harbour reopens after storm")
    assert (await ask(fake, f"/article {number}")).bold() == ["Harbour reopens after storm"]
    # A second connection to the same file, as `digestbot ingest` in another process.
    with Store(rt.store.path) as other:
        record = other.get_article(number)
        assert record is not None
        other.upsert_article(
            Article(
                source=record.source,
                title="Harbour closes again",
                date=record.date,
                url=record.url,
                language=record.language,
                blocks=(Block("paragraph", "The harbour closed again after a second storm."),),
            )
        )
        changed = await ask(fake, f"/article {number}")
        assert changed.bold() == ["Harbour closes again"]
        assert "The summary is not ready yet." in changed.text

        other.set_summary(number, ["Boats were moved inland before the wind arrived."])
        summarized = await ask(fake, f"/article {number}")
        assert "Boats were moved inland before the wind arrived." in summarized.text

        other.retire_missing([s for s in other.visible_sources() if s != record.source])
        gone = await ask(fake, f"/article {number}")
        assert f"There is no article {number} (2 articles now)" in gone.text
