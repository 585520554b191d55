"""The SQLite store: chats, articles and summaries, deliveries, the outbox, migrations."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.articles import Article, Block
from bot.store import Store, StoreError
from bot.store.migrations import MIGRATIONS, Migration


def article(source: str, title: str = "A title", body: str = "Some text.", **kw) -> Article:
    return Article(
        source=source,
        title=title,
        date=kw.get("date", "2024-01-01"),
        url=kw.get("url", f"https://example.com/{source}"),
        language=kw.get("language", "english"),
        blocks=(Block("paragraph", body),),
    )


class Clock:
    """A controllable clock: seconds since the epoch, advanced by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock, store_target: str):
    with Store(store_target, clock=clock) as s:
        yield s


def add_summarized(store: Store, source: str, date: str | None = "2024-01-01", **kw) -> int:
    number, _ = store.upsert_article(article(source, date=date, **kw))
    store.set_summary(number, [f"Summary of {source}."])
    return number


# -- chats ---------------------------------------------------------------------------


def test_subscribe_creates_chat_with_time_and_timezone(store: Store) -> None:
    chat = store.subscribe(42, "08:30", "Europe/Berlin")
    assert (chat.chat_id, chat.digest_time, chat.timezone) == (42, "08:30", "Europe/Berlin")
    assert chat.active and chat.subscribed
    assert store.get_chat(42) == chat


def test_subscribe_records_when(store: Store, clock: Clock) -> None:
    clock.now = datetime(2026, 1, 15, 7, 10, tzinfo=UTC).timestamp()
    chat = store.subscribe(1, "08:00")
    assert chat.subscribed_at == "2026-01-15T07:10:00.000000+00:00"


def test_subscribe_normalizes_time_and_keeps_timezone_when_none_given(store: Store) -> None:
    store.set_timezone(1, "Asia/Tokyo")
    chat = store.subscribe(1, "7:05")
    assert (chat.digest_time, chat.timezone) == ("07:05", "Asia/Tokyo")


def test_subscribe_rejects_bad_time_and_timezone_without_storing(store: Store) -> None:
    with pytest.raises(ValueError, match="hours go 00-23"):
        store.subscribe(1, "25:99")
    with pytest.raises(ValueError, match="unknown timezone"):
        store.subscribe(1, "08:00", "Mars/Olympus")
    assert store.get_chat(1) is None


def test_subscribe_many_matches_subscribe_one_by_one(store: Store, clock: Clock) -> None:
    store.set_timezone(2, "Asia/Tokyo")
    store.deactivate(3, "blocked")
    count = store.subscribe_many([(1, "7:00", None), (2, "08:00", None), (3, "09:00", "UTC")])
    assert count == 3
    got = [(c.chat_id, c.digest_time, c.timezone, c.active) for c in store.subscribers()]
    assert got == [
        (1, "07:00", None, True),
        (2, "08:00", "Asia/Tokyo", True),
        (3, "09:00", "UTC", True),
    ]
    with Store(":memory:", clock=clock) as other:
        assert store.get_chat(1) == other.subscribe(1, "07:00")


def test_subscribe_many_writes_nothing_on_bad_input(store: Store) -> None:
    with pytest.raises(ValueError):
        store.subscribe_many([(1, "08:00", None), (2, "25:99", None)])
    assert store.subscribers() == []


def test_unknown_chat_is_none(store: Store) -> None:
    assert store.get_chat(999) is None


def test_unsubscribe_clears_time_and_reports_whether_subscribed(store: Store) -> None:
    store.subscribe(1, "08:00")
    store.queue_digest(1, "k", [("pending", [])])
    assert store.unsubscribe(1) is True
    assert store.unsubscribe(1) is False
    chat = store.get_chat(1)
    assert chat is not None and chat.digest_time is None and not chat.subscribed
    assert store.subscribers() == []
    assert store.count_outbox(1) == 0  # they asked to stop: unsent messages go too


def test_set_timezone_creates_chat_and_none_restores_default(store: Store) -> None:
    assert store.set_timezone(5, "America/New_York").timezone == "America/New_York"
    assert store.set_timezone(5, None).timezone is None


