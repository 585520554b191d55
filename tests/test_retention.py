"""Retention: Store.prune deletes old deliveries, never what "never twice" needs, and
``[storage] retention_days`` configures it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.articles import Article, Block
from bot.config import load_config
from bot.errors import ConfigError
from bot.store import DAY_SECONDS, Store, prune_expired

START = 1_780_000_000.0  # 2026-05-28, a fixed start for the clock


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def days(self, n: float) -> None:
        self.now += n * DAY_SECONDS


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock, store_target: str):
    with Store(store_target, clock=clock) as s:
        yield s


def add(store: Store, source: str) -> int:
    number, _ = store.upsert_article(
        Article(
            source=source,
            title=f"Title {source}",
            date="2026-01-01",
            url=None,
            language="english",
            blocks=(Block("paragraph", "Some text."),),
        )
    )
    store.set_summary(number, [f"Summary of {source}."])
    return number


def send_digest(store: Store, chat_id: int, run_key: str) -> list[int]:
    """What the scheduler and the sender do: queue the chat's unseen articles, send."""
    numbers = [a.number for a in store.unseen_articles(chat_id, 10)]
    assert store.queue_digest(chat_id, run_key, [("digest", numbers)] if numbers else [])
    for item in store.due_outbox(float("inf")):
        store.mark_sent(item.id)
    return numbers


def test_prune_deletes_deliveries_older_than_the_window_and_keeps_newer(
    store: Store, clock: Clock
) -> None:
    store.subscribe(1, "08:00")
    old = add(store, "old.txt")
    assert send_digest(store, 1, "day-0") == [old]
    clock.days(50)
    new = add(store, "new.txt")
    assert send_digest(store, 1, "day-50") == [new]
    clock.days(45)  # old was delivered 95 days ago, new 45
    pruned = store.prune(90)
    assert (pruned.deliveries, pruned.chats) == (1, 1)
    assert store.delivered(1) == {new}
    assert store.prune(90).deliveries == 0  # nothing more to do


def test_a_pruned_article_never_reaches_that_chat_again(store: Store, clock: Clock) -> None:
    store.subscribe(1, "08:00")
    a = add(store, "a.txt")
    assert send_digest(store, 1, "day-0") == [a]
    clock.days(100)
    store.prune(90)
    assert store.delivered(1) == set()  # the row is gone ...
    assert store.unseen_articles(1, 10) == []  # ... and yet a is not new to chat 1
    assert store.count_unseen(1) == 0
    assert send_digest(store, 1, "day-100") == []
    # The same holds for the file coming back after being retired.
    store.retire_missing([])
    add(store, "a.txt")
    assert store.count_unseen(1) == 0
    # A chat that never had a keeps getting it; a new article reaches both.
    assert [x.number for x in store.unseen_articles(2, 10)] == [a]
    b = add(store, "b.txt")
    assert send_digest(store, 1, "day-100b") == [b]


def test_a_chat_with_pruned_deliveries_skips_articles_older_than_the_window(
    store: Store, clock: Clock
) -> None:
    # The documented price of pruning: an article the store has had for longer than
    # the window, never sent to a chat whose old deliveries were pruned, is old news.
    store.subscribe(1, "08:00")
    first = add(store, "first.txt")
    never_sent = add(store, "never-sent.txt")
    store.queue_digest(1, "day-0", [("digest", [first])])
    store.mark_sent(store.due_outbox(float("inf"))[0].id)
    clock.days(91)
    store.prune(90)
    assert store.unseen_articles(1, 10) == []
    assert [x.number for x in store.unseen_articles(2, 10)] == [never_sent, first]


def test_a_delivery_of_an_old_article_made_recently_is_kept(store: Store, clock: Clock) -> None:
    store.subscribe(1, "08:00")
    a = add(store, "a.txt")
    clock.days(80)
    assert send_digest(store, 1, "day-80") == [a]
    clock.days(20)  # a was added 100 days ago, but delivered only 20 days ago
    assert store.prune(90).deliveries == 0
    assert store.delivered(1) == {a}


def test_prune_keeps_the_run_key_so_a_day_is_never_queued_twice(store: Store, clock: Clock) -> None:
    store.subscribe(1, "08:00")
    add(store, "a.txt")
    send_digest(store, 1, "2026-05-28")
    clock.days(365)
    store.prune(1)
    assert store.get_chat(1).last_digest_key == "2026-05-28"  # type: ignore[union-attr]
    assert store.queue_digest(1, "2026-05-28", [("again", [])]) is False
    assert store.count_outbox() == 0


