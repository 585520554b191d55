"""The short-lived state every process of one bot must see: the tokens of "Add to my
digest" buttons, the per-chat quotas of summaries on demand, and the cache of group
administrators.

Each has one small async interface with two forms: in memory (one process, the
default; the pure bookkeeping of :class:`bot.web.links.Pending`,
:class:`bot.web.quota.Quota` and :class:`bot.telegram.admins.AdminCache`) and in the
Redis of ``[cluster] redis_url`` (several processes: a button pressed on a message
another process sent still works, a chat's quota counts its links whichever process
reads them). Every Redis key expires:

* a button token: :data:`TOKEN_SECONDS` (a day) after the summary was sent;
* a quota: the chat's starts of the last window (a sorted set, trimmed on every
  admission) and its "busy" mark, a lease of :data:`BUSY_SECONDS` (a crashed process
  cannot leave a chat busy for ever);
* an administrator's answer: as long as in memory (five minutes, a refusal one).

Redis failures are not hidden here: the caller's error handling applies (a handler
that fails answers the chat "something went wrong"), since a quota or a button that
silently did something else would be worse.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Protocol

from bot.errors import TooManyRequests
from bot.telegram.admins import ADMIN_SECONDS, REFUSAL_SECONDS, AdminCache
from bot.web.links import PageSummary, Pending
from bot.web.quota import HOUR, Quota

__all__ = [
    "BUSY_SECONDS",
    "TOKEN_SECONDS",
    "ButtonTokens",
    "ChatQuotas",
    "LocalAdmins",
    "LocalQuotas",
    "LocalTokens",
    "RedisAdmins",
    "RedisQuotas",
    "RedisTokens",
]

# How long a button's token is kept in Redis (seconds).
TOKEN_SECONDS = 86_400
# The lease of a chat's "a link is being read" mark (seconds): longer than any fetch
# and summary, so it only matters when a process died holding it.
BUSY_SECONDS = 600


# -- button tokens ----------------------------------------------------------------------


class ButtonTokens(Protocol):
    """Summaries whose "Add to my digest" button still works, by token."""

    async def add(self, chat_id: int, summary: PageSummary) -> str:
        """Keep ``summary`` for ``chat_id``; returns the token for its button."""
        ...

    async def get(self, chat_id: int, token: str) -> PageSummary | None:
        """The summary behind ``token`` if it is this chat's and still kept, else None."""
        ...


class LocalTokens:
    """:class:`ButtonTokens` in this process's memory (bounded: :class:`Pending`)."""

    def __init__(self, pending: Pending | None = None) -> None:
        self.pending = pending if pending is not None else Pending()

    async def add(self, chat_id: int, summary: PageSummary) -> str:
        return self.pending.add(chat_id, summary)

    async def get(self, chat_id: int, token: str) -> PageSummary | None:
        return self.pending.get(chat_id, token)


def _summary_json(chat_id: int, summary: PageSummary) -> str:
    return json.dumps(
        {
            "chat": chat_id,
            "title": summary.title,
            "url": summary.url,
            "site_name": summary.site_name,
            "date": summary.date,
            "language": summary.language,
            "sentences": list(summary.sentences),
            "blocks": [list(block) for block in summary.blocks],
        },
        ensure_ascii=False,
    )


def _summary_of(text: str | bytes) -> tuple[int, PageSummary]:
    data = json.loads(text)
    summary = PageSummary(
        title=data["title"],
        url=data["url"],
        site_name=data["site_name"],
        date=data["date"],
        language=data["language"],
        sentences=tuple(data["sentences"]),
        blocks=tuple((kind, text) for kind, text in data["blocks"]),
    )
    return int(data["chat"]), summary


class RedisTokens:
    """:class:`ButtonTokens` in Redis: one key per token, kept :data:`TOKEN_SECONDS`."""

    def __init__(self, redis: Any, prefix: str, *, seconds: int = TOKEN_SECONDS) -> None:
        self.redis = redis
        self.prefix = f"{prefix}token:"
        self.seconds = seconds

    async def add(self, chat_id: int, summary: PageSummary) -> str:
        token = secrets.token_urlsafe(12)
        await self.redis.set(self.prefix + token, _summary_json(chat_id, summary), ex=self.seconds)
        return token

    async def get(self, chat_id: int, token: str) -> PageSummary | None:
        if not token or len(token) > 64:
            return None
        found = await self.redis.get(self.prefix + token)
        if found is None:
            return None
        owner, summary = _summary_of(found)
        return summary if owner == chat_id else None