def test_deactivate_hides_subscriber_and_subscribe_reactivates(store: Store) -> None:
    store.subscribe(1, "08:00")
    store.deactivate(1, "Forbidden: bot was blocked by the user")
    chat = store.get_chat(1)
    assert chat is not None and not chat.active and not chat.subscribed
    assert chat.deactivated_reason == "Forbidden: bot was blocked by the user"
    assert chat.digest_time == "08:00"  # kept for when they come back
    assert store.subscribers() == []
    chat = store.subscribe(1, "09:00")
    assert chat.active and chat.deactivated_reason is None
    assert [c.chat_id for c in store.subscribers()] == [1]


def test_reactivate_restores_schedule_and_creates_unknown_chat(store: Store) -> None:
    store.subscribe(1, "08:00")
    store.deactivate(1, "chat not found")
    assert store.reactivate(1).subscribed
    new = store.reactivate(2)
    assert new.active and not new.subscribed


def test_subscribers_iterates_active_subscribed_chats_in_pages(store: Store) -> None:
    for chat_id in range(1, 26):
        store.subscribe(chat_id, "08:00")
    store.unsubscribe(3)
    store.deactivate(4, "blocked")
    store.reactivate(100)  # talked to the bot, never subscribed
    expected = [c for c in range(1, 26) if c not in (3, 4)]
    assert [c.chat_id for c in store.iter_subscribers(batch_size=7)] == expected
    assert [c.chat_id for c in store.subscribers()] == expected
    # the page iter_subscribers reads (private since no caller outside the store needs it)
    assert [c.chat_id for c in store._subscribers_page(10, 3)] == [11, 12, 13]
    assert store.count_subscribers() == len(expected)


def test_subscribers_at_matches_time_and_timezone_counting_none_as_default(store: Store) -> None:
    store.subscribe(1, "08:00")
    store.subscribe(2, "08:00", "Europe/Berlin")
    store.subscribe(3, "09:00")
    at = store.subscribers_at
    assert [c.chat_id for c in at("08:00", "UTC", default_timezone="UTC")] == [1]
    assert [c.chat_id for c in at("08:00", "Europe/Berlin", default_timezone="UTC")] == [2]
    assert [c.chat_id for c in at("08:00", "Europe/Berlin", default_timezone="Europe/Berlin")] == [
        1,
        2,
    ]
    page = at("08:00", "Europe/Berlin", default_timezone="Europe/Berlin", after_chat_id=1, limit=5)
    assert [c.chat_id for c in page] == [2]


# -- articles ------------------------------------------------------------------------


def test_upsert_assigns_stable_numbers_and_reports_changes(store: Store) -> None:
    assert store.upsert_article(article("a.txt")) == (1, True)
    assert store.upsert_article(article("b.txt")) == (2, True)
    assert store.upsert_article(article("a.txt")) == (1, False)
    assert store.upsert_article(article("a.txt", body="Edited text.")) == (1, True)
    stored = store.get_article(1)
    assert stored is not None and stored.text == "Edited text."


def test_changed_content_clears_summary_and_unchanged_keeps_it(store: Store) -> None:
    number, _ = store.upsert_article(article("a.txt"))
    store.set_summary(number, ["One.", "Two."])
    store.upsert_article(article("a.txt"))
    assert store.get_article(number).summary == ("One.", "Two.")  # type: ignore[union-attr]
    assert store.articles_without_summary() == []
    store.upsert_article(article("a.txt", title="New title"))
    assert store.get_article(number).summary is None  # type: ignore[union-attr]
    assert [a.number for a in store.articles_without_summary()] == [number]


def test_numbers_sqlite_cannot_hold_are_simply_not_articles(store: Store) -> None:
    add_summarized(store, "a.txt")
    for number in (2**63, -(2**63) - 1, 10**30):
        assert store.get_article(number) is None
        assert store.next_article(number) is None


def test_set_summary_of_unknown_article_raises(store: Store) -> None:
    with pytest.raises(KeyError):
        store.set_summary(12, ["x"])


def test_summary_round_trips_unicode(store: Store) -> None:
    number, _ = store.upsert_article(article("a.txt"))
    store.set_summary(number, ["Ünïcödé — “quotes” 🎉."])
    assert store.get_article(number).summary == ("Ünïcödé — “quotes” 🎉.",)  # type: ignore[union-attr]


