"""Subscriptions with several times a day on chosen days, in the store and in a slot's
scheduled run: never twice per (chat, time), only on the chat's days, each digest with
what is new since the chat's previous one, and databases from before keep working."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from bot.articles import Article, Block
from bot.rhythm import EVERY_DAY, WEEKDAYS, WEEKENDS
from bot.schedule import Slot, missed_slots, slots_of
from bot.store import Store
from bot.store.chats import TOPIC_GONE
from bot.store.migrations import MIGRATIONS
from bot.telegram.jobs import queue_due_digests

BERLIN = "Europe/Berlin"
# Mon 30 Nov 2026, 07:30 CET and 18:00 CET.
MONDAY_MORNING = datetime(2026, 11, 30, 6, 30, 2, tzinfo=UTC)
MONDAY_EVENING = datetime(2026, 11, 30, 17, 0, 2, tzinfo=UTC)
SATURDAY_MORNING = datetime(2026, 11, 28, 6, 30, 2, tzinfo=UTC)


def add_article(
    store: Store, source: str, title: str | None = None, date: str = "2026-11-01"
) -> int:
    article = Article(
        source=source,
        title=title or f"Title of {source}",
        date=date,
        url=f"https://example.com/{source}",
        language="english",
        blocks=(Block("paragraph", f"Body of {source}."),),
    )
    number, _ = store.upsert_article(article)
    store.set_summary(number, [f"Summary of {source}."])
    return number


def run(store: Store, digest_time: str, now: datetime):
    return queue_due_digests(
        store, Slot(digest_time, BERLIN), now, default_timezone="UTC", max_articles=10
    )


def test_subscribe_keeps_times_days_and_topic_and_replaces_them_next_time(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        chat = store.subscribe(-100, ["18:00", "7:30"], BERLIN, days=WEEKDAYS, topic=5)
        assert chat.digest_times == ("07:30", "18:00")
        assert (chat.digest_time, chat.days, chat.thread_id) == ("07:30", WEEKDAYS, 5)
        assert slots_of(chat, "UTC") == [Slot("07:30", BERLIN), Slot("18:00", BERLIN)]
        again = store.subscribe(-100, "09:00", topic=5)
        assert (again.digest_times, again.days, again.thread_id) == (("09:00",), EVERY_DAY, 5)
        assert store.subscribers_at("07:30", BERLIN) == []
        assert store.unsubscribe(-100, topic=5)
        assert store.get_chat(-100, topic=5).digest_times == ()  # type: ignore[union-attr]


def test_subscribers_at_a_time_are_only_those_whose_days_include_the_weekday(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        store.subscribe(1, ["07:30", "18:00"], BERLIN, days=WEEKDAYS)
        store.subscribe(2, "07:30", BERLIN, days=WEEKENDS)
        store.subscribe(3, "07:30", BERLIN)
        at = store.subscribers_at
        assert [c.chat_id for c in at("07:30", BERLIN)] == [1, 2, 3]
        assert [c.chat_id for c in at("07:30", BERLIN, weekday=0)] == [1, 3]
        assert [c.chat_id for c in at("07:30", BERLIN, weekday=6)] == [2, 3]
        assert [c.chat_id for c in at("18:00", BERLIN, weekday=0)] == [1]


def test_each_time_of_the_day_gets_its_digest_once_with_what_is_new_since_the_last(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        first = add_article(store, "first")
        store.subscribe(1, ["07:30", "18:00"], BERLIN, days=WEEKDAYS)
        morning = run(store, "07:30", MONDAY_MORNING)
        assert (morning.run_key, morning.queued) == ("2026-11-30", 1)
        [item] = store.due_outbox(MONDAY_MORNING)
        assert (item.article_numbers, item.run_key) == ((first,), "2026-11-30T07:30")
        store.mark_sent(item.id)
        # The same run again (a catch-up, a duplicate timer): nothing twice.
        assert run(store, "07:30", MONDAY_MORNING + timedelta(minutes=3)).already == 1

        second = add_article(store, "second")
        evening = run(store, "18:00", MONDAY_EVENING)
        assert evening.queued == 1
        [item] = store.due_outbox(MONDAY_EVENING)
        assert item.article_numbers == (second,)
        assert run(store, "18:00", MONDAY_EVENING).already == 1
        chat = store.get_chat(1)
        assert chat is not None
        assert chat.runs == (("07:30", "2026-11-30"), ("18:00", "2026-11-30"))
        assert missed_slots(chat, MONDAY_EVENING + timedelta(minutes=5), 86_400, "UTC") == []


def test_a_weekday_subscriber_gets_nothing_on_saturday_and_a_weekend_one_does(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        add_article(store, "a")
        store.subscribe(1, "07:30", BERLIN, days=WEEKDAYS)
        store.subscribe(2, "07:30", BERLIN, days=WEEKENDS)
        report = run(store, "07:30", SATURDAY_MORNING)
        assert (report.due, report.queued) == (1, 1)
        assert [item.chat_id for item in store.due_outbox(SATURDAY_MORNING)] == [2]
        assert store.get_chat(1).last_key_at("07:30") is None  # type: ignore[union-attr]


def test_a_digest_goes_to_the_forum_topic_that_subscribed_until_it_is_gone(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        add_article(store, "a")
        store.subscribe(-100, "07:30", BERLIN, topic=7)
        run(store, "07:30", MONDAY_MORNING)
        [item] = store.due_outbox(MONDAY_MORNING)
        assert (item.topic, item.thread_id) == (7, 7)
        assert store.deactivate(-100, TOPIC_GONE, topic=7) == 1  # its item is dropped
        assert store.due_outbox(MONDAY_MORNING) == []
        gone = store.get_chat(-100, topic=7)
        assert gone is not None and (gone.active, gone.deactivated_reason) == (False, TOPIC_GONE)
        assert store.get_chat(-100).active  # type: ignore[union-attr]


def test_migrating_a_group_moves_its_times_days_and_topic(store_target: str) -> None:
    with Store(store_target) as store:
        store.subscribe(-4001, ["07:30", "18:00"], BERLIN, days=WEEKENDS)
        store.subscribe(-1004001, "09:00")  # the supergroup subscribed on its own first
        merged = store.migrate_chat(-4001, -1004001)
        assert merged is not None
        assert (merged.digest_times, merged.days) == (("07:30", "18:00"), WEEKENDS)
        assert [c.chat_id for c in store.subscribers_at("18:00", BERLIN)] == [-1004001]
        assert store.subscribers_at("09:00", "UTC", default_timezone="UTC") == []


def v7_database(path) -> None:
    """A database as the bot left it before forum topics subscribed on their own: schema
    7, one daily subscriber whose digest of 30 Nov was already queued, one unsubscribed chat."""
    db = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:7]:
        for statement in migration.statements():
            db.execute(statement)
    db.execute("PRAGMA user_version = 7")
    db.execute(
        "INSERT INTO chats (chat_id, timezone, digest_time, last_digest_key, created_at,"
        " updated_at, subscribed_at) VALUES (1, 'Europe/Berlin', '07:30', '2026-11-30',"
        " 't', 't', '2026-01-01T00:00:00+00:00'), (2, NULL, NULL, NULL, 't', 't', NULL)"
    )
    db.close()


def test_a_subscription_from_before_becomes_daily_at_its_time_with_its_last_run(tmp_path):
    path = tmp_path / "old.sqlite3"
    v7_database(path)
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        chat = store.get_chat(1)
        assert chat is not None and chat.subscribed
        assert (chat.digest_times, chat.days, chat.thread_id) == (("07:30",), EVERY_DAY, None)
        assert chat.last_key_at("07:30") == "2026-11-30"
        assert store.get_chat(2).digest_times == ()  # type: ignore[union-attr]
        add_article(store, "a")
        # Today's digest was queued before the upgrade: not again; tomorrow's is.
        assert run(store, "07:30", MONDAY_MORNING).already == 1
        assert run(store, "07:30", MONDAY_MORNING + timedelta(days=1)).queued == 1


def test_every_subscriber_is_read_with_its_own_times_page_by_page(store_target: str) -> None:
    with Store(store_target) as store:
        store.subscribe(1, ["07:30", "18:00"], BERLIN)
        store.subscribe(2, "09:00")
        store.deactivate(2, "blocked")  # keeps its times, is no subscriber now
        store.subscribe(3, "06:00", days=WEEKENDS)
        store.subscribe(4, "05:00")
        pages = [
            [(c.chat_id, c.digest_times, c.days) for c in store._subscribers_page(after, 2)]
            for after in (None, 1)
        ]
        assert pages == [
            [(1, ("07:30", "18:00"), EVERY_DAY), (3, ("06:00",), WEEKENDS)],
            [(3, ("06:00",), WEEKENDS), (4, ("05:00",), EVERY_DAY)],
        ]
        assert [c.chat_id for c in store.iter_subscribers(batch_size=1)] == [1, 3, 4]


async def no_op(context: object) -> None:  # pragma: no cover - never run
    pass


def test_start_up_schedules_every_time_of_a_chat_and_catches_up_only_what_it_missed(
    store_target: str,
) -> None:
    from telegram.ext import Application

    from bot.telegram.slots import schedule_all

    application = Application.builder().token("123:TEST").build()
    with Store(store_target, clock=lambda: MONDAY_MORNING.timestamp() - 7 * 86_400) as store:
        store.subscribe(1, ["07:30", "18:00"], BERLIN, days=WEEKDAYS)
        store.subscribe(2, "18:00", BERLIN, days=WEEKENDS)
        chats = list(store.iter_subscribers())
    # Monday 18:20 in Berlin: chat 1's 18:00 digest was missed; chat 2 has none on Mondays.
    summary = schedule_all(
        application.job_queue,
        chats,
        no_op,
        now=MONDAY_EVENING + timedelta(minutes=20),
        default_timezone="UTC",
    )
    assert (summary.chats, summary.slots) == (2, 2)
    assert summary.catch_up == (Slot("18:00", BERLIN),)
    assert sorted(job.name for job in application.job_queue.jobs()) == [
        "catch-up digest 18:00 Europe/Berlin",
        "digest 07:30 Europe/Berlin",
        "digest 18:00 Europe/Berlin",
    ]
