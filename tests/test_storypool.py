"""A pool of new articles ranked once and cut for each chat (pure), and a slot run's
shortcuts -- unseen articles read in batches, pools and filter matches kept across
chats -- giving every chat the digest it gets on its own (a real SQLite file)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import NamedTuple

import pytest

from bot.articles import Article, Block
from bot.compose import DigestReads, compose_digest
from bot.store import Store
from bot.store.feeds import FeedStore
from bot.store.stories import StoryStore
from bot.stories import rank, with_settings
from bot.storypool import StoryPool, story_inputs

WORDS = [
    "harbour",
    "storm",
    "council",
    "budget",
    "river",
    "school",
    "rail",
    "bridge",
    "ferry",
    "union",
    "strike",
    "vote",
]
SOURCES = ["Wire", "Courier", "Herald", "wire", ""]


class Entry(NamedTuple):
    number: int
    title: str
    url: str | None
    date: str | None
    summary: tuple[str, ...] | None
    source_name: str | None
    language: str = "english"


def pool_entries(rng: random.Random, size: int) -> tuple[list[Entry], list[int | None]]:
    entries = []
    for n in range(size, 0, -1):  # newest first
        title = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize()
        day = f"2026-12-{rng.randint(1, 9):02d}" if rng.random() < 0.9 else None
        entries.append(
            Entry(n, title, f"https://x.example/{n}", day, (f"{title}.",), rng.choice(SOURCES))
        )
    keys = [rng.choice([None, None, 1, 2, 3]) for _ in entries]
    return entries, keys


def shape(pool: StoryPool[Entry], removed: set[int], limit: int | None) -> list[list[int]]:
    """The cut's stories as [lead number, other member numbers...]."""
    return [
        [lead.number, *(m.number for m in others)]
        for lead, others in pool.cut(removed, limit).stories
    ]


def test_a_pool_nothing_is_taken_out_of_gives_the_ranking_itself() -> None:
    rng = random.Random(3)
    for size in (1, 2, 30, 120):
        entries, keys = pool_entries(rng, size)
        pool = StoryPool(entries, keys)
        for limit in (None, 0, 1, 5, 10):
            items = rank(story_inputs(entries), limit, stories=keys)
            expected = [[int(i.id), *map(int, i.also)] for i in items]
            assert shape(pool, set(), limit) == expected


def test_a_cut_ranks_what_is_left_of_the_pools_stories_as_rank_would() -> None:
    # Which articles are one story is the pool's (keys and folding); the order and the
    # clearest article are rank's on what is left, with the first limit stories only.
    rng = random.Random(7)
    no_fold = with_settings(fold=0)
    for _ in range(25):
        entries, keys = pool_entries(rng, rng.randint(5, 80))
        pool = StoryPool(entries, keys)
        story = {
            m.number: k
            for k, (lead, others) in enumerate(pool.cut().stories)
            for m in (lead, *others)
        }
        for share in (0.05, 0.3, 0.7):
            removed = {i for i in range(len(entries)) if rng.random() < share}
            left = [e for i, e in enumerate(entries) if i not in removed]
            for limit in (None, 1, 3, 10):
                items = rank(
                    story_inputs(left),
                    limit,
                    stories=[story[e.number] for e in left],
                    settings=no_fold,
                )
                expected = [[int(i.id), *map(int, i.also)] for i in items]
                assert shape(pool, removed, limit) == expected
            tags = {
                ("s", k) if k is not None else ("a", i)
                for i, k in enumerate(keys)
                if i not in removed
            }
            assert pool.cut(removed, 3).new == len(tags)


# -- a slot run gives each chat its own digest ---------------------------------------------


def article(n: int, title: str) -> Article:
    return Article(
        source=f"a{n}",
        title=title,
        date=f"2026-12-0{1 + n % 7}",
        url=f"https://news.example/{n}",
        language="english",
        blocks=(Block("paragraph", f"{title}. A sentence or two about it."),),
    )