def test_list_articles_newest_first_undated_last_with_offset(store: Store, clock: Clock) -> None:
    store.upsert_article(article("old.txt", date="2020-05-01"))
    clock.now += 1
    store.upsert_article(article("undated.txt", date=None))
    clock.now += 1
    store.upsert_article(article("new.txt", date="2024-02-02"))
    clock.now += 1
    store.upsert_article(article("same-day-later.txt", date="2024-02-02"))
    order = [a.source for a in store.list_articles(0, 10)]
    assert order == ["same-day-later.txt", "new.txt", "old.txt", "undated.txt"]
    assert [a.source for a in store.list_articles(1, 2)] == ["new.txt", "old.txt"]
    assert store.count_articles() == 4


def test_list_articles_breaks_ties_by_number(store: Store) -> None:
    # Same date and same added_at (frozen clock): the higher number is newer.
    for name in ("a", "b", "c"):
        store.upsert_article(article(name))
    assert [a.number for a in store.list_articles()] == [3, 2, 1]


def test_next_article_follows_list_order(store: Store, clock: Clock) -> None:
    undated = add_summarized(store, "undated.txt", date=None)
    old = add_summarized(store, "old.txt", date="2020-01-01")
    new = add_summarized(store, "new.txt", date="2024-01-01")
    clock.now += 1
    newer_same_day = add_summarized(store, "later.txt", date="2024-01-01")
    order = [a.number for a in store.list_articles(0, 10)]
    assert order == [newer_same_day, new, old, undated]
    assert [getattr(store.next_article(n), "number", None) for n in order] == [
        new,
        old,
        undated,
        None,
    ]
    assert store.next_article(999) is None


def test_search_matches_all_words_case_insensitively(store: Store) -> None:
    store.upsert_article(article("1", title="S. Korea, Japan, US sign intel-sharing pact"))
    store.upsert_article(article("2", title="Japan's economy grows"))
    store.upsert_article(article("3", title="ÜBER Straße news"))
    assert [a.source for a in store.search_articles(["japan"])] == ["2", "1"]
    assert [a.source for a in store.search_articles(["JAPAN", "korea"])] == ["1"]
    assert [a.source for a in store.search_articles(["über", "STRASSE"])] == ["3"]
    assert store.search_articles(["nothing-like-this"]) == []
    assert store.search_articles([]) == []


def test_search_treats_like_wildcards_literally(store: Store) -> None:
    store.upsert_article(article("1", title="100% true"))
    store.upsert_article(article("2", title="1000 true"))
    assert [a.source for a in store.search_articles(["100%"])] == ["1"]
    assert [a.source for a in store.search_articles(["_"])] == []


def test_retired_articles_are_hidden_and_keep_their_number_when_back(store: Store) -> None:
    a = add_summarized(store, "a.txt")
    b = add_summarized(store, "b.txt")
    assert store.retire_missing(["b.txt"]) == [a]
    assert store.get_article(a) is None
    assert [x.number for x in store.list_articles()] == [b]
    assert store.count_articles() == 1
    assert [x.number for x in store.unseen_articles(1, 10)] == [b]
    assert store.upsert_article(article("a.txt")) == (a, True)
    assert store.get_article(a).summary == ("Summary of a.txt.",)  # type: ignore[union-attr]


@pytest.mark.sqlite_only
def test_numbers_are_never_reused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with Store(path) as store:
        store.upsert_article(article("a.txt"))
        store.upsert_article(article("b.txt"))
    # Even if rows were deleted by hand, AUTOINCREMENT keeps numbers unique.
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM articles WHERE number = 2")
    with Store(path) as store:
        assert store.upsert_article(article("c.txt")) == (3, True)


def test_upsert_articles_in_bulk(store: Store) -> None:
    results = store.upsert_articles(article(f"{i}.txt") for i in range(100))
    assert [n for n, _ in results] == list(range(1, 101))
    assert all(changed for _, changed in results)
    assert store.count_articles() == 100


# -- deliveries ----------------------------------------------------------------------


def test_unseen_articles_are_summarized_undelivered_newest_first(store: Store) -> None:
    old = add_summarized(store, "old.txt", date="2020-01-01")
    new = add_summarized(store, "new.txt", date="2024-01-01")
    store.upsert_article(article("unsummarized.txt", date="2025-01-01"))
    assert [a.number for a in store.unseen_articles(7, 10)] == [new, old]
    assert store.count_unseen(7) == 2
    store.record_deliveries(7, [new])
    assert [a.number for a in store.unseen_articles(7, 10)] == [old]
    assert store.count_unseen(7) == 1
    assert [a.number for a in store.unseen_articles(8, 1)] == [new]  # other chats unaffected


