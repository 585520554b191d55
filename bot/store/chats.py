"""Chats: their subscriptions (digest times, days), timezone and active state, per topic.

Owns the tables **chats** and **subscriptions**. A subscriber is a (chat, topic) pair:
``topic`` is a forum topic's ``message_thread_id``, 0 the chat itself (also a forum's
General topic, private chats, other groups and channels); each has its own times,
days, timezone and active state, and the other tables keep deliveries, filters and
sources per subscriber too. Methods take ``topic`` as a keyword (default 0, the chat).
Chat-wide events act on every topic of the chat: deactivating a chat Telegram refused
(:meth:`ChatsMixin.deactivate` without a topic) and moving a group to its supergroup id
(:meth:`ChatsMixin.migrate_chat`, which moves the chat's rows in every table); a
deleted forum topic deactivates that topic alone (``topic=``, :data:`TOPIC_GONE`).
Also here: creating a chat, subscribing and unsubscribing, timezones, reactivating,
and reading the subscribers a scheduled run sends to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence

from bot.rhythm import EVERY_DAY, check_days, normal_times
from bot.settings import DigestSettings
from bot.store.base import MIN_ID, StoreBase
from bot.store.records import CHAT_SELECT, Chat, chat_from_row, runs_from_rows
from bot.times import format_time, parse_time, valid_timezone

# The most stories a digest may be set to hold (the /settings choices are fewer).
MAX_DIGEST_SIZE = 100
# Chat ids per query when reading their subscriptions (below SQLite's parameter limit).
_IDS_PER_QUERY = 500
_MAX_TOPIC = 2**63 - 1
_RUNS_SELECT = "SELECT chat_id, topic, digest_time, last_run_key FROM subscriptions"

# The deactivated_reason of a subscriber whose forum topic was deleted: unlike a chat-wide
# refusal (the bot blocked or kicked), a message from the chat does not lift it.
TOPIC_GONE = "its forum topic was deleted (message thread not found)"


class ChatsMixin(StoreBase):
    """The chats, their forum topics and their subscriptions."""

    def ensure_chat_row(self, db: sqlite3.Connection, chat_id: int, topic: int = 0) -> None:
        """In the caller's transaction ``db``: the chat (and topic) rows exist, so what
        another table keeps for the chat (its followed feeds) moves with it
        (:meth:`migrate_chat`)."""
        self._ensure_chat(db, chat_id, topic)

    def _ensure_chat(self, db: sqlite3.Connection, chat_id: int, topic: int = 0) -> None:
        """Create the chat's row (topic 0) and the topic's row if missing; a new topic
        starts with the chat's timezone and digest settings."""
        now = self.now_text()
        db.execute(
            "INSERT OR IGNORE INTO chats (chat_id, topic, created_at, updated_at)"
            " VALUES (?, 0, ?, ?)",
            (chat_id, now, now),
        )
        if topic:
            db.execute(
                "INSERT OR IGNORE INTO chats (chat_id, topic, timezone, created_at, updated_at,"
                " digest_size, headlines_only, silent, link_previews)"
                " SELECT chat_id, ?, timezone, ?, ?, digest_size, headlines_only, silent,"
                " link_previews FROM chats WHERE chat_id = ? AND topic = 0",
                (topic, now, now, chat_id),
            )

    def _get_chat(self, db: sqlite3.Connection, chat_id: int, topic: int = 0) -> Chat | None:
        row = db.execute(
            f"{CHAT_SELECT} FROM chats c WHERE c.chat_id = ? AND c.topic = ?", (chat_id, topic)
        )
        found = row.fetchone()
        if found is None:
            return None
        runs = db.execute(
            f"{_RUNS_SELECT} WHERE chat_id = ? AND topic = ?", (chat_id, topic)
        ).fetchall()
        return chat_from_row(found, runs_from_rows(runs).get((chat_id, topic), ()))

    def _ensured_chat(self, db: sqlite3.Connection, chat_id: int, topic: int = 0) -> Chat:
        """The chat's row, which :meth:`_ensure_chat` made sure of in this transaction."""
        chat = self._get_chat(db, chat_id, topic)
        if chat is None:  # only if the caller did not ensure it
            raise LookupError(f"no chat {chat_id} (topic {topic})")
        return chat

    def _chat_rows(self, db: sqlite3.Connection, chat_id: int) -> list[Chat]:
        """Every row of the chat (the chat itself and its topics), by topic."""
        rows = db.execute(
            f"{CHAT_SELECT} FROM chats c WHERE c.chat_id = ? ORDER BY c.topic", (chat_id,)
        ).fetchall()
        runs = runs_from_rows(
            db.execute(f"{_RUNS_SELECT} WHERE chat_id = ?", (chat_id,)).fetchall()
        )
        return [chat_from_row(row, runs.get((chat_id, row["topic"]), ())) for row in rows]

    def _with_runs(self, rows: Sequence[sqlite3.Row], *, in_order: bool = False) -> list[Chat]:
        """Chats of rows read with CHAT_SELECT, each with its digest times: one query
        per page of chats (a subquery per row made reading 100,000 chats twice as slow).
        ``in_order``: the rows are every subscribed chat of a chat-id range (a page of
        iter_subscribers), so their times are one range scan."""
        ids = sorted({row["chat_id"] for row in rows})
        runs: dict[tuple[int, int], tuple[tuple[str, str | None], ...]] = {}
        if in_order and ids:
            runs = runs_from_rows(
                self.query(f"{_RUNS_SELECT} WHERE chat_id BETWEEN ? AND ?", (ids[0], ids[-1]))
            )
            return [
                chat_from_row(row, runs.get((row["chat_id"], row["topic"]), ())) for row in rows
            ]
        for start in range(0, len(ids), _IDS_PER_QUERY):
            part = ids[start : start + _IDS_PER_QUERY]
            runs.update(
                runs_from_rows(
                    self.query(
                        f"{_RUNS_SELECT} WHERE chat_id IN ({', '.join('?' * len(part))})", part
                    )
                )
            )
        return [chat_from_row(row, runs.get((row["chat_id"], row["topic"]), ())) for row in rows]

    def get_chat(self, chat_id: int, *, topic: int = 0) -> Chat | None:
        """The chat (or its forum topic ``topic``), or None if the bot has never stored it."""
        with self._reading() as db:
            return self._get_chat(db, chat_id, topic)

    def chat_topics(self, chat_id: int) -> list[Chat]:
        """Every subscriber of the chat: the chat itself (topic 0) and its forum topics."""
        with self._reading() as db:
            return self._chat_rows(db, chat_id)

    def subscribe(
        self,
        chat_id: int,
        digest_time: str | Sequence[str],
        timezone: str | None = None,
        *,
        days: int = EVERY_DAY,
        topic: int = 0,
    ) -> Chat:
        """Subscribe the chat, or its forum topic ``topic`` (digests go to that topic), at
        ``digest_time`` ("HH:MM", or up to four of them) on ``days`` (a
        :mod:`bot.rhythm` mask); also reactivates it, and lifts a chat-wide deactivation
        of the chat's other topics (the bot can reach the chat again). Replaces the
        subscriber's times: a time it keeps keeps its last run key, so a digest already
        queued today is not queued again.

        ``timezone`` None keeps the subscriber's timezone (or the config default). The
        caller validates its input (``bot.rhythm.parse_rhythm``/``bot.times``); invalid
        values raise ValueError here as a last guard.
        """
        times = normal_times([digest_time] if isinstance(digest_time, str) else digest_time)
        check_days(days)
        if timezone is not None:
            _check_timezone(timezone)
        with self.transaction() as db:
            self._ensure_chat(db, chat_id, topic)
            self._reactivate(db, chat_id, topic)
            now = self.now_text()
            db.execute(
                "UPDATE chats SET digest_time = ?, timezone = COALESCE(?, timezone), active = 1,"
                " deactivated_reason = NULL, updated_at = ?, subscribed_at = ?, days = ?"
                " WHERE chat_id = ? AND topic = ?",
                (times[0], timezone, now, now, days, chat_id, topic),
            )
            self._set_times(db, chat_id, topic, times)
            return self._ensured_chat(db, chat_id, topic)

    def _set_times(
        self, db: sqlite3.Connection, chat_id: int, topic: int, times: Sequence[str]
    ) -> None:
        db.execute(
            "DELETE FROM subscriptions WHERE chat_id = ? AND topic = ? AND digest_time NOT IN"
            f" ({', '.join('?' * len(times))})",
            (chat_id, topic, *times),
        )
        db.executemany(
            "INSERT OR IGNORE INTO subscriptions (chat_id, topic, digest_time) VALUES (?, ?, ?)",
            [(chat_id, topic, at) for at in times],
        )

    def subscribe_many(self, subscriptions: Iterable[tuple[int, str, str | None]]) -> int:
        """subscribe() for many (chat_id, "HH:MM", timezone or None) in one transaction
        (imports, benchmarks): the chats themselves (topic 0), daily, at that one time;
        returns how many. Invalid input raises before anything is written."""
        now = self.now_text()
        rows = [
            (chat_id, _normal_time(digest_time), _checked_timezone(timezone), now)
            for chat_id, digest_time, timezone in subscriptions
        ]
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO chats (chat_id, topic, digest_time, timezone, created_at,"
                " updated_at, subscribed_at) VALUES (?1, 0, ?2, ?3, ?4, ?4, ?4)"
                " ON CONFLICT (chat_id, topic) DO UPDATE SET digest_time = excluded.digest_time,"
                " timezone = COALESCE(excluded.timezone, chats.timezone), active = 1,"
                " deactivated_reason = NULL, updated_at = excluded.updated_at,"
                f" subscribed_at = excluded.subscribed_at, days = {EVERY_DAY}",
                rows,
            )
            db.executemany(
                "DELETE FROM subscriptions WHERE chat_id = ? AND topic = 0 AND digest_time != ?",
                [(chat_id, at) for chat_id, at, _, _ in rows],
            )
            db.executemany(
                "INSERT OR IGNORE INTO subscriptions (chat_id, topic, digest_time)"
                " VALUES (?, 0, ?)",
                [(chat_id, at) for chat_id, at, _, _ in rows],
            )
        return len(rows)

    def unsubscribe(self, chat_id: int, *, topic: int = 0) -> bool:
        """Stop the scheduled digests of the chat (or of its forum topic ``topic``; the
        others keep theirs) and drop its digest messages not sent yet (they asked to
        stop); True if it was subscribed."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE chats SET digest_time = NULL, updated_at = ?"
                " WHERE chat_id = ? AND topic = ? AND digest_time IS NOT NULL",
                (self.now_text(), chat_id, topic),
            )
            for table in ("subscriptions", "outbox"):
                db.execute(f"DELETE FROM {table} WHERE chat_id = ? AND topic = ?", (chat_id, topic))
            return cursor.rowcount > 0

    def set_timezone(self, chat_id: int, timezone: str | None, *, topic: int = 0) -> Chat:
        """Set the IANA timezone of the chat or its forum topic ``topic`` (None: back to
        the config default)."""
        if timezone is not None:
            _check_timezone(timezone)
        with self.transaction() as db:
            self._ensure_chat(db, chat_id, topic)
            db.execute(
                "UPDATE chats SET timezone = ?, updated_at = ? WHERE chat_id = ? AND topic = ?",
                (timezone, self.now_text(), chat_id, topic),
            )
            return self._ensured_chat(db, chat_id, topic)

    def set_digest_settings(
        self, chat_id: int, settings: DigestSettings, *, topic: int = 0
    ) -> Chat:
        """Store the digest settings (/settings) of the chat or its forum topic ``topic``."""
        if settings.size is not None and not 1 <= settings.size <= MAX_DIGEST_SIZE:
            raise ValueError(f"a digest holds 1 to {MAX_DIGEST_SIZE} stories")
        with self.transaction() as db:
            self._ensure_chat(db, chat_id, topic)
            db.execute(
                "UPDATE chats SET digest_size = ?, headlines_only = ?, silent = ?,"
                " link_previews = ?, updated_at = ? WHERE chat_id = ? AND topic = ?",
                (
                    settings.size,
                    int(settings.headlines),
                    int(settings.silent),
                    int(settings.previews),
                    self.now_text(),
                    chat_id,
                    topic,
                ),
            )
            return self._get_chat(db, chat_id, topic)  # type: ignore[return-value]

    def deactivate(self, chat_id: int, reason: str, *, topic: int | None = None) -> int:
        """Mark the chat inactive with every forum topic of it (blocked, deactivated,
        kicked, not found), or with ``topic`` only that topic (it was deleted:
        :data:`TOPIC_GONE`), and drop their pending outbox items; returns how many items
        were dropped. The subscription times are kept, so reactivating resumes the same
        schedule."""
        with self.transaction() as db:
            self._ensure_chat(db, chat_id, topic or 0)
            which = "" if topic is None else " AND topic = ?"
            params = (chat_id,) if topic is None else (chat_id, topic)
            # A deleted topic stays deleted: a chat-wide reason does not replace its own.
            db.execute(
                "UPDATE chats SET active = 0, deactivated_reason = ?, updated_at = ?"
                f" WHERE chat_id = ?{which} AND (active = 1 OR deactivated_reason IS NOT ?)",
                (reason, self.now_text(), *params, TOPIC_GONE),
            )
            # Its digests were never sent: what they passed over stays new for it.
            db.execute(f"UPDATE chats SET horizon_pending = NULL WHERE chat_id = ?{which}", params)
            return db.execute(f"DELETE FROM outbox WHERE chat_id = ?{which}", params).rowcount

    def reactivate(self, chat_id: int, *, topic: int = 0) -> Chat:
        """Mark the chat (or its forum topic ``topic``) active again: it wrote to the
        bot; creates it if new. A chat-wide deactivation is lifted for every topic of the
        chat, a deleted topic's (:data:`TOPIC_GONE`) only by that topic itself."""
        with self.transaction() as db:
            self._ensure_chat(db, chat_id, topic)
            self._reactivate(db, chat_id, topic)
            return self._ensured_chat(db, chat_id, topic)

    def _reactivate(self, db: sqlite3.Connection, chat_id: int, topic: int) -> None:
        db.execute(
            "UPDATE chats SET active = 1, deactivated_reason = NULL, updated_at = ?"
            " WHERE chat_id = ? AND active = 0"
            " AND (topic = ? OR deactivated_reason IS NOT ?)",
            (self.now_text(), chat_id, topic, TOPIC_GONE),
        )

    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> Chat | None:
        """The group ``old_chat_id`` became the supergroup ``new_chat_id`` (Telegram's
        ``migrate_to_chat_id``): move everything the store keeps about it, for the chat
        and each of its forum topics, to the new id, in one transaction, and return the
        chat (topic 0) under its new id.

        Moved: the rows of the chat and its topics (digest times, timezone, active
        state, last_digest_key, subscribed_at, created_at, digest settings), their
        deliveries and their outbox items (ids kept, so their order and an item in
        flight stay valid).
        Unknown ``old_chat_id`` (no row): returns None and changes nothing, so a repeated
        migration is harmless.

        When ``new_chat_id`` already has a row for the same topic (someone wrote to the
        bot in the supergroup first), the two rows are merged into the new one:

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
        with self.transaction() as db:
            olds = self._chat_rows(db, old_chat_id)
            if not olds or old_chat_id == new_chat_id:
                return self._get_chat(db, old_chat_id)
            now = self.now_text()
            for old in olds:
                self._move_row(db, old, new_chat_id, now)
            move = (new_chat_id, old_chat_id)
            # Deliveries may exist without a chat row (an on-demand /digest records them
            # too): copy without overwriting, then delete, rather than an UPDATE that a
            # pair the new id already has would make fail.
            db.execute(
                "INSERT OR IGNORE INTO deliveries (chat_id, topic, number, delivered_at,"
                " held_back) SELECT ?, topic, number, delivered_at, held_back FROM deliveries"
                " WHERE chat_id = ?",
                move,
            )
            db.execute("DELETE FROM deliveries WHERE chat_id = ?", (old_chat_id,))
            # Pages added to the digest likewise, the later addition kept.
            db.execute(
                "INSERT INTO digest_additions (chat_id, topic, number, added_at)"
                " SELECT ?, topic, number, added_at FROM digest_additions WHERE chat_id = ?"
                " ON CONFLICT (chat_id, topic, number) DO UPDATE"
                " SET added_at = max(digest_additions.added_at, excluded.added_at)",
                move,
            )
            db.execute("DELETE FROM digest_additions WHERE chat_id = ?", (old_chat_id,))
            # The sources the chat turned off (/sources) move along.
            db.execute(
                "INSERT OR IGNORE INTO chat_sources_off (chat_id, topic, feed_id)"
                " SELECT ?, topic, feed_id FROM chat_sources_off WHERE chat_id = ?",
                move,
            )
            db.execute("DELETE FROM chat_sources_off WHERE chat_id = ?", (old_chat_id,))
            # So do the feeds it follows of its own (/add).
            db.execute(
                "INSERT OR IGNORE INTO feed_follows (chat_id, topic, feed_id, added_at)"
                " SELECT ?, topic, feed_id, added_at FROM feed_follows WHERE chat_id = ?",
                move,
            )
            db.execute("DELETE FROM feed_follows WHERE chat_id = ?", (old_chat_id,))
            # Filter terms: the new chat's own terms win over the old one's same terms.
            db.execute(
                "INSERT OR IGNORE INTO chat_filters (chat_id, topic, term_key, mode, term,"
                " added_at) SELECT ?, topic, term_key, mode, term, added_at FROM chat_filters"
                " WHERE chat_id = ? ORDER BY rowid",
                move,
            )
            db.execute("DELETE FROM chat_filters WHERE chat_id = ?", (old_chat_id,))
            # Pruned deliveries: the later horizon of the two, so neither chat's pruned
            # articles come back (see prune).
            db.execute(
                "INSERT INTO pruned_deliveries (chat_id, topic, added_before)"
                " SELECT ?, topic, added_before FROM pruned_deliveries WHERE chat_id = ?"
                " ON CONFLICT (chat_id, topic) DO UPDATE"
                " SET added_before = max(pruned_deliveries.added_before, excluded.added_before)",
                move,
            )
            db.execute("DELETE FROM pruned_deliveries WHERE chat_id = ?", (old_chat_id,))
            db.execute("UPDATE outbox SET chat_id = ? WHERE chat_id = ?", move)
            return self._get_chat(db, new_chat_id)

    def _move_row(self, db: sqlite3.Connection, old: Chat, new_chat_id: int, now: str) -> None:
        """migrate_chat for one row (the chat or one topic), with its subscriptions."""
        topic = old.topic
        new = self._get_chat(db, new_chat_id, topic)
        if new is None:
            db.execute(
                "UPDATE chats SET chat_id = ?, updated_at = ? WHERE chat_id = ? AND topic = ?",
                (new_chat_id, now, old.chat_id, topic),
            )
            db.execute(
                "UPDATE subscriptions SET chat_id = ? WHERE chat_id = ? AND topic = ?",
                (new_chat_id, old.chat_id, topic),
            )
            return
        subscription = old if old.digest_time is not None else new
        # The digest settings are one unit too: the old row's unless it has the defaults.
        settings = old.settings if old.settings != DigestSettings() else new.settings
        keys = [key for key in (old.last_digest_key, new.last_digest_key) if key]
        active = old.active or new.active
        reason = None if active else old.deactivated_reason or new.deactivated_reason
        db.execute(
            "UPDATE chats SET timezone = ?, digest_time = ?, active = ?,"
            " deactivated_reason = ?, last_digest_key = ?, created_at = ?,"
            " updated_at = ?, subscribed_at = ?, days = ?, digest_size = ?,"
            " headlines_only = ?, silent = ?, link_previews = ? WHERE chat_id = ? AND topic = ?",
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
                settings.size,
                int(settings.headlines),
                int(settings.silent),
                int(settings.previews),
                new_chat_id,
                topic,
            ),
        )
        db.execute("DELETE FROM chats WHERE chat_id = ? AND topic = ?", (old.chat_id, topic))
        # The subscription's times (and their run keys) are one unit with it.
        if subscription is old:
            db.execute(
                "DELETE FROM subscriptions WHERE chat_id = ? AND topic = ?", (new_chat_id, topic)
            )
            db.execute(
                "UPDATE subscriptions SET chat_id = ? WHERE chat_id = ? AND topic = ?",
                (new_chat_id, old.chat_id, topic),
            )
        else:
            db.execute(
                "DELETE FROM subscriptions WHERE chat_id = ? AND topic = ?", (old.chat_id, topic)
            )

    def subscribers(self) -> list[Chat]:
        """Every active subscriber (chat or forum topic) with a digest time, by chat id
        and topic (see iter_subscribers)."""
        return list(self.iter_subscribers())

    def iter_subscribers(self, batch_size: int = 1000) -> Iterator[Chat]:
        """Active subscribers (chats and forum topics) by chat id and topic, read in
        batches of ``batch_size``.

        The lock is held per batch only, so other calls run between batches; a chat
        changed meanwhile is seen in its new state if its batch has not been read yet.
        """
        after: tuple[int, int] | None = None
        while True:
            page = self._subscribers_page(after, batch_size)
            yield from page
            if len(page) < batch_size:
                return
            after = page[-1].key

    def _subscribers_page(self, after: int | tuple[int, int] | None, limit: int) -> list[Chat]:
        """Up to ``limit`` active subscribers after ``after``: a (chat_id, topic) pair, or
        a chat id (after every topic of that chat)."""
        if after is None:
            after = (MIN_ID, 0)
        elif isinstance(after, int):
            after = (after, _MAX_TOPIC)
        rows = self.query(
            f"{CHAT_SELECT} FROM chats c"
            " WHERE c.active = 1 AND c.digest_time IS NOT NULL AND (c.chat_id, c.topic) > (?, ?)"
            " ORDER BY c.chat_id, c.topic LIMIT ?",
            (*after, limit),
        )
        return self._with_runs(rows, in_order=True)

    def subscribers_at(
        self,
        digest_time: str,
        timezone: str,
        *,
        default_timezone: str | None = None,
        after_chat_id: int | None = None,
        after_topic: int | None = None,
        limit: int | None = None,
        weekday: int | None = None,
    ) -> list[Chat]:
        """Active subscribers (chats and forum topics) at ``digest_time`` (one of their
        times) in ``timezone``, by chat id and topic. Those without a timezone of their
        own count as ``default_timezone`` (the config's). ``weekday`` (Monday = 0): only
        those whose days include it. ``after_chat_id`` (with ``after_topic``: after that
        (chat, topic); without: after every topic of that chat) and ``limit`` read them a
        page at a time."""
        day_filter = "" if weekday is None else " AND ((c.days >> ?) & 1) = 1"
        if after_chat_id is None:
            after = (MIN_ID, 0)
        elif after_topic is None:
            after = (after_chat_id, _MAX_TOPIC)
        else:
            after = (after_chat_id, after_topic)
        rows = self.query(
            f"{CHAT_SELECT} FROM subscriptions s"
            " JOIN chats c ON c.chat_id = s.chat_id AND c.topic = s.topic"
            " WHERE s.digest_time = ? AND c.active = 1 AND c.digest_time IS NOT NULL"
            " AND (c.timezone = ? OR (c.timezone IS NULL AND ?))"
            " AND (s.chat_id, s.topic) > (?, ?)"
            f"{day_filter} ORDER BY s.chat_id, s.topic LIMIT ?",
            (
                digest_time,
                timezone,
                timezone == default_timezone,
                *after,
                *(() if weekday is None else (weekday,)),
                -1 if limit is None else limit,
            ),
        )
        return self._with_runs(rows)

    def slots_in_use(self) -> list[tuple[str, str | None]]:
        """Every (digest time, timezone) an active subscriber has (timezone None: the
        config default), without reading the subscribers themselves."""
        rows = self.query(
            "SELECT DISTINCT s.digest_time, c.timezone FROM subscriptions s"
            " JOIN chats c ON c.chat_id = s.chat_id AND c.topic = s.topic"
            " WHERE c.active = 1 AND c.digest_time IS NOT NULL"
        )
        return [(row[0], row[1]) for row in rows]

    def count_subscribers(self) -> int:
        """Active subscribers: chats and forum topics with a digest time (along the
        partial index chats_subscribed, whose WHERE is this one)."""
        return self.query(
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
