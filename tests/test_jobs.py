"""Jobs: the APScheduler trigger, one JobQueue job per slot, catch-up runs, and the
scheduled run that queues a slot's digests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from telegram.ext import Application, CallbackContext

from bot.articles import Article, Block
from bot.schedule import Slot, format_time, missed_digest, next_due, slot_of
from bot.store import Store
from bot.telegram.jobs import queue_due_digests
from bot.telegram.slots import DailyTrigger, job_name, schedule_all, schedule_chat, unschedule_slot

# The same helpers as the pure schedule's tests.
from tests.test_schedule import BERLIN, NEW_YORK, chat, utc

# -- the trigger ---------------------------------------------------------------------


def test_trigger_fires_when_next_due_says_across_dst() -> None:
    trigger = DailyTrigger("08:00", "Europe/Berlin")
    now = utc(2026, 3, 27, 12, 0)
    first = trigger.get_next_fire_time(None, now)
    assert first == next_due("08:00", BERLIN, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=2))
    assert second == next_due("08:00", BERLIN, first)
    assert second is not None and second.astimezone(BERLIN).hour == 8


def test_trigger_added_exactly_at_due_time_fires_then() -> None:
    trigger = DailyTrigger("08:00", "UTC")
    assert trigger.get_next_fire_time(None, utc(2026, 1, 1, 8, 0)) == utc(2026, 1, 1, 8, 0)


def test_trigger_after_a_late_run_does_not_skip_the_next_day() -> None:
    trigger = DailyTrigger("08:00", "UTC")
    # Ran 40 minutes late; the next run is still tomorrow 08:00.
    assert trigger.get_next_fire_time(utc(2026, 1, 1, 8, 0), utc(2026, 1, 1, 8, 40)) == utc(
        2026, 1, 2, 8, 0
    )


# -- JobQueue wiring -----------------------------------------------------------------


async def no_op(context: CallbackContext) -> None:  # pragma: no cover - never run
    pass


@pytest.fixture
def application():
    return Application.builder().token("123:TEST").build()


def test_schedule_all_builds_one_job_per_slot_with_grace_and_coalesce(application) -> None:
    chats = [
        chat(1, "08:00", "Europe/Berlin"),
        chat(2, "08:00", "Europe/Berlin"),
        chat(3, "08:00", None),
        chat(4, "09:30", "America/New_York"),
    ]
    now = utc(2026, 1, 15, 12, 0)  # nothing missed
    summary = schedule_all(
        application.job_queue, chats, no_op, now=now, default_timezone="UTC", grace_seconds=5400
    )
    assert (summary.chats, summary.slots, summary.catch_up) == (4, 3, ())
    jobs = {job.name: job for job in application.job_queue.jobs()}
    assert sorted(jobs) == [
        "digest 08:00 Europe/Berlin",
        "digest 08:00 UTC",
        "digest 09:30 America/New_York",
    ]
    job = jobs["digest 08:00 Europe/Berlin"]
    assert job.data == Slot("08:00", "Europe/Berlin")
    assert job.job.misfire_grace_time == 5400
    assert job.job.coalesce is True
    assert isinstance(job.job.trigger, DailyTrigger)


def test_schedule_all_skips_a_chat_with_an_unknown_timezone(
    application, caplog: pytest.LogCaptureFixture
) -> None:
    chats = [chat(1, "08:00", "Atlantis/Capital"), chat(2, "08:00", "UTC")]
    summary = schedule_all(
        application.job_queue, chats, no_op, now=utc(2026, 1, 15, 12), default_timezone="UTC"
    )
    assert (summary.chats, summary.slots) == (1, 1)
    assert "chat 1 not scheduled: unknown timezone 'Atlantis/Capital'" in caplog.text


def test_schedule_chat_reuses_the_slot_job_and_ignores_unsubscribed(application) -> None:
    queue = application.job_queue
    first = schedule_chat(queue, chat(1), no_op, default_timezone="UTC")
    again = schedule_chat(queue, chat(2), no_op, default_timezone="UTC")
    assert first is not None and again is not None and first.job.id == again.job.id
    assert schedule_chat(queue, chat(3, digest_time=None), no_op, default_timezone="UTC") is None
    assert len(queue.jobs()) == 1
    assert unschedule_slot(queue, Slot("08:00", "Europe/Berlin")) is True
    assert unschedule_slot(queue, Slot("08:00", "Europe/Berlin")) is False
    assert queue.jobs() == ()


def test_job_name_names_the_slot() -> None:
    assert job_name(Slot("07:15", "Asia/Tokyo")) == "digest 07:15 Asia/Tokyo"


async def test_running_scheduler_plans_the_slot_job_at_next_due(application) -> None:
    queue = application.job_queue
    await queue.start()
    try:
        job = schedule_chat(
            queue, chat(1, "02:30", "America/New_York"), no_op, default_timezone="UTC"
        )
        assert job is not None and job.next_t is not None
        now = datetime.now(UTC)
        expected = next_due("02:30", NEW_YORK, now)
        assert abs((job.next_t - expected).total_seconds()) < 1
    finally:
        await queue.stop()


async def test_missed_slot_gets_a_catch_up_run_with_the_slot_as_data(application) -> None:
    ran: asyncio.Queue[object] = asyncio.Queue()

    async def callback(context: CallbackContext) -> None:
        await ran.put(context.job.data)  # type: ignore[union-attr]

    now = datetime.now(UTC)
    missed_local = (now - timedelta(minutes=10)).astimezone(BERLIN)
    missed_time = format_time(missed_local.time())
    chats = [chat(1, missed_time, "Europe/Berlin", last_digest_key=None)]
    queue = application.job_queue
    await queue.start()
    try:
        summary = schedule_all(queue, chats, callback, now=now, default_timezone="UTC")
        assert summary.catch_up == (Slot(missed_time, "Europe/Berlin"),)
        data = await asyncio.wait_for(ran.get(), timeout=5)
        assert data == Slot(missed_time, "Europe/Berlin")
    finally:
        await queue.stop()


# -- the scheduled run ---------------------------------------------------------------


def add_article(store: Store, source: str, date: str, title: str | None = None) -> int:
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


def test_queue_due_digests_queues_each_chat_once_with_its_unseen_articles(
    store_target: str,
) -> None:
    with Store(store_target) as store:
        old = add_article(store, "old", "2020-01-01")
        new = add_article(store, "new", "2024-01-01", title='<b>"AT&T" & Co</b>')
        store.subscribe(1, "08:00", "Europe/Berlin")
        store.subscribe(2, "08:00")  # default timezone, Europe/Berlin below
        store.subscribe(3, "09:00", "Europe/Berlin")  # another slot
        store.subscribe(4, "08:00", "Europe/Berlin")
        store.record_deliveries(4, [old, new])  # has seen everything
        store.subscribe(5, "08:00", "Europe/Berlin")
        store.record_deliveries(5, [new])
        slot = Slot("08:00", "Europe/Berlin")
        now = utc(2026, 1, 15, 7, 0, 3)

        report = queue_due_digests(
            store, slot, now, default_timezone="Europe/Berlin", max_articles=10
        )
        assert (report.run_key, report.due, report.queued, report.nothing_new) == (
            "2026-01-15",
            4,
            3,
            1,
        )
        assert report.already == 0 and report.seconds >= 0
        assert report.describe().startswith(
            "digest run 08:00 Europe/Berlin 2026-01-15: 4 due, 3 queued (3 messages),"
            " 1 nothing new, 0 already queued, "
        )
        items = store.due_outbox(now, limit=10)
        assert [(i.chat_id, i.article_numbers) for i in items] == [
            (1, (new, old)),
            (2, (new, old)),
            (5, (old,)),
        ]
        assert "&lt;b&gt;&quot;AT&amp;T&quot; &amp; Co&lt;/b&gt;" in items[0].text
        assert items[0].text.index(f"/article {new}") < items[0].text.index(f"/article {old}")

        again = queue_due_digests(
            store,
            slot,
            now + timedelta(minutes=5),
            default_timezone="Europe/Berlin",
            max_articles=10,
        )
        assert (again.queued, again.nothing_new, again.already) == (0, 0, 4)
        assert store.count_outbox() == 3


def test_queue_due_digests_reports_each_batch_that_queued_messages(store_target: str) -> None:
    with Store(store_target) as store:
        add_article(store, "a", "2024-01-01")
        store.subscribe_many((chat_id, "08:00", "UTC") for chat_id in range(1, 8))
        store.queue_digest(7, "2026-01-01", [], now=utc(2026, 1, 1, 8))  # already done
        outbox_sizes: list[int] = []
        report = queue_due_digests(
            store,
            Slot("08:00", "UTC"),
            utc(2026, 1, 1, 8, 0),
            default_timezone="UTC",
            max_articles=10,
            batch_size=3,
            on_batch=lambda: outbox_sizes.append(store.count_outbox()),
        )
        # Batches: chats 1-3, 4-6, then 7 alone (already queued: no call).
        assert outbox_sizes == [3, 6]
        assert (report.due, report.queued, report.already) == (7, 6, 1)


def test_queue_due_digests_respects_max_articles(store_target: str) -> None:
    with Store(store_target) as store:
        numbers = [add_article(store, f"a{i}", f"2024-01-{i + 1:02d}") for i in range(5)]
        store.subscribe(1, "08:00", "UTC")
        queue_due_digests(
            store,
            Slot("08:00", "UTC"),
            utc(2026, 1, 1, 8, 0),
            default_timezone="UTC",
            max_articles=2,
        )
        [item] = store.due_outbox(utc(2026, 1, 1, 8, 0))
        assert item.article_numbers == (numbers[4], numbers[3])


def test_restart_after_a_missed_digest_sends_it_once_never_twice(shared_store_target: str) -> None:
    path = shared_store_target
    subscribed = utc(2026, 1, 10, 12, 0).timestamp()
    with Store(path, clock=lambda: subscribed) as store:
        add_article(store, "a", "2024-01-01")
        store.subscribe(1, "08:00", "Europe/Berlin")
    # The bot was down at 08:00 Berlin (07:00 UTC) and comes back at 07:30 UTC.
    back = utc(2026, 1, 15, 7, 30)
    with Store(path) as store:
        [subscriber] = store.subscribers()
        assert missed_digest(subscriber, back) == "2026-01-15"
        slot = slot_of(subscriber, "UTC")
        assert slot is not None
        report = queue_due_digests(store, slot, back, default_timezone="UTC", max_articles=10)
        assert report.queued == 1
    # A second restart a few minutes later finds nothing missed.
    with Store(path) as store:
        [subscriber] = store.subscribers()
        assert missed_digest(subscriber, back + timedelta(minutes=5)) is None
        report = queue_due_digests(
            store, slot, back + timedelta(minutes=5), default_timezone="UTC", max_articles=10
        )
        assert (report.queued, report.already) == (0, 1)
        assert store.count_outbox() == 1
