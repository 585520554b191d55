"""Filters: each chat's ``/filter`` terms (each forum topic of a chat has its own).

Owns the table **chat_filters**: a subscriber's terms (a chat's, or with ``topic`` one
forum topic's) as (mode, term) pairs, mode ``-`` or ``+`` and the term as written,
keyed by the term's folded words (``bot.filters.Term.key``, computed by the caller: the
store does not match text). What the filters hold back is
recorded with the deliveries (:mod:`bot.store.deliveries`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from bot.store.base import StoreBase
from bot.store.records import ChatKey, chat_key


class FiltersMixin(StoreBase):
    """The chats' filter terms."""

    def filter_terms(self, chat_id: int, *, topic: int = 0) -> list[tuple[str, str]]:
        """The filter terms of the chat (or of its forum topic ``topic``) as (mode,
        term), in the order they were added."""
        rows = self.query(
            "SELECT mode, term FROM chat_filters WHERE chat_id = ? AND topic = ? ORDER BY rowid",
            (chat_id, topic),
        )
        return [(row[0], row[1]) for row in rows]

    def filter_terms_of(self, keys: Iterable[ChatKey]) -> dict[ChatKey, list[tuple[str, str]]]:
        """filter_terms for many subscribers (chat ids or (chat id, topic) pairs) in one
        query, keyed as given; those without terms are left out."""
        wanted = {chat_key(key): key for key in keys}
        ids = json.dumps(sorted({chat_id for chat_id, _ in wanted}))
        rows = self.query(
            "SELECT chat_id, topic, mode, term FROM chat_filters"
            " WHERE chat_id IN (SELECT value FROM json_each(?))"
            " ORDER BY chat_id, topic, rowid",
            (ids,),
        )
        found: dict[ChatKey, list[tuple[str, str]]] = {}
        for row in rows:
            key = wanted.get((row[0], row[1]))
            if key is not None:
                found.setdefault(key, []).append((row[2], row[3]))
        return found

    def add_filter_terms(
        self, chat_id: int, terms: Sequence[tuple[str, str, str]], limit: int, *, topic: int = 0
    ) -> tuple[bool, int]:
        """Add (key, mode, term) triples to the chat's filters, in one transaction; a
        key the chat has already gets the new mode and spelling. Refused (nothing
        changes) when the chat would have more than ``limit`` terms. Returns (added,
        the number of terms the chat has with them: now, or had it been added)."""
        with self.transaction() as db:
            keys = {key for key, _, _ in terms}
            have = {
                row[0]
                for row in db.execute(
                    "SELECT term_key FROM chat_filters WHERE chat_id = ? AND topic = ?",
                    (chat_id, topic),
                )
            }
            total = len(have | keys)
            if total > limit:
                return False, total
            now = self.now_text()
            db.executemany(
                "INSERT INTO chat_filters (chat_id, topic, term_key, mode, term, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, topic, term_key)"
                " DO UPDATE SET mode = excluded.mode, term = excluded.term",
                [(chat_id, topic, key, mode, term, now) for key, mode, term in terms],
            )
            return True, total

    def remove_filter_terms(
        self, chat_id: int, terms: Sequence[tuple[str, str]], *, topic: int = 0
    ) -> list[str]:
        """Remove (key, mode) pairs from the chat's filters (mode "" removes the key in
        either mode); returns the terms removed, as they were written."""
        removed: list[str] = []
        with self.transaction() as db:
            for key, mode in terms:
                row = db.execute(
                    "DELETE FROM chat_filters WHERE chat_id = ? AND topic = ? AND term_key = ?"
                    " AND (? = '' OR mode = ?) RETURNING mode, term",
                    (chat_id, topic, key, mode, mode),
                ).fetchone()
                if row is not None:
                    removed.append(row[1])
        return removed

    def clear_filter_terms(self, chat_id: int, *, topic: int = 0) -> int:
        """Remove every filter term of the chat (or of its forum topic ``topic``);
        returns how many there were."""
        with self.transaction() as db:
            return db.execute(
                "DELETE FROM chat_filters WHERE chat_id = ? AND topic = ?", (chat_id, topic)
            ).rowcount