def test_articles_waiting_in_the_outbox_are_not_unseen(store: Store) -> None:
    a = add_summarized(store, "a.txt", date="2024-01-01")
    b = add_summarized(store, "b.txt", date="2024-01-02")
    store.subscribe(1, "08:00")
    store.queue_digest(1, "2026-03-01", [("first", [b]), ("second", [a])], now=T0)
    assert store.unseen_articles(1, 10) == [] and store.count_unseen(1) == 0
    assert [x.number for x in store.unseen_articles(2, 10)] == [b, a]  # other chats
    (first,) = store.due_outbox(T0)
    store.drop(first.id, "Bad Request: something")  # b will not arrive: unseen again
    assert [x.number for x in store.unseen_articles(1, 10)] == [b]
    (second,) = store.due_outbox(T0)
    store.mark_sent(second.id)
    assert [x.number for x in store.unseen_articles(1, 10)] == [b]
    assert store.count_unseen(1) == 1


def test_record_deliveries_ignores_duplicates_and_unknown_numbers(store: Store) -> None:
    n = add_summarized(store, "a.txt")
    store.record_deliveries(1, [n, n, 999])
    store.record_deliveries(1, [n])
    assert store.delivered(1) == {n}


# -- outbox --------------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_queue_digest_is_atomic_and_never_twice_per_run_key(store: Store) -> None:
    store.subscribe(1, "08:00")
    messages = [("<b>one</b>", [1, 2]), ("two", [3])]
    assert store.queue_digest(1, "2026-03-01", messages, now=T0) is True
    assert store.queue_digest(1, "2026-03-01", messages, now=T0) is False
    assert store.count_outbox(1) == 2
    assert store.get_chat(1).last_digest_key == "2026-03-01"  # type: ignore[union-attr]
    assert store.queue_digest(1, "2026-03-02", [("three", [4])], now=T0) is True
    assert store.count_outbox(1) == 3


def test_queue_digest_refuses_unknown_and_inactive_chats(store: Store) -> None:
    assert store.queue_digest(1, "k", [("x", [])], now=T0) is False
    store.subscribe(2, "08:00")
    store.deactivate(2, "blocked")
    assert store.queue_digest(2, "k", [("x", [])], now=T0) is False
    assert store.count_outbox() == 0


def test_queue_digest_with_nothing_new_records_the_run(store: Store) -> None:
    store.subscribe(1, "08:00")
    assert store.queue_digest(1, "2026-03-01", [], now=T0) is True
    assert store.count_outbox() == 0
    assert store.get_chat(1).last_digest_key == "2026-03-01"  # type: ignore[union-attr]
    assert store.queue_digest(1, "2026-03-01", [("late", [1])], now=T0) is False


def test_queue_digests_in_bulk_skips_chats_that_already_have_the_run(store: Store) -> None:
    for chat_id in (1, 2, 3):
        store.subscribe(chat_id, "08:00")
    store.queue_digest(2, "2026-03-01", [("early", [])], now=T0)
    store.deactivate(3, "blocked")
    digests = [(1, [("a", [1])]), (2, [("b", [1])]), (3, [("c", [1])]), (4, [("d", [1])])]
    assert store.queue_digests("2026-03-01", digests, now=T0) == [1]
    assert [i.text for i in store.due_outbox(T0)] == ["early", "a"]


def test_mark_sent_many_commits_each_item(store: Store) -> None:
    a = add_summarized(store, "a.txt")
    for chat_id in (1, 2):
        store.subscribe(chat_id, "08:00")
        store.queue_digest(chat_id, "k", [("x", [a])], now=T0)
    ids = [i.id for i in store.due_outbox(T0)]
    assert store.mark_sent_many([*ids, 9999]) == [True, True, False]
    assert store.delivered(1) == store.delivered(2) == {a}
    assert store.count_outbox() == 0


def test_due_outbox_gives_oldest_item_per_chat_in_queue_order(store: Store) -> None:
    for chat_id in (1, 2):
        store.subscribe(chat_id, "08:00")
    store.queue_digest(1, "k", [("1a", [1]), ("1b", [2])], now=T0)
    store.queue_digest(2, "k", [("2a", [1])], now=T0)
    due = store.due_outbox(T0, limit=10)
    assert [(i.chat_id, i.text, i.article_numbers) for i in due] == [
        (1, "1a", (1,)),
        (2, "2a", (1,)),
    ]
    assert store.due_outbox(T0, limit=1) == due[:1]
    assert store.mark_sent(due[0].id) is True
    assert [i.text for i in store.due_outbox(T0, limit=10)] == ["1b", "2a"]


