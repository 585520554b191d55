"""The bot's scheduled work on python-telegram-bot's JobQueue (APScheduler).

* **digests** -- :mod:`bot.telegram.slots` gives each *slot* in use (a time and timezone)
  its daily job; its callback :func:`digest_job` runs :func:`queue_due_digests` for the
  slot: every subscriber there -- a chat, or a forum topic with a digest of its own --
  whose days include the run's local weekday gets its digest composed and queued in the
  store's outbox (to its topic), and the outbox sender (:mod:`bot.telegram.delivery`) is
  woken. A chat with several times a day is in several slots; each (chat, time) run is
  queued once.
* **rescans** -- :func:`rescan_job` reads the seeds folder every ``[seeds]
  rescan_seconds`` (off the event loop) and summarizes new and changed articles one by
  one, each once (:func:`rescan_seeds`).
* **stories** -- after each rescan and feed poll round, when articles changed since,
  :func:`regroup_stories` groups the recent ones into stories, once for every chat, in
  a worker thread (:mod:`bot.compose`); digests read the stored groups.
"""

from __future__ import annotations

import asyncio
import logging
import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from telegram.ext import Application

from bot.catalog import SeedsFolderError, summarize_article, sync
from bot.compose import DigestReads, compose_digest, regroup_recent
from bot.locales import translator
from bot.schedule import (
    Slot,
    run_key,
)
from bot.store import Store, prune_expired
from bot.store.engine import DatabaseError
from bot.store.stories import StoryStore
from bot.telegram.runtime import BotContext, Runtime, runtime

__all__ = [
    "RunReport",
    "digest_job",
    "prune_job",
    "queue_due_digests",
    "regroup_stories",
    "rescan_job",
    "rescan_seeds",
]

log = logging.getLogger(__name__)

# Articles a scheduled run keeps in memory for its filtered chats (then starts over).
RECORDS_KEPT = 3000


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
    """Compose and queue the digest of every chat in ``slot`` whose days include the
    run's local weekday (blocking: call it with asyncio.to_thread from the job callback,
    then wake the outbox sender). A chat gets each (time, run key) once.

    Each chat's digest is :func:`bot.compose.compose_digest` (as ``/digest``'s): what
    is new for it, ranked, at most its /settings size (else ``max_articles``), with
    summaries unless it chose headlines only, split into messages of at most ``limit``
    UTF-16 units of visible text, under a header with the slot's local day. A chat with
    /filter terms gets the articles they let through; the ones they hold back are
    recorded as such for it (``Store.record_held_back``), after its digest was queued.
    Each article, its story id and its words are read once per run, however many chats
    have it unseen (:class:`bot.compose.DigestReads`). Articles of one story
    (``articles.story_id``, :mod:`bot.compose`) are shown once, as the clearest one
    with "Also:" links to the others, and count as one of the ``max_articles``;
    delivering it delivers them all, and a later article of a story the chat already
    had is recorded as delivered without being shown. Digests are queued in batches of
    ``batch_size`` chats, one transaction each, so the sender can start on the first
    batch while the rest are composed: ``on_batch()`` is called (in this thread) after
    each batch that queued messages -- e.g. ``lambda: loop.call_soon_threadsafe(
    sender.notify)``.
    """
    started = clock.perf_counter()
    # Articles added before the run are all the digests chose from (the store's clock):
    # once a chat's digest is sent, its next one starts after them.
    horizon = store.now_text()
    key = run_key(slot.digest_time, slot.timezone, now)
    # The run's local day: its weekday picks the chats, its date heads the digest.
    today = date.fromisoformat(key)
    weekday = today.weekday()
    due = queued = messages = nothing_new = already = 0
    # Keyed by subscriber: (chat id, forum topic; 0 the chat itself).
    batch: list[tuple[tuple[int, int], list[tuple[str, list[int]]]]] = []
    held_back: dict[tuple[int, int], list[int]] = {}
    late: dict[tuple[int, int], list[int]] = {}
    # The articles (and their story ids, words and messages) each chat's digest reads,
    # each read once a run (bounded: starts over past a few thousand).
    reads = DigestReads(store, records_kept=RECORDS_KEPT, messages_kept=batch_size)
    stories = StoryStore(store)

    def flush() -> None:
        nonlocal queued, messages, nothing_new, already
        done = set(
            store.queue_digests(key, batch, now=now, digest_time=slot.digest_time, horizon=horizon)
        )
        # Held back only for the chats whose digest this run queued (a crash in between
        # only means the filters look at those articles again next time).
        store.record_held_back((c, n) for c, n in held_back.items() if c in done)
        stories.record_shown_elsewhere((c, n) for c, n in late.items() if c in done)
        held_back.clear()
        late.clear()
        queued_before = queued
        for chat_key, chat_messages in batch:
            if chat_key not in done:
                already += 1
            elif chat_messages:
                queued += 1
                messages += len(chat_messages)
            else:
                nothing_new += 1
        batch.clear()
        if on_batch is not None and queued > queued_before:
            on_batch()

    after: tuple[int, int] | None = None
    while True:
        # A page at a time: a slot may hold a large share of 100,000 subscribers.
        chats = store.subscribers_at(
            slot.digest_time,
            slot.timezone,
            default_timezone=default_timezone,
            after_chat_id=None if after is None else after[0],
            after_topic=None if after is None else after[1],
            limit=batch_size,
            weekday=weekday,
        )
        reads.read_unseen(chat.key for chat in chats if chat.last_key_at(slot.digest_time) != key)
        terms = store.filter_terms_of(chat.key for chat in chats)
        languages = store.chat_languages(chat.chat_id for chat in chats)
        for chat in chats:
            due += 1
            if chat.last_key_at(slot.digest_time) == key:
                already += 1
                continue
            shown = compose_digest(
                store,
                chat.key,
                chat.settings.stories(max_articles),  # its /settings, else the config's
                today=today,
                terms=terms.get(chat.key, ()),
                limit=limit,
                reads=reads,
                headlines=chat.settings.headlines,
                t=translator(languages.get(chat.chat_id)),
            )
            if shown.held:
                held_back[chat.key] = shown.held
            if shown.late:
                late[chat.key] = shown.late
            batch.append((chat.key, shown.messages))
        if batch:
            flush()
        if len(chats) < batch_size:
            break
        after = chats[-1].key
    seconds = clock.perf_counter() - started
    report = RunReport(slot, key, due, queued, messages, nothing_new, already, seconds)
    log.info("%s", report.describe())
    return report


