"""The send rates every process of one bot shares: Telegram's global cap and each chat's
limit, booked in Redis by one atomic Lua script.

:class:`bot.telegram.ratelimit.Limiter` keeps the rates of one process; with several,
each would allow the whole cap and together they would exceed it. :class:`SharedLimiter`
books every send in Redis first (``TelegramRateLimiter`` asks it before its own
limiter), with the same rules and margins as the process's limiter:

* global: never more than ``limit`` sends booked in any window of ``window`` seconds
  (``1 + margin``): a log of the last ``limit`` booked times, in time order. Paced sends
  (digests) leave ``reply_reserve`` places of each window to replies and yield what
  replies took (they count every booking in the log): never more than ``limit -
  reply_reserve`` bookings in a window with theirs, spread evenly, ``burst`` at once at
  most (a GCRA bucket of ``(limit - reply_reserve) / window`` a second), and never before
  the last booking. A reply overtakes the digests booked ahead of it -- booked now, in
  its place in the log -- when every window it falls in has room (the reserve sees to
  that); otherwise it is booked after the last booking, ``window / limit`` after it
  when it must wait: the same rule as the process's limiter;
* per chat: a GCRA bucket of ``chat_per_second`` with ``chat_burst`` at once, each
  period ``chat_margin`` longer; groups also at most ``group_per_minute`` in any
  ``60 + chat_margin`` seconds. A chat over its limit is told when to ask again;
* ``penalize`` after a 429 blocks the chat for ``retry_after`` and everyone for at most
  ``global_pause`` seconds, in every process.

The time is Redis's (``TIME``), so the processes' clocks need not agree; the script
returns how long the caller waits. One round trip per send: measured by
bench/shared_limiter.py (docs/cluster.md). If Redis cannot be reached, sends go on
under the process's own limiter (one warning, then one line when Redis is back):
digests are late rather than lost, and the cap may be exceeded only while Redis is down.

Why a script of our own: Telegram's rules (a sliding window, per-chat buckets, group
windows, a global pause) are not one of the generic limiters' shapes, and a single
script keeps a booking one round trip.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

__all__ = ["SharedGrant", "SharedLimiter"]

log = logging.getLogger(__name__)

# KEYS: 1 the log of booked times, 2 the pace bucket, 3 the global pause, 4 the chat's
# bucket, 5 the group's window. ARGV: limit, window, pace interval, burst, paced,
# chat (0/1), chat interval, chat burst, group limit (0: not a group), group period,
# the places a paced send leaves free (the reply reserve).
# Times are seconds since EPOCH on Redis's clock. Returns {granted, wait, at} as strings.
RESERVE = """
local t = redis.call('TIME')
local now = (tonumber(t[1]) - 1700000000) + tonumber(t[2]) / 1000000
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local pace = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local paced = ARGV[5] == '1'
local chat = ARGV[6] == '1'
local chat_interval = tonumber(ARGV[7])
local chat_burst = tonumber(ARGV[8])
local group_limit = tonumber(ARGV[9])
local group_period = tonumber(ARGV[10])
local reserve = tonumber(ARGV[11])
local tat = nil
if chat then
  tat = tonumber(redis.call('GET', KEYS[4]) or '-1e12')
  local chat_at = tat - (chat_burst - 1) * chat_interval
  if group_limit > 0 and redis.call('LLEN', KEYS[5]) >= group_limit then
    chat_at = math.max(chat_at, tonumber(redis.call('LINDEX', KEYS[5], 0)) + group_period)
  end
  if chat_at > now + 1e-9 then
    return {'0', tostring(chat_at - now), tostring(chat_at)}
  end
