"""Chats: their subscriptions (digest times, days, topic), timezone and active state.

Owns the tables **chats** and **subscriptions**: creating a chat, subscribing and
unsubscribing, timezones, deactivating a chat Telegram refused and reactivating it,
moving a group to its supergroup id (:meth:`ChatsMixin.migrate_chat`, which moves the
chat's rows in every table), and reading the subscribers a scheduled run sends to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence

from bot.rhythm import EVERY_DAY, check_days, normal_times
from bot.store.base import _MIN_ID, StoreBase
from bot.store.records import _CHAT_SELECT, Chat, _chat, _runs
from bot.times import format_time, parse_time, valid_timezone

# Chat ids per query when reading their subscriptions (below SQLite's parameter limit).
_IDS_PER_QUERY = 500


class ChatsMixin(StoreBase):
    """The chats and their subscriptions."""

    def _ensure_chat(self, db: sqlite3.Connection, chat_id: int) -> None:
        now = self._now_text()
        db.execute(
            "INSERT OR IGNORE INTO chats (chat_id, created_at, updated_at) VALUES (?, ?, ?)",
            (chat_id, now, now),
        )

    def _get_chat(self, db: sqlite3.Connection, chat_id: int) -> Chat | None:
        row = db.execute(f"{_CHAT_SELECT} FROM chats c WHERE c.chat_id = ?", (chat_id,))
        found = row.fetchone()
        if found is None:
            return None
        runs = db.execute(
            "SELECT chat_id, digest_time, last_run_key FROM subscriptions WHERE chat_id = ?",
            (chat_id,),
        ).fetchall()
        return _chat(found, _runs(runs).get(chat_id, ()))

    def _with_runs(self, rows: Sequence[sqlite3.Row], *, in_order: bool = False) -> list[Chat]:
        """Chats of rows read with _CHAT_SELECT, each with its digest times: one query
        per page of chats (a subquery per row made reading 100,000 chats twice as slow).
        ``in_order``: the rows are every subscribed chat of a chat-id range (a page of
        iter_subscribers), so their times are one range scan."""
        ids = [row["chat_id"] for row in rows]
        runs: dict[int, tuple[tuple[str, str | None], ...]] = {}
        if in_order and ids:
            runs = _runs(
                self._query(
                    "SELECT chat_id, digest_time, last_run_key FROM subscriptions"
                    " WHERE chat_id BETWEEN ? AND ?",
                    (ids[0], ids[-1]),
                )
            )
            return [_chat(row, runs.get(row["chat_id"], ())) for row in rows]
        for start in range(0, len(ids), _IDS_PER_QUERY):
            part = ids[start : start + _IDS_PER_QUERY]
            runs.update(
                _runs(
                    self._query(
                        "SELECT chat_id, digest_time, last_run_key FROM subscriptions"
                        f" WHERE chat_id IN ({', '.join('?' * len(part))})",
                        part,
                    )
                )
            )
        return [_chat(row, runs.get(row["chat_id"], ())) for row in rows]

    def get_chat(self, chat_id: int) -> Chat | None:
        """The chat, or None if the bot has never stored it."""
        with self._lock:
            return self._get_chat(self._db, chat_id)

    def subscribe(
        self,
        chat_id: int,
        digest_time: str | Sequence[str],
        timezone: str | None = None,
        *,
        days: int = EVERY_DAY,
        thread_id: int | None = None,
    ) -> Chat:
        """Subscribe at ``digest_time`` ("HH:MM", or up to four of them) on ``days`` (a
        :mod:`bot.rhythm` mask), digests going to forum topic ``thread_id`` (None: the
        chat itself); also reactivates the chat. Replaces the chat's times: a time it
        keeps keeps its last run key, so a digest already queued today is not queued
        again.

        ``timezone`` None keeps the chat's timezone (or the config default). The caller
        validates its input (``bot.rhythm.parse_rhythm``/``bot.times``); invalid values
        raise ValueError here as a last guard.
        """
        times = normal_times([digest_time] if isinstance(digest_time, str) else digest_time)
        check_days(days)
        if timezone is not None:
            _check_timezone(timezone)
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            now = self._now_text()
            db.execute(
                "UPDATE chats SET digest_time = ?, timezone = COALESCE(?, timezone), active = 1,"
                " deactivated_reason = NULL, updated_at = ?, subscribed_at = ?, days = ?,"
                " thread_id = ? WHERE chat_id = ?",
                (times[0], timezone, now, now, days, thread_id, chat_id),
            )
            self._set_times(db, chat_id, times)
            return self._get_chat(db, chat_id)  # type: ignore[return-value]

    def _set_times(self, db: sqlite3.Connection, chat_id: int, times: Sequence[str]) -> None:
        db.execute(
            "DELETE FROM subscriptions WHERE chat_id = ? AND digest_time NOT IN"
            f" ({', '.join('?' * len(times))})",
            (chat_id, *times),
        )
        db.executemany(
            "INSERT OR IGNORE INTO subscriptions (chat_id, digest_time) VALUES (?, ?)",
            [(chat_id, at) for at in times],
        )

    def subscribe_many(self, subscriptions: Iterable[tuple[int, str, str | None]]) -> int:
        """subscribe() for many (chat_id, "HH:MM", timezone or None) in one transaction
        (imports, benchmarks): daily, at that one time; returns how many. Invalid input
        raises before anything is written."""
        now = self._now_text()
        rows = [
            (chat_id, _normal_time(digest_time), _checked_timezone(timezone), now)
            for chat_id, digest_time, timezone in subscriptions
        ]
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO chats (chat_id, digest_time, timezone, created_at, updated_at,"
                " subscribed_at) VALUES (?1, ?2, ?3, ?4, ?4, ?4)"
                " ON CONFLICT (chat_id) DO UPDATE SET digest_time = excluded.digest_time,"
                " timezone = COALESCE(excluded.timezone, timezone), active = 1,"
                " deactivated_reason = NULL, updated_at = excluded.updated_at,"
                f" subscribed_at = excluded.subscribed_at, days = {EVERY_DAY},"
                " thread_id = NULL",
                rows,
            )
            db.executemany(
                "DELETE FROM subscriptions WHERE chat_id = ? AND digest_time != ?",
                [(chat_id, at) for chat_id, at, _, _ in rows],
            )
            db.executemany(
                "INSERT OR IGNORE INTO subscriptions (chat_id, digest_time) VALUES (?, ?)",
                [(chat_id, at) for chat_id, at, _, _ in rows],
            )
        return len(rows)

    def unsubscribe(self, chat_id: int) -> bool:
        """Stop scheduled digests and drop the chat's digest messages not sent yet (they
        asked to stop); True if the chat was subscribed."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE chats SET digest_time = NULL, updated_at = ?"
                " WHERE chat_id = ? AND digest_time IS NOT NULL",
                (self._now_text(), chat_id),
            )
            db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
            db.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,))
            return cursor.rowcount > 0

    def leave_topic(self, chat_id: int) -> None:
        """The chat's forum topic is gone: its digests, and those waiting in the outbox,
        go to the chat itself from now on."""
        with self._transaction() as db:
            db.execute(
                "UPDATE chats SET thread_id = NULL, updated_at = ? WHERE chat_id = ?",
                (self._now_text(), chat_id),
            )
            db.execute("UPDATE outbox SET message_thread_id = NULL WHERE chat_id = ?", (chat_id,))

    def set_timezone(self, chat_id: int, timezone: str | None) -> Chat:
        """Set the chat's IANA timezone (None: back to the config default)."""
        if timezone is not None:
            _check_timezone(timezone)
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            db.execute(
                "UPDATE chats SET timezone = ?, updated_at = ? WHERE chat_id = ?",
                (timezone, self._now_text(), chat_id),
            )
            return self._get_chat(db, chat_id)  # type: ignore[return-value]

    def deactivate(self, chat_id: int, reason: str) -> int:
        """Mark the chat inactive (blocked, deactivated, kicked, not found) and drop its
        pending outbox items; returns how many items were dropped. The subscription time
        is kept, so reactivating resumes the same schedule."""
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            db.execute(
                "UPDATE chats SET active = 0, deactivated_reason = ?, updated_at = ?"
                " WHERE chat_id = ?",
                (reason, self._now_text(), chat_id),
            )
            return db.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,)).rowcount

    def reactivate(self, chat_id: int) -> Chat:
        """Mark the chat active again (it wrote to the bot); creates it if new."""
        with self._transaction() as db:
            self._ensure_chat(db, chat_id)
            db.execute(
                "UPDATE chats SET active = 1, deactivated_reason = NULL, updated_at = ?"
                " WHERE chat_id = ? AND active = 0",
                (self._now_text(), chat_id),
            )
            return self._get_chat(db, chat_id)  # type: ignore[return-value]

    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> Chat | None:
        """The group ``old_chat_id`` became the supergroup ``new_chat_id`` (Telegram's
        ``migrate_to_chat_id``): move everything the store keeps about it to the new id,
        in one transaction, and return the chat under its new id.

        Moved: the chat's row (digest time, timezone, active state, last_digest_key,
        subscribed_at, created_at), its deliveries and its outbox items (ids kept, so
        their order and an item in flight stay valid). Unknown ``old_chat_id`` (no row):
        returns None and changes nothing, so a repeated migration is harmless.

        When ``new_chat_id`` already has a row (someone wrote to the bot in the
        supergroup first), the two rows are merged into the new one:

        * the old row wins wherever it has a value; the new row's setting is kept only
          where the old one has none (its timezone when the old one is the default).
          The subscription is one unit: the old row's digest time and subscribed_at if
          it was subscribed, else the new row's;
        * active if either row is (the bot could talk to the group until the upgrade,
          and to the supergroup if it is active there); when both are inactive, the old
          row's reason is kept;
        * last_digest_key: the later of the two, so the merged chat is not queued a
          second digest for a day that one of them already got;
        * created_at: the earlier one;
        * deliveries: the union (a pair both have keeps the new row's time), and of
          the pruned deliveries' horizons (``prune``) the later one;
        * outbox items: all of both, in queue (id) order. If both chats had a digest
          pending, both are sent, interleaved by queue order: nothing is lost, but the
          chat may see an article twice.
        """
        with self._transaction() as db:
            old = self._get_chat(db, old_chat_id)
            if old is None or old_chat_id == new_chat_id:
                return old
            new = self._get_chat(db, new_chat_id)
            now = self._now_text()
            if new is None:
                db.execute(
                    "UPDATE chats SET chat_id = ?, updated_at = ? WHERE chat_id = ?",
                    (new_chat_id, now, old_chat_id),
                )
                db.execute(
                    "UPDATE subscriptions SET chat_id = ? WHERE chat_id = ?",
                    (new_chat_id, old_chat_id),
                )
            else:
                subscription = old if old.digest_time is not None else new
                keys = [key for key in (old.last_digest_key, new.last_digest_key) if key]
                active = old.active or new.active
                reason = None if active else old.deactivated_reason or new.deactivated_reason
                db.execute(
                    "UPDATE chats SET timezone = ?, digest_time = ?, active = ?,"
                    " deactivated_reason = ?, last_digest_key = ?, created_at = ?,"
                    " updated_at = ?, subscribed_at = ?, days = ?, thread_id = ?"
                    " WHERE chat_id = ?",
                    (
                        old.timezone if old.timezone is not None else new.timezone,
                        subscription.digest_time,
                        int(active),
                        reason,
                        max(keys) if keys else None,
                        min(old.created_at, new.created_at),
                        now,
                        subscription.subscribed_at,
                        subscription.days,
                        subscription.thread_id,
                        new_chat_id,
                    ),
                )
                db.execute("DELETE FROM chats WHERE chat_id = ?", (old_chat_id,))
                # The subscription's times (and their run keys) are one unit with it.
                if subscription is old:
                    db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (new_chat_id,))
                    db.execute(
                        "UPDATE subscriptions SET chat_id = ? WHERE chat_id = ?",
                        (new_chat_id, old_chat_id),
                    )
                else:
                    db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (old_chat_id,))
            # Deliveries may exist without a chat row (an on-demand /digest records them
            # too): copy without overwriting, then delete, rather than an UPDATE that a
            # pair the new id already has would make fail.
            db.execute(
                "INSERT OR IGNORE INTO deliveries (chat_id, number, delivered_at, held_back)"
                " SELECT ?, number, delivered_at, held_back FROM deliveries WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM deliveries WHERE chat_id = ?", (old_chat_id,))
            # Pages added to the digest (issue 13) likewise, the later addition kept.
            db.execute(
                "INSERT INTO digest_additions (chat_id, number, added_at)"
                " SELECT ?, number, added_at FROM digest_additions WHERE chat_id = ?"
                " ON CONFLICT (chat_id, number) DO UPDATE"
                " SET added_at = max(added_at, excluded.added_at)",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM digest_additions WHERE chat_id = ?", (old_chat_id,))
            # The sources the chat turned off (/sources, issue 12) move along.
            db.execute(
                "INSERT OR IGNORE INTO chat_sources_off (chat_id, feed_id)"
                " SELECT ?, feed_id FROM chat_sources_off WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM chat_sources_off WHERE chat_id = ?", (old_chat_id,))
            # Filter terms: the new chat's own terms win over the old one's same terms.
            db.execute(
                "INSERT OR IGNORE INTO chat_filters (chat_id, term_key, mode, term, added_at)"
                " SELECT ?, term_key, mode, term, added_at FROM chat_filters WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM chat_filters WHERE chat_id = ?", (old_chat_id,))
            # Pruned deliveries: the later horizon of the two, so neither chat's pruned
            # articles come back (see prune).
            db.execute(
                "INSERT INTO pruned_deliveries (chat_id, added_before)"
                " SELECT ?, added_before FROM pruned_deliveries WHERE chat_id = ?"
                " ON CONFLICT (chat_id) DO UPDATE"
                " SET added_before = max(added_before, excluded.added_before)",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM pruned_deliveries WHERE chat_id = ?", (old_chat_id,))
            db.execute(
                "UPDATE outbox SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
            )
            return self._get_chat(db, new_chat_id)

    def subscribers(self) -> list[Chat]:
        """Every active chat with a digest time, by chat id (see iter_subscribers)."""
        return list(self.iter_subscribers())

    def iter_subscribers(self, batch_size: int = 1000) -> Iterator[Chat]:
        """Active subscribed chats by chat id, read in batches of ``batch_size``.

        The lock is held per batch only, so other calls run between batches; a chat
        changed meanwhile is seen in its new state if its batch has not been read yet.
        """
        after: int | None = None
        while True:
            page = self._subscribers_page(after, batch_size)
            yield from page
            if len(page) < batch_size:
                return
            after = page[-1].chat_id

    def _subscribers_page(self, after_chat_id: int | None, limit: int) -> list[Chat]:
        """Up to ``limit`` active subscribed chats with chat_id > ``after_chat_id``."""
        rows = self._query(
            f"{_CHAT_SELECT} FROM chats c"
            " WHERE c.active = 1 AND c.digest_time IS NOT NULL AND c.chat_id > ?"
            " ORDER BY c.chat_id LIMIT ?",
            (after_chat_id if after_chat_id is not None else _MIN_ID, limit),
        )
        return self._with_runs(rows, in_order=True)

    def subscribers_at(
        self,
        digest_time: str,
        timezone: str,
        *,
        default_timezone: str | None = None,
        after_chat_id: int | None = None,
        limit: int | None = None,
        weekday: int | None = None,
    ) -> list[Chat]:
        """Active chats subscribed at ``digest_time`` (one of their times) in
        ``timezone``, by chat id. Chats without a timezone of their own count as
        ``default_timezone`` (the config's). ``weekday`` (Monday = 0): only chats whose
        days include it. ``after_chat_id`` and ``limit`` read them a page at a time."""
        day_filter = "" if weekday is None else " AND (c.days >> ?) & 1"
        rows = self._query(
            f"{_CHAT_SELECT} FROM subscriptions s JOIN chats c ON c.chat_id = s.chat_id"
            " WHERE s.digest_time = ? AND c.active = 1 AND c.digest_time IS NOT NULL"
            " AND (c.timezone = ? OR (c.timezone IS NULL AND ?)) AND s.chat_id > ?"
            f"{day_filter} ORDER BY s.chat_id LIMIT ?",
            (
                digest_time,
                timezone,
                timezone == default_timezone,
                after_chat_id if after_chat_id is not None else _MIN_ID,
                *(() if weekday is None else (weekday,)),
                -1 if limit is None else limit,
            ),
        )
        return self._with_runs(rows)

    def count_subscribers(self) -> int:
        return self._query(
            "SELECT count(*) FROM chats WHERE active = 1 AND digest_time IS NOT NULL"
        )[0][0]


def _normal_time(value: str) -> str:
    return format_time(parse_time(value))


def _checked_timezone(value: str | None) -> str | None:
    if value is not None:
        _check_timezone(value)
    return value


def _check_timezone(value: str) -> None:
    if not valid_timezone(value):
        raise ValueError(f"unknown timezone {value!r}: expected an IANA name like Europe/Berlin")
