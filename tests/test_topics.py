"""Forum topics as subscribers of their own, in the store and a slot's scheduled run:
each (chat, topic) has its own times, timezone, deliveries, filters and sources; chat-wide
events (the bot kicked, the group upgraded) reach every topic, a deleted topic only
itself; and a database from before (version 12) keeps its topic subscription."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.articles import Article, Block
from bot.rhythm import EVERY_DAY, WEEKDAYS
from bot.schedule import Slot
from bot.store import Store
from bot.store.chats import TOPIC_GONE
from bot.store.feeds import SEEDS, FeedStore
from bot.store.migrations import MIGRATIONS
from bot.telegram.jobs import queue_due_digests
from tests.test_subscriptions import add_article

BERLIN = "Europe/Berlin"
GROUP = -100200
TECH, SPORTS = 3, 5
# Mon 30 Nov 2026: 07:00 CET is 06:00 UTC; 18:00 UTC.
MORNING = datetime(2026, 11, 30, 6, 0, 2, tzinfo=UTC)
EVENING = datetime(2026, 11, 30, 18, 0, 2, tzinfo=UTC)


def run(store: Store, digest_time: str, timezone: str, now: datetime):
    return queue_due_digests(
        store, Slot(digest_time, timezone), now, default_timezone="UTC", max_articles=10
    )


def sent(store: Store, now: datetime) -> dict[tuple[int, int], tuple[int, ...]]:
    """Send (mark sent) everything due; returns each subscriber's article numbers."""
    got: dict[tuple[int, int], tuple[int, ...]] = {}
    while items := store.due_outbox(now + timedelta(minutes=1)):
        for item in items:
            got[(item.chat_id, item.topic)] = got.get((item.chat_id, item.topic), ()) + (
                item.article_numbers
            )
            store.mark_sent(item.id)
    return got


