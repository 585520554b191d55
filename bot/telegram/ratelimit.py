"""Rate limiting for everything the bot sends to Telegram.

Telegram's flood limits (Bot FAQ): about 30 messages a second overall (1,000 with paid
broadcasts), about one message a second in one chat (short bursts are tolerated) and 20 a
minute in one group. Exceeding them earns a 429 with ``retry_after``.

Two layers live here:

* :class:`Limiter` is pure bookkeeping with an injectable clock, no asyncio and no Telegram.
  ``reserve(chat_id)`` either grants a send time (and records it) or says how long the chat
  must wait first. It guarantees:

  - never more than ``max_per_second`` sends in ANY window of ``1 + margin`` seconds (a
    sliding-window log of the last ``max_per_second`` send times; the small margin absorbs
    the jitter between the moment we send and the moment Telegram counts the request);
  - paced sends (broadcasts) are spread evenly (``burst`` at once at most, default 1 % of
    the cap, then one every ``(1 + margin) / (max_per_second - reply_reserve)`` s), so
    they do not reach the server in clumps;
  - **replies overtake broadcasts.** Broadcasts leave ``reply_reserve`` places of every
    window to replies (``[telegram] reply_reserve``, a share of the cap: 10 %, at least
    one place) and yield whatever more replies take: a reply is counted in the log
    broadcasts are planned against, so the next broadcast's booking moves one place
    later. Broadcasts already booked keep their time, but ``admit`` counts a broadcast
    only when it may go at once (otherwise it waits and asks again), so a reply never
    queues behind broadcasts waiting for the window: it goes at once while the reserve
    has room, else at the window's next free place. Measured with bench/fanout.py
    --replies (docs/scale.md, "Replies overtake digests"), 1,500 digests at cap 30 and
    5 replies a second: replies p50 / p99 284 / 497 ms before, 2 / 34 ms with the 10 %
    reserve, 29 / 221 ms with the yielding alone (the log the window counts is uneven:
    a reply waits a few pace intervals for a place), 0 x 429. At 15 replies a second
    the p99 is 238 ms (859 before): bursts beyond the reserve wait behind each other.
    The reserve costs the fan-out its share of the cap while no reply comes (26.2
    instead of 29.2 msg/s at cap 30);
  - ``admit()`` re-checks the cap against the moments sends really start (a busy event
    loop can run a booked send late, bunched with later ones); sends it must hold back
    are booked ``window / max_per_second`` apart, in order, so a burst of replies over the
    cap leaves evenly spaced instead of in clumps of ``max_per_second`` per window;
  - ``begin()``/``end()`` bracket each request as it really goes: Telegram counts a
    message when it *arrives*, somewhere between the moment we started sending it and
    the moment its answer came back. Start times alone cannot see a request that was
    held up on its way (our event loop busy after the grant, the server's process not
    scheduled: on a loaded machine it then counts several at once), and the next
    window's sends, started on time, then arrive less than a second after it. So a send
    still counts until a second after its *answer* (less half the fastest round trip
    seen: the answer's way back), and a send begins only while fewer than
    ``max_per_second`` do; one still unanswered counts until it is. On a quiet line
    answers come within the margin and this never holds anything up; after a hold-up it
    delays the next window's sends by just the hold-up (measured with bench/burst.py);
  - per chat: a token bucket of ``chat_per_second`` with ``chat_burst`` at once (groups,
    i.e. negative chat ids, additionally ``group_per_minute``), each period ``chat_margin``
    seconds longer than the limit (default 0.05 s: replies paced at exactly 1/s reach the
    server a little closer than 1 s apart now and then). It is wider than the global
    margin because it is almost free: one chat's messages are few, whereas the global
    margin costs every digest fan-out its share of the cap;
  - ``penalize(chat_id, retry_after)`` after a 429 blocks that chat for ``retry_after`` and
    pauses everyone for at most ``global_pause`` seconds: a 429 can mean the global limit
    (then one window of silence clears it) or a per-chat flood (then unrelated chats must
    not wait its whole ``retry_after``).

  **The margin widens on 429s and recovers.** Each 429 widens the window's margin by
  ``margin_step`` (up to ``max_margin``): the server saw more jitter than we allowed for.
  It steps back by ``margin_step`` for every ``quiet_spell`` seconds without a 429
  (``recover_after``, default 5 s), down to ``margin``: 429s usually come from a passing
  cause (a clumped burst, a busy machine), and a margin kept for good would cost every
  later digest its share (at 0.1 s, 9 % of the cap for ever). A linear step rather than
  halving: each step undoes exactly one 429's widening, so the margin retraces the path
  it came, from 0.1 back to 0.03 in 35 s. If a 429 comes within one quiet spell of a
  step back, that step was premature (the server really needs the wider margin): the
  quiet spell doubles, up to ``max_recover_after`` (300 s), so a lasting cause draws
  fewer and fewer 429s (after 5, 10, 20 ... 300 s) instead of one every few seconds.
  After a whole quiet spell at ``margin`` the spell is back to ``recover_after``. All of
  it is computed from the clock when the limiter is asked (no timer).

* :class:`TelegramRateLimiter` plugs the limiter into python-telegram-bot as a
  ``BaseRateLimiter``: every request that names a ``chat_id`` (replies, digests, edits) waits
  for its slot; a 429 is honoured by waiting and retrying up to ``max_retries`` times, then
  re-raised. Replies to users go out at once while the cap allows; digest fan-outs
  (``rate_limit_args=Priority.BROADCAST``) are paced, so they never arrive in clumps and
  leave room for replies. Requests without a chat (getMe, setMyCommands,
  answerCallbackQuery) are not throttled. PTB never routes getUpdates through a rate limiter.
  With several processes (``[cluster] redis_url``), each send is first booked in the
  rates they share (:mod:`bot.cluster.limiter`), then held to this process's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import heapq
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot.telegram.ptb import retry_after_seconds

if TYPE_CHECKING:
    from bot.cluster.limiter import SharedLimiter

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True)
class Grant:
    """Answer of :meth:`Limiter.reserve`.

    ``granted``: the send is booked for time ``at`` (the caller sleeps until then and sends).
    Not granted: the chat is over its own limit; ask again at ``at``.
    """

    granted: bool
    at: float


class _Bucket:
    """GCRA token bucket: ``rate`` per second, ``burst`` at once, each send ``margin``
    seconds later than the rate alone would allow. ``tat`` = theoretical arrival time; a
    send at ``t`` conforms when ``t >= tat - (burst - 1) * interval``."""

    __slots__ = ("burst", "interval", "tat")

    def __init__(self, rate: float, burst: int, margin: float = 0.0) -> None:
        self.interval = 1.0 / rate + margin
        self.burst = max(1, burst)
        self.tat = float("-inf")

    def earliest(self, now: float) -> float:
        at = self.tat - (self.burst - 1) * self.interval
        # Tolerate float rounding of the repeated additions in `record`.
        return now if at <= now + 1e-9 else at

    def record(self, at: float) -> None:
        self.tat = max(self.tat, at) + self.interval

    def block_until(self, until: float) -> None:
        # Earliest conforming time becomes `until`, with no burst credit left.
        self.tat = max(self.tat, until + (self.burst - 1) * self.interval)

    def idle(self, now: float) -> bool:
        """True when the bucket is full again: forgetting it changes nothing."""
        return self.tat <= now


class _Window:
    """Sliding-window log: at most ``limit`` events in any ``period`` seconds."""

    __slots__ = ("log", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.log: deque[float] = deque(maxlen=max(1, limit))
        self.period = period

    def earliest(self, now: float) -> float:
        if len(self.log) < (self.log.maxlen or 1):
            return now
        return max(now, self.log[0] + self.period)

    def record(self, at: float) -> None:
        # Keep the log sorted even if an unpaced send was booked before a paced one.
        self.log.append(max(at, self.log[-1]) if self.log else at)

    def block_until(self, until: float) -> None:
        self.log.extend([until - self.period] * (self.log.maxlen or 1))

    def idle(self, now: float) -> bool:
        return not self.log or self.log[-1] + self.period <= now


class Limiter:
    """Pure sliding-window + per-chat limiter (see module docstring). Not thread-safe; meant
    for one event loop, where each ``reserve`` call is atomic."""

    def __init__(
        self,
        max_per_second: float = 30.0,
        *,
        chat_per_second: float = 1.0,
        chat_burst: int = 3,
        group_per_minute: float = 20.0,
        burst: int | None = None,
        chat_margin: float = 0.05,
        margin: float = 0.03,
        margin_step: float = 0.01,
        max_margin: float = 0.1,
        recover_after: float = 5.0,
        max_recover_after: float = 300.0,
        global_pause: float = 1.0,
        reply_reserve: int = 0,
        clock: Clock = time.monotonic,
    ) -> None:
        if max_per_second <= 0:
            raise ValueError("max_per_second must be positive")
        self.window = 1.0 + margin
        self.base_margin = margin
        self.margin_step = margin_step
        self.max_margin = max(margin, max_margin)
        self.recover_after = recover_after
        self.max_recover_after = max(recover_after, max_recover_after)
        # The quiet spell that earns one step back (doubles after a premature step).
        self.quiet_spell = recover_after
        self._narrow_at = float("inf")  # when the next step back is due
        self._narrowed_at = float("-inf")  # when the margin last stepped back
        self.limit = max(1, int(max_per_second))
        # Places of each window broadcasts leave to replies (at least one stays theirs).
        self.reply_reserve = min(max(0, reply_reserve), self.limit - 1)
        self.paced_limit = self.limit - self.reply_reserve
        # Pace at `paced_limit` per `window`, with at most 1 % of a second's worth at once. A big
        # burst comes back one window later (the log frees its slots together) and reaches
        # the server bunched: measured at 1,000/s, a burst of 100 drew 429s, 10 none.
        self.burst = burst if burst is not None else max(1, self.limit // 100)
        self.chat_per_second = chat_per_second
        self.chat_burst = chat_burst
        self.chat_margin = chat_margin
        self.group_per_minute = group_per_minute
        self.global_pause = global_pause
        self.clock = clock
        self._log: deque[float] = deque(maxlen=self.limit)
        self._sent: deque[float] = deque(maxlen=self.limit)
        self._pace = _Bucket(self.paced_limit / self.window, self.burst)
        self._chats: dict[int | str, tuple[_Bucket | _Window, ...]] = {}
        self._blocked_until = float("-inf")
        self._reservations = 0
        # Requests under way (begun, not answered) and the answer times of those that
        # may still count in Telegram's window (a heap), and the fastest round trip seen.
        self._in_flight = 0
        self._answered: list[float] = []
        self._fastest = float("inf")
        self._answers = 0

    # -- per chat -------------------------------------------------------------------------
    def _buckets(self, chat_id: int | str) -> tuple[_Bucket | _Window, ...]:
        buckets = self._chats.get(chat_id)
        if buckets is None:
            buckets = (_Bucket(self.chat_per_second, self.chat_burst, self.chat_margin),)
            if _is_group(chat_id):
                # At most 20 in any minute (a token bucket would allow 2 x 20 in one minute).
                buckets += (_Window(int(self.group_per_minute), 60.0 + self.chat_margin),)
            self._chats[chat_id] = buckets
        return buckets

    def _forget_idle_chats(self, now: float) -> None:
        # Keeps memory flat with 100,000 chats: a full bucket carries no information.
        idle = [c for c, bs in self._chats.items() if all(b.idle(now) for b in bs)]
        for chat_id in idle:
            del self._chats[chat_id]

    # -- the window's margin ------------------------------------------------------------
    @property
    def margin(self) -> float:
        """The current margin: ``window - 1`` seconds."""
        return self.window - 1.0

    def current_margin(self, now: float | None = None) -> float:
        """The margin as of ``now``, after the steps back due by then (``margin`` is the
        one last applied: it catches up lazily, whenever the limiter is asked)."""
        now = self.clock() if now is None else now
        self._relax(now)
        return self.margin

    def _set_margin(self, margin: float) -> None:
        self.window = 1.0 + margin
        self._pace.interval = self.window / self.paced_limit

    def _relax(self, now: float) -> None:
        """Step the margin back towards ``margin`` for each quiet spell since the last 429
        (or the last step). Lazy: applied whenever the limiter is asked, no timer."""
        while now >= self._narrow_at:
            if self.window - 1.0 > self.base_margin + 1e-9:
                self._narrowed_at = self._narrow_at
                self._set_margin(max(self.base_margin, self.margin - self.margin_step))
                self._narrow_at += self.quiet_spell
            else:
                # A whole quiet spell at the base margin: the trouble has passed, and the
                # next one starts again from the short spell.
                self.quiet_spell = self.recover_after
                self._narrow_at = float("inf")

    # -- public ---------------------------------------------------------------------------
    @property
    def blocked_until(self) -> float:
        """Global pause after a 429 (clock time); sends booked before it must re-book."""
        return self._blocked_until

    def reserve(
        self, chat_id: int | str | None, now: float | None = None, *, paced: bool = True
    ) -> Grant:
        """Book a send for ``chat_id`` (``None``: only the global limit applies).

        ``paced=False`` (a reply to a user) books only the chat's limit and any global
        pause: it may go at once, and ``admit`` alone holds it to the global cap. Paced
        sends (broadcasts) are also spread evenly and planned against the window."""
        now = self.clock() if now is None else now
        if now >= self._narrow_at:
            self._relax(now)
        buckets: tuple[_Bucket | _Window, ...] = ()
        if chat_id is not None:
            buckets = self._buckets(chat_id)
            chat_at = max(b.earliest(now) for b in buckets)
            if chat_at > now:
                return Grant(False, chat_at)
        self._reservations += 1
        if self._reservations % 4096 == 0:
            self._forget_idle_chats(now)
        if not paced:
            at = max(now, self._blocked_until)
            for bucket in buckets:
                bucket.record(at)
            self._plan_reply(at)
            return Grant(True, at)
        at = max(now, self._blocked_until, self._pace.earliest(now))
        log = self._log
        if len(log) >= self.paced_limit:
            # The send `paced_limit` places back (replies included) must have left the
            # window: the reserve stays free, and what replies took more is yielded.
            at = max(at, log[-self.paced_limit] + self.window)
        if log:
            at = max(at, log[-1])  # the log stays sorted
        log.append(at)
        self._pace.record(at)
        for bucket in buckets:
            bucket.record(at)
        return Grant(True, at)

    def _plan_reply(self, at: float) -> None:
        """Count a reply in the log broadcasts are planned against, in time order: later
        broadcasts yield the slot it took. (Broadcasts already booked after ``at`` keep
        their time; ``admit`` holds them back if the reply filled their window.)"""
        log = self._log
        if len(log) == self.limit:
            if at <= log[0]:
                return  # older than every booking that still matters
            log.popleft()
        index = len(log)
        while index and log[index - 1] > at:
            index -= 1
        log.insert(index, at)

    def admit(self, now: float | None = None, *, paced: bool = False) -> float:
        """Last check at the moment of sending: how long to wait before the send starts,
        0.0 to send now.

        Bookings are made ahead of time; a busy event loop can run a booked send late and
        bunch it with later ones, and this keeps the cap true of real sends: at most
        ``max_per_second`` in any window, replies and broadcasts together.

        A reply is counted (booked) either way: the caller sleeps that long and sends,
        without asking again. Replies that must wait for the window are spread
        ``window / max_per_second`` apart and keep their order: otherwise a burst of
        replies over the cap would go out in clumps of ``max_per_second`` one window after
        the other, and arrival jitter between two clumps draws 429s (bench/burst.py).

        A ``paced`` send (a broadcast, already spread by ``reserve``) is counted only
        when it may go now; otherwise the caller waits and asks again. So a reply never
        queues behind broadcasts waiting for the window: it goes at once while the reply
        reserve has room, else at the next free place, and the broadcasts that wanted it
        ask again behind it. Broadcasts are only held to the
        window, not spread again: that would add every late start's delay to all later
        ones for good (measured: 600 instead of 850 msg/s at cap 1,000)."""
        now = self.clock() if now is None else now
        if now >= self._narrow_at:
            self._relax(now)
        sent = self._sent
        at = now
        if sent:
            if sent[-1] > now:  # replies already waiting: queue behind them, spaced
                at = sent[-1] + (self.window / self.limit if paced else 0.0)
            room = self.paced_limit if paced else self.limit
            if len(sent) >= room:
                at = max(at, sent[-room] + self.window)
            if at > now + 1e-9 and not paced:
                at = max(at, sent[-1] + self.window / self.limit)
        if at <= now + 1e-9:
            sent.append(now)
            return 0.0
        if not paced:
            sent.append(at)
        return at - now

    def begin(self, now: float | None = None) -> float:
        """The moment a request really starts: 0.0 when it may go (it is then counted
        under way until :meth:`end`), else how long to wait before asking again.

        A request may count in Telegram's window until a second after its answer came
        back (less the answer's way back, half the fastest round trip seen), or for as
        long as it is unanswered; at most ``max_per_second`` such may be counted. The
        caller waits and asks again (the wait is a bound: an answer may free a place)."""
        now = self.clock() if now is None else now
        if now < self._blocked_until:
            return self._blocked_until - now
        # The answer's way back: half the fastest round trip, once enough were seen for
        # the fastest to be the line's (a slow start must not pass for the line's speed).
        back = min(self._fastest / 2, MAX_WAY_BACK) if self._answers >= ROUND_TRIPS_SEEN else 0.0
        horizon = now - 1.0 + back  # answered at or before this: no longer counted
        answered = self._answered
        while answered and answered[0] <= horizon:
            heapq.heappop(answered)
        if self._in_flight + len(answered) < self.limit:
            self._in_flight += 1
            return 0.0
        if answered:
            return max(answered[0] - horizon, 1e-3)
        return UNANSWERED_POLL  # every counted request is still under way

    def end(self, started: float, now: float | None = None) -> None:
        """The request begun (:meth:`begin`) at ``started`` got its answer (or failed)."""
        now = self.clock() if now is None else now
        self._in_flight = max(0, self._in_flight - 1)
        self._fastest = min(self._fastest, max(0.0, now - started))
        self._answers += 1
        heapq.heappush(self._answered, now)

    def penalize(self, chat_id: int | str | None, retry_after: float, now: float | None = None):
        """A 429 said: wait ``retry_after`` seconds. Block the chat that long, everyone else
        for at most ``global_pause`` seconds."""
        now = self.clock() if now is None else now
        if chat_id is not None:
            for bucket in self._buckets(chat_id):
                bucket.block_until(now + retry_after)
        self._blocked_until = max(self._blocked_until, now + min(retry_after, self.global_pause))
        # A 429 also says our idea of the window was too optimistic (the server counts
        # arrivals, which network and scheduling jitter bunch together): widen the
        # window a little, up to `max_margin`, then step back after quiet spells.
        self._relax(now)
        if now - self._narrowed_at < self.quiet_spell:
            # The last step back came too soon: take twice as long over the next one.
            self.quiet_spell = min(2 * self.quiet_spell, self.max_recover_after)
            self._narrowed_at = float("-inf")  # once per step
        self._set_margin(min(self.margin + self.margin_step, self.max_margin))
        self._narrow_at = now + self.quiet_spell


def _is_group(chat_id: int | str) -> bool:
    # Groups and channels have negative ids; "@channelname" strings are channels too.
    return isinstance(chat_id, str) or chat_id < 0


def _chat_key(data: dict[str, Any]) -> int | str | None:
    chat_id = data.get("chat_id")
    if chat_id is None:
        return None
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)


class Priority(enum.Enum):
    """``rate_limit_args`` of a call: how it may use the global budget."""

    INTERACTIVE = "interactive"  # a reply to a user: may go at once (within the cap)
    BROADCAST = "broadcast"  # a digest fan-out: paced evenly at the cap


@dataclass(frozen=True, slots=True)
class Leased:
    """``rate_limit_args`` of a digest message claimed from a shared outbox for a while:
    paced like :attr:`Priority.BROADCAST`, and never started after ``until`` (seconds
    since the epoch) -- another process may then have claimed it -- but dropped from
    this call with :class:`LeaseExpired` (it stays in the outbox)."""

    until: float


class LeaseExpired(TelegramError):
    """A leased message waited for its turn past its lease: not sent by this process."""

    def __init__(self) -> None:
        super().__init__("lease expired before the message's turn")


# Calls that send no message: never held back for a chat's limits (a global pause after
# a 429 still applies). Deleting a message (a channel's one-line answer, see
# bot.telegram.handlers.channels) is no message in the chat either.
UNMETERED = frozenset({"sendchataction", "deletemessage"})

# How often a send waiting for an unanswered request asks again (Limiter.begin).
UNANSWERED_POLL = 0.005
# Limiter.begin takes an answer's way back as half the fastest of at least this many
# round trips, and never as more than MAX_WAY_BACK seconds. Before that, none: the first
# answers after start-up come slowly (a busy machine, a server busy with the backlog),
# and their delays are one-sided -- held up on the way in, answered at once -- so half
# of a slow round trip is no lower bound of the way back.
ROUND_TRIPS_SEEN = 256
MAX_WAY_BACK = 0.1

# The window margin by cap (see TelegramRateLimiter.from_config).
BASE_MARGIN = 0.03
HIGH_CAP = 100.0
HIGH_CAP_MARGIN = 0.05


def reply_places(max_messages_per_second: float, share: float) -> int:
    """The places of each window broadcasts leave to replies: ``share`` of the cap, at
    least one when ``share`` is above 0."""
    if share <= 0:
        return 0
    return max(1, int(share * max(1, int(max_messages_per_second))))


class ReplyDropped(TelegramError):
    """A reply that was still waiting for its turn when the bot began to stop."""

    def __init__(self) -> None:
        super().__init__("reply dropped: the bot is stopping")


class TelegramRateLimiter(BaseRateLimiter[Priority | Leased]):
    """python-telegram-bot rate limiter backed by :class:`Limiter`.

    Calls default to :attr:`Priority.INTERACTIVE`; the outbox sender passes
    ``rate_limit_args=Priority.BROADCAST``. Both count towards the same global cap and
    per-chat limits.
    """

    def __init__(
        self,
        limiter: Limiter | None = None,
        *,
        max_retries: int = 5,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
    ) -> None:
        self.limiter = limiter if limiter is not None else Limiter()
        self.max_retries = max_retries
        self._sleep = sleep
        self._closing = asyncio.Event()
        self.dropped = 0  # replies dropped because the bot was stopping
        self.retry_after_count = 0
        # Called on every 429 the Bot API answers (metrics).
        self.on_retry_after: Callable[[], object] | None = None
        # The rates several processes share (bot.cluster.limiter), booked before this
        # process's own; None: one process.
        self.shared: SharedLimiter | None = None

    @classmethod
    def from_config(
        cls,
        max_messages_per_second: float,
        chat_messages_per_second: float = 1.0,
        *,
        reply_reserve: float = 0.0,
        **kwargs: Any,
    ) -> TelegramRateLimiter:
        """The bot's limiter for ``[telegram] max_messages_per_second`` and
        ``chat_messages_per_second``. Jitter between the grant and the arrival at
        Telegram is counted in messages: 30 ms is one message at 30 msg/s but thirty at
        1,000, so a high cap gets a wider margin (measured: at cap 1,000, 30 ms drew a
        single 429 in two of six fan-outs). ``reply_reserve``: the share of the cap
        broadcasts leave to replies (``[telegram] reply_reserve``; above 0, at least one
        place a window)."""
        margin = HIGH_CAP_MARGIN if max_messages_per_second >= HIGH_CAP else BASE_MARGIN
        limiter = Limiter(
            max_messages_per_second,
            chat_per_second=chat_messages_per_second,
            margin=margin,
            reply_reserve=reply_places(max_messages_per_second, reply_reserve),
        )
        return cls(limiter, **kwargs)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def close(self) -> None:
        """The bot is stopping: replies still waiting for their turn (and any asked for
        from now on) fail at once with :class:`ReplyDropped` instead of leaving at the
        cap's pace; broadcasts (the outbox, which keeps them) wait as before."""
        self._closing.set()

    async def _pause(self, delay: float, paced: bool) -> None:
        """Sleep ``delay`` s; a reply (not ``paced``) wakes and is dropped on close()."""
        if paced:
            await self._sleep(delay)
            return
        if self._closing.is_set():
            raise ReplyDropped()
        if self._sleep is not asyncio.sleep:  # an injected clock: no waking early
            await self._sleep(delay)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
        if self._closing.is_set():
            raise ReplyDropped()

    async def acquire(self, chat_id: int | str | None, paced: bool = False) -> None:
        """Wait until a send to ``chat_id`` is allowed (and book it)."""
        limiter = self.limiter
        if not paced and self._closing.is_set():
            raise ReplyDropped()
        if self.shared is not None:
            await self.shared.acquire(chat_id, paced, lambda delay: self._pause(delay, paced))
        while True:
            grant = limiter.reserve(chat_id, paced=paced)
            delay = grant.at - limiter.clock()
            if delay > 0:
                await self._pause(delay, paced)
            if not grant.granted:
                continue
            if limiter.blocked_until > grant.at:
                # A 429 arrived while we slept: this booking predates it, book again.
                continue
            wait = limiter.admit(paced=paced)
            while wait > 0:
                start = limiter.clock() + wait
                await self._pause(wait, paced)
                if limiter.blocked_until > start:
                    break  # the same after waiting for the window
                # A reply is booked by admit(); a broadcast asks again (a reply may have
                # taken the place it waited for).
                wait = limiter.admit(paced=True) if paced else 0.0
            if wait > 0:
                continue
            # The last word: what is still under way or just answered (see begin).
            while (hold := limiter.begin()) > 0:
                await self._pause(hold, paced)
            return

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Priority | Leased | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Throttle, call, and honour 429s (see class docstring)."""
        max_retries = self.max_retries
        lease = rate_limit_args if isinstance(rate_limit_args, Leased) else None
        paced = rate_limit_args is Priority.BROADCAST or lease is not None
        # A chat action ("typing…") or a deletion is no message: it takes nothing of the
        # chat's budget.
        chat_id = None if endpoint.lower() in UNMETERED else _chat_key(data)
        attempt = 0
        while True:
            if chat_id is not None:
                try:
                    await self.acquire(chat_id, paced)
                except ReplyDropped:
                    self.dropped += 1
                    raise
            else:
                # Unthrottled, but a global pause after a 429 applies to everyone.
                pause = self.limiter.blocked_until - self.limiter.clock()
                if pause > 0:
                    await self._sleep(pause)
            if lease is not None and time.time() > lease.until:
                raise LeaseExpired()
            started = self.limiter.clock()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.retry_after_count += 1
                if self.on_retry_after is not None:
                    self.on_retry_after()
                wait = retry_after_seconds(exc)
                self.limiter.penalize(chat_id, wait)
                if self.shared is not None:
                    await self.shared.penalize_quietly(chat_id, wait)
                if attempt >= max_retries:
                    raise
                attempt += 1
                log.info(
                    "%s to chat %s: flood control, retrying in %.1f s (attempt %d of %d)",
                    endpoint,
                    chat_id,
                    wait,
                    attempt,
                    max_retries,
                )
            finally:
                if chat_id is not None:
                    self.limiter.end(started)
