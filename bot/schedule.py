"""When digests are due: "HH:MM" in a timezone, across daylight-saving changes.

The time logic is pure -- every function takes ``now`` -- so tests inject the clock:

* :func:`parse_time` / :func:`format_time` -- "HH:MM" (24-hour) to ``datetime.time`` and back.
* :func:`valid_timezone` -- an IANA name zoneinfo knows ("Europe/Berlin"; not "Mars/Olympus").
* :func:`next_due` / :func:`last_due` -- the next due instant after ``now``, the latest at
  or before it.
* :func:`run_key` -- the local date of a due digest, the key that makes a digest
  "never twice" (``Store.queue_digest`` refuses a key it has seen for that chat).
* :func:`missed_digest` -- the key of a digest that fell due while the bot was down,
  if it is within the grace period and was not queued.

Daylight saving, decided once here:

* A time that does not exist on a spring-forward day (02:30 in Europe/Berlin on the last
  Sunday of March) is sent when the clock has moved on by the same amount: 03:30 local,
  one hour of real time after 01:30. The digest is late, never skipped.
* A time that exists twice on a fall-back day (01:30 in America/New_York on the first
  Sunday of November) is sent at its first occurrence (daylight time), once.

APScheduler wiring (python-telegram-bot's JobQueue): one daily job per *slot* -- a
(time, timezone) pair in use -- whose :class:`DailyTrigger` asks :func:`next_due`, so the
scheduler fires exactly when the tested pure function says. Its callback (the Telegram
side's) runs :func:`queue_due_digests` for the slot: every chat subscribed there gets its
digest composed and queued in the outbox. Jobs live in memory only; :func:`schedule_all`
rebuilds them from the store at start-up and adds a one-off catch-up run for each slot
where a digest was missed within the grace period. Every job has
``misfire_grace_time`` = the grace period (APScheduler's default of 1 s would silently
skip a digest when the event loop is busy) and ``coalesce=True`` (a backlog of runs
becomes one run).
"""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple

from apscheduler.jobstores.base import JobLookupError
from apscheduler.triggers.base import BaseTrigger

from bot.times import canonical_timezone, format_time, parse_time, valid_timezone, zone

if TYPE_CHECKING:
    from telegram.ext import Job as JobQueueJob
    from telegram.ext import JobQueue

    from bot.store import Chat, Store

__all__ = [
    "DEFAULT_GRACE_SECONDS",
    "DailyTrigger",
    "DigestCallback",
    "RunReport",
    "ScheduleSummary",
    "Slot",
    "canonical_timezone",
    "chat_timezone",
    "due_run_key",
    "format_time",
    "job_name",
    "last_due",
    "missed_digest",
    "next_due",
    "parse_time",
    "queue_due_digests",
    "run_key",
    "schedule_all",
    "schedule_chat",
    "schedule_slot",
    "slot_of",
    "unschedule_slot",
    "valid_timezone",
    "zone",
]

log = logging.getLogger("bot.schedule")

# The digest job (Telegram side): ``async def callback(context)``, with the Slot as
# ``context.job.data``.
DigestCallback = Callable[[Any], Coroutine[Any, Any, object]]

DEFAULT_GRACE_SECONDS = 3600

# A scheduler timer may wake a job a moment before our own reading of the clock (or
# the clock may be stepped back a little); a job that runs up to this long before its
# due time still belongs to that due time, not to the day before.
EARLY_TOLERANCE = timedelta(seconds=60)


def chat_timezone(chat: Chat, default_timezone: str) -> str:
    """The chat's timezone name, or the config default when it has none."""
    return chat.timezone or default_timezone


def _as_time(value: time | str) -> time:
    return parse_time(value) if isinstance(value, str) else value


def _as_zone(value: tzinfo | str) -> tzinfo:
    return zone(value) if isinstance(value, str) else value


def _check_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (e.g. datetime.now(UTC))")