def test_two_topics_and_the_group_each_get_their_own_digest_since_their_previous_one(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        first = add_article(store, "first")
        store.subscribe(GROUP, "07:00", BERLIN)
        tech = store.subscribe(GROUP, "07:00", BERLIN, topic=TECH, days=WEEKDAYS)
        sports = store.subscribe(GROUP, "18:00", "UTC", topic=SPORTS)
        assert (tech.key, tech.days, tech.thread_id) == ((GROUP, TECH), WEEKDAYS, TECH)
        assert (sports.timezone, sports.days) == ("UTC", EVERY_DAY)
        assert store.get_chat(GROUP).thread_id is None  # type: ignore[union-attr]
        assert [c.key for c in store.subscribers()] == [(GROUP, 0), (GROUP, TECH), (GROUP, SPORTS)]
        assert store.count_subscribers() == 3

        morning = run(store, "07:00", BERLIN, MORNING)
        assert (morning.due, morning.queued) == (2, 2)
        assert sent(store, MORNING) == {(GROUP, 0): (first,), (GROUP, TECH): (first,)}

        second = add_article(store, "second")
        assert run(store, "18:00", "UTC", EVENING).queued == 1
        # Sports never had a digest: both articles; the others have only the second left.
        assert sent(store, EVENING) == {(GROUP, SPORTS): (second, first)}
        assert store.delivered(GROUP, topic=TECH) == {first}
        assert store.count_unseen(GROUP, topic=TECH) == 1
        assert store.count_unseen(GROUP, topic=SPORTS) == 0
        # The same run again: never twice, per subscriber.
        assert run(store, "07:00", BERLIN, MORNING).already == 2


def test_subscribers_of_a_slot_are_read_page_by_page_across_topics(store_target: str) -> None:
    with Store(store_target) as store:
        add_article(store, "a")
        for chat_id in (-3, -2, -1):
            for topic in (0, 4, 9):
                store.subscribe(chat_id, "07:00", BERLIN, topic=topic)
        page = store.subscribers_at("07:00", BERLIN, after_chat_id=-2, after_topic=4, limit=3)
        assert [c.key for c in page] == [(-2, 9), (-1, 0), (-1, 4)]
        after_chat = store.subscribers_at("07:00", BERLIN, after_chat_id=-2)
        assert [c.key for c in after_chat] == [(-1, 0), (-1, 4), (-1, 9)]
        report = queue_due_digests(
            store,
            Slot("07:00", BERLIN),
            MORNING,
            default_timezone="UTC",
            max_articles=10,
            batch_size=2,
        )
        assert (report.due, report.queued) == (9, 9)
        assert len(sent(store, MORNING)) == 9


def test_unsubscribing_and_a_timezone_in_one_topic_leave_the_others_alone(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        add_article(store, "a")
        store.set_timezone(GROUP, BERLIN)
        tech = store.subscribe(GROUP, "07:00", topic=TECH)
        assert tech.timezone == BERLIN  # a new topic starts with the group's timezone
        store.subscribe(GROUP, "07:00", topic=SPORTS)
        store.set_timezone(GROUP, "UTC", topic=SPORTS)
        assert store.get_chat(GROUP, topic=TECH).timezone == BERLIN  # type: ignore[union-attr]
        run(store, "07:00", BERLIN, MORNING)
        assert store.count_outbox(GROUP, topic=TECH) == 1
        assert store.unsubscribe(GROUP, topic=TECH)
        assert not store.unsubscribe(GROUP)  # the group itself never subscribed
        assert store.count_outbox(GROUP) == 0  # Tech's pending digest went with it
        assert [c.key for c in store.subscribers()] == [(GROUP, SPORTS)]
        assert run(store, "07:00", "UTC", MORNING + timedelta(hours=1)).queued == 1


def test_filters_and_sources_of_one_topic_do_not_touch_the_other(store_target: str) -> None:
    with Store(store_target) as store:
        storm = add_article(store, "storm", "Harbour reopens after storm")
        bridge = add_article(store, "bridge", "Council votes on new bridge")
        store.subscribe(GROUP, "07:00", BERLIN, topic=TECH)
        store.subscribe(GROUP, "07:00", BERLIN, topic=SPORTS)
        store.subscribe(GROUP, "07:00", BERLIN)
        store.add_filter_terms(GROUP, [("storm", "-", "storm")], 50, topic=TECH)
        assert store.filter_terms(GROUP, topic=TECH) == [("-", "storm")]
        assert store.filter_terms(GROUP) == [] and store.filter_terms(GROUP, topic=SPORTS) == []
        assert store.filter_terms_of([(GROUP, TECH), (GROUP, SPORTS), GROUP]) == {
            (GROUP, TECH): [("-", "storm")]
        }
        feeds = FeedStore(store)
        assert not feeds.toggle_source(GROUP, SEEDS, topic=SPORTS)  # Sports: seeds off
        assert feeds.sources_off(GROUP, topic=SPORTS) == {SEEDS}
        assert feeds.sources_off(GROUP) == set()

        run(store, "07:00", BERLIN, MORNING)
        assert sent(store, MORNING) == {(GROUP, TECH): (bridge,), (GROUP, 0): (bridge, storm)}
        assert store.count_held_back(GROUP, topic=TECH) == 1
        assert store.count_held_back(GROUP) == 0
        assert store.clear_filter_terms(GROUP, topic=SPORTS) == 0
        assert store.clear_filter_terms(GROUP, topic=TECH) == 1


def test_a_page_added_in_a_topic_goes_into_that_topics_digest_only(store_target: str) -> None:
    with Store(store_target) as store:
        store.subscribe(GROUP, "07:00", BERLIN, topic=TECH)
        store.subscribe(GROUP, "07:00", BERLIN)
        page = Article(
            source="link:https://example.org/page",
            title="A page",
            date=None,
            url="https://example.org/page",
            language="english",
            blocks=(Block("paragraph", "Text of the page."),),
        )
        number, added = store.add_to_digest(GROUP, page, ["Summary."], topic=TECH)
        assert added
        assert store.add_to_digest(GROUP, page, ["Summary."], topic=TECH) == (number, False)
        run(store, "07:00", BERLIN, MORNING)
        assert sent(store, MORNING) == {(GROUP, TECH): (number,)}


def test_a_deleted_topic_stops_alone_and_a_kick_stops_every_topic(store_target: str) -> None:
    with Store(store_target) as store:
        add_article(store, "a")
        for topic in (0, TECH, SPORTS):
            store.subscribe(GROUP, "07:00", BERLIN, topic=topic)
        run(store, "07:00", BERLIN, MORNING)
        assert store.deactivate(GROUP, TOPIC_GONE, topic=TECH) == 1
        assert store.count_outbox(GROUP) == 2
        assert [c.key for c in store.subscribers()] == [(GROUP, 0), (GROUP, SPORTS)]
        # A message from the group does not bring a deleted topic back...
        store.reactivate(GROUP)
        assert not store.get_chat(GROUP, topic=TECH).active  # type: ignore[union-attr]

        assert store.deactivate(GROUP, "Forbidden: bot was kicked from the supergroup chat") == 2
        assert store.subscribers() == []
        assert [c.deactivated_reason for c in store.chat_topics(GROUP)] == [
            "Forbidden: bot was kicked from the supergroup chat",
            TOPIC_GONE,  # a deleted topic keeps its own reason
            "Forbidden: bot was kicked from the supergroup chat",
        ]
        # Back in the group: a message in any topic lifts the chat-wide deactivation.
        store.reactivate(GROUP, topic=SPORTS)
        assert [c.key for c in store.subscribers()] == [(GROUP, 0), (GROUP, SPORTS)]
        # ...and a topic of the same number subscribing again does.
        store.deactivate(GROUP, TOPIC_GONE, topic=TECH)
        assert store.subscribe(GROUP, "07:00", BERLIN, topic=TECH).active


def test_a_group_becoming_a_supergroup_takes_every_topic_along(store_target: str) -> None:
    old, new = -4001, -1004001
    with Store(store_target) as store:
        a = add_article(store, "a")
        store.subscribe(old, "07:00", BERLIN)
        store.subscribe(old, ["07:00", "18:00"], BERLIN, topic=TECH, days=WEEKDAYS)
        store.subscribe(old, "07:00", BERLIN, topic=SPORTS)
        store.add_filter_terms(old, [("storm", "-", "storm")], 50, topic=TECH)
        store.record_deliveries(old, [a], topic=SPORTS)
        store.subscribe(new, "09:00", "UTC", topic=SPORTS)  # written in the supergroup first
        run(store, "07:00", BERLIN, MORNING)  # Tech's and the group's digests are pending

        moved = store.migrate_chat(old, new)
        assert moved is not None and moved.key == (new, 0) and moved.digest_times == ("07:00",)
        assert store.chat_topics(old) == []
        tech = store.get_chat(new, topic=TECH)
        assert tech is not None and (tech.digest_times, tech.days) == (("07:00", "18:00"), WEEKDAYS)
        sports = store.get_chat(new, topic=SPORTS)
        assert sports is not None and (sports.digest_times, sports.timezone) == (("07:00",), BERLIN)
        assert store.filter_terms(new, topic=TECH) == [("-", "storm")]
        assert store.delivered(new, topic=SPORTS) == {a}
        assert {(i.chat_id, i.topic) for i in store.due_outbox(MORNING, 10)} == {(new, 0)}
        assert store.count_outbox(new, topic=TECH) == 1
        assert store.migrate_chat(old, new) is None  # again: nothing to move


# -- the migration from version 12 ---------------------------------------------------------


def v12_database(path: Path) -> None:
    """A database as the bot before forum topics subscribed on their own left it: group
    -100 subscribed from forum topic 5 (weekdays 07:30 Berlin, today's digest queued
    and waiting in the outbox), article 1 delivered there, article 2 held back by its
    filter, the seeds folder turned off; a private chat 1 subscribed at 08:00."""
    db = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:12]:
        for statement in migration.statements():
            db.execute(statement)
    db.execute("PRAGMA user_version = 12")
    for number in (1, 2, 3):
        db.execute(
            "INSERT INTO articles (number, source, content_hash, title, language, text,"
            " summary, added_at) VALUES (?, ?, 'h', ?, 'english', 'Body.', '[\"S.\"]',"
            " '2026-11-01T00:00:00+00:00')",
            (number, f"a{number}.md", f"Article {number}"),
        )
    db.execute(
        "INSERT INTO chats (chat_id, timezone, digest_time, last_digest_key, created_at,"
        " updated_at, subscribed_at, days, thread_id) VALUES"
        " (-100, 'Europe/Berlin', '07:30', '2026-11-30', 't', 't', 't', 31, 5),"
        " (1, NULL, '08:00', NULL, 't', 't', 't', 127, NULL)"
    )
    db.execute(
        "INSERT INTO subscriptions (chat_id, digest_time, last_run_key) VALUES"
        " (-100, '07:30', '2026-11-30'), (1, '08:00', NULL)"
    )
    db.execute(
        "INSERT INTO deliveries (chat_id, number, delivered_at, held_back) VALUES"
        " (-100, 1, 't', 0), (-100, 2, 't', 1), (1, 1, 't', 0)"
    )
    db.execute(
        "INSERT INTO chat_filters (chat_id, term_key, mode, term, added_at) VALUES"
        " (-100, 'storm', '-', 'storm', 't'), (-100, 'bridge', '+', 'bridge', 't')"
    )
    db.execute("INSERT INTO chat_sources_off (chat_id, feed_id) VALUES (1, 0)")
    db.execute("INSERT INTO pruned_deliveries (chat_id, added_before) VALUES (-100, 'x')")
    db.execute(
        "INSERT INTO outbox (chat_id, run_key, text, article_numbers, next_attempt_at,"
        " created_at, message_thread_id) VALUES"
        " (-100, '2026-11-30T07:30', 'digest', '[3]', 0, 't', 5),"
        " (1, '2026-11-30T08:00', 'digest', '[2]', 0, 't', NULL)"
    )
    db.close()


def test_a_version_12_topic_subscription_moves_to_its_topic_and_keeps_working(tmp_path) -> None:
    path = tmp_path / "v12.sqlite3"
    v12_database(path)
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 13
        topic = store.get_chat(-100, topic=5)
        assert topic is not None and topic.subscribed
        assert (topic.digest_times, topic.days, topic.timezone) == (("07:30",), WEEKDAYS, BERLIN)
        assert (topic.thread_id, topic.last_key_at("07:30")) == (5, "2026-11-30")
        group = store.get_chat(-100)  # the group itself: known, same timezone, no digest
        assert group is not None and not group.subscribed and group.timezone == BERLIN
        assert [c.key for c in store.subscribers()] == [(-100, 5), (1, 0)]
        # What the topic had is its own now (kept for the group itself too).
        for where in (5, 0):
            assert store.delivered(-100, topic=where) == {1, 2}
            assert store.count_held_back(-100, topic=where) == 1
            assert store.filter_terms(-100, topic=where) == [("-", "storm"), ("+", "bridge")]
        assert FeedStore(store).sources_off(1) == {SEEDS}
        items = {(i.chat_id, i.topic, i.article_numbers) for i in store.due_outbox(MORNING)}
        assert items == {(-100, 5, (3,)), (1, 0, (2,))}
        # Today's digest was queued before the upgrade: not again; tomorrow's is, to the
        # topic, with nothing it already had (the outbox's article 3 is still pending).
        assert run(store, "07:30", BERLIN, MORNING + timedelta(hours=1)).already == 1
        store.clear_filter_terms(-100, topic=5)
        tomorrow = MORNING + timedelta(days=1, hours=1)
        assert run(store, "07:30", BERLIN, tomorrow).queued == 0  # nothing new for it
        assert store.count_unseen(-100, topic=5) == 0
