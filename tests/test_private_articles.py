"""What a chat added to its own digest stays that chat's, and only a group's
administrators put things into the group's digest.

A page or text added with "Add to my digest" is a *private* article: ``/article N`` (the
command and its fast lane, with its reply cache), "Next", "Also:", the list, the title
search and digests show it to the chats that added it and to nobody else, who get the
very answer a number that does not exist gets. End to end over the fake Bot API with two
users and a group, plus the store's reads.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store
from bot.store.stories import StoryStore
from bot.telegram.app import runtime
from bot.web.workers import Workers
from tests.conftest import number_of, write_article
from tests.fakebotapi import FakeBotAPI, Message
from tests.test_links import PARAGRAPHS, NewsSite, page_article, start_bot

ALICE = 6161  # adds a text in her private chat
BOB = 6262  # another user
GROUP = -100888
ADMIN, MEMBER = 7001, 7002
TEXT = "\n\n".join(PARAGRAPHS)


@pytest.fixture
async def site():
    async with NewsSite() as server:
        yield server


@pytest.fixture
async def bot(
    fake: FakeBotAPI, bot_config: Any, seeds: Path, site: NewsSite, warm_workers: Workers
):
    write_article(seeds, "seed.md", "A seed article", date="2026-11-01")
    fake.add_group(GROUP, admins=[ADMIN], members=[MEMBER])
    async for application in start_bot(bot_config, site, warm_workers):
        yield application


async def ask(fake: FakeBotAPI, text: str, chat: int, user: int | None = None) -> Message:
    before = len(fake.messages(chat))
    fake.send_text(chat, text, user)
    return await fake.wait_for_message(chat, before + 1, timeout=30)  # a busy machine


async def add(fake: FakeBotAPI, chat: int, user: int | None = None) -> tuple[str, int | None]:
    """Summarize TEXT in ``chat`` and press "Add to my digest" as ``user``: the press's
    answer and the article number it names (None when refused)."""
    summary = await ask(fake, "/summarize " + TEXT, chat, user)
    query = fake.click(chat, summary.message_id, "Add to my digest", user)
    await fake.wait_until(lambda: query in fake.answered_callbacks, timeout=30)
    answer = fake.answered_callbacks[query]["text"]
    found = re.search(r"article (\d+)", answer)
    return answer, int(found[1]) if found else None


def no_such(reply: Message, number: int) -> str:
    """The reply text with the number asked for blanked out."""
    return reply.text.replace(str(number), "N")


# -- over the Bot API -------------------------------------------------------------------


async def test_another_user_gets_for_an_added_article_what_a_missing_number_gets(bot, fake):
    _, number = await add(fake, ALICE)
    assert number is not None
    mine = await ask(fake, f"/article {number}", ALICE)  # composed, and cached if it may be
    assert "The city council approved" in mine.text
    theirs = await ask(fake, f"/article {number}", BOB)  # the fast lane, same cache
    missing = await ask(fake, f"/article {number + 50}", BOB)
    assert "The city council approved" not in theirs.text
    assert no_such(theirs, number) == no_such(missing, number + 50)
    # Through the command handler too (two arguments' worth of spacing is still N).
    typed = await ask(fake, f"/article   {number}", BOB)
    assert "The city council approved" not in typed.text
    # The list, the search and Bob's digest do not name it either.
    assert "harbour" not in (await ask(fake, "/article", BOB)).text.lower()
    searched = await ask(fake, "/article harbour bridge", BOB)
    assert "No article title contains" in searched.text
    digest = await ask(fake, "/digest", BOB)
    assert "The city council approved" not in digest.text


async def test_a_chat_that_added_the_same_text_reads_it_too(bot, fake):
    _, number = await add(fake, ALICE)
    _, again = await add(fake, BOB)
    assert again == number
    assert "The city council approved" in (await ask(fake, f"/article {number}", BOB)).text


async def test_also_and_next_name_another_chats_private_article_to_it_only(bot, fake):
    _, private = await add(fake, ALICE)
    shared = number_of(bot, "A seed article")
    store = runtime(bot).store
    StoryStore(store).set_story_ids({shared: shared, private: shared})  # one story
    theirs = await ask(fake, f"/article {shared}", BOB)
    assert f"/article {private}" not in theirs.text and "Also" not in theirs.text
    mine = await ask(fake, f"/article {shared}", ALICE)
    assert f"/article {private}" in mine.text or f"art:{private}" in str(mine.buttons())
    assert store.next_article(private, BOB) is None


async def test_a_group_s_added_article_is_the_group_s_alone(bot, fake):
    _, number = await add(fake, GROUP, ADMIN)
    assert number is not None
    in_group = await ask(fake, f"/article {number}", GROUP, MEMBER)
    assert "The city council approved" in in_group.text
    # Its member in a private chat, and another group, are other chats.
    alone = await ask(fake, f"/article {number}", MEMBER)
    assert "The city council approved" not in alone.text
    other = await ask(fake, f"/article {number}", GROUP - 1, ADMIN)
    assert "The city council approved" not in other.text


async def test_a_group_member_who_is_no_admin_cannot_add_to_the_groups_digest(bot, fake):
    answer, number = await add(fake, GROUP, MEMBER)
    assert number is None
    assert answer == "Only this group's administrators can change its digest."
    store = runtime(bot).store
    assert store.count_unseen(GROUP) == 1  # the seed article only
    assert not [a for a in store.unseen_articles(GROUP, 10) if "harbour" in a.title.lower()]
    # An administrator's press adds it.
    answer, number = await add(fake, GROUP, ADMIN)
    assert answer.startswith("Added “The city council approved") and number is not None
    assert store.count_unseen(GROUP) == 2


# -- the store's reads --------------------------------------------------------------------


def test_the_stores_single_article_reads_answer_only_the_chats_that_added_it(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        number, _ = store.add_to_digest(ALICE, page_article(), ["A sentence."])
        assert store.get_article(number, ALICE) is not None
        assert store.get_article(number, BOB) is None
        assert store.get_article(number) is None  # no chat in particular: shared only
        store.add_to_digest(BOB, page_article(), ["A sentence."], topic=4)
        assert store.get_article(number, BOB) is not None  # any topic of the chat
        stories = StoryStore(store)
        assert [a.number for a in stories.members(number, ALICE)] == [number]
        assert stories.members(number, GROUP) == []
        assert not stories.same_for_everyone(number)


def test_a_shared_storys_members_leave_out_private_ones_of_other_chats(store_target: str) -> None:
    with Store(store_target) as store:
        shared, _ = store.upsert_article(page_article("https://example.com/shared"))
        private, _ = store.add_to_digest(ALICE, page_article(), ["A sentence."])
        stories = StoryStore(store)
        assert stories.same_for_everyone(shared)
        stories.set_story_ids({shared: shared, private: shared})
        assert not stories.same_for_everyone(shared)
        assert [a.number for a in stories.members(shared, BOB)] == [shared]
        assert [a.number for a in stories.members(shared, ALICE)] == [shared, private]
        assert [a.number for a in stories.members(shared)] == [shared]


def test_a_feed_of_a_chats_own_is_read_by_its_followers_only(store_target: str) -> None:
    from bot.store.feeds import FeedStore
    from tests.test_userfeeds_store import entry, follow

    with Store(store_target) as store:
        feeds = FeedStore(store)
        follow(feeds, ALICE)
        [own] = feeds.feeds()
        number = entry(feeds, own.id, 1)
        assert store.get_article(number, ALICE) is not None
        assert store.get_article(number, BOB) is None and store.get_article(number) is None
        assert StoryStore(store).members(number, BOB) == []
        follow(feeds, BOB)
        assert store.get_article(number, BOB) is not None
