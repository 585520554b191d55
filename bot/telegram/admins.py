"""Who may change a group's settings: its administrators, as Telegram's ``getChatMember``
says, remembered for a few minutes.

In a group or supergroup only the chat's creator and administrators may change its
subscription (and, through :func:`bot.telegram.handlers.common.require_admin`, its
filters and sources); everyone may read. Private chats belong to their one user; in a channel only
administrators can post, so a command there comes from one. An anonymous administrator
writes "as the group" (the message's ``sender_chat`` is the group itself) and counts as
one; someone writing as another channel does not.

:class:`AdminCache` keeps each (chat, user) answer for :data:`ADMIN_SECONDS` (a refusal
for :data:`REFUSAL_SECONDS`, so a newly promoted admin waits a minute, not five), so a
busy group costs one ``getChatMember`` per person per few minutes. :func:`is_chat_admin`
asks through :class:`AdminAnswers`: this cache (``bot.cluster.state.LocalAdmins``), or
the same answers kept in Redis for several processes (``bot.cluster.state.RedisAdmins``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden

__all__ = ["ADMIN_SECONDS", "REFUSAL_SECONDS", "AdminAnswers", "AdminCache", "is_chat_admin"]

log = logging.getLogger(__name__)

ADMIN_SECONDS = 300.0
REFUSAL_SECONDS = 60.0
# Answers kept at most; past this the expired ones are dropped, then the oldest.
MAX_ENTRIES = 10_000

_ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


class AdminAnswers(Protocol):
    """(chat id, user id) → is an administrator, each answer kept for a while."""

    async def recall(self, chat_id: int, user_id: int) -> bool | None:
        """The remembered answer, or None when there is none (or it expired)."""
        ...

    async def remember(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        """Remember an answer Telegram just gave."""
        ...


class AdminCache:
    """(chat id, user id) → is an administrator, each answer kept for a while."""

    def __init__(
        self,
        *,
        admin_seconds: float = ADMIN_SECONDS,
        refusal_seconds: float = REFUSAL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.admin_seconds = admin_seconds
        self.refusal_seconds = refusal_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._answers: dict[tuple[int, int], tuple[bool, float]] = {}

    def get(self, chat_id: int, user_id: int) -> bool | None:
        """The remembered answer, or None when there is none (or it expired)."""
        found = self._answers.get((chat_id, user_id))
        if found is None:
            return None
        is_admin, until = found
        if self.clock() >= until:
            del self._answers[(chat_id, user_id)]
            return None
        return is_admin

    def put(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        """Remember an answer Telegram just gave."""
        now = self.clock()
        if len(self._answers) >= self.max_entries:
            self._answers = {k: v for k, v in self._answers.items() if v[1] > now}
            while len(self._answers) >= self.max_entries:
                del self._answers[next(iter(self._answers))]
        ttl = self.admin_seconds if is_admin else self.refusal_seconds
        self._answers[(chat_id, user_id)] = (is_admin, now + ttl)

    def __len__(self) -> int:
        return len(self._answers)


async def is_chat_admin(bot: Bot, cache: AdminAnswers, chat_id: int, user_id: int) -> bool:
    """True if the user is the chat's creator or an administrator (cached; asks Telegram
    with ``getChatMember`` otherwise). A user Telegram does not know in the chat, or a
    chat the bot can no longer see, is no administrator. Network errors propagate."""
    known = await cache.recall(chat_id, user_id)
    if known is not None:
        return known
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except (BadRequest, Forbidden) as exc:
        log.info("getChatMember %s in chat %s: %s", user_id, chat_id, exc.message)
        is_admin = False
    else:
        is_admin = member.status in _ADMIN_STATUSES
    await cache.remember(chat_id, user_id, is_admin)
    return is_admin