def _due_on(day: date, at: time, tz: tzinfo) -> datetime:
    # fold=0 implements both DST choices of the module docstring: in a gap the offset
    # before the change applies (02:30 → 03:30 local), in an overlap the first occurrence.
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(UTC)


def _candidates(at: time, tz: tzinfo, now: datetime) -> list[datetime]:
    # A day either side of the local date: a gap can push "23:30 yesterday" past
    # midnight, and zones with transitions at midnight exist.
    today = now.astimezone(tz).date()
    return [_due_on(today + timedelta(days=d), at, tz) for d in (-2, -1, 0, 1, 2)]


def next_due(at: time | str, tz: tzinfo | str, now: datetime) -> datetime:
    """The first due instant strictly after ``now``, as an aware datetime in UTC."""
    _check_aware(now)
    at, tz = _as_time(at), _as_zone(tz)
    return min(due for due in _candidates(at, tz, now) if due > now)


def last_due(at: time | str, tz: tzinfo | str, now: datetime) -> datetime:
    """The latest due instant at or before ``now``, as an aware datetime in UTC."""
    _check_aware(now)
    at, tz = _as_time(at), _as_zone(tz)
    return max(due for due in _candidates(at, tz, now) if due <= now)


def run_key(at: time | str, tz: tzinfo | str, now: datetime) -> str:
    """The key of the digest due at or just before ``now``: its local date "YYYY-MM-DD".

    Call it when a scheduled job runs (or for a catch-up): the latest due instant at
    or before ``now`` (+ EARLY_TOLERANCE) is the digest being sent.
    """
    tz = _as_zone(tz)
    due = last_due(at, tz, now + EARLY_TOLERANCE)
    return due.astimezone(tz).date().isoformat()


def due_run_key(chat: Chat, now: datetime, default_timezone: str) -> str | None:
    """run_key for a chat's scheduled digest at ``now``; None if it is not subscribed."""
    if not chat.subscribed or chat.digest_time is None:
        return None
    return run_key(chat.digest_time, chat_timezone(chat, default_timezone), now)


def missed_digest(
    chat: Chat,
    now: datetime,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    default_timezone: str = "UTC",
) -> str | None:
    """The run key of a digest the chat missed, or None.

    Missed: the chat is subscribed, its latest due time is at most ``grace_seconds``
    before ``now`` and after the chat subscribed (a digest due before that was never
    owed), and that digest was not queued (``chat.last_digest_key`` differs). Queuing
    it with ``Store.queue_digest`` records the key, so it is sent once.
    """
    if not chat.subscribed or chat.digest_time is None:
        return None
    tz = zone(chat_timezone(chat, default_timezone))
    due = last_due(chat.digest_time, tz, now)
    if (now - due).total_seconds() > grace_seconds:
        return None
    if chat.subscribed_at and due < datetime.fromisoformat(chat.subscribed_at):
        return None
    key = due.astimezone(tz).date().isoformat()
    return None if chat.last_digest_key == key else key


# -- APScheduler -------------------------------------------------------------------
#
# One job per *slot* -- a (time, timezone) pair -- rather than one per chat: 100,000
# per-chat APScheduler jobs cost about 128 MB of RSS and 11 s to build here (measured),
# more than the whole 150 MB budget of issue 5, while the slots in use are at most a few
# thousand. A slot's job queues the digests of every chat subscribed at that slot.


class Slot(NamedTuple):
    """When a chat's digest is due: "HH:MM" and an IANA timezone (the config default
    already filled in). The data of every digest job (``context.job.data``)."""

    digest_time: str
    timezone: str


def slot_of(chat: Chat, default_timezone: str) -> Slot | None:
    """The chat's slot, or None if it gets no scheduled digest."""
    if not chat.subscribed or chat.digest_time is None:
        return None
    return Slot(chat.digest_time, chat_timezone(chat, default_timezone))


