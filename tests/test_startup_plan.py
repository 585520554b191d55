"""Start-up's schedule from the store: the same slots and catch-ups as reading every
subscriber, while reading only the chats of slots that were due within the grace period."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store import Store
from bot.telegram.slots import plan_from_store, plan_schedule

NOON = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # a Thursday


def test_the_plan_from_the_store_matches_the_plan_from_every_subscriber(store_target: str) -> None:
    clock = datetime(2026, 1, 10, tzinfo=UTC).timestamp()
    with Store(store_target, clock=lambda: clock) as store:
        store.subscribe(1, "11:30", "UTC")  # due 30 min ago, never sent: missed
        store.subscribe(2, "11:30", None)  # the default timezone (UTC): the same slot
        store.subscribe(3, "08:00", "Europe/Berlin")  # due hours ago: not a catch-up
        store.subscribe(4, "12:30", "Asia/Tokyo")  # due 23.5 h ago: not a catch-up
        store.subscribe(5, "13:15", "Europe/Berlin")  # 12:15 UTC: later today
        store.subscribe(6, "11:45", "Europe/London")
        store.queue_digest(6, "2026-01-15", [], digest_time="11:45")  # sent already
        store.subscribe(7, "11:50", "UTC")
        store.deactivate(7, "blocked")  # inactive: no slot
        everyone = plan_schedule(store.iter_subscribers(), now=NOON, default_timezone="UTC")
        planned = plan_from_store(store, now=NOON, default_timezone="UTC")
    assert planned.in_use == everyone.in_use
    assert planned.catch_up == everyone.catch_up
    assert (planned.chats, planned.slots) == (everyone.chats, everyone.slots) == (6, 5)
    assert [(s.digest_time, s.timezone) for s in planned.catch_up] == [("11:30", "UTC")]