def test_due_outbox_waits_for_next_attempt_time(store: Store) -> None:
    store.subscribe(1, "08:00")
    later = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    store.queue_digest(1, "k", [("x", [])], now=later)
    assert store.due_outbox(T0) == []
    assert [i.text for i in store.due_outbox(later)] == ["x"]
    assert store.next_outbox_due() == later.timestamp()


def test_retry_later_holds_back_the_rest_of_the_chats_digest(store: Store) -> None:
    store.subscribe(1, "08:00")
    store.queue_digest(1, "k", [("first", [1]), ("second", [2])], now=T0)
    first = store.due_outbox(T0)[0]
    retry_at = datetime(2026, 3, 1, 8, 5, tzinfo=UTC)
    store.retry_later(first.id, retry_at, "500 Internal Server Error")
    assert store.due_outbox(T0) == []  # "second" must not overtake "first"
    again = store.due_outbox(retry_at)
    assert [(i.text, i.attempts) for i in again] == [("first", 1)]


def test_mark_sent_records_deliveries_in_the_same_transaction(store: Store) -> None:
    a = add_summarized(store, "a.txt")
    b = add_summarized(store, "b.txt")
    store.subscribe(1, "08:00")
    store.queue_digest(1, "k", [("x", [a, b])], now=T0)
    item = store.due_outbox(T0)[0]
    assert store.delivered(1) == set()
    assert store.mark_sent(item.id) is True
    assert store.delivered(1) == {a, b}
    assert store.count_outbox() == 0
    assert store.mark_sent(item.id) is False


def test_drop_removes_item_without_recording_delivery(store: Store) -> None:
    a = add_summarized(store, "a.txt")
    store.subscribe(1, "08:00")
    store.queue_digest(1, "k", [("x", [a])], now=T0)
    item = store.due_outbox(T0)[0]
    assert store.drop(item.id, "Bad Request: can't parse entities") is True
    assert store.count_outbox() == 0
    assert store.count_unseen(1) == 1


def test_deactivate_drops_pending_items_of_that_chat_only(store: Store) -> None:
    store.subscribe(1, "08:00")
    store.subscribe(2, "08:00")
    store.queue_digest(1, "k", [("a", []), ("b", [])], now=T0)
    store.queue_digest(2, "k", [("c", [])], now=T0)
    assert store.deactivate(1, "Forbidden: bot was blocked by the user") == 2
    assert [i.chat_id for i in store.due_outbox(T0)] == [2]


def test_due_outbox_with_lease_claims_items_until_it_runs_out(store: Store) -> None:
    store.subscribe(1, "08:00")
    store.queue_digest(1, "k", [("x", [])], now=T0)
    claimed = store.due_outbox(T0, lease_seconds=60)
    assert [i.text for i in claimed] == ["x"]
    assert store.due_outbox(T0, lease_seconds=60) == []
    after_lease = datetime(2026, 3, 1, 8, 1, tzinfo=UTC)
    assert [i.id for i in store.due_outbox(after_lease)] == [claimed[0].id]