class DailyTrigger(BaseTrigger):
    """An APScheduler trigger firing daily at ``at`` in ``tz``, as :func:`next_due` says."""

    __slots__ = ("at", "tz")

    def __init__(self, at: time | str, tz: tzinfo | str) -> None:
        self.at = _as_time(at)
        self.tz = _as_zone(tz)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        # After a run, the next one follows that run's due time (not "now", which is
        # later when the run was late), so a late run never skips the next day. A job
        # added exactly at its due time fires then (next_due is strictly after).
        if previous_fire_time is not None:
            return next_due(self.at, self.tz, previous_fire_time)
        return next_due(self.at, self.tz, now - timedelta(microseconds=1))

    def __str__(self) -> str:
        return f"daily at {format_time(self.at)} {self.tz}"

    def __repr__(self) -> str:
        return f"<DailyTrigger at={format_time(self.at)} tz={self.tz}>"


def job_name(slot: Slot) -> str:
    """The name (and APScheduler id) of a slot's daily digest job."""
    return f"digest {slot.digest_time} {slot.timezone}"


def schedule_slot(
    job_queue: JobQueue[Any],
    slot: Slot,
    callback: DigestCallback,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> JobQueueJob[Any]:
    """Make sure the slot has its daily job; returns it (the existing one if any)."""
    name = job_name(slot)
    existing = job_queue.scheduler.get_job(name)  # by id: a dict lookup, not a scan
    if existing is not None:
        from telegram.ext import Job

        return Job.from_aps_job(existing)
    return job_queue.run_custom(
        callback,
        job_kwargs={
            "trigger": DailyTrigger(slot.digest_time, slot.timezone),
            "id": name,
            "replace_existing": True,
            # APScheduler's default (1 s) silently skips a run when the loop is busy.
            "misfire_grace_time": max(1, int(grace_seconds)),
            "coalesce": True,
        },
        data=slot,
        name=name,
    )


def schedule_chat(
    job_queue: JobQueue[Any],
    chat: Chat,
    callback: DigestCallback,
    *,
    default_timezone: str,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> JobQueueJob[Any] | None:
    """Call after a chat subscribes or changes its time or timezone: makes sure its slot
    has a job. Returns that job, or None if the chat gets no scheduled digest.

    Nothing needs removing on unsubscribe or deactivation: the slot's job reads its
    chats from the store when it runs, so a chat that left is simply not there. A slot
    nobody uses any more keeps a job that finds no chats, until the next restart.
    """
    slot = slot_of(chat, default_timezone)
    if slot is None:
        return None
    return schedule_slot(job_queue, slot, callback, grace_seconds=grace_seconds)


def unschedule_slot(job_queue: JobQueue[Any], slot: Slot) -> bool:
    """Remove the slot's daily job; True if there was one."""
    try:
        job_queue.scheduler.remove_job(job_name(slot))
    except JobLookupError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class ScheduleSummary:
    """What schedule_all did: chats and slots scheduled, and the slots given a catch-up
    run because at least one of their chats missed its digest within the grace period."""

    chats: int
    slots: int
    catch_up: tuple[Slot, ...]


def schedule_all(
    job_queue: JobQueue[Any],
    chats: Iterable[Chat],
    callback: DigestCallback,
    *,
    now: datetime,
    default_timezone: str,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> ScheduleSummary:
    """At start-up: one daily job per slot in use (pass ``store.iter_subscribers()``), and
    a one-off run of ``callback``, starting now, for each slot where a chat missed its
    digest while the bot was down (:func:`missed_digest`). That run computes the same
    run key as the missed one (:func:`run_key` of a moment within the grace period after
    it), and ``Store.queue_digest`` skips the chats that already have it."""
    slots: set[Slot] = set()
    missed: set[Slot] = set()
    count = 0
    for chat in chats:
        try:
            slot = slot_of(chat, default_timezone)
            if slot is None:
                continue
            zone(slot.timezone)
            is_missed = missed_digest(chat, now, grace_seconds, default_timezone)
        except ValueError as exc:
            # One bad row (a timezone this machine's tzdata no longer has) must not stop
            # every other chat's digests.
            log.warning("chat %s not scheduled: %s", chat.chat_id, exc)
            continue
        count += 1
        slots.add(slot)
        if is_missed:
            missed.add(slot)
    for slot in sorted(slots):
        schedule_slot(job_queue, slot, callback, grace_seconds=grace_seconds)
    for slot in sorted(missed):
        job_queue.run_once(
            callback,
            when=0,
            data=slot,
            name=f"catch-up {job_name(slot)}",
            job_kwargs={"misfire_grace_time": max(1, int(grace_seconds))},
        )
    return ScheduleSummary(count, len(slots), tuple(sorted(missed)))


# -- the scheduled run ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunReport:
    """One slot's digest run: chats due, digests queued, chats with nothing new (run
    recorded, no message), chats skipped because they already had this run."""

    slot: Slot
    run_key: str
    due: int
    queued: int
    messages: int
    nothing_new: int
    already: int
    seconds: float

    def describe(self) -> str:
        return (
            f"digest run {self.slot.digest_time} {self.slot.timezone} {self.run_key}:"
            f" {self.due} due, {self.queued} queued ({self.messages} messages),"
            f" {self.nothing_new} nothing new, {self.already} already queued,"
            f" {self.seconds:.2f} s"
        )


def queue_due_digests(
    store: Store,
    slot: Slot,
    now: datetime,
    *,
    default_timezone: str,
    max_articles: int,
    limit: int = 4096,
    batch_size: int = 500,
    on_batch: Callable[[], object] | None = None,
) -> RunReport:
    """Compose and queue the digest of every chat in ``slot`` (blocking: call it with
    asyncio.to_thread from the job callback, then wake the outbox sender).

    Each chat gets its unseen articles, newest first, at most ``max_articles``, split
    into messages of at most ``limit`` UTF-16 units. Digests are queued in batches of
    ``batch_size`` chats, one transaction each, so the sender can start on the first
    batch while the rest are composed: ``on_batch()`` is called (in this thread) after
    each batch that queued messages -- e.g. ``lambda: loop.call_soon_threadsafe(
    sender.notify)``.
    """
    from bot.digest import digest_messages

    started = clock.perf_counter()
    key = run_key(slot.digest_time, slot.timezone, now)
    due = queued = messages = nothing_new = already = 0
    batch: list[tuple[int, list[tuple[str, list[int]]]]] = []
    composed: dict[tuple[int, ...], list[tuple[str, list[int]]]] = {}

    def flush() -> None:
        nonlocal queued, messages, nothing_new, already
        done = set(store.queue_digests(key, batch, now=now))
        queued_before = queued
        for chat_id, chat_messages in batch:
            if chat_id not in done:
                already += 1
            elif chat_messages:
                queued += 1
                messages += len(chat_messages)
            else:
                nothing_new += 1
        batch.clear()
        composed.clear()
        if on_batch is not None and queued > queued_before:
            on_batch()

    after: int | None = None
    while True:
        # A page at a time: a slot may hold a large share of 100,000 subscribers.
        chats = store.subscribers_at(
            slot.digest_time,
            slot.timezone,
            default_timezone=default_timezone,
            after_chat_id=after,
            limit=batch_size,
        )
        for chat in chats:
            due += 1
            if chat.last_digest_key == key:
                already += 1
                continue
            entries = store.unseen_articles(chat.chat_id, max_articles)
            numbers = tuple(entry.number for entry in entries)
            # Most chats of a slot have the same unseen articles: compose each set once
            # (per batch, so chats that all differ cannot grow the cache without bound).
            if numbers not in composed:
                composed[numbers] = digest_messages(entries, limit=limit)
            batch.append((chat.chat_id, composed[numbers]))
        if batch:
            flush()
        if len(chats) < batch_size:
            break
        after = chats[-1].chat_id
    seconds = clock.perf_counter() - started
    report = RunReport(slot, key, due, queued, messages, nothing_new, already, seconds)
    log.info("%s", report.describe())
    return report
