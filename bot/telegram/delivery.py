"""The outbox sender: drains queued digest messages to Telegram, at its limits, losing none.

Scheduled digests are queued in the store's outbox (``Store.queue_digest``); a
:class:`Sender` sends them. Interface (for the bot's start-up and digest job)::

    sender = Sender(bot, store)   # bot: a PTB Bot/ExtBot, ideally with TelegramRateLimiter
    sender.start()                # in post_init: starts the background task
    sender.notify()               # after queuing digests: look at the outbox now
    await sender.wait_idle()      # (tests, benchmarks) until the outbox is empty
    await sender.stop()           # in post_stop: graceful, within `stop_timeout` s

How it sends:

* It asks the store for due items (only the oldest pending item of each chat is ever
  due, so a chat's messages go out one at a time and in order, those of all its forum
  topics together: Telegram's per-chat limit is the chat's) and sends up to
  ``concurrency`` of them at once (``bot.telegram.ptb.send_html``: ``sendMessage``, HTML, the
  answer kept as JSON; an item of a forum topic's own subscription with
  ``message_thread_id`` = its topic). The subscriber's /settings, as they are when the
  item is sent, choose ``disable_notification`` (silent) and link previews (off unless
  turned on). The bot's rate limiter spaces them (global
  sliding-window cap, per-chat limit, 429s).
* An item is marked sent (deleted, its articles recorded as delivered, one transaction)
  only after Telegram answered, and the chat's next item is sent only after that mark is
  committed. So a crash or ``kill -9`` at any moment repeats at most the one message in
  flight per chat, and loses nothing: the outbox is the truth and a restart resumes it.
* Several processes on one outbox (``lease_seconds``, PostgreSQL): each claims the
  items it fetches for the lease (``Store.due_outbox``), a chat's next item stays behind
  the claimed one, and a message whose turn (rate limits) comes later than
  :data:`LEASE_MARGIN` before the lease ends is not sent by this process
  (:class:`~bot.telegram.ratelimit.Leased`): it is due again for whichever process
  claims it next. A process killed mid-send leaves its claimed items to the others
  after the lease: at most the one message in flight per chat is sent twice.

Error policy (``BadRequest`` subclasses ``NetworkError``: it is caught first):

* 400 with ``migrate_to_chat_id`` (``ChatMigrated``: the group became a supergroup): no
  failure. The chat is moved to its new id in the store (``Store.migrate_chat``: its
  subscription and its forum topics', deliveries and pending items) and the item is
  sent to the new id at once, costing no attempt; the chat's later digests go to the
  new id. If the supergroup already has a message of its own in flight, the moved item
  waits for it in the outbox (due now, counted as ``retried``) to keep one message in
  flight per chat.
* 403 Forbidden (blocked, user deactivated, kicked) and 400 "chat not found": the chat is
  deactivated with every forum topic of it (``Store.deactivate``, which also drops their
  pending items).
* 400 "message thread not found" for an item bound for a forum topic (the topic was
  deleted): that topic's subscription alone is deactivated (``Store.deactivate`` with
  its topic, reason :data:`bot.store.chats.TOPIC_GONE`) and its pending items dropped;
  never sent to the group instead, which may have a digest of its own.
* Any other 400: logged with the chat and dropped, not retried (a retry would fail alike).
* 429 RetryAfter: honoured by the rate limiter (wait, retry); if it still fails the item is
  retried after ``retry_after``.
* 5xx, timeouts, connection errors: retried with exponential backoff and jitter, at
  most ``max_attempts`` tries, then dropped with an error log. Such errors usually hit
  every chat at once, so the sender also pauses as a whole (same backoff) instead of
  churning the whole outbox through its retry budget during an outage.
* A rejected token (401, or 404 once started): the sender pauses, escalating, keeps
  every message (no message is at fault) and calls ``on_token_rejected``, with which
  the bot stops (``Runtime.token_rejected``): a revoked token ends the process.

One INFO line per digest run (a run starts when due items appear and ends when nothing is
due or in flight): ``due``, ``sent``, ``failed`` (dropped), ``deactivated``, ``retried``,
``migrated`` (chats followed to their new id; their items count as sent once sent) and
the duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.store import OutboxItem, Store
from bot.store.chats import TOPIC_GONE
from bot.telegram.ptb import retry_after_seconds, send_html
from bot.telegram.ratelimit import Leased, LeaseExpired, Priority, TelegramRateLimiter

log = logging.getLogger(__name__)

# With several processes (a lease): how often an idle sender looks at the outbox for
# digests another process queued (nothing wakes it for those).
SHARED_POLL_SECONDS = 2.0

# A leased message must start this long before its lease ends, so its request is
# answered (and the item settled) before another process may claim it.
LEASE_MARGIN = 10.0


@dataclass
class RunStats:
    """Counters of one digest run (see module docstring)."""

    started: float = field(default_factory=time.monotonic)
    due: int = 0
    sent: int = 0
    failed: int = 0
    deactivated: int = 0
    retried: int = 0
    migrated: int = 0  # chats followed to a new id; the item itself then ends as sent...
    chats: set[int] = field(default_factory=set)  # chats sent to in this run

    def line(self) -> str:
        return (
            f"digest run: due={self.due} sent={self.sent} failed={self.failed}"
            f" deactivated={self.deactivated} retried={self.retried}"
            f" migrated={self.migrated} duration={time.monotonic() - self.started:.1f}s"
        )


class Sender:
    """Drains the outbox (see module docstring). One per process and event loop."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        *,
        concurrency: int | None = None,
        max_attempts: int = 8,
        backoff_base: float = 2.0,
        backoff_max: float = 300.0,
        stop_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        on_token_rejected: Callable[[], object] | None = None,
        on_message: Callable[[str, str | None], object] | None = None,
        on_run: Callable[[float, int], object] | None = None,
        lease_seconds: float | None = None,
        poll_seconds: float = SHARED_POLL_SECONDS,
    ) -> None:
        """``concurrency``: messages in flight at once (default: 20 ms worth at the rate
        limiter's cap, 8..32). The pacer keeps the cap busy with few: at a cap of 1,000
        msg/s, 20 in flight reached 915 msg/s with no 429, 250 only 760 msg/s with 22
        429s (the more requests in flight, the more the server bunches their arrivals).
        ``clock``: seconds since the epoch, the outbox's time base. ``on_token_rejected``:
        called when Telegram rejects the token (the bot then stops; without it, sending
        pauses and retries). ``on_message(result, reason)``: each settled message (result
        sent, failed, deactivated, retried; reason e.g. blocked, refused, gave_up);
        ``on_run(duration, chats)``: each digest run's end (both for metrics).
        ``lease_seconds``: several processes send from one outbox; each item fetched is
        claimed that long (``Store.due_outbox``), so no other process sends it meanwhile,
        and if this one dies another sends it once the lease runs out. Then digests
        queued by another process (only the leader runs the slots) wake nobody here:
        an idle sender looks at the outbox again every ``poll_seconds``."""
        self.bot = bot
        self.on_token_rejected = on_token_rejected
        self.on_message = on_message
        self.on_run = on_run
        self.store = store
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        if concurrency is None:
            limiter = getattr(bot, "rate_limiter", None)
            rate = limiter.limiter.limit if isinstance(limiter, TelegramRateLimiter) else 30
            concurrency = min(32, max(8, rate // 50))
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.stop_timeout = stop_timeout
        self.clock = clock
        self.rng = rng or random.Random()
        self.run: RunStats | None = None
        self.totals = RunStats()
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # chat_id -> its send
        self._settled: set[int] = set()  # item ids settled during the current fetch
        self._claimed: dict[int, float] = {}  # item id -> when its lease began
        # Leased items claimed while their chat's previous item was finishing here.
        self._held: dict[int, OutboxItem] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._pause_until = 0.0  # clock time: network trouble, everyone waits
        self._network_failures = 0
        self._marks: list[tuple[int, asyncio.Future[bool]]] = []
        self._marks_ready = asyncio.Event()
        self._marker: asyncio.Task[None] | None = None

    # -- public ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start draining in the background (idempotent)."""
        if self._task is None:
            self._stopping = False
            self._marker = asyncio.create_task(self._mark_loop(), name="outbox-marks")
            self._task = asyncio.create_task(self._loop(), name="outbox-sender")

    def notify(self) -> None:
        """Something was queued: look at the outbox now (cheap; call any time)."""
        self._idle.clear()
        self._wake.set()

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until the outbox is empty and nothing is in flight (TimeoutError after
        ``timeout`` s). Items waiting for a retry count as not empty."""
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    async def stop(self) -> None:
        """Stop fetching, let in-flight sends finish (up to ``stop_timeout`` s), cancel
        the rest (they stay in the outbox and are sent after a restart)."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        with contextlib.suppress(asyncio.CancelledError):
            await task  # returns at once when woken (or after its store call)
        in_flight = list(self._in_flight.values())
        if in_flight:
            _, pending = await asyncio.wait(in_flight, timeout=self.stop_timeout)
            for send in pending:
                send.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        marker, self._marker = self._marker, None
        if marker is not None:
            marker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await marker
        # Marks not yet committed (Telegram did answer): commit them now.
        leftover, self._marks = self._marks, []
        if leftover:
            await asyncio.to_thread(self._mark_batch, [item_id for item_id, _ in leftover])
        self._end_run()

    # -- the loop -------------------------------------------------------------------------
    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self._step()
            except Exception:
                # The database failed (disk full, locked too long...): keep the sender
                # alive and try again later; the outbox still holds everything.
                log.exception(
                    "outbox sender: cannot read the outbox; retrying"
                    ": check the disk under [storage] path, then digestbot check"
                )
                self._pause_until = self.clock() + self.backoff_base
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.backoff_base):
                        await self._wake.wait()

    async def _step(self) -> None:
        """One round: dispatch what is due, then wait for a reason to look again."""
        self._wake.clear()
        now = self.clock()
        free = self.concurrency - len(self._in_flight)
        fetched = False
        # Refill in batches (a quarter of the slots at least): one query per message
        # would cost more CPU than the send itself at 1,000 messages a second.
        refill = free >= max(1, self.concurrency // 4) or not self._in_flight
        if free > 0 and refill and now >= self._pause_until:
            # In-flight chats still have their item at the head: ask for enough more.
            self._settled.clear()
            # Leased, the items in flight are not due (claimed): ask for no more than
            # are dispatched, since every item returned is claimed for the lease.
            wanted = free if self.lease_seconds is not None else len(self._in_flight) + free
            items = await asyncio.to_thread(
                functools.partial(self.store.due_outbox, lease_seconds=self.lease_seconds),
                now,
                wanted,
            )
            if self._stopping:
                return
            # Skip chats in flight, and items settled while the query ran (the query
            # may have read them just before their mark_sent/retry_later committed).
            fresh = [
                item
                for item in items
                if item.chat_id not in self._in_flight and item.id not in self._settled
            ]
            for item in fresh[:free]:
                if self.lease_seconds is not None:
                    self._claimed[item.id] = now
                self._dispatch(item)
            if self.lease_seconds is not None:
                # Claimed, but its chat's previous item (settled, the query saw it gone)
                # is still finishing here: it goes next, as soon as that one ends.
                for item in items:
                    if item.chat_id in self._in_flight and item.id not in self._settled:
                        self._claimed[item.id] = now
                        self._held[item.chat_id] = item
            fetched = bool(fresh)
        if self._in_flight or fetched:
            await self._wake.wait()
            return
        next_due = await asyncio.to_thread(self.store.next_outbox_due)
        if next_due is None or now >= self._pause_until:
            self._end_run()  # nothing due now, nothing in flight
        if next_due is None:
            self._idle.set()
        wake_at = max(next_due, self._pause_until) if next_due is not None else None
        if self.lease_seconds is not None:
            # Another process may queue an earlier item at any time (one indexed
            # lookup every poll_seconds per idle process).
            poll_at = max(now + self.poll_seconds, self._pause_until)
            wake_at = poll_at if wake_at is None else min(wake_at, poll_at)
        if wake_at is not None and wake_at <= now:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(None if wake_at is None else wake_at - now):
                await self._wake.wait()

    def _dispatch(self, item: OutboxItem) -> None:
        if self.run is None:
            self.run = RunStats()
        self.run.due += 1
        self._idle.clear()
        task = asyncio.create_task(self._deliver(item))
        self._in_flight[item.chat_id] = task

    def _end_run(self) -> None:
        run, self.run = self.run, None
        if run is not None:
            log.info(run.line())
            if self.on_run is not None:
                self.on_run(time.monotonic() - run.started, len(run.chats))

    # -- one message ------------------------------------------------------------------------
    async def _deliver(self, item: OutboxItem) -> None:
        try:
            result, reason = await self._send(item)
            self._count(result, reason)
            if result == "sent" and self.run is not None:
                self.run.chats.add(item.chat_id)
        except Exception:
            # A store failure or a bug: keep the item (it stays due) and the sender alive.
            log.exception(
                "outbox item %d to chat %d: unexpected error, retried later"
                ": a bug, report it with this traceback",
                item.id,
                item.chat_id,
            )
            self._pause_until = self.clock() + self.backoff_base
        finally:
            self._settled.add(item.id)
            self._claimed.pop(item.id, None)
            self._in_flight.pop(item.chat_id, None)
            held = self._held.pop(item.chat_id, None)
            if held is not None and held.id != item.id and not self._stopping:
                self._dispatch(held)
            self._wake.set()

    def _count(self, counter: str, reason: str | None = None) -> None:
        """Bump a RunStats counter of the current run and of the totals (and tell
        ``on_message`` why, for a failure)."""
        if self.on_message is not None and counter != "migrated":
            self.on_message(counter, reason)
        if self.run is not None:
            setattr(self.run, counter, getattr(self.run, counter) + 1)
        setattr(self.totals, counter, getattr(self.totals, counter) + 1)

    async def _send(self, item: OutboxItem, *, moved: bool = False) -> tuple[str, str | None]:
        """Send one item and settle it in the store; returns the RunStats counter to bump
        and, for a failure, its reason.
        ``moved``: the item was already followed to a migrated chat's new id."""
        chat = item.chat_id
        pacing: Priority | Leased = Priority.BROADCAST
        if self.lease_seconds is not None:
            # Claimed at `claimed_at`: started in time, the request ends before the lease.
            claimed = self._claimed.get(item.id, self.clock())
            pacing = Leased(claimed + self.lease_seconds - LEASE_MARGIN)
        try:
            await send_html(
                self.bot,
                chat,
                item.text,
                None,
                item.thread_id,
                rate_limit_args=pacing,
                silent=item.silent,
                previews=item.previews,
            )
        except LeaseExpired:
            # Its turn came too late: left in the outbox, due again when the lease ends
            # (for whichever process claims it then).
            return "retried", "lease_expired"
        except ChatMigrated as exc:  # a 400 that is no failure: the group moved
            return await self._follow(item, exc.new_chat_id, moved)
        except BadRequest as exc:  # before NetworkError: BadRequest subclasses it
            if "chat not found" in exc.message.lower():
                return await self._deactivate(item, exc.message, "chat_not_found")
            if item.topic and "thread not found" in exc.message.lower():
                log.info("chat %d topic %d deactivated: %s", chat, item.topic, TOPIC_GONE)
                await asyncio.to_thread(self.store.deactivate, chat, TOPIC_GONE, topic=item.topic)
                return "deactivated", "topic_gone"
            log.warning(
                "digest to chat %d dropped, Telegram refused it: %s"
                ": the chat's next digest is sent as usual; report it if it repeats",
                chat,
                exc.message,
            )
            await asyncio.to_thread(self.store.drop, item.id, exc.message)
            return "failed", "refused"
        except Forbidden as exc:
            return await self._deactivate(item, exc.message, "blocked")
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            await asyncio.to_thread(
                self.store.retry_later, item.id, self.clock() + wait, exc.message
            )
            return "retried", "flood_control"
        except (InvalidToken, EndPointNotFound) as exc:
            # 401/404 for every message: the token was revoked (after start-up PTB calls
            # a 404 "endpoint not found"). No message is at fault: keep them all, pause.
            self._escalate_pause(self.clock())
            log.error(
                "Telegram rejected the bot token (%s); sending paused"
                ": set TELEGRAM_BOT_TOKEN to the token from @BotFather and restart",
                exc.message,
            )
            if self.on_token_rejected is not None:
                self.on_token_rejected()
            return "retried", "token_rejected"
        except (TimedOut, NetworkError, TelegramError) as exc:
            # 5xx, timeouts, refused connections (and anything unforeseen): back off.
            return await self._back_off(item, exc)
        self._network_failures = 0
        await self._mark_sent(item.id)
        return "sent", None

    async def _follow(
        self, item: OutboxItem, new_chat_id: int, moved: bool
    ) -> tuple[str, str | None]:
        """The group became a supergroup: move the chat to ``new_chat_id`` in the store
        and send the item there now (no attempt counted: nothing failed)."""
        old = item.chat_id
        if moved or new_chat_id == old:
            # Telegram upgrades a group once; a supergroup that moves again (or a move to
            # the same id) is not chased: refused like any other message.
            log.warning(
                "digest to chat %d dropped: moved again, to %d"
                ": nothing to do (Telegram moves a group once; this one is not chased)",
                old,
                new_chat_id,
            )
            await asyncio.to_thread(self.store.drop, item.id, f"moved again to {new_chat_id}")
            return "failed", "moved_again"
        task = self._in_flight[old]
        # Claim the new id before the store moves anything: from then on the loop skips
        # the new chat's items, so one message at a time goes to it. If the supergroup
        # has a message of its own in flight, the moved item waits in the outbox (still
        # due, no attempt counted) and the loop sends it after that one, in queue order.
        busy = new_chat_id in self._in_flight
        if not busy:
            self._in_flight[new_chat_id] = task
        try:
            await asyncio.to_thread(self.store.migrate_chat, old, new_chat_id)
            log.info("chat %d moved to %d (group became a supergroup)", old, new_chat_id)
            self._count("migrated")
            if busy:
                return "retried", "chat_busy"
            return await self._send(replace(item, chat_id=new_chat_id), moved=True)
        finally:
            if not busy and self._in_flight.get(new_chat_id) is task:
                del self._in_flight[new_chat_id]

    async def _deactivate(
        self, item: OutboxItem, reason: str, label: str
    ) -> tuple[str, str | None]:
        log.info("chat %d deactivated: %s", item.chat_id, reason)
        await asyncio.to_thread(self.store.deactivate, item.chat_id, reason)
        return "deactivated", label

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` (1-based): exponential, full jitter
        in its upper half, capped at ``backoff_max``."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self.rng.random())

    def _escalate_pause(self, now: float) -> None:
        """Pause all sending; longer each time trouble returns right after a pause.
        Escalates once per episode, not once per message that was in flight with it."""
        if now >= self._pause_until:
            self._network_failures += 1
            self._pause_until = now + self.backoff(self._network_failures)

    async def _back_off(self, item: OutboxItem, exc: TelegramError) -> tuple[str, str | None]:
        attempt = item.attempts + 1
        now = self.clock()
        self._escalate_pause(now)
        if attempt >= self.max_attempts:
            log.error(
                "digest to chat %d dropped after %d attempts: %s"
                ": check the network to [telegram] base_url; later digests are tried as usual",
                item.chat_id,
                attempt,
                exc,
            )
            await asyncio.to_thread(self.store.drop, item.id, str(exc))
            return "failed", "gave_up"
        log.info(
            "digest to chat %d: attempt %d failed (%s), will retry", item.chat_id, attempt, exc
        )
        await asyncio.to_thread(
            self.store.retry_later, item.id, now + self.backoff(attempt), str(exc)
        )
        return "retried", "network"

    # -- marking sent in batches --------------------------------------------------------------
    async def _mark_sent(self, item_id: int) -> None:
        """Mark the item sent; returns once committed. Marks made meanwhile are committed
        together in one worker-thread call (one transaction each, no fsync in WAL)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._marks.append((item_id, future))
        self._marks_ready.set()
        await asyncio.shield(future)

    async def _mark_loop(self) -> None:
        while True:
            await self._marks_ready.wait()
            self._marks_ready.clear()
            batch, self._marks = self._marks, []
            if not batch:
                continue
            try:
                results = await asyncio.to_thread(self._mark_batch, [i for i, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    def _mark_batch(self, item_ids: list[int]) -> list[bool]:
        return [self.store.mark_sent(item_id) for item_id in item_ids]