# -- the jobs ---------------------------------------------------------------------------


async def rescan_seeds(application: Application) -> None:
    """Read the seeds folder into the store, then summarize what is new or changed.

    All blocking work runs in worker threads; summaries are computed one article per
    call, so a shutdown waits for one summary at most (the rest are done next time).
    Concurrent calls run one after the other.
    """
    rt = runtime(application)
    async with rt.rescan_lock:
        config = rt.config
        try:
            report = await asyncio.to_thread(
                sync, rt.store, config.seeds.dir, summaries=False, reported=rt.reported_skips
            )
        except SeedsFolderError as exc:
            log.warning("%s: check [seeds] dir and its permissions", exc)
            return
        pending = await asyncio.to_thread(rt.store.articles_without_summary)
        done = 0
        for stored in pending:
            if rt.stopping:
                break
            await asyncio.to_thread(
                summarize_article,
                rt.store,
                stored,
                sentences=config.summary.sentences,
                language=config.summary.language,
            )
            done += 1
            rt.summarized += 1
        await regroup_stories(rt)
        if report.added or report.changed or report.retired or done:
            log.info(
                "seeds: %d new, %d changed, %d removed, %d summarized",
                report.added,
                report.changed,
                report.retired,
                done,
            )


async def regroup_stories(rt: Runtime) -> None:
    """Group the recent articles into stories again (:func:`bot.compose.
    regroup_recent`, in a worker thread), once for every chat: after each rescan and
    feed poll round, unless no article changed since the last grouping that changed
    nothing (``Runtime.stories_version``; writing story ids moves the version, so a
    grouping that wrote some is checked by one more). A failure is logged; digests then
    show the stories as last grouped."""
    try:
        version = await asyncio.to_thread(rt.store.articles_version)
        if version == rt.stories_version:
            return
        report = await asyncio.to_thread(regroup_recent, rt.store, rt.clock())
        rt.stories_version = version if report.changed == 0 else None
    except Exception:
        log.exception(
            "grouping the recent articles into stories failed; next try after a poll"
            ": digests show the stories as last grouped; report it with this traceback"
        )


async def rescan_job(context: BotContext) -> None:
    """The repeating job: start rescan_seeds, unless the previous one still runs.

    The rescan runs as a task of its own, not inside the job: python-telegram-bot's
    stop waits for running jobs, and a first scan of a big folder may summarize for
    minutes. ``_post_stop`` tells it to stop after the summary at hand instead."""
    rt = context.runtime
    if rt.rescan_lock.locked() or rt.stopping:
        return
    rt.rescan_task = asyncio.create_task(_rescan_logged(context.application), name="rescan")


