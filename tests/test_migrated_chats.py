"""A group that became a supergroup: Telegram answers sends to the old id with a 400
carrying ``migrate_to_chat_id``; the store moves the chat, the sender follows it to the
new id, and the daily digest keeps arriving. Real SQLite, the fake Bot API over HTTP."""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import ClientSession
from telegram.error import ChatMigrated

from bot.articles import Article, Block
from bot.store import Store
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from tests.conftest import write_article
from tests.fakebotapi import Fault
from tests.test_delivery import bot, drain, queue, store, texts
from tests.test_telegram_schedule import (
    TITLES,
    Clock,
    articles,
    ask,
    digest_time,
    now,
    run_digest_job,
)

# Fixtures shared with test_delivery and test_telegram_schedule.
__all__ = ["articles", "bot", "digest_time", "now", "store"]

OLD = -4_001  # a basic group
NEW = -1_000_000_004_001  # the supergroup it became


class MovableClock:
    """The store's clock (seconds since the epoch), moved by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def add_articles(store: Store, count: int) -> None:
    """Articles 1..count, summarized (so they can be unseen)."""
    for n in range(1, count + 1):
        paragraph = (Block("paragraph", f"Text {n}."),)
        number, _ = store.upsert_article(
            Article(f"{n}.md", f"Article {n}", None, None, "english", paragraph)
        )
        store.set_summary(number, [f"Text {n}."])


def delivered_at(path: Path, chat_id: int) -> dict[int, str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT number, delivered_at FROM deliveries WHERE chat_id = ?", (chat_id,)
        ).fetchall()
    return dict(rows)


# -- the store ------------------------------------------------------------------------------


def test_migrating_a_chat_moves_its_subscription_deliveries_and_outbox(
    tmp_path, shared_store_target: str
):
    with Store(shared_store_target) as store:
        add_articles(store, 4)
        store.subscribe(OLD, "07:30", "Europe/Berlin")
        store.record_deliveries(OLD, [1])
        assert store.queue_digest(OLD, "2026-11-28", [("<b>one</b>", [2]), ("<b>two</b>", [3])])
        before = store.get_chat(OLD)
        queued = store.due_outbox(float("inf"))

        moved = store.migrate_chat(OLD, NEW)

        assert moved == store.get_chat(NEW)
        assert moved.chat_id == NEW
        for column in (
            "timezone",
            "digest_time",
            "active",
            "deactivated_reason",
            "last_digest_key",
            "created_at",
            "subscribed_at",
        ):
            assert getattr(moved, column) == getattr(before, column), column
        assert store.get_chat(OLD) is None
        assert store.delivered(NEW) == {1}
        assert store.delivered(OLD) == set()
        assert (store.count_outbox(OLD), store.count_outbox(NEW)) == (0, 2)
        # The same items (ids kept: an item in flight stays valid), now for the new id.
        assert [item.id for item in store.due_outbox(float("inf"))] == [queued[0].id]
        assert store.due_outbox(float("inf"))[0].chat_id == NEW
        assert [c.chat_id for c in store.subscribers_at("07:30", "Europe/Berlin")] == [NEW]
        # Articles waiting in its outbox are not unseen; today's digest is not queued twice.
        assert [a.number for a in store.unseen_articles(NEW, 10)] == [4]
        assert not store.queue_digest(NEW, "2026-11-28", [("<b>again</b>", [4])])


@pytest.mark.sqlite_only
def test_merging_into_an_existing_row_keeps_the_old_subscription_and_fills_its_gaps(tmp_path):
    clock = MovableClock(1_700_000_000.0)
    path = tmp_path / "db.sqlite3"
    with Store(path, clock=clock) as store:
        add_articles(store, 3)
        store.subscribe(OLD, "07:30")  # the config's default timezone
        store.record_deliveries(OLD, [1, 2])
        assert store.queue_digest(OLD, "2026-11-27", [])
        old = store.get_chat(OLD)
        clock.now += 3600
        # Someone wrote to the bot in the supergroup first: not subscribed, a timezone.
        store.set_timezone(NEW, "Asia/Tokyo")
        store.record_deliveries(NEW, [2, 3])
        new_times = delivered_at(path, NEW)
        clock.now += 3600

        merged = store.migrate_chat(OLD, NEW)

        assert store.get_chat(OLD) is None
        assert merged == store.get_chat(NEW)
        assert (merged.digest_time, merged.subscribed_at) == ("07:30", old.subscribed_at)
        assert merged.timezone == "Asia/Tokyo"  # the old row had none
        assert merged.subscribed and merged.last_digest_key == "2026-11-27"
        assert merged.created_at == old.created_at  # the earlier one
        assert store.delivered(NEW) == {1, 2, 3}
        # A pair both had keeps the new row's time.
        assert delivered_at(path, NEW)[2] == new_times[2]


def test_when_both_rows_are_subscribed_the_old_settings_win_and_the_later_run_is_kept(
    tmp_path, shared_store_target: str
):
    with Store(shared_store_target) as store:
        add_articles(store, 3)
        store.subscribe(NEW, "09:00", "Asia/Tokyo")
        assert store.queue_digest(NEW, "2026-11-28", [("<b>theirs</b>", [1])])
        store.subscribe(OLD, "07:30", "Europe/Berlin")
        assert store.queue_digest(OLD, "2026-11-27", [("<b>ours</b>", [2])])
        old = store.get_chat(OLD)

        merged = store.migrate_chat(OLD, NEW)

        assert (merged.digest_time, merged.timezone) == ("07:30", "Europe/Berlin")
        assert merged.subscribed_at == old.subscribed_at
        assert merged.last_digest_key == "2026-11-28"  # not queued again for that day
        # Both pending digests are kept, in queue order.
        head = store.due_outbox(float("inf"))
        assert [(item.chat_id, item.text) for item in head] == [(NEW, "<b>theirs</b>")]
        store.mark_sent(head[0].id)
        assert [item.text for item in store.due_outbox(float("inf"))] == ["<b>ours</b>"]


def test_a_merged_chat_is_active_if_either_row_is(tmp_path, shared_store_target: str):
    with Store(shared_store_target) as store:
        store.subscribe(OLD, "07:30")
        store.deactivate(OLD, "Forbidden: bot was kicked from the group chat")
        store.reactivate(NEW)  # a new, active, unsubscribed row
        assert store.migrate_chat(OLD, NEW).subscribed

        store.subscribe(OLD, "07:30")
        store.deactivate(OLD, "old reason")
        store.deactivate(NEW, "new reason")
        merged = store.migrate_chat(OLD, NEW)
        assert (merged.active, merged.deactivated_reason) == (False, "old reason")


def test_migrating_an_unknown_chat_changes_nothing(tmp_path, shared_store_target: str):
    with Store(shared_store_target) as store:
        add_articles(store, 2)
        store.subscribe(NEW, "09:00", "Asia/Tokyo")
        store.record_deliveries(NEW, [1])
        store.queue_digest(NEW, "2026-11-28", [("<b>digest</b>", [2])])
        before = store.get_chat(NEW)

        assert store.migrate_chat(OLD, NEW) is None

        assert store.get_chat(OLD) is None
        assert store.get_chat(NEW) == before
        assert store.delivered(NEW) == {1}
        assert store.count_outbox(NEW) == 1


def test_migrating_the_same_chat_twice_moves_it_once(tmp_path, shared_store_target: str):
    with Store(shared_store_target) as store:
        store.subscribe(OLD, "07:30")
        first = store.migrate_chat(OLD, NEW)
        assert store.migrate_chat(OLD, NEW) is None
        assert store.get_chat(NEW) == first


# -- the fake Bot API ----------------------------------------------------------------------


async def test_the_fake_answers_a_migrated_group_as_telegram_does(fake, bot):
    fake.fail(OLD, Fault.migrated(NEW), times=None)
    async with ClientSession() as session:
        url = f"{fake.base_url}{fake.token}/sendMessage"
        async with session.post(url, json={"chat_id": OLD, "text": "hello"}) as answer:
            assert answer.status == 400
            assert await answer.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": NEW},
            }
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(OLD, "hello")
    assert raised.value.new_chat_id == NEW
    await bot.send_message(NEW, "hello")
    assert texts(fake, NEW) == ["hello"]


# -- the sender -----------------------------------------------------------------------------


async def test_a_digest_to_a_group_that_became_a_supergroup_arrives_in_the_new_chat(
    fake, store, bot, caplog
):
    queue(store, [OLD], parts=3)
    fake.fail(OLD, Fault.migrated(NEW), times=None)
    with caplog.at_level(logging.INFO, logger="bot.telegram.delivery"):
        # One attempt per message: following the group must not use it up.
        sender = await drain(bot, store, max_attempts=1)

    assert texts(fake, NEW) == [f"Digest for {OLD}, part {k}" for k in (1, 2, 3)]
    assert texts(fake, OLD) == []
    # Only the first message met the old id; the rest were already queued for the new one.
    old_calls = [c for c in fake.calls_to("sendMessage") if c.params["chat_id"] == OLD]
    assert [c.status for c in old_calls] == [400]
    assert store.get_chat(OLD) is None
    assert store.get_chat(NEW).subscribed
    assert store.delivered(NEW) == {1, 2, 3}
    assert store.count_outbox() == 0
    assert (sender.totals.sent, sender.totals.migrated) == (3, 1)
    assert (sender.totals.failed, sender.totals.retried) == (0, 0)
    lines = [r.getMessage() for r in caplog.records]
    moved = [r for r in caplog.records if "moved to" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in moved] == [
        (logging.INFO, f"chat {OLD} moved to {NEW} (group became a supergroup)")
    ]
    (run,) = [line for line in lines if line.startswith("digest run:")]
    assert run.startswith("digest run: due=3 sent=3 failed=0 deactivated=0 retried=0 migrated=1")


async def test_a_moved_digest_waits_for_the_supergroups_own_message_in_flight(fake, store, bot):
    # The supergroup has a digest of its own, queued first and slow to be answered; the
    # group's digest is refused with the migration at the same time.
    queue(store, [NEW])
    queue(store, [OLD])
    fake.fail(NEW, Fault.delay_only(0.5), times=1)
    fake.fail(OLD, Fault.migrated(NEW), times=None)
    sender = await drain(bot, store)
    # Answer order: had the moved message been sent while the slow one was in flight,
    # it would have been answered first.
    assert texts(fake, NEW) == [f"Digest for {NEW}, part 1", f"Digest for {OLD}, part 1"]
    assert (sender.totals.sent, sender.totals.migrated, sender.totals.failed) == (2, 1, 0)
    assert store.count_outbox() == 0


async def test_a_supergroup_that_answers_with_another_move_is_not_chased(fake, store, bot):
    queue(store, [OLD])
    fake.fail(OLD, Fault.migrated(NEW), times=None)
    fake.fail(NEW, Fault.migrated(-1_000_000_009_999), times=None)
    sender = await drain(bot, store)
    assert (sender.totals.migrated, sender.totals.failed, sender.totals.sent) == (1, 1, 0)
    assert len(fake.calls_to("sendMessage")) == 2
    assert store.count_outbox() == 0
    assert store.get_chat(NEW).subscribed  # the move itself stands


# -- end to end -----------------------------------------------------------------------------


async def test_a_subscribed_group_keeps_its_daily_digest_after_becoming_a_supergroup(
    fake, bot_config, articles, seeds, now, digest_time
):
    config = bot_config()
    clock = Clock(now - timedelta(days=1))
    application = build_application(config, clock=clock)
    async with running(application, config):
        await rescan_seeds(application)
        await ask(fake, f"/subscribe {digest_time}", chat=OLD)
        store = runtime(application).store

        fake.fail(OLD, Fault.migrated(NEW), times=None)  # the group was upgraded
        await run_digest_job(application, digest_time)

        assert fake.last_message(NEW).bold() == ["Your digest", *reversed(TITLES)]
        assert len(fake.messages(OLD)) == 1  # the /subscribe reply only
        assert store.get_chat(OLD) is None
        chat = store.get_chat(NEW)
        assert chat.subscribed and chat.digest_time == digest_time
        status = await ask(fake, "/status", chat=NEW)
        assert f"Subscribed: yes, every day at {digest_time} (UTC)" in status.text
        assert "Articles waiting: 0" in status.text

        # The next day's run goes to the new id directly: the slot's job reads its chats
        # from the store, so moving the row was enough.
        write_article(seeds, "fresh.md", "Fresh story", date="2024-06-01")
        await rescan_seeds(application)
        refused = len([c for c in fake.calls_to("sendMessage") if c.status == 400])
        clock.now = now
        await run_digest_job(application, digest_time)
        assert fake.last_message(NEW).bold() == ["Your digest", "Fresh story"]
        assert len([c for c in fake.calls_to("sendMessage") if c.status == 400]) == refused
        assert len(fake.messages(OLD)) == 1
