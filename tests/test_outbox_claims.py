"""Claiming the outbox with a lease (``Store.due_outbox(..., lease_seconds=)``) from
several stores on one database, as several ``digestbot run`` processes do: a SQLite
file, and a fresh PostgreSQL database (the test server's, skipped when unreachable),
where the claim locks its rows with FOR UPDATE SKIP LOCKED and takes no global write
lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store
from bot.store.engine import WRITE_LOCK_KEY

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["shared_store_target", "postgresql_target"])
def stores(request: pytest.FixtureRequest) -> Iterator[tuple[Store, Store]]:
    """Two stores on one database, as two processes have: the run's engine (a SQLite
    file, or PostgreSQL), and PostgreSQL (skipped when unreachable)."""
    target = request.getfixturevalue(request.param)
    with Store(target) as first, Store(target) as second:
        yield first, second


def queue(store: Store, chats: range | list[int], parts: int) -> dict[int, list[int]]:
    """Each chat's digest of ``parts`` messages; returns each chat's item ids in order."""
    for chat in chats:
        store.subscribe(chat, "08:00")
        messages = [(f"chat {chat} part {k}", []) for k in range(parts)]
        store.queue_digest(chat, "k", messages, now=T0)
    return {
        chat: [
            row[0]
            for row in store.query("SELECT id FROM outbox WHERE chat_id = ? ORDER BY id", (chat,))
        ]
        for chat in chats
    }


def test_two_claimers_in_two_threads_never_claim_the_same_item_and_keep_each_chat_in_order(
    stores: tuple[Store, Store],
) -> None:
    first, _ = stores
    chats = range(100, 130)
    queue(first, chats, parts=4)
    claims: list[tuple[int, int]] = []  # (chat, item id) in the order they were claimed
    record = threading.Lock()
    failures: list[BaseException] = []

    def claim_and_send(store: Store) -> None:
        try:
            while store.count_outbox():
                items = store.due_outbox(T0, limit=5, lease_seconds=60)
                with record:
                    claims.extend((item.chat_id, item.id) for item in items)
                for item in items:
                    assert store.mark_sent(item.id)
        except BaseException as exc:  # reported by the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=claim_and_send, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    ids = [item for _, item in claims]
    assert len(ids) == len(set(ids)) == 120  # every item once, none twice
    for chat in chats:
        mine = [item for c, item in claims if c == chat]
        assert mine == sorted(mine) and len(mine) == 4


def test_a_chats_next_item_waits_until_its_leased_item_is_sent(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    ids = queue(first, [1, 2], parts=2)
    assert [i.id for i in first.due_outbox(T0, lease_seconds=60)] == [ids[1][0], ids[2][0]]
    assert second.due_outbox(T0, lease_seconds=60) == []  # both chats' heads are leased
    assert first.mark_sent(ids[1][0])
    assert [i.id for i in second.due_outbox(T0, lease_seconds=60)] == [ids[1][1]]


def test_an_expired_lease_is_claimed_again_by_the_other_store(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    ids = queue(first, [1], parts=2)
    assert [i.id for i in first.due_outbox(T0, lease_seconds=60)] == [ids[1][0]]
    assert second.due_outbox(T0 + timedelta(seconds=59), lease_seconds=60) == []
    again = second.due_outbox(T0 + timedelta(seconds=60), lease_seconds=60)
    assert [i.id for i in again] == [ids[1][0]]  # the same, first item: order kept


def test_mark_sent_after_a_lease_records_the_delivery_and_frees_the_next_item(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    ids = queue(first, [1], parts=2)
    (item,) = first.due_outbox(T0, lease_seconds=60)
    assert first.mark_sent(item.id) is True
    assert first.mark_sent(item.id) is False  # gone
    assert second.count_outbox(1) == 1
    assert [i.id for i in second.due_outbox(T0, lease_seconds=60)] == [ids[1][1]]


# -- PostgreSQL: row locks, not the global write lock ------------------------------------


@pytest.fixture
def postgresql_url(postgresql_target: str) -> str:
    return postgresql_target


def with_lock_timeout(url: str) -> str:
    """The URL whose sessions give up waiting for a lock after 10 s: a claim that took
    the global write lock fails instead of hanging the test."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-c%20lock_timeout%3D10s"


def test_a_claim_runs_while_another_process_holds_the_write_lock(postgresql_url: str) -> None:
    import psycopg

    with Store(postgresql_url) as writer, Store(with_lock_timeout(postgresql_url)) as claimer:
        ids = queue(writer, [1], parts=1)
        with psycopg.connect(postgresql_url, autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK_KEY,))
            try:
                claimed = claimer.due_outbox(T0, lease_seconds=60)
            finally:
                other.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK_KEY,))
        assert [i.id for i in claimed] == ids[1]


def test_a_claim_skips_a_row_another_claim_holds_and_never_passes_it(
    postgresql_url: str,
) -> None:
    import psycopg

    with Store(postgresql_url) as store:
        ids = queue(store, [1, 2], parts=2)
        with psycopg.connect(postgresql_url) as other:  # a claim in progress elsewhere
            other.execute("SELECT id FROM outbox WHERE id = %s FOR UPDATE", (ids[1][0],))
            claimed = store.due_outbox(T0, lease_seconds=60)
            other.rollback()
        # Chat 1's head is skipped, not waited for, and its second item stays behind it.
        assert [i.id for i in claimed] == [ids[2][0]]
        assert [i.id for i in store.due_outbox(T0, lease_seconds=60)] == [ids[1][0]]