async def _rescan_logged(application: Application) -> None:
    try:
        await rescan_seeds(application)
    except Exception:
        # An unreadable file is skipped inside; this is a bug or a broken database.
        log.exception(
            "rescanning the seeds folder failed; next try in the next period"
            ": check [seeds] dir and the disk, else report it with this traceback"
        )


async def prune_job(context: BotContext) -> None:
    """Daily: forget deliveries older than ``[storage] retention_days`` (in a thread,
    many short transactions, so the sender and handlers never wait long for the store)."""
    rt = context.runtime
    try:
        await asyncio.to_thread(prune_expired, rt.store, rt.config.storage.retention_days)
    except DatabaseError:
        log.exception(
            "retention: pruning the database failed; next try tomorrow"
            ": check the disk under [storage] path (space, permissions), then digestbot check"
        )


async def integrity_job(context: BotContext) -> None:
    """Once, soon after start: read the whole database (SQLite's quick_check, in a
    thread) and log damage in one line; a sound database is a DEBUG line (an idle bot
    logs nothing). The open only probes each table's first page, so a large database
    starts at once; this finds what the probe cannot."""
    rt = context.runtime
    try:
        problems = await asyncio.to_thread(rt.store.check_integrity)
    except DatabaseError:
        log.exception(
            "integrity check: the database could not be read"
            ": check [storage] path and its permissions, then run digestbot check"
        )
        return
    if problems:
        log.error(
            "database %s is corrupt (%s): restore it from a backup (digestbot check)",
            rt.store.path,
            problems[0],
        )
    else:
        log.debug("integrity check: database %s is sound", rt.store.path)


async def digest_job(context: BotContext) -> None:
    """A slot's digest time: queue every due chat's digest, waking the sender after
    each batch queued (the first digests go out while the rest are composed)."""
    rt = context.runtime
    slot = context.job.data if context.job is not None else None
    if not isinstance(slot, Slot):
        log.error(
            "digest job without its slot (%r): nothing queued: restart the bot to rebuild"
            " the schedule from the database",
            slot,
        )
        return
    config = rt.config
    loop = asyncio.get_running_loop()

    def wake_sender() -> None:  # in the run's thread, after each batch it queued
        if rt.sender is not None:
            loop.call_soon_threadsafe(rt.sender.notify)

    await asyncio.to_thread(
        queue_due_digests,
        rt.store,
        slot,
        rt.clock(),
        default_timezone=config.digest.timezone,
        max_articles=config.digest.max_articles,
        on_batch=wake_sender,
    )
    if rt.sender is not None:
        rt.sender.notify()


# -- feeds ----------------------------------------------------------------------

# How often the feed job looks for feeds due (each feed has its own interval).
FEED_TICK_SECONDS = 30.0
# Feed articles older than [sources] keep_days are deleted this often.
FEED_PRUNE_SECONDS = 3600.0


async def feed_job(context: BotContext) -> None:
    """The repeating job: poll the feeds that are due, unless the previous round still
    runs. Like the rescan, the round is a task of its own so a stop does not wait for it."""
    rt = context.runtime
    if rt.poller is None or rt.stopping or (rt.feed_task is not None and not rt.feed_task.done()):
        return
    rt.feed_task = asyncio.create_task(_poll_feeds_logged(rt), name="feeds")


async def _poll_feeds_logged(rt: Runtime) -> None:
    assert rt.poller is not None and rt.feeds is not None
    try:
        outcomes = await rt.poller.poll_due()
        new = sum(o.new for o in outcomes)
        updated = sum(o.updated for o in outcomes)
        if new or updated:
            log.info("feeds: %d polled, %d new articles, %d updated", len(outcomes), new, updated)
        # Every tick, not only after new articles: /addfeed's own polls and other
        # processes add articles too. Skipped at once while no article changed.
        await regroup_stories(rt)
        now = clock.time()
        if now - rt.feeds_pruned_at >= FEED_PRUNE_SECONDS:
            rt.feeds_pruned_at = now
            articles, keys = await asyncio.to_thread(rt.feeds.prune, rt.config.sources.keep_days)
            if articles:
                log.info(
                    "feeds: %d articles older than %d days removed (%d old entry keys)",
                    articles,
                    rt.config.sources.keep_days,
                    keys,
                )
    except Exception:
        log.exception(
            "polling the feeds failed; next try in %.0f s: report it with this traceback"
            " if it repeats",
            FEED_TICK_SECONDS,
        )
