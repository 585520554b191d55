"""Channels: the channels the bot administers, who administers them, and which chat a
private chat manages.

Owns the tables **channels** (each channel the bot was made an administrator of, with
its title and @username; ``present`` is 0 once the bot left it or lost its rights),
**channel_admins** (users known to administer a channel: who added the bot, the
administrators Telegram listed then, whoever chose it since; only candidates, always
checked again with Telegram before they count) and **chat_targets** (the channel a
private chat manages instead of itself, chosen with ``/channel``). Every lookup is by
primary key or index: a user's channels by ``channel_admins_user``, a channel by
``@username`` by ``channels_username``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.store.base import StoreBase

# Channels offered to one user at most (the buttons of /channel).
MAX_LISTED = 20


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel the bot was added to: ``present`` while the bot is still its admin."""

    chat_id: int
    title: str
    username: str | None
    present: bool


def _channel(row: sqlite3.Row) -> Channel:
    return Channel(int(row[0]), str(row[1]), row[2], bool(row[3]))


_SELECT = "SELECT chat_id, title, username, present FROM channels"


class ChannelsMixin(StoreBase):
    """The bot's channels, their known administrators and private chats' targets."""

    def remember_channel(
        self, chat_id: int, title: str, username: str | None, admins: tuple[int, ...] = ()
    ) -> Channel:
        """The bot is an administrator of the channel: store (or refresh) its title and
        @username, mark it present, and note ``admins`` as its known administrators."""
        now = self.now_text()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO channels (chat_id, title, username, present, updated_at)"
                " VALUES (?, ?, ?, 1, ?) ON CONFLICT (chat_id) DO UPDATE SET"
                " title = excluded.title, username = excluded.username, present = 1,"
                " updated_at = excluded.updated_at",
                (chat_id, title, username, now),
            )
            db.executemany(
                "INSERT INTO channel_admins (chat_id, user_id, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_id, user_id) DO UPDATE SET seen_at = excluded.seen_at",
                [(chat_id, user_id, now) for user_id in dict.fromkeys(admins)],
            )
        return Channel(chat_id, title, username, True)

    def leave_channel(self, chat_id: int) -> bool:
        """The bot left the channel or lost its rights there: it is no longer offered
        (its targets stay, and are refused until the bot is back). True if it was known."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE channels SET present = 0, updated_at = ? WHERE chat_id = ?",
                (self.now_text(), chat_id),
            )
            return cursor.rowcount > 0

    def channel(self, chat_id: int) -> Channel | None:
        """The channel by id, present or not; None if the bot never was in it."""
        rows = self.query(f"{_SELECT} WHERE chat_id = ?", (chat_id,))
        return _channel(rows[0]) if rows else None

    def channel_named(self, username: str) -> Channel | None:
        """The channel by its @username (any case, with or without the @)."""
        name = username.removeprefix("@")
        rows = self.query(
            f"{_SELECT} WHERE username = ? COLLATE NOCASE AND username IS NOT NULL", (name,)
        )
        return _channel(rows[0]) if rows else None

    def channels_of(self, user_id: int, limit: int = MAX_LISTED) -> list[Channel]:
        """The present channels the user is known to administer, by title (candidates:
        the caller checks each with Telegram)."""
        rows = self.query(
            "SELECT c.chat_id, c.title, c.username, c.present FROM channel_admins a"
            " JOIN channels c ON c.chat_id = a.chat_id"
            " WHERE a.user_id = ? AND c.present = 1 ORDER BY c.title COLLATE NOCASE LIMIT ?",
            (user_id, limit),
        )
        return [_channel(row) for row in rows]

    def note_channel_admin(self, chat_id: int, user_id: int) -> None:
        """Telegram just said the user administers the channel: offer it to them."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO channel_admins (chat_id, user_id, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_id, user_id) DO UPDATE SET seen_at = excluded.seen_at",
                (chat_id, user_id, self.now_text()),
            )

    def forget_channel_admin(self, chat_id: int, user_id: int) -> None:
        """Telegram said the user no longer administers the channel."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM channel_admins WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
            )

    def set_target(self, chat_id: int, target: int | None) -> None:
        """The private chat ``chat_id`` manages the channel ``target`` from now on (None:
        itself again)."""
        with self.transaction() as db:
            if target is None:
                db.execute("DELETE FROM chat_targets WHERE chat_id = ?", (chat_id,))
            else:
                db.execute(
                    "INSERT INTO chat_targets (chat_id, target, chosen_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (chat_id) DO UPDATE SET target = excluded.target,"
                    " chosen_at = excluded.chosen_at",
                    (chat_id, target, self.now_text()),
                )

    def target_of(self, chat_id: int) -> Channel | None:
        """The channel the private chat manages, or None (it manages itself)."""
        rows = self.query(
            "SELECT c.chat_id, c.title, c.username, c.present FROM chat_targets t"
            " JOIN channels c ON c.chat_id = t.target WHERE t.chat_id = ?",
            (chat_id,),
        )
        return _channel(rows[0]) if rows else None
