"""The jobs only the leader runs (:mod:`bot.cluster.leader`), added when this process
becomes the leader and removed when it stops being one.

The leader's jobs: the digest slots (rebuilt from the store, with a catch-up run for a
slot missed within ``[digest] missed_grace_seconds``, as at start-up), the seeds scans,
the feed polls (each round ends with story grouping), retention and the integrity check.
With several processes in long-polling mode the leader is also the one that polls
Telegram (``bot.telegram.updater.polls_when_leading``).
One process (SQLite) leads from its start, so this is simply its start-up. With several
processes on one PostgreSQL database, a chat that subscribes on a process that does not
lead gets no job there: the leader looks for slots it does not have every
:data:`SLOT_REFRESH_SECONDS` (:func:`refresh_slots_job`) and a slot found late gets its
catch-up run like a missed one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.ext import Application, Job

from bot.schedule import Slot
from bot.telegram import jobs, slots
from bot.telegram.runtime import BotContext, runtime
from bot.telegram.updater import polls_when_leading, start_updater, stop_updater

__all__ = ["INTEGRITY_DELAY_SECONDS", "SLOT_REFRESH_SECONDS", "gain", "lose", "refresh_slots_job"]

log = logging.getLogger(__name__)

# The background integrity check starts this long after the process leads, when the
# first updates have been answered and missed digests queued.
INTEGRITY_DELAY_SECONDS = 120.0
# With several processes: how often the leader looks for slots made elsewhere.
SLOT_REFRESH_SECONDS = 30.0

# A late job still runs (once, however late): APScheduler's default of 1 s grace would
# silently skip it whenever start-up or the event loop is busy.
LATE_OK = {"misfire_grace_time": None, "coalesce": True}


async def gain(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """This process now leads: add the leader's jobs and the schedule from the store."""
    rt = runtime(application)
    config = rt.config
    job_queue = application.job_queue
    assert job_queue is not None
    added: list[Job[Any]] = [
        # The first scan is a one-off job: an interval job added before the scheduler
        # starts with first=0 is already "late" when it starts, and APScheduler moves it
        # a period on.
        job_queue.run_once(
            jobs.rescan_job, when=0, name="first scan of the seeds", job_kwargs=LATE_OK
        ),
        job_queue.run_repeating(
            jobs.rescan_job,
            interval=config.seeds.rescan_seconds,
            first=config.seeds.rescan_seconds,
            name="rescan seeds",
            job_kwargs=LATE_OK,
        ),
        job_queue.run_repeating(
            jobs.prune_job, interval=86_400, first=600, name="retention", job_kwargs=LATE_OK
        ),
        # The full read of the database, off the start-up path (the open only probes it).
        job_queue.run_once(
            jobs.integrity_job,
            when=INTEGRITY_DELAY_SECONDS,
            name="integrity check",
            job_kwargs=LATE_OK,
        ),
        job_queue.run_repeating(
            jobs.feed_job,
            interval=jobs.FEED_TICK_SECONDS,
            first=1,
            name="poll feeds",
            job_kwargs=LATE_OK,
        ),
    ]
    if rt.leader.shared:
        added.append(
            job_queue.run_repeating(
                refresh_slots_job,
                interval=SLOT_REFRESH_SECONDS,
                first=SLOT_REFRESH_SECONDS,
                name="slots made elsewhere",
                job_kwargs=LATE_OK,
            )
        )
    rt.leader_jobs = added
    # The slots in use, and the few chats that may have missed a digest, are read in a
    # thread; the jobs are added on the event loop (APScheduler is not thread-safe).
    plan = await asyncio.to_thread(
        slots.plan_from_store,
        rt.store,
        now=rt.clock(),
        default_timezone=config.digest.timezone,
        grace_seconds=config.digest.missed_grace_seconds,
    )
    summary = slots.apply_schedule(
        job_queue, plan, jobs.digest_job, grace_seconds=config.digest.missed_grace_seconds
    )
    rt.catch_up = summary.catch_up
    rt.schedule = summary
    if rt.metrics is not None:
        rt.metrics.on_leadership(True)
    if polls_when_leading(application) and not rt.stopping:
        await start_updater(application, config)


async def lose(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """This process no longer leads: remove the leader's jobs and the slots' jobs, and
    cancel a feed round or seeds scan under way (the new leader does them again)."""
    rt = runtime(application)
    job_queue = application.job_queue
    assert job_queue is not None
    if polls_when_leading(application):
        await stop_updater(application)
    mine = {job.job.id for job in rt.leader_jobs}
    rt.leader_jobs = []
    removed = 0
    # What is still scheduled (a one-off job that ran is gone already).
    for job in job_queue.jobs():
        if isinstance(job.data, Slot):  # a slot's daily job or its catch-up run
            job.schedule_removal()
            removed += 1
        elif job.job.id in mine:
            job.schedule_removal()
    tasks = [t for t in (rt.feed_task, rt.rescan_task) if t is not None and not t.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    # Cancelled: nothing for the shutdown to wait for.
    rt.feed_task = rt.rescan_task = None
    rt.schedule = None
    if rt.metrics is not None:
        rt.metrics.on_leadership(False)
    log.info("leadership lost: %d digest slot jobs and the feed polls stopped here", removed)


async def refresh_slots_job(context: BotContext) -> None:
    """Every :data:`SLOT_REFRESH_SECONDS` on the leader of several processes: schedule
    the slots subscribed to elsewhere, each with a catch-up run if a chat of it missed
    its time meanwhile (``slots.plan_from_store`` with the slots already scheduled)."""
    rt = context.runtime
    job_queue = context.job_queue
    if job_queue is None or not rt.leader.is_leader or rt.stopping:
        return
    known = frozenset(job.data for job in job_queue.jobs() if isinstance(job.data, Slot))
    config = rt.config
    plan = await asyncio.to_thread(
        slots.plan_from_store,
        rt.store,
        now=rt.clock(),
        default_timezone=config.digest.timezone,
        grace_seconds=config.digest.missed_grace_seconds,
        known=known,
    )
    if not rt.leader.is_leader:
        return
    new = [slot for slot in plan.in_use if slot not in known]
    slots.apply_schedule(
        job_queue, plan, jobs.digest_job, grace_seconds=config.digest.missed_grace_seconds
    )
    if new:
        log.info("%d digest slots made by other processes scheduled", len(new))
