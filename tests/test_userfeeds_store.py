"""A chat's own feeds in the store and the page side of finding a feed: follows and limits,
who reads a feed's articles, what happens when the operator shares or stops sharing a
feed users follow, and the feeds a page declares in ``<link rel="alternate">``."""

from __future__ import annotations

from bot.articles import Article, Block
from bot.config import FeedConfig
from bot.feeds.discover import feed_links
from bot.store import Store
from bot.store.feeds import FeedStore

ALICE, BOB, CAROL = 1, 2, 3
URL = "https://news.example/feed.xml"


def entry(feeds: FeedStore, feed_id: int, n: int) -> int:
    article = Article(
        source=f"e{n}",
        title=f"Entry {n}",
        date="2026-11-30",
        url=f"https://news.example/{n}",
        language="english",
        blocks=(Block("paragraph", f"The text of entry {n}."),),
    )
    number = feeds.add_article(
        feed_id, article, keys=[f"id:{n}"], fingerprint="f", published=None, summary=["S."]
    )
    assert number is not None
    return number


def follow(feeds: FeedStore, chat: int, url: str = URL, **limits: int) -> str:
    kwargs = {"max_per_chat": 50, "max_feeds": 1000, **limits}
    return feeds.follow(chat, url, **kwargs).outcome


def test_a_followed_feeds_articles_reach_its_followers_only(store_target: str) -> None:
    with Store(store_target) as store:
        feeds = FeedStore(store)
        assert follow(feeds, ALICE) == "followed"
        assert follow(feeds, BOB) == "followed"
        [feed] = feeds.feeds()
        assert not feed.shared and feeds.followers(feed.id) == 2
        number = entry(feeds, feed.id, 1)
        assert [a.number for a in store.unseen_articles(ALICE, 10)] == [number]
        assert [a.number for a in store.unseen_articles(BOB, 10)] == [number]
        assert store.unseen_articles(CAROL, 10) == []
        assert store.unseen_articles(ALICE, 10, topic=5) == []  # a forum topic is its own
        assert store.count_articles() == 0 and store.list_articles() == []  # not listed
        # Shared by the operator: everyone's, and listed.
        feeds.add_feed(URL)
        assert [a.number for a in store.unseen_articles(CAROL, 10)] == [number]
        assert [a.number for a in store.list_articles()] == [number]
        feeds.remove_feed(feed.id)  # unshared: its followers' again
        assert store.list_articles() == [] and store.unseen_articles(CAROL, 10) == []
        assert [a.number for a in store.unseen_articles(BOB, 10)] == [number]


def test_a_story_a_shared_feed_also_lists_reaches_every_chat(store_target: str) -> None:
    with Store(store_target) as store:
        feeds = FeedStore(store)
        follow(feeds, ALICE)
        [own] = feeds.feeds()
        number = entry(feeds, own.id, 1)
        [shared] = feeds.sync_config([FeedConfig("https://shared.example/rss")])
        article = store.get_article(number, ALICE)  # a follower reads it
        assert article is not None
        again = feeds.add_article(
            shared.id, article, keys=["id:1"], fingerprint="f", published=None, summary=["S."]
        )
        assert again is None  # the same story, stored once
        assert [a.number for a in store.unseen_articles(BOB, 10)] == [number]
        assert [a.number for a in store.unseen_articles(ALICE, 10)] == [number]


def test_a_chat_that_adds_a_followed_feeds_article_to_its_digest_gets_it(store_target: str) -> None:
    with Store(store_target) as store:
        feeds = FeedStore(store)
        follow(feeds, ALICE)
        [feed] = feeds.feeds()
        number = entry(feeds, feed.id, 1)
        page = Article(
            source="page:https://news.example/1",
            title="Entry 1",
            date=None,
            url="https://news.example/1",
            language="english",
            blocks=(Block("paragraph", "The text of entry 1."),),
        )
        assert store.add_to_digest(CAROL, page, ["S."]) == (number, True)
        assert [a.number for a in store.unseen_articles(CAROL, 10)] == [number]
        assert store.unseen_articles(BOB, 10) == []