def test_prune_never_deletes_undelivered_outbox_items(store: Store, clock: Clock) -> None:
    store.subscribe(1, "08:00")
    a = add(store, "a.txt")
    store.queue_digest(1, "day-0", [("waiting", [a])])
    (item,) = store.due_outbox(float("inf"))
    store.retry_later(item.id, clock.now + 1, "500 Internal Server Error")
    clock.days(200)
    store.prune(1)
    assert [i.text for i in store.due_outbox(float("inf"))] == ["waiting"]
    store.mark_sent(item.id)
    assert store.delivered(1) == {a}


@pytest.mark.parametrize("batch_rows", [1, 3, 1000])
def test_prune_in_small_batches_deletes_the_same_rows(
    store: Store, clock: Clock, batch_rows: int
) -> None:
    numbers = [add(store, f"{i}.txt") for i in range(4)]
    chats = [-100_123, -5, 0, 7, 8, 2**63 - 1]  # groups have negative ids
    for chat_id in chats:
        store.record_deliveries(chat_id, numbers)
    clock.days(10)
    fresh = add(store, "fresh.txt")
    store.record_deliveries(7, [fresh])
    clock.days(30)
    pruned = store.prune(30, batch_rows=batch_rows)
    assert (pruned.deliveries, pruned.chats) == (len(chats) * len(numbers), len(chats))
    assert {c: store.delivered(c) for c in chats} == {
        c: ({fresh} if c == 7 else set()) for c in chats
    }
    assert all(store.count_unseen(c) == (0 if c == 7 else 1) for c in chats)


def test_a_migrated_group_keeps_its_pruned_articles_out(store: Store, clock: Clock) -> None:
    old_id, new_id = -100, -1001234567890
    store.subscribe(old_id, "08:00")
    a = add(store, "a.txt")
    send_digest(store, old_id, "day-0")
    clock.days(100)
    store.prune(90)
    store.reactivate(new_id)  # someone wrote in the supergroup first: rows are merged
    store.migrate_chat(old_id, new_id)
    assert store.count_unseen(new_id) == 0
    assert [x.number for x in store.unseen_articles(old_id, 10)] == [a]  # a fresh id


def test_prune_takes_the_time_from_the_store_clock_or_now(store: Store, clock: Clock) -> None:
    store.record_deliveries(1, [add(store, "a.txt")])
    assert store.prune(30).deliveries == 0
    assert store.prune(30, now=clock.now + 31 * DAY_SECONDS).deliveries == 1


def test_prune_needs_a_positive_window(store: Store) -> None:
    with pytest.raises(ValueError, match="positive"):
        store.prune(0)


def test_prune_expired_logs_what_it_deleted(
    store: Store, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    store.record_deliveries(1, [add(store, "a.txt")])
    clock.days(91)
    with caplog.at_level(logging.INFO, logger="bot.store"):
        pruned = prune_expired(store, 90)
    assert pruned.deliveries == 1
    assert "retention: deleted 1 deliveries" in caplog.text


def test_pruning_survives_reopening_the_file(shared_store_target: str, clock: Clock) -> None:
    path = shared_store_target
    with Store(path, clock=clock) as store:
        store.subscribe(1, "08:00")
        add(store, "a.txt")
        send_digest(store, 1, "day-0")
        clock.days(100)
        store.prune(90)
    with Store(path, clock=clock) as store:
        assert store.count_unseen(1) == 0


# -- [storage] retention_days ---------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_retention_days_defaults_to_90_and_can_be_set(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, ""), env={}).storage.retention_days == 90
    config = load_config(write(tmp_path, "[storage]\nretention_days = 30\n"), env={})
    assert config.storage.retention_days == 30


@pytest.mark.parametrize("value", ["0", "-1", "'30'", "30.5", "true"])
def test_retention_days_must_be_a_positive_integer(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="storage\\] retention_days: expected a positive integer"):
        load_config(write(tmp_path, f"[storage]\nretention_days = {value}\n"), env={})


def test_the_example_config_documents_retention_days() -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    text = example.read_text(encoding="utf-8")
    assert "# retention_days = 90" in text
    assert load_config(example, env={}).storage.retention_days == 90
