"""Outbox: scheduled digests waiting to be sent.

Owns the tables **outbox** and **outbox_bodies** (each distinct message text once, by
its :func:`bot.store.migrations.body_hash`: the chats of a slot that get the same digest
share it; a trigger deletes a body with the last item using it). Queuing a digest and
setting the chat's run keys (``last_digest_key``, the subscriptions' ``last_run_key``)
is one transaction; sending a message, deleting it from the outbox and recording its
deliveries is another (through ``DeliveriesMixin._record_deliveries``). A crash between
"Telegram accepted the message" and :meth:`OutboxMixin.mark_sent` therefore repeats at
most that one message, and nothing is ever lost.

Items belong to a subscriber, a (chat, topic) pair (``topic`` 0: the chat itself, else
the forum topic the message goes to), but a chat's messages go out one at a time
whatever their topic: Telegram's limits are per chat.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.store.base import epoch_seconds
from bot.store.deliveries import DeliveriesMixin
from bot.store.migrations import body_hash
from bot.store.records import OUTBOX_COLUMNS, ChatKey, OutboxItem, chat_key, outbox_item_from_row


class OutboxMixin(DeliveriesMixin):
    """The digests queued for sending. Built on the deliveries (sending a message records
    its deliveries in the same transaction)."""

    def queue_digest(
        self,
        chat_id: int,
        run_key: str,
        messages: Sequence[tuple[str, Sequence[int]]],
        now: datetime | float | None = None,
        *,
        digest_time: str | None = None,
        topic: int = 0,
        horizon: str | None = None,
    ) -> bool:
        """Queue one scheduled digest for the chat (or its forum topic ``topic``, where
        the messages then go), atomically, at most once per run_key.

        ``digest_time``: the digest of that one time of day ("never twice" per chat, time
        and run key: the subscription row's last_run_key). None: the chat's digest of
        the day, as before a chat could have several times: last_digest_key is checked,
        it and every time's run key are set.

        ``messages`` are (HTML text, article numbers it carries), in sending order
        (``bot.digest.digest_messages`` makes them). In one transaction: if the chat
        exists, is active, and its last_digest_key is not ``run_key``, the messages are
        queued (due at ``now``, default the store's clock) and last_digest_key is set
        to ``run_key``. Returns True then. An empty ``messages`` ("nothing new") still
        records the run, so a later catch-up does not send it. Otherwise returns False
        and changes nothing: the digest was already queued, or the chat is unknown or
        inactive.
        """
        with self.transaction() as db:
            return self._queue_digest(
                db, (chat_id, topic), run_key, messages, now, digest_time, horizon
            )

    def queue_digests(
        self,
        run_key: str,
        digests: Iterable[tuple[ChatKey, Sequence[tuple[str, Sequence[int]]]]],
        now: datetime | float | None = None,
        *,
        digest_time: str | None = None,
        horizon: str | None = None,
    ) -> list[ChatKey]:
        """queue_digest for many subscribers (subscriber, messages) in one transaction,
        a subscriber being a chat id or a (chat id, topic) pair; returns those whose
        digest was queued (or recorded, when it had no messages), as given."""
        with self.transaction() as db:
            return [
                key
                for key, messages in digests
                if self._queue_digest(
                    db, chat_key(key), run_key, messages, now, digest_time, horizon
                )
            ]

    def _queue_digest(
        self,
        db: sqlite3.Connection,
        key: tuple[int, int],
        run_key: str,
        messages: Sequence[tuple[str, Sequence[int]]],
        now: datetime | float | None,
        digest_time: str | None = None,
        horizon: str | None = None,
    ) -> bool:
        due = self._clock() if now is None else epoch_seconds(now)
        changed = self.now_text()
        chat_id, topic = key
        if digest_time is None:
            cursor = db.execute(
                "UPDATE chats SET last_digest_key = ?, updated_at = ? WHERE chat_id = ?"
                " AND topic = ? AND active = 1"
                " AND (last_digest_key IS NULL OR last_digest_key != ?)",
                (run_key, changed, chat_id, topic, run_key),
            )
            if cursor.rowcount == 0:
                return False
            db.execute(
                "UPDATE subscriptions SET last_run_key = ? WHERE chat_id = ? AND topic = ?",
                (run_key, chat_id, topic),
            )
        else:
            cursor = db.execute(
                "UPDATE subscriptions SET last_run_key = ? WHERE chat_id = ? AND topic = ?"
                " AND digest_time = ? AND (last_run_key IS NULL OR last_run_key != ?) AND EXISTS"
                " (SELECT 1 FROM chats c WHERE c.chat_id = ? AND c.topic = ? AND c.active = 1)",
                (run_key, chat_id, topic, digest_time, run_key, chat_id, topic),
            )
            if cursor.rowcount == 0:
                return False
            db.execute(
                "UPDATE chats SET last_digest_key = ?, updated_at = ? WHERE chat_id = ?"
                " AND topic = ?",
                (run_key, changed, chat_id, topic),
            )
        item_key = run_key if digest_time is None else f"{run_key}T{digest_time}"
        items = []
        for text, numbers in messages:
            body = body_hash(text)
            # The chats of a slot that get the same message share its one stored text.
            db.execute(
                "INSERT INTO outbox_bodies (hash, text) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (body, text),
            )
            carried = json.dumps([int(n) for n in numbers])
            items.append((chat_id, topic, item_key, body, carried, due, changed))
        db.executemany(
            "INSERT INTO outbox (chat_id, topic, run_key, body, article_numbers,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            items,
        )
        if horizon is not None:
            # The digest chose among the articles added before ``horizon``: once it is
            # sent (at once when it has no message) the next one starts after them.
            db.execute(
                "UPDATE chats SET horizon_pending = max(coalesce(horizon_pending, ''), ?)"
                " WHERE chat_id = ? AND topic = ?",
                (horizon, chat_id, topic),
            )
            waiting = db.execute(
                "SELECT 1 FROM outbox WHERE chat_id = ? AND topic = ? LIMIT 1", (chat_id, topic)
            ).fetchone()
            if not waiting:  # nothing to send, and no earlier digest still on its way
                self._reach_horizon(db, chat_id, topic)
        return True

    def _reach_horizon(self, db: sqlite3.Connection, chat_id: int, topic: int) -> None:
        """The subscriber's queued digest is all sent: its pending horizon becomes the
        one its unseen articles start from (``pruned_deliveries``, never moving back)."""
        db.execute(
            "INSERT INTO pruned_deliveries (chat_id, topic, added_before)"
            " SELECT chat_id, topic, horizon_pending FROM chats"
            " WHERE chat_id = ? AND topic = ? AND horizon_pending IS NOT NULL"
            " ON CONFLICT (chat_id, topic) DO UPDATE"
            " SET added_before = max(pruned_deliveries.added_before, excluded.added_before)",
            (chat_id, topic),
        )
        db.execute(
            "UPDATE chats SET horizon_pending = NULL WHERE chat_id = ? AND topic = ?",
            (chat_id, topic),
        )

    def due_outbox(
        self,
        now: datetime | float,
        limit: int = 100,
        *,
        lease_seconds: float | None = None,
    ) -> list[OutboxItem]:
        """Items ready to send, in id (queue) order, at most ``limit``.

        Only the OLDEST pending item of each chat is ever returned, and only when it is
        due (next_attempt_at <= now): a chat's messages go out one at a time, in order,
        and a message waiting for a retry holds back the rest of its digest.

        Without ``lease_seconds`` this only reads: the sender must remember what it has
        in flight and not send it again. With ``lease_seconds`` the returned items are
        claimed in the same transaction (next_attempt_at moves to now + lease), so a
        second call does not return them; if the sender dies, they come back due when
        the lease runs out.
        """
        moment = epoch_seconds(now)
        sql = (
            f"SELECT {OUTBOX_COLUMNS} FROM outbox o WHERE next_attempt_at <= ? AND NOT EXISTS"
            " (SELECT 1 FROM outbox p WHERE p.chat_id = o.chat_id AND p.id < o.id)"
            " ORDER BY id LIMIT ?"
        )
        if lease_seconds is None:
            return [outbox_item_from_row(row) for row in self.query(sql, (moment, limit))]
        with self.transaction() as db:
            items = [outbox_item_from_row(row) for row in db.execute(sql, (moment, limit))]
            db.executemany(
                "UPDATE outbox SET next_attempt_at = ? WHERE id = ?",
                [(moment + lease_seconds, item.id) for item in items],
            )
            return items

    def next_outbox_due(self) -> float | None:
        """When the earliest pending item is due (seconds since the epoch), or None if
        the outbox is empty; lets the sender sleep until then. Like ``due_outbox`` it
        looks at the oldest item of each chat only: a later part of a digest is not due
        while the part before it waits for a retry (else the sender would spin)."""
        # Along outbox_due, earliest first: the first chat's oldest item found is it.
        rows = self.query(
            "SELECT next_attempt_at FROM outbox o INDEXED BY outbox_due WHERE NOT EXISTS"
            " (SELECT 1 FROM outbox p WHERE p.chat_id = o.chat_id AND p.id < o.id)"
            " ORDER BY next_attempt_at LIMIT 1"
        )
        return rows[0][0] if rows else None

    def count_outbox(self, chat_id: int | None = None, *, topic: int | None = None) -> int:
        """Pending outbox items (of one chat, of one forum topic of it, or all)."""
        if chat_id is None:
            return self.query("SELECT count(*) FROM outbox")[0][0]
        if topic is None:
            return self.query("SELECT count(*) FROM outbox WHERE chat_id = ?", (chat_id,))[0][0]
        return self.query(
            "SELECT count(*) FROM outbox WHERE chat_id = ? AND topic = ?", (chat_id, topic)
        )[0][0]

    def oldest_outbox_created(self) -> str | None:
        """When the oldest pending item was queued (ISO 8601, UTC), or None if the outbox
        is empty: the first row along the primary key."""
        rows = self.query("SELECT created_at FROM outbox ORDER BY id LIMIT 1")
        return rows[0][0] if rows else None

    def mark_sent(self, item_id: int) -> bool:
        """Telegram accepted the item: delete it and record its articles as delivered,
        in one transaction. False if the item is gone (dropped meanwhile)."""
        with self.transaction() as db:
            return self._mark_sent(db, item_id)

    def mark_sent_many(self, item_ids: Iterable[int]) -> list[bool]:
        """mark_sent for many items in one transaction (one commit for a burst of sends)."""
        with self.transaction() as db:
            return [self._mark_sent(db, item_id) for item_id in item_ids]

    def _mark_sent(self, db: sqlite3.Connection, item_id: int) -> bool:
        row = db.execute(
            "SELECT chat_id, topic, article_numbers FROM outbox WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            return False
        db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))
        self._record_deliveries(
            db, row["chat_id"], json.loads(row["article_numbers"]), row["topic"]
        )
        last = not db.execute(
            "SELECT 1 FROM outbox WHERE chat_id = ? AND topic = ? LIMIT 1",
            (row["chat_id"], row["topic"]),
        ).fetchone()
        if last:
            self._reach_horizon(db, row["chat_id"], row["topic"])
        return True

    def retry_later(self, item_id: int, next_attempt_at: datetime | float, error: str) -> None:
        """A temporary failure: count the attempt, keep the error, retry at the given time."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                (epoch_seconds(next_attempt_at), error, item_id),
            )

    def drop(self, item_id: int, error: str) -> bool:
        """A permanent failure: delete the item without recording deliveries (the caller
        logs ``error``), so its articles stay unseen for the next digest -- and so do the
        ones its digest chose not to show (its pending horizon is forgotten). False if
        gone."""
        del error  # kept in the signature for symmetry with retry_later; the caller logs it
        with self.transaction() as db:
            db.execute(
                "UPDATE chats SET horizon_pending = NULL WHERE (chat_id, topic) IN"
                " (SELECT chat_id, topic FROM outbox WHERE id = ?)",
                (item_id,),
            )
            return db.execute("DELETE FROM outbox WHERE id = ?", (item_id,)).rowcount > 0
