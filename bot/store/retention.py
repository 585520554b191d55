"""Retention: pruning old deliveries so the database stops growing, "never twice" kept.

Owns the table **pruned_deliveries** (per chat and forum topic: every article added
before ``added_before`` counts as received) and the daily job :func:`prune_expired`, which
runs :meth:`RetentionMixin.prune` with ``[storage] retention_days``. A digest moves the
same horizon (:meth:`RetentionMixin.pass_over`): it chose among everything new, so the
next one starts from what arrives after it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.store.base import BATCH_SECONDS, MAX_ID, MIN_ID, StoreBase, epoch_seconds, iso_time
from bot.store.records import ChatKey, Pruned, chat_key

if TYPE_CHECKING:
    from bot.store import Store


log = logging.getLogger(__name__)

DAY_SECONDS = 86_400


class RetentionMixin(StoreBase):
    """Pruning deliveries older than the retention window; the digests' horizon."""

    def pass_over(self, keys: Iterable[ChatKey], before: str) -> None:
        """Every article added before ``before`` (ISO, the store's clock: take
        ``now_text()`` before composing) counts as received by these subscribers (chat
        ids or (chat id, topic) pairs): their digest chose among all of them, and the
        ones it did not show stay in /article. One small upsert each, in one
        transaction; a horizon never moves back. Articles a chat added itself
        ("Add to my digest") after ``before`` still come."""
        rows = [(*chat_key(key), before) for key in keys]
        if not rows:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO pruned_deliveries (chat_id, topic, added_before) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_id, topic) DO UPDATE"
                " SET added_before = max(pruned_deliveries.added_before, excluded.added_before)",
                rows,
            )

    def prune(
        self,
        retention_days: int,
        now: datetime | float | None = None,
        *,
        batch_rows: int = 20_000,
    ) -> Pruned:
        """Delete deliveries older than ``retention_days`` (before ``now``, default the
        store's clock), so the database stops growing with every digest sent.

        "Never twice" is kept:

        * a delivery row is what keeps an article out of the chat's next digests. A row
          is deleted only when both its delivered_at and its article's added_at are
          before the cutoff, and in the same transaction the chat records
          ``pruned_deliveries.added_before = cutoff``: from then on every article the
          store had before the cutoff counts as seen by that chat (``unseen_articles``),
          so a pruned article is never sent to it again. The price: a chat whose old
          deliveries were pruned no longer gets articles that were already older than
          the window and that it never received -- old news, for a news digest;
        * the run keys that keep a digest from being queued twice for one day live in
          ``chats.last_digest_key`` (one per chat, overwritten, never growing) and
          are not touched;
        * the outbox is not touched: a sent item is deleted by ``mark_sent`` and a
          failed one by ``drop``, so every row still there is undelivered and waits.

        Rows are deleted in transactions of a range of chat ids holding about
        ``batch_rows`` deliveries at first, then as many as take about
        ``BATCH_SECONDS``, so other calls run in between and the lock is never held long.
        The freed pages are reused by later inserts: the file stops growing rather
        than shrinking (no VACUUM; SQLite's incremental vacuum would need
        ``auto_vacuum`` set before the first table was created).
        """
        if retention_days <= 0:
            raise ValueError(f"retention_days must be positive, got {retention_days!r}")
        moment = self._clock() if now is None else epoch_seconds(now)
        cut_seconds = moment - retention_days * DAY_SECONDS
        cutoff = iso_time(cut_seconds)
        # delivered_at in integer seconds, added_at in ISO text.
        old = (
            " FROM deliveries AS d WHERE d.chat_id BETWEEN ? AND ? AND d.delivered_at < ?"
            " AND EXISTS (SELECT 1 FROM articles a WHERE a.number = d.number"
            " AND a.added_at < ?)"
        )
        deleted = chats = 0
        low = MIN_ID
        while True:
            started = time.perf_counter()
            with self.transaction() as db:
                # The first chat id past the next batch_rows deliveries bounds this batch
                # (a chat with more rows than that is one batch of its own).
                row = db.execute(
                    "SELECT chat_id FROM deliveries WHERE chat_id >= ?"
                    " ORDER BY chat_id LIMIT 1 OFFSET ?",
                    (low, batch_rows),
                ).fetchone()
                high = MAX_ID if row is None else max(row[0] - 1, low)
                params = (low, high, cut_seconds, cutoff)
                chats += db.execute(
                    f"INSERT INTO pruned_deliveries (chat_id, topic, added_before)"
                    f" SELECT DISTINCT d.chat_id, d.topic, ?{old}"
                    " ON CONFLICT (chat_id, topic) DO UPDATE SET added_before ="
                    " max(pruned_deliveries.added_before, excluded.added_before)",
                    (cutoff, *params),
                ).rowcount
                deleted += db.execute(f"DELETE{old}", params).rowcount
            # The next batch's size follows this one's time: about BATCH_SECONDS each.
            elapsed = max(time.perf_counter() - started, 1e-6)
            batch_rows = max(100, min(batch_rows * 4, int(batch_rows * BATCH_SECONDS / elapsed)))
            if high == MAX_ID:
                return Pruned(cutoff=cutoff, deliveries=deleted, chats=chats)
            low = high + 1


def prune_expired(store: Store, retention_days: int, now: datetime | float | None = None) -> Pruned:
    """The daily retention job: :meth:`Store.prune` with ``[storage] retention_days``,
    logged in one line. Blocking (many short transactions): run it in a thread, e.g.
    ``await asyncio.to_thread(prune_expired, store, config.storage.retention_days)``
    once a day."""
    started = time.monotonic()
    pruned = store.prune(retention_days, now)
    # A day with nothing to prune logs nothing (at info).
    log.log(
        logging.INFO if pruned.deliveries else logging.DEBUG,
        "retention: deleted %d deliveries before %s (%d chats) in %.1f s",
        pruned.deliveries,
        pruned.cutoff,
        pruned.chats,
        time.monotonic() - started,
    )
    return pruned
