"""When digests run: the scheduling of *slots* on python-telegram-bot's JobQueue (APScheduler).

One daily job per slot in use, a (time, timezone) pair (:class:`bot.schedule.Slot`),
whose :class:`DailyTrigger` asks :func:`bot.schedule.next_due`, so the scheduler fires
exactly when the tested pure function says; its callback (:func:`bot.telegram.jobs.digest_job`)
queues the slot's digests. Weekdays never reach APScheduler (whose ``run_daily`` counts
Sunday as 0): the job runs daily and the store skips the chats whose days do not include
the run's. Jobs live in memory only; :func:`plan_from_store` and :func:`apply_schedule`
rebuild them from the store at start-up (planning in a thread, applying on the loop) and
add a one-off catch-up run for each slot where a digest was missed within the grace
period. Every job has ``misfire_grace_time`` = the grace period (APScheduler's default of
1 s would silently skip a digest when the event loop is busy) and ``coalesce=True`` (a
backlog of runs becomes one run).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Coroutine, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.triggers.base import BaseTrigger
from telegram.ext import Job, JobQueue

from bot.schedule import (
    DEFAULT_GRACE_SECONDS,
    Slot,
    format_time,
    last_due,
    missed_slots,
    next_due,
    parse_time,
    slots_of,
    zone,
)
from bot.store import Chat, Store

__all__ = [
    "DailyTrigger",
    "ScheduleSummary",
    "apply_schedule",
    "job_name",
    "plan_from_store",
    "plan_schedule",
    "schedule_all",
    "schedule_chat",
    "schedule_slot",
    "unschedule_slot",
]

log = logging.getLogger(__name__)

# A job's callback: ``async def callback(context)``, with the Slot as ``context.job.data``.
DigestCallback = Callable[[Any], Coroutine[Any, Any, object]]


def _as_time(value: time | str) -> time:
    return parse_time(value) if isinstance(value, str) else value


def _as_zone(value: tzinfo | str) -> tzinfo:
    return zone(value) if isinstance(value, str) else value


# -- APScheduler -------------------------------------------------------------------
#
# One job per *slot* -- a (time, timezone) pair -- rather than one per chat: 100,000
# per-chat APScheduler jobs cost about 128 MB of RSS and 11 s to build here (measured),
# more than the bot's whole 150 MB memory budget, while the slots in use are at most a few
# thousand. A slot's job queues the digests of every chat subscribed at that slot.


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
) -> Job[Any]:
    """Make sure the slot has its daily job; returns it (the existing one if any)."""
    name = job_name(slot)
    existing = job_queue.scheduler.get_job(name)  # by id: a dict lookup, not a scan
    if existing is not None:
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
) -> Job[Any] | None:
    """Call after a chat subscribes or changes its times or timezone: makes sure each of
    its slots has a job. Returns the job of its first slot, or None if the chat gets no
    scheduled digest.

    Nothing needs removing on unsubscribe or deactivation: the slot's job reads its
    chats from the store when it runs, so a chat that left is simply not there. A slot
    nobody uses any more keeps a job that finds no chats, until the next restart.
    """
    jobs = [
        schedule_slot(job_queue, slot, callback, grace_seconds=grace_seconds)
        for slot in slots_of(chat, default_timezone)
    ]
    return jobs[0] if jobs else None


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
    in_use: tuple[Slot, ...] = ()  # every slot with a chat, sorted


def plan_schedule(
    chats: Iterable[Chat],
    *,
    now: datetime,
    default_timezone: str,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> ScheduleSummary:
    """The slots in use among ``chats`` and those where a chat missed its digest while the
    bot was down (:func:`bot.schedule.missed_slots`), without touching a job queue: plain
    work over the store's rows, so start-up runs it in a thread (100,000 subscribers are
    seconds of CPU the event loop must not wait for)."""
    slots: set[Slot] = set()
    missed: set[Slot] = set()
    count = 0
    for chat in chats:
        try:
            chat_slots = slots_of(chat, default_timezone)
            if not chat_slots:
                continue
            zone(chat_slots[0].timezone)
            chat_missed = missed_slots(chat, now, grace_seconds, default_timezone)
        except ValueError as exc:
            # One bad row (a timezone this machine's tzdata no longer has) must not stop
            # every other chat's digests.
            log.warning(
                "chat %s not scheduled: %s: update tzdata (pip install -U tzdata)"
                " or ask the chat to set /timezone again",
                chat.chat_id,
                exc,
            )
            continue
        count += 1
        slots.update(chat_slots)
        missed.update(slot for slot, _ in chat_missed)
    return ScheduleSummary(count, len(slots), tuple(sorted(missed)), tuple(sorted(slots)))


def plan_from_store(
    store: Store,
    *,
    now: datetime,
    default_timezone: str,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    known: Collection[Slot] = (),
) -> ScheduleSummary:
    """:func:`plan_schedule` of every subscriber in ``store``, reading few of them: the
    slots in use come from one query, and only the chats of a slot whose last due time
    is within ``grace_seconds`` can have missed a digest, so only those are read.
    Slots in ``known`` (already scheduled) are in use but never caught up."""
    slots: set[Slot] = set()
    recent: list[Slot] = []
    for digest_time, timezone in store.slots_in_use():
        slot = Slot(digest_time, timezone or default_timezone)
        try:
            due = last_due(digest_time, zone(slot.timezone), now)
        except ValueError as exc:
            log.warning(
                "slot %s %s not scheduled: %s: update tzdata (pip install -U tzdata)",
                digest_time,
                slot.timezone,
                exc,
            )
            continue
        recently_due = (now - due).total_seconds() <= grace_seconds
        if slot not in slots and slot not in known and recently_due:
            recent.append(slot)
        slots.add(slot)
    missed: set[Slot] = set()
    for slot in recent:
        chats = store.subscribers_at(
            slot.digest_time, slot.timezone, default_timezone=default_timezone
        )
        found = plan_schedule(
            chats, now=now, default_timezone=default_timezone, grace_seconds=grace_seconds
        )
        missed.update(s for s in found.catch_up if s == slot)
    return ScheduleSummary(
        store.count_subscribers(), len(slots), tuple(sorted(missed)), tuple(sorted(slots))
    )


def apply_schedule(
    job_queue: JobQueue[Any],
    plan: ScheduleSummary,
    callback: DigestCallback,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> ScheduleSummary:
    """One daily job per slot of ``plan`` and a one-off run of ``callback``, starting now,
    for each slot to catch up (on the event loop: APScheduler is not thread-safe)."""
    for slot in plan.in_use:
        schedule_slot(job_queue, slot, callback, grace_seconds=grace_seconds)
    for slot in plan.catch_up:
        job_queue.run_once(
            callback,
            when=0,
            data=slot,
            name=f"catch-up {job_name(slot)}",
            job_kwargs={"misfire_grace_time": max(1, int(grace_seconds))},
        )
    return plan


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
    digest while the bot was down (:func:`bot.schedule.missed_slots`). That run computes the same
    run key as the missed one (:func:`run_key` of a moment within the grace period after
    it), and ``Store.queue_digest`` skips the chats that already have it. The two halves,
    :func:`plan_schedule` and :func:`apply_schedule`, let the bot plan in a thread."""
    plan = plan_schedule(
        chats, now=now, default_timezone=default_timezone, grace_seconds=grace_seconds
    )
    return apply_schedule(job_queue, plan, callback, grace_seconds=grace_seconds)