end
local at = math.max(now, tonumber(redis.call('GET', KEYS[3]) or '-1e12'))
local last = redis.call('LINDEX', KEYS[1], -1)
local count = redis.call('LLEN', KEYS[1])
local keep = math.ceil((window + 60) * 1000)
local before = nil  -- a reply overtaking bookings ahead: the first booking after it
if not paced and last and tonumber(last) > at then
  -- Every window the reply falls in must keep room: the one ending at it and those
  -- ending at each later booking less than a window after it.
  local log = redis.call('LRANGE', KEYS[1], 0, -1)
  local times = {}
  for i = 1, #log do times[i] = tonumber(log[i]) end
  local n = 0  -- bookings at or before `at`
  while n < #times and times[n + 1] <= at do n = n + 1 end
  if n >= limit then at = math.max(at, times[n - limit + 1] + window) end
  while n < #times and times[n + 1] <= at do n = n + 1 end
  -- (The log keeps the last `limit` bookings: it must reach back a window before.)
  local fits = n < #times and (n < limit or times[n - limit + 1] <= at - window)
    and (count < limit or times[1] <= at - window)
  local first = 1
  for j = n + 1, #times do
    if times[j] >= at + window then break end
    while times[first] <= times[j] - window do first = first + 1 end
    if j - first + 2 > limit then fits = false break end
  end
  if fits then before = log[n + 1] end
end
if before then
  redis.call('LINSERT', KEYS[1], 'BEFORE', before, tostring(at))
else
  if last then
    last = tonumber(last)
    if last > at then at = last end
  end
  if count >= limit then
    at = math.max(at, tonumber(redis.call('LINDEX', KEYS[1], -limit)) + window)
  end
  if paced then
    local room = limit - reserve
    if count >= room then
      at = math.max(at, tonumber(redis.call('LINDEX', KEYS[1], -room)) + window)
    end
    local ptat = tonumber(redis.call('GET', KEYS[2]) or '-1e12')
    at = math.max(at, ptat - (burst - 1) * pace)
    redis.call('SET', KEYS[2], tostring(math.max(ptat, at) + pace), 'PX', keep)
  elseif last and at > now + 1e-9 then
    at = math.max(at, last + window / limit)
  end
  redis.call('RPUSH', KEYS[1], tostring(at))
end
if count + 1 > limit then redis.call('LTRIM', KEYS[1], -limit, -1) end
redis.call('PEXPIRE', KEYS[1], keep)
if chat then
  local chat_keep = math.ceil((chat_burst * chat_interval + group_period + 60) * 1000)
  redis.call('SET', KEYS[4], tostring(math.max(tat, at) + chat_interval), 'PX', chat_keep)
  if group_limit > 0 then
    redis.call('RPUSH', KEYS[5], tostring(at))
    redis.call('LTRIM', KEYS[5], -group_limit, -1)
    redis.call('PEXPIRE', KEYS[5], chat_keep)
  end
end
return {'1', tostring(at - now), tostring(at)}
"""

# KEYS: 1 the global pause, 2 the chat's bucket (absent: no chat). ARGV: retry after,
# global pause, chat burst, chat interval. Returns Redis's time.
PENALIZE = """
local t = redis.call('TIME')
local now = (tonumber(t[1]) - 1700000000) + tonumber(t[2]) / 1000000
local retry = tonumber(ARGV[1])
local until_all = now + math.min(retry, tonumber(ARGV[2]))
local old = tonumber(redis.call('GET', KEYS[1]) or '-1e12')
if until_all > old then
  redis.call('SET', KEYS[1], tostring(until_all), 'PX', math.ceil(retry * 1000) + 1000)
end
if #KEYS > 1 then
  local burst = tonumber(ARGV[3])
  local interval = tonumber(ARGV[4])
  local tat = tonumber(redis.call('GET', KEYS[2]) or '-1e12')
  local blocked = now + retry + (burst - 1) * interval
  if blocked > tat then
    redis.call('SET', KEYS[2], tostring(blocked), 'PX', math.ceil((retry + 120) * 1000))
  end