def test_follows_and_limits(store_target: str) -> None:
    with Store(store_target) as store:
        feeds = FeedStore(store)
        feeds.sync_config([FeedConfig("https://shared.example/rss")])
        assert follow(feeds, ALICE, "https://shared.example/rss") == "shared"
        assert follow(feeds, ALICE) == "followed"
        assert follow(feeds, ALICE) == "already"
        assert follow(feeds, ALICE, "https://b.example/rss", max_per_chat=1) == "chat_full"
        assert follow(feeds, BOB, "https://b.example/rss", max_feeds=2) == "all_full"
        assert follow(feeds, BOB, URL, max_feeds=2) == "followed"  # polled already
        assert [f.url for f in feeds.followed(ALICE)] == [URL]
        assert feeds.followed(ALICE, topic=7) == []


def test_the_last_unfollow_stops_polling_and_a_new_follow_brings_it_back(store_target: str) -> None:
    with Store(store_target) as store:
        feeds = FeedStore(store)
        follow(feeds, ALICE)
        follow(feeds, BOB)
        [feed] = feeds.feeds()
        assert feeds.unfollow(ALICE, feed.id) is not None
        assert feeds.unfollow(ALICE, feed.id) is None
        assert [f.id for f in feeds.feeds()] == [feed.id]  # Bob still reads it
        feeds.unfollow(BOB, feed.id)
        assert feeds.feeds() == []
        assert follow(feeds, CAROL) == "followed"
        assert [f.id for f in feeds.feeds()] == [feed.id]  # the same row: one poll


def test_the_operator_sharing_and_unsharing_keeps_the_followers(store_target: str) -> None:
    with Store(store_target) as store:
        feeds = FeedStore(store)
        follow(feeds, ALICE)
        [feed] = feeds.feeds()
        row, new = feeds.add_feed(URL)
        assert new and row.id == feed.id and row.shared and row.origin == "admin"
        assert feeds.remove_feed(feed.id) is not None
        kept = feeds.get_feed(feed.id)
        assert kept is not None and kept.removed_at is None and not kept.shared
        assert feeds.shared_feeds() == []
        # A config feed users follow, dropped from the file: theirs from then on.
        feeds.sync_config([FeedConfig(URL)])
        assert [f.id for f in feeds.shared_feeds()] == [feed.id]
        feeds.sync_config([])
        kept = feeds.get_feed(feed.id)
        assert kept is not None and kept.removed_at is None and not kept.shared
        assert feeds.remove_feed(feed.id) is None  # a user feed is not the admin's to remove


def test_shared_feeds_that_never_worked_are_left_out_when_asked(store_target: str) -> None:
    with Store(store_target) as store:
        feeds = FeedStore(store)
        rows = feeds.sync_config([FeedConfig("https://a.example/rss"), FeedConfig(URL)])
        feeds.record_success(rows[1].id, next_poll_at=0)
        assert [f.id for f in feeds.shared_feeds()] == [rows[0].id, rows[1].id]
        assert [f.id for f in feeds.shared_feeds(working=True)] == [rows[1].id]


def test_follows_move_with_a_group_that_became_a_supergroup(store_target: str) -> None:
    with Store(store_target) as store:
        feeds = FeedStore(store)
        follow(feeds, -5)  # makes the chat's row: a chat that only follows feeds moves too
        store.migrate_chat(-5, -1005)
        assert feeds.followed(-5) == [] and [f.url for f in feeds.followed(-1005)] == [URL]


def test_feed_links_are_the_feeds_a_page_declares() -> None:
    page = """<html><head><base href="https://site.example/blog/">
    <link rel="stylesheet" href="/s.css">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <LINK REL="Alternate feed" TYPE="application/atom+xml; charset=utf-8" HREF="/atom">
    <link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/1">
    <link rel="alternate" type="application/feed+json" href="https://other.example/f.json">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    <link rel="alternate" hreflang="de" href="/de/">
    </head><body></body></html>"""
    assert feed_links(page, "https://site.example/blog/post") == [
        "https://site.example/blog/rss.xml",
        "https://site.example/atom",
        "https://other.example/f.json",
    ]
    assert feed_links("<p>No head at all", "https://site.example/") == []
