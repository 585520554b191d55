"""Languages: the language each chat is spoken to in.

Owns the table **chat_languages**: one row per chat (forum topics share their chat's
language) with a language code of :data:`bot.locales.LANGUAGES`, set on the chat's first
update from its sender's Telegram ``language_code`` and changed with ``/language``. A
chat without a row is spoken to in English. The store does not check the code: the
caller (:mod:`bot.locales`) chooses among the languages it has catalogs for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from bot.store.base import StoreBase


class LanguagesMixin(StoreBase):
    """The chats' languages."""

    def chat_language(self, chat_id: int) -> str | None:
        """The chat's language code, or None when it has none yet."""
        rows = self.query("SELECT language FROM chat_languages WHERE chat_id = ?", (chat_id,))
        return rows[0][0] if rows else None

    def chat_languages(self, chat_ids: Iterable[int]) -> dict[int, str]:
        """chat_language for many chats in one query; chats without one are left out."""
        ids = json.dumps(sorted(set(chat_ids)))
        rows = self.query(
            "SELECT chat_id, language FROM chat_languages"
            " WHERE chat_id IN (SELECT value FROM json_each(?))",
            (ids,),
        )
        return {row[0]: row[1] for row in rows}

    def set_chat_language(self, chat_id: int, language: str, *, only_new: bool = False) -> str:
        """Set the chat's language; with ``only_new``, only if it has none yet (first
        contact). Returns the chat's language afterwards."""
        with self.transaction() as db:
            conflict = "DO NOTHING" if only_new else "DO UPDATE SET language = excluded.language"
            db.execute(
                "INSERT INTO chat_languages (chat_id, language, updated_at) VALUES (?, ?, ?)"
                f" ON CONFLICT (chat_id) {conflict}",
                (chat_id, language, self.now_text()),
            )
            row = db.execute(
                "SELECT language FROM chat_languages WHERE chat_id = ?", (chat_id,)
            ).fetchone()
            return str(row[0])