end
return tostring(now)
"""

# Redis's clock in the scripts counts from here (keeps the numbers short).
EPOCH = 1_700_000_000


@dataclass(frozen=True, slots=True)
class SharedGrant:
    """A booking: ``granted`` (send after ``wait`` seconds) or not (the chat is over its
    limit: ask again after ``wait``). ``at``: the booked time, on Redis's clock in seconds
    since the epoch (for tests and benchmarks)."""

    granted: bool
    wait: float
    at: float


class SharedLimiter:
    """The bot's global and per-chat send rates, shared in Redis (module docstring)."""

    def __init__(
        self,
        redis: Any,
        prefix: str,
        max_per_second: float = 30.0,
        *,
        margin: float = 0.03,
        burst: int | None = None,
        chat_per_second: float = 1.0,
        chat_burst: int = 3,
        chat_margin: float = 0.05,
        group_per_minute: float = 20.0,
        global_pause: float = 1.0,
        reply_reserve: int = 0,
    ) -> None:
        if max_per_second <= 0:
            raise ValueError("max_per_second must be positive")
        self.redis = redis
        self.prefix = f"{prefix}rate:"
        self.limit = max(1, int(max_per_second))
        self.window = 1.0 + margin
        self.burst = burst if burst is not None else max(1, self.limit // 100)
        # Places of each window digests leave to replies (at least one stays theirs).
        self.reply_reserve = min(max(0, reply_reserve), self.limit - 1)
        self.chat_interval = 1.0 / chat_per_second + chat_margin
        self.chat_burst = max(1, chat_burst)
        self.group_limit = max(1, int(group_per_minute))
        self.group_period = 60.0 + chat_margin
        self.global_pause = global_pause
        self._reserve = redis.register_script(RESERVE)
        self._penalize = redis.register_script(PENALIZE)
        self.down = False  # Redis could not be reached at the last call

    def _keys(self, chat_id: int | str | None) -> list[str]:
        p = self.prefix
        chat = "" if chat_id is None else str(chat_id)
        return [f"{p}log", f"{p}pace", f"{p}pause", f"{p}chat:{chat}", f"{p}group:{chat}"]

    async def reserve(self, chat_id: int | str | None, *, paced: bool = True) -> SharedGrant:
        """Book a send for ``chat_id`` (None: only the global cap); see the module
        docstring. Raises ``redis.RedisError`` (or OSError) when Redis cannot answer."""
        group = chat_id is not None and (isinstance(chat_id, str) or chat_id < 0)
        args = [
            self.limit,
            repr(self.window),
            repr(self.window / (self.limit - self.reply_reserve)),
            self.burst,
            int(paced),
            int(chat_id is not None),
            repr(self.chat_interval),
            self.chat_burst,
            self.group_limit if group else 0,
            repr(self.group_period),
            self.reply_reserve,
        ]
        granted, wait, at = await self._reserve(keys=self._keys(chat_id), args=args)
        return SharedGrant(granted in (b"1", "1"), max(0.0, float(wait)), float(at) + EPOCH)

    async def penalize(self, chat_id: int | str | None, retry_after: float) -> float:
        """A 429 said: wait ``retry_after`` seconds (every process honours it). Returns
        the moment the wait began, on Redis's clock (seconds since the epoch)."""
        keys = self._keys(chat_id)
        chosen = [keys[2]] if chat_id is None else [keys[2], keys[3]]
        args = [repr(retry_after), repr(self.global_pause), self.chat_burst, self.chat_interval]
        return float(await self._penalize(keys=chosen, args=args)) + EPOCH

    async def acquire(
        self,
        chat_id: int | str | None,
        paced: bool,
        pause: Callable[[float], Awaitable[None]],
    ) -> None:
        """Book a send, waiting with ``pause(seconds)`` for its time (and for the chat
        while it is over its limit). Returns at once while Redis cannot be reached."""
        while True:
            try:
                grant = await self.reserve(chat_id, paced=paced)
            except (RedisError, OSError) as exc:
                self.went_down(exc)
                return
            self.came_back()
            if grant.wait > 0:
                await pause(grant.wait)
            if grant.granted:
                return

    async def penalize_quietly(self, chat_id: int | str | None, retry_after: float) -> None:
        """:meth:`penalize`, a Redis failure only noted (the process still honours it)."""
        try:
            await self.penalize(chat_id, retry_after)
        except (RedisError, OSError) as exc:
            self.went_down(exc)

    def went_down(self, exc: BaseException) -> None:
        """Redis failed: say so once (sends go on under the process's own limiter)."""
        if not self.down:
            log.warning(
                "shared send rates: Redis cannot be reached (%s); each process keeps its"
                " own rates until it is back: check [cluster] redis_url",
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )
        self.down = True

    def came_back(self) -> None:
        if self.down:
            log.info("shared send rates: Redis reachable again")
        self.down = False