def test_due_outbox_rejects_naive_datetimes(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.due_outbox(datetime(2026, 3, 1, 8, 0))


# -- persistence, migrations, threads ------------------------------------------------


def test_everything_survives_reopening_the_file(shared_store_target: str) -> None:
    path = shared_store_target
    with Store(path) as store:
        store.subscribe(1, "08:00", "Europe/Berlin")
        n = add_summarized(store, "a.txt")
        store.record_deliveries(1, [n])
        store.queue_digest(1, "2026-03-01", [("x", [n])], now=T0)
    with Store(path) as store:
        assert store.get_chat(1).timezone == "Europe/Berlin"  # type: ignore[union-attr]
        assert store.get_article(n).summary == ("Summary of a.txt.",)  # type: ignore[union-attr]
        assert store.delivered(1) == {n}
        assert [i.text for i in store.due_outbox(T0)] == ["x"]


@pytest.mark.sqlite_only
def test_file_database_uses_wal(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite3") as store:
        assert store.query("PRAGMA journal_mode")[0][0] == "wal"


def test_new_database_is_at_latest_schema_version(store: Store) -> None:
    assert store.schema_version == len(MIGRATIONS)


@pytest.mark.sqlite_only
def test_old_version_database_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    # A database as the first release left it: migration 1 only.
    with sqlite3.connect(path) as raw:
        raw.executescript(MIGRATIONS[0].sql)
        raw.execute("PRAGMA user_version = 1")
        raw.execute(
            "INSERT INTO chats (chat_id, digest_time, created_at, updated_at)"
            " VALUES (5, '07:00', 'then', 'then')"
        )
    raw.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        migrated = store.get_chat(5)
        assert migrated is not None
        assert (migrated.digest_time, migrated.subscribed_at) == ("07:00", None)
        assert store.queue_digest(5, "k", [("x", [])], now=T0) is True  # outbox exists now
        assert store.count_outbox() == 1


@pytest.mark.sqlite_only
def test_a_failing_migration_step_is_rolled_back_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.store.base

    path = tmp_path / "db.sqlite3"
    Store(path).close()
    broken = Migration(
        len(MIGRATIONS) + 1,
        "broken",
        "CREATE TABLE extra (a INTEGER);\nINSERT INTO no_such_table VALUES (1);",
    )
    monkeypatch.setattr(bot.store.base, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(StoreError, match="no such table"):
        Store(path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()
    assert "extra" not in tables


@pytest.mark.sqlite_only
def test_processes_opening_a_new_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            Store(path).close()  # each its own connection, as separate processes would
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)


@pytest.mark.sqlite_only
def test_database_from_a_newer_digestbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    raw.close()
    with pytest.raises(StoreError, match="upgrade digestbot"):
        Store(path)


@pytest.mark.sqlite_only
def test_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "not.sqlite3"
    path.write_bytes(b"this is not sqlite at all, just some text" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        Store(path)


@pytest.mark.sqlite_only
def test_unusable_path_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot open database"):
        Store(tmp_path / "file" / "db.sqlite3")  # its folder would be a file
    with pytest.raises(StoreError, match="cannot open database"):
        Store(tmp_path)  # a folder, not a file


def test_failed_transaction_leaves_nothing_behind(store: Store) -> None:
    store.subscribe(1, "08:00")
    with pytest.raises(TypeError):
        # An unserializable article number fails half-way through queuing.
        store.queue_digest(1, "k", [("ok", [1]), ("bad", [object()])], now=T0)  # type: ignore[list-item]
    assert store.count_outbox() == 0
    assert store.get_chat(1).last_digest_key is None  # type: ignore[union-attr]


def test_store_is_safe_to_use_from_many_threads(shared_store_target: str) -> None:
    with Store(shared_store_target) as store:
        errors: list[BaseException] = []

        def work(base: int) -> None:
            try:
                for i in range(50):
                    store.subscribe(base + i, "08:00")
                    store.get_chat(base + i)
                    store.count_subscribers()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert store.count_subscribers() == 400


# -- articles_version: what the bot's cached /article replies are checked against ------------


def test_articles_version_changes_when_an_article_is_added(store: Store) -> None:
    empty = store.articles_version()
    store.upsert_article(article("a.txt"))
    one = store.articles_version()
    assert one != empty
    store.upsert_articles([article("b.txt"), article("c.txt")])
    assert store.articles_version() not in (empty, one)


def test_articles_version_changes_when_an_articles_content_changes(store: Store) -> None:
    number = add_summarized(store, "a.txt")
    before = store.articles_version()
    assert store.upsert_article(article("a.txt", title="A new title")) == (number, True)
    after_title = store.articles_version()
    assert after_title != before
    store.upsert_articles([article("a.txt", title="A new title", body="Edited text.")])
    assert store.articles_version() != after_title


def test_articles_version_changes_when_an_article_is_retired_and_when_it_returns(
    store: Store,
) -> None:
    add_summarized(store, "a.txt")
    add_summarized(store, "b.txt")
    before = store.articles_version()
    assert store.retire_missing(["b.txt"]) != []
    retired = store.articles_version()
    assert retired != before
    store.upsert_article(article("a.txt"))  # the same file is back
    assert store.articles_version() != retired


def test_articles_version_changes_when_a_summary_is_stored(store: Store) -> None:
    number, _ = store.upsert_article(article("a.txt"))
    before = store.articles_version()
    store.set_summary(number, ["The summary."])
    assert store.articles_version() != before


def test_articles_version_stays_when_the_same_articles_are_stored_again(store: Store) -> None:
    add_summarized(store, "a.txt")
    add_summarized(store, "b.txt")
    before = store.articles_version()
    # What a rescan of an unchanged seeds folder does: the bot's replies stay cached.
    assert store.upsert_article(article("a.txt")) == (1, False)
    assert store.upsert_articles([article("a.txt"), article("b.txt")]) == [(1, False), (2, False)]
    assert store.retire_missing(["a.txt", "b.txt"]) == []
    assert store.articles_version() == before


def test_articles_version_stays_when_chats_deliveries_and_the_outbox_change(store: Store) -> None:
    number = add_summarized(store, "a.txt")
    before = store.articles_version()
    store.subscribe(1, "08:00", "Europe/Berlin")
    store.set_timezone(2, "Asia/Tokyo")
    store.subscribe_many([(3, "09:00", None)])
    store.queue_digest(1, "2026-03-01", [("x", [number])], now=T0)
    (item,) = store.due_outbox(T0, lease_seconds=60)
    store.retry_later(item.id, T0, "500 Internal Server Error")
    store.mark_sent(item.id)
    store.record_deliveries(2, [number])
    store.deactivate(3, "Forbidden: bot was blocked by the user")
    store.unsubscribe(1)
    assert store.articles_version() == before


def test_articles_version_sees_what_another_connection_to_the_file_wrote(
    shared_store_target: str,
) -> None:
    path = shared_store_target
    with Store(path) as bot, Store(path) as ingest:  # two processes on one file
        seen = bot.articles_version()
        number, _ = ingest.upsert_article(article("a.txt"))
        assert bot.articles_version() != seen
        seen = bot.articles_version()
        ingest.set_summary(number, ["Written elsewhere."])
        assert bot.articles_version() != seen
        seen = bot.articles_version()
        ingest.upsert_article(article("a.txt"))  # unchanged: nothing to see
        assert bot.articles_version() == seen
        ingest.retire_missing([])
        assert bot.articles_version() != seen
        seen = bot.articles_version()
        if bot.engine != "sqlite":
            return
    # Even a row deleted by hand with the sqlite3 shell counts.
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM articles WHERE number = ?", (number,))
    raw.close()
    with Store(path) as bot:
        assert bot.articles_version() != seen


@pytest.mark.sqlite_only
def test_a_version_4_database_upgrades_with_a_working_articles_version(tmp_path: Path) -> None:
    path = tmp_path / "v4.sqlite3"
    # A database as digestbot left it before the fast lane: migrations 1-4, one article.
    with sqlite3.connect(path) as raw:
        for step in MIGRATIONS[:4]:
            raw.executescript(step.sql)
        raw.execute("PRAGMA user_version = 4")
        raw.execute(
            "INSERT INTO articles (source, content_hash, title, language, text, added_at)"
            " VALUES ('old.txt', 'hash', 'Old title', 'english', 'Old text.', 'then')"
        )
    raw.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 5
        old = store.get_article(1)
        assert old is not None and old.title == "Old title"
        start = store.articles_version()
        store.set_summary(1, ["Old summary."])
        summarized = store.articles_version()
        assert summarized != start
        store.upsert_article(article("new.txt"))
        assert store.articles_version() != summarized
    with Store(path) as again:  # reopening migrates nothing twice and keeps the count
        assert again.schema_version == len(MIGRATIONS)
        assert again.articles_version() != start


def test_closing_waits_for_a_read_still_running_in_another_thread(
    shared_store_target: str,
) -> None:
    # Closing a connection while another thread runs a query on it crashes SQLite; the
    # bot closes its store at shutdown while a feed poll's thread may still be reading.
    store = Store(shared_store_target)
    inside, leave, closed = threading.Event(), threading.Event(), threading.Event()

    def read() -> None:
        with store._reading() as db:
            db.execute("SELECT count(*) FROM articles").fetchall()
            inside.set()
            leave.wait(10)
            db.execute("SELECT count(*) FROM articles").fetchall()

    reader = threading.Thread(target=read)
    reader.start()
    assert inside.wait(10)
    closer = threading.Thread(target=lambda: (store.close(), closed.set()))
    closer.start()
    assert not closed.wait(0.2)  # still waiting for the read
    leave.set()
    reader.join(10)
    closer.join(10)
    assert closed.is_set()
    with pytest.raises(StoreError, match="is closed"):
        store.query("SELECT 1")