# -- per-chat quotas --------------------------------------------------------------------


class ChatQuotas(Protocol):
    """One request in flight and at most ``per_window`` starts per window, per chat."""

    async def admit(self, key: int) -> None:
        """Record a start for ``key``, or raise TooManyRequests (busy, or over)."""
        ...

    async def done(self, key: int) -> None:
        """The request of ``key`` finished (successfully or not)."""
        ...


class LocalQuotas:
    """:class:`ChatQuotas` in this process's memory (:class:`Quota`)."""

    def __init__(self, quota: Quota) -> None:
        self.quota = quota

    async def admit(self, key: int) -> None:
        self.quota.admit(key)

    async def done(self, key: int) -> None:
        self.quota.done(key)


# KEYS: 1 the chat's busy mark, 2 the chat's starts. ARGV: per window, window (ms),
# busy lease (ms), a unique member. Returns {0, 0} admitted, {1, 0} busy, {2, wait ms}.
ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local per_window = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 1 then return {1, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if redis.call('ZCARD', KEYS[2]) >= per_window then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {2, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('PEXPIRE', KEYS[2], window)
redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[3]))
return {0, 0}
"""


class RedisQuotas:
    """:class:`ChatQuotas` in Redis: one atomic script per admission."""

    def __init__(
        self,
        redis: Any,
        prefix: str,
        per_window: int,
        window: float = HOUR,
        *,
        busy_seconds: float = BUSY_SECONDS,
    ) -> None:
        if per_window < 1 or window <= 0:
            raise ValueError("per_window must be at least 1 and window positive")
        self.redis = redis
        self.prefix = f"{prefix}quota:"
        self.per_window = per_window
        self.window_ms = max(1, round(window * 1000))
        self.busy_ms = max(1, round(busy_seconds * 1000))
        self._admit = redis.register_script(ADMIT)

    async def admit(self, key: int) -> None:
        keys = [f"{self.prefix}busy:{key}", f"{self.prefix}starts:{key}"]
        args = [self.per_window, self.window_ms, self.busy_ms, secrets.token_hex(8)]
        status, wait_ms = await self._admit(keys=keys, args=args)
        if int(status) == 1:
            raise TooManyRequests(key, 0.0, busy=True)
        if int(status) == 2:
            raise TooManyRequests(key, max(0.0, int(wait_ms) / 1000))

    async def done(self, key: int) -> None:
        await self.redis.delete(f"{self.prefix}busy:{key}")


# -- group administrators ---------------------------------------------------------------


class LocalAdmins:
    """:class:`AdminAnswers` in this process's memory (:class:`AdminCache`)."""

    def __init__(self, cache: AdminCache | None = None) -> None:
        self.cache = cache if cache is not None else AdminCache()

    async def recall(self, chat_id: int, user_id: int) -> bool | None:
        return self.cache.get(chat_id, user_id)

    async def remember(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        self.cache.put(chat_id, user_id, is_admin)


class RedisAdmins:
    """:class:`AdminAnswers` in Redis: one key per (chat, user), expiring like in memory."""

    def __init__(
        self,
        redis: Any,
        prefix: str,
        *,
        admin_seconds: float = ADMIN_SECONDS,
        refusal_seconds: float = REFUSAL_SECONDS,
    ) -> None:
        self.redis = redis
        self.prefix = f"{prefix}admin:"
        self.admin_ms = max(1, round(admin_seconds * 1000))
        self.refusal_ms = max(1, round(refusal_seconds * 1000))

    async def recall(self, chat_id: int, user_id: int) -> bool | None:
        found = await self.redis.get(f"{self.prefix}{chat_id}:{user_id}")
        return None if found is None else found in (b"1", "1")

    async def remember(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        ttl = self.admin_ms if is_admin else self.refusal_ms
        await self.redis.set(f"{self.prefix}{chat_id}:{user_id}", "1" if is_admin else "0", px=ttl)
