"""The store's channels: remembered from Telegram, found by id or @username in any case,
offered to their known administrators only while the bot is there, and the channel a
private chat manages; every lookup along an index."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import Store

NEWS, SPORT = -1001, -1002
ALICE, BOB = 11, 12


@pytest.fixture
def store(tmp_path: Path, shared_store_target: str):
    with Store(shared_store_target) as s:
        yield s


def test_a_channel_is_found_by_id_or_username_in_any_case(store: Store) -> None:
    store.remember_channel(NEWS, "News", "NewsDaily", (ALICE,))
    assert store.channel(NEWS).title == "News"
    assert store.channel_named("@newsdaily").chat_id == NEWS
    assert store.channel_named("NEWSDAILY").chat_id == NEWS
    assert store.channel_named("@other") is None
    assert store.channel(SPORT) is None


def test_a_user_is_offered_the_present_channels_they_are_known_to_administer(
    store: Store,
) -> None:
    store.remember_channel(SPORT, "Sport", None, (ALICE, BOB))
    store.remember_channel(NEWS, "News", None, (ALICE,))
    assert [c.title for c in store.channels_of(ALICE)] == ["News", "Sport"]
    assert [c.title for c in store.channels_of(BOB)] == ["Sport"]
    store.forget_channel_admin(SPORT, BOB)
    assert store.channels_of(BOB) == []
    store.note_channel_admin(NEWS, BOB)
    assert [c.title for c in store.channels_of(BOB)] == ["News"]
    assert store.leave_channel(NEWS)
    assert [c.title for c in store.channels_of(ALICE)] == ["Sport"]
    assert not store.channel(NEWS).present
    # Added back, with a new title: offered again.
    store.remember_channel(NEWS, "News Daily", None)
    assert [c.title for c in store.channels_of(ALICE)] == ["News Daily", "Sport"]


def test_a_private_chat_manages_one_channel_or_itself(store: Store) -> None:
    store.remember_channel(NEWS, "News", None, (ALICE,))
    store.remember_channel(SPORT, "Sport", None, (ALICE,))
    assert store.target_of(ALICE) is None
    store.set_target(ALICE, NEWS)
    store.set_target(ALICE, SPORT)
    assert store.target_of(ALICE).chat_id == SPORT
    store.leave_channel(SPORT)
    assert store.target_of(ALICE).present is False  # kept, refused by the bot
    store.set_target(ALICE, None)
    assert store.target_of(ALICE) is None


@pytest.mark.sqlite_only
def test_the_channel_lookups_use_an_index(store: Store) -> None:
    db = sqlite3.connect(store.path)
    plans = {
        "by username": "SELECT chat_id FROM channels WHERE username = 'x' COLLATE NOCASE"
        " AND username IS NOT NULL",
        "a user's channels": "SELECT chat_id FROM channel_admins WHERE user_id = 1",
        "targets of a channel": "SELECT chat_id FROM chat_targets WHERE target = 1",
    }
    for name, sql in plans.items():
        plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING" in plan, (name, plan)
    db.close()