@pytest.fixture
def varied(tmp_path: Path) -> tuple[Store, list[tuple[int, int]]]:
    """A store with shared and followed feeds, stories, and chats that differ in every
    way a digest can: filters (mute, keep, a phrase), sources off, a feed of their own,
    pages added, partial deliveries, a digest waiting in the outbox, forum topics, a
    horizon moved by an earlier digest or none."""
    store = Store(tmp_path / "pool.sqlite3")
    feeds = FeedStore(store)
    wire, _ = feeds.add_feed("https://wire.example/rss", title="Wire")
    courier, _ = feeds.add_feed("https://courier.example/rss", title="Courier")
    rng = random.Random(11)
    numbers = []

    def add(feed_id: int, n: int) -> None:
        title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize() + f" {n}"
        number = feeds.add_article(
            feed_id,
            article(n, title),
            keys=[f"k{n}"],
            fingerprint=f"f{n}",
            published=None,
            summary=[f"{title} happened.", "Then more."],
        )
        assert number is not None
        numbers.append(number)

    for n in range(40):
        add(wire.id if n % 3 else courier.id, n)
    chats = [(c, 0) for c in range(1, 13)] + [(12, 5), (13, 5)]
    for chat, topic in chats:
        store.subscribe(chat, "08:00", topic=topic)
    followed = feeds.follow(13, "https://own.example/rss", max_per_chat=5, max_feeds=50)
    own = followed.feed.id if followed.feed is not None else 0
    for n in range(40, 44):
        add(own, n)
    StoryStore(store).set_story_ids(
        {
            numbers[0]: numbers[0],
            numbers[5]: numbers[0],
            numbers[7]: numbers[0],
            numbers[2]: numbers[2],
            numbers[9]: numbers[2],
        }
    )
    store.add_filter_terms(3, [("storm", "-", "storm"), ("rail", "-", "rail")], 50)
    store.add_filter_terms(4, [("harbour", "+", "harbour")], 50)
    store.add_filter_terms(5, [("storm harbour", "-", "storm harbour")], 50)
    store.add_filter_terms(12, [("ferry", "-", "ferry")], 50, topic=5)
    feeds.toggle_source(6, courier.id)
    store.add_to_digest(7, article(99, "A page I added myself"), ["It says something."])
    store.record_deliveries(8, [numbers[0], numbers[3], numbers[30]])  # a story reached
    store.record_deliveries(9, numbers[:35])  # nearly everything
    horizon = store.now_text()
    assert store.queue_digest(10, "2026-12-06", [("digest", [numbers[1]])], horizon=horizon)
    assert store.queue_digest(11, "2026-12-06", [("digest", numbers[10:14])], horizon=horizon)
    (item,) = [i for i in store.due_outbox(float("inf")) if i.chat_id == 11]
    assert store.mark_sent(item.id)  # chat 11: a horizon, and these delivered
    for n in range(44, 50):
        add(wire.id, n)  # after chat 11's horizon
    return store, chats


def test_unseen_articles_read_in_a_batch_are_each_subscribers_own(
    varied: tuple[Store, list[tuple[int, int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, chats = varied
    for slack in (200, 0):  # 0: a subscriber with deliveries among them takes its own walk
        monkeypatch.setattr("bot.store.deliveries.SHARED_SLACK", slack)
        for limit in (1000, 5, 1):
            alone = {key: store.unseen_numbers(key[0], limit, topic=key[1]) for key in chats}
            assert store.unseen_numbers_of(chats, limit) == alone
    store.close()


def test_a_slot_run_gives_every_chat_the_digest_it_gets_alone(
    varied: tuple[Store, list[tuple[int, int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, chats = varied
    for size in (3, 10):
        with monkeypatch.context() as patch:
            patch.setattr("bot.compose.RECENT_POOLS", 0)  # each chat ranks its own pool
            alone = [compose_digest(store, key, size) for key in chats]
        reads = DigestReads(store)
        reads.read_unseen(chats)
        together = [compose_digest(store, key, size, reads=reads) for key in chats]
        again = DigestReads(store)  # and a later run, reusing the recent pools
        again.read_unseen(chats)
        later = [compose_digest(store, key, size, reads=again) for key in chats]
        assert together == alone
        assert later == alone
    # The chats do differ: filters held articles back, stories were late, pages came first.
    assert {len(d.held) > 0 for d in alone} == {True, False}
    assert any(d.late for d in alone)
    assert len({tuple(e.number for e in d.entries) for d in alone}) > 5
    store.close()
