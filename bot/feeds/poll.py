"""Polling feeds: fetch, parse, recognise, fetch full text, extract, summarize, store.

:class:`Poller` is thin glue over :mod:`bot.web.fetch` (HTTP), :mod:`bot.feeds.parse` (parsing
and keys), :mod:`bot.feeds.entries` (an entry and its page made into a summarized
article) and :class:`bot.store.feeds.FeedStore`. One poll of one feed:

1. conditional GET of the feed (``ETag``/``Last-Modified``); a 304 costs no parsing;
   a permanent redirect updates the stored URL;
2. the document parsed off the event loop; every entry's keys looked up at once: an
   entry already known with the same fingerprint is unchanged, an edited one is
   rebuilt and updates its article (same number, not sent again), a new one whose
   publication date is older than ``[sources] keep_days`` is only remembered;
3. for new and edited entries with fewer than ``full_text_below_words`` words, the
   linked page is fetched and extracted (falling back to the feed's own text); an
   entry whose text is still shorter than a sentence
   (:data:`bot.feeds.entries.MIN_TEXT_WORDS` words: a link label such as "Comments")
   is skipped with its reason;
4. building the article (extraction, first-sentence title, language, summary) runs in
   ``executor`` -- threads by default, or a process pool -- and storing it in a
   thread, so the event loop only does I/O. Storing looks the entry's keys up again
   (one feed at a time), so the same post read at once from two feeds of one site
   (its Atom and its JSON feed) is stored once.

Language: the config's ``language`` for the feed when it gives one, else told from the
text (:mod:`bot.feeds.entries`).

Failures: one entry's failure costs only that entry (one log line); each feed's poll is
isolated (one broken feed never stops the others);
a failing feed is polled again after an exponential backoff (interval × 2^failures,
at most a day; a server's ``Retry-After`` when it asks for longer). Logged are its state
changes, not each poll: one WARNING when it starts failing, one more when it has failed
for a day (it also shows in ``/stats``), one INFO line when it works again. Polls are spread
over the interval: a feed's first poll is at a stable offset within its interval.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.config import Config
from bot.errors import FetchError, HTTPStatus, NotAnArticle
from bot.feeds.entries import Built, build_article, feed_language
from bot.feeds.parse import FeedEntry, NotAFeed, ParsedFeed, entry_keys, parse_feed
from bot.store import Store
from bot.store.feeds import FeedRow, FeedStore
from bot.web.fetch import Fetcher

__all__ = ["PollOutcome", "Poller", "poll_once"]

log = logging.getLogger(__name__)

DAY = 86_400.0
FIRST_POLL_SPREAD = 600.0  # seconds
MAX_ENTRIES = 200  # entries read from one document (the newest, as feeds list them)
# The label of poll_many's progress: feeds fetched, then their new entries built.
PROGRESS_STAGE = "feeds and articles"


@dataclass(slots=True)
class PollOutcome:
    """What one poll of one feed did."""

    feed: FeedRow
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: bool = False
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def status(self) -> Literal["new", "updated", "unchanged", "failed"]:
        if self.error is not None:
            return "failed"
        if self.new:
            return "new"
        return "updated" if self.updated else "unchanged"

    def describe(self) -> str:
        """One line, e.g. for ``digestbot fetch``."""
        head = f"[{self.feed.id}] {self.feed.label}"
        if self.error is not None:
            return f"{head}: failed: {self.error}"
        if self.not_modified:
            return f"{head}: unchanged (not modified)"
        return (
            f"{head}: {self.status}: {self.new} new, {self.updated} updated,"
            f" {self.unchanged} unchanged"
        )


@dataclass(slots=True)
class _Step:
    entry: FeedEntry
    keys: list[str]
    number: int | None  # None: new


class Poller:
    """Polls the store's feeds with ``fetcher``; see the module docstring.

    ``executor`` runs :func:`build_article` (default: a thread pool of
    ``[sources] workers``); the caller owns an executor it passes in.
    """

    def __init__(
        self,
        store: FeedStore,
        fetcher: Fetcher,
        config: Config,
        *,
        executor: Executor | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.feeds = store
        self.fetcher = fetcher
        self.config = config
        self._own_executor = executor is None
        self.executor = executor or ThreadPoolExecutor(
            config.sources.workers, thread_name_prefix="feed-build"
        )
        self._clock = clock
        # Entries being fetched and built at once, all feeds together: enough to keep the
        # workers busy while pages download, few enough that pages do not pile up in memory.
        self._entry_slots = asyncio.Semaphore(max(8, 4 * config.sources.workers))
        self._polling: set[int] = set()
        self._warned: set[int] = set()
        # Called with each poll's status: new, updated, unchanged, failed (metrics).
        self.on_outcome: Callable[[str], object] | None = None
        # progress(stage, done, total) over poll_many's whole job (``digestbot fetch``):
        # each feed fetched and parsed and each new entry fetched, extracted and
        # summarized is one step; the total grows as feeds reveal their new entries.
        self.progress: Callable[[str, int, int], object] | None = None
        self._steps_done = 0
        self._steps_total = 0
        # Held (in a storing thread) from looking an entry's keys up to adding it.
        self._adding = threading.Lock()

    def close(self) -> None:
        if self._own_executor:
            self.executor.shutdown(wait=False, cancel_futures=True)

    # -- scheduling -------------------------------------------------------------------

    def interval(self, feed: FeedRow) -> float:
        """Seconds between polls of ``feed``."""
        return 60.0 * (feed.interval_minutes or self.config.sources.interval_minutes)

    def first_poll_at(self, feed: FeedRow, now: float) -> float:
        """A stable moment (by a hash of the URL) within the feed's interval, at most
        :data:`FIRST_POLL_SPREAD` away: after a start, polls are spread out but new feeds
        are not kept waiting for a whole interval. Later polls keep the spacing."""
        digest = hashlib.sha256(feed.url.encode()).digest()
        spread = min(self.interval(feed), FIRST_POLL_SPREAD)
        return now + spread * (int.from_bytes(digest[:4]) / 2**32)

    def backoff(self, feed: FeedRow, failures: int, retry_in: float | None) -> float:
        """Seconds until the next try after ``failures`` failures in a row: the interval
        doubling per failure (a minute at least), capped at a day; longer when the
        server's Retry-After asks for it."""
        base = max(60.0, min(self.interval(feed), 3600.0))
        delay = min(base * 2 ** min(failures - 1, 20), DAY)
        return max(delay, min(retry_in, DAY)) if retry_in else delay

    async def poll_due(self) -> list[PollOutcome]:
        """Poll every feed whose time has come (feeds never scheduled get their spread
        first poll time instead), concurrently; returns what the polls did."""
        now = self._clock()
        feeds = await asyncio.to_thread(self.feeds.feeds)
        due = []
        for feed in feeds:
            if feed.id in self._polling:
                continue
            if not feed.shared and not self.config.sources.user_feeds:
                continue  # users' own feeds are off: only the operator's are read
            if feed.next_poll_at is None:
                await asyncio.to_thread(self.feeds.schedule, feed.id, self.first_poll_at(feed, now))
            elif feed.next_poll_at <= now:
                due.append(feed)
        return await self.poll_many(due)

    async def poll_many(self, feeds: Sequence[FeedRow]) -> list[PollOutcome]:
        """Poll these feeds concurrently (the fetcher limits the connections)."""
        self._add_steps(len(feeds))
        return list(await asyncio.gather(*(self._poll_step(feed) for feed in feeds)))

    async def _poll_step(self, feed: FeedRow) -> PollOutcome:
        try:
            return await self.poll_feed(feed)
        finally:
            self._step_done()

    def _add_steps(self, count: int) -> None:
        self._steps_total += count
        if self.progress is not None and count:
            self.progress(PROGRESS_STAGE, self._steps_done, self._steps_total)

    def _step_done(self) -> None:
        self._steps_done += 1
        if self.progress is not None:
            self.progress(PROGRESS_STAGE, self._steps_done, self._steps_total)

    # -- one feed -------------------------------------------------------------------

    async def poll_feed(self, feed: FeedRow) -> PollOutcome:
        """Poll one feed now; never raises for the feed's own problems."""
        outcome = PollOutcome(feed)
        self._polling.add(feed.id)
        try:
            await self._poll(feed, outcome)
        except FetchError as exc:
            retry_in = exc.retry_in if isinstance(exc, HTTPStatus) else None
            await self._failed(feed, outcome, exc.detail, retry_in)
        except NotAFeed as exc:
            await self._failed(feed, outcome, str(exc), None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not stop the other feeds' polls
            log.exception(
                "feed %s: poll failed unexpectedly, retried with backoff"
                ": a bug, report it with this traceback",
                feed.url,
            )
            await self._failed(feed, outcome, f"internal error: {exc!r}", None)
        finally:
            self._polling.discard(feed.id)
        if self.on_outcome is not None:
            self.on_outcome(outcome.status)
        return outcome

    async def _poll(self, feed: FeedRow, outcome: PollOutcome) -> None:
        result = await self.fetcher.fetch(
            feed.url, kind="feed", etag=feed.etag, last_modified=feed.last_modified
        )
        next_poll = self._clock() + self.interval(feed)
        if result.not_modified:
            outcome.not_modified = True
            await asyncio.to_thread(
                self.feeds.record_success, feed.id, next_poll_at=next_poll, not_modified=True
            )
            self._recovered(feed)
            return
        if result.moved_to:
            log.info("feed %s moved permanently to %s", feed.url, result.moved_to)
        loop = asyncio.get_running_loop()
        parsed: ParsedFeed = await loop.run_in_executor(
            None, parse_feed, result.body, result.headers.get("Content-Type", ""), result.final_url
        )
        if parsed.problem and not parsed.entries:
            log.info("feed %s: %s", feed.url, parsed.problem)
        await self._entries(feed, parsed, outcome)
        await asyncio.to_thread(
            self.feeds.record_success,
            feed.id,
            next_poll_at=next_poll,
            etag=result.etag,
            last_modified=result.last_modified,
            url=result.moved_to,
            title=parsed.title,
        )
        outcome.feed = replace(
            feed, title=parsed.title or feed.title, url=result.moved_to or feed.url
        )
        self._recovered(feed)

    def config_note(self, feed: FeedRow) -> str:
        """Where the operator fixes a feed written in the config file ("" for the others):
        ``" (a [[feeds]] entry in /srv/digestbot/config.toml)"``."""
        if feed.origin != "config":
            return ""
        where = str(self.config.source) if self.config.source else "the config file"
        return f" (a [[feeds]] entry in {where})"

    async def _failed(
        self, feed: FeedRow, outcome: PollOutcome, error: str, retry_in: float | None
    ) -> None:
        delay = self.backoff(feed, feed.failures + 1, retry_in)
        row = await asyncio.to_thread(
            self.feeds.record_failure, feed.id, error, next_poll_at=self._clock() + delay
        )
        # What was stored is the feed's own error; what is printed and logged also says
        # where the operator changes a feed written in the config file.
        error += self.config_note(feed)
        outcome.error = error
        if row.failures == 1:
            # A state change (it worked, or it is new): one line. While it stays failing,
            # each further poll is a DEBUG line; its recovery is one more line.
            log.warning(
                "feed %s (%s) is failing: %s; next try in %.0f s, then less and less often"
                ": check it with `digestbot doctor` or remove it with /removefeed",
                feed.label,
                feed.url,
                error,
                delay,
            )
        else:
            log.debug(
                "feed %s: failed (%d in a row, next try in %.0f s): %s",
                feed.url,
                row.failures,
                delay,
                error,
            )
        if row.failing_since and feed.id not in self._warned:
            since = datetime.fromisoformat(row.failing_since)
            if datetime.fromtimestamp(self._clock(), UTC) - since >= timedelta(days=1):
                self._warned.add(feed.id)
                log.warning(
                    "feed %s (%s) has failed for more than a day (%d polls since %s): %s"
                    ": remove it with /removefeed if the site is gone",
                    feed.label,
                    feed.url,
                    row.failures,
                    row.failing_since,
                    error,
                )

    def _recovered(self, feed: FeedRow) -> None:
        """One line when a failing feed (``feed`` as it was before this poll) works again."""
        self._warned.discard(feed.id)
        if feed.failures:
            log.info(
                "feed %s (%s) works again after %d failed polls",
                feed.label,
                feed.url,
                feed.failures,
            )

    # -- entries ----------------------------------------------------------------------

    def _plan(self, feed: FeedRow, entries: Sequence[FeedEntry]) -> tuple[list[_Step], int]:
        """Which entries are new or edited; the rest count as unchanged (blocking)."""
        keyed = [(entry, entry_keys(feed.id, entry)) for entry in entries[:MAX_ENTRIES]]
        known = self.feeds.lookup(key for _, keys in keyed for key in keys)
        alive = self.feeds.existing({number for number, _ in known.values() if number})
        cutoff = datetime.fromtimestamp(self._clock(), UTC) - timedelta(
            days=self.config.sources.keep_days
        )
        steps: list[_Step] = []
        unchanged = 0
        old: list[str] = []
        extra: list[tuple[int, list[str], str]] = []
        seen: set[str] = set()
        for entry, keys in keyed:
            if not keys or seen.intersection(keys):  # nothing to know it by, or a repeat
                unchanged += 1
                continue
            seen.update(keys)
            matched = next((key for key in keys if key in known), None)
            if matched is None:
                if entry.published is not None and entry.published < cutoff:
                    old.extend(keys)  # too old to show: only remembered
                    unchanged += 1
                else:
                    steps.append(_Step(entry, keys, None))
                continue
            number, fingerprint = known[matched]
            missing = [key for key in keys if key not in known]
            # Matched by its text alone: the same story re-published under a new id and
            # link, not an edit. A pruned article stays gone.
            edited = (
                number in alive
                and fingerprint is not None
                and fingerprint != entry.fingerprint
                and not matched.startswith(("hash:", "post:"))
            )
            if edited:
                steps.append(_Step(entry, keys, number))
                continue
            unchanged += 1
            if missing:
                extra.append((number, missing, entry.fingerprint))
        if old:
            self.feeds.remember(0, old)
        for number, keys, fingerprint in extra:
            self.feeds.remember(number, keys, fingerprint)
        return steps, unchanged

    async def _entries(self, feed: FeedRow, parsed: ParsedFeed, outcome: PollOutcome) -> None:
        steps, outcome.unchanged = await asyncio.to_thread(self._plan, feed, parsed.entries)
        if not steps:
            return
        declared = None
        if not feed.language:
            declared = await asyncio.to_thread(feed_language, parsed.entries, parsed.language)
        self._add_steps(len(steps))
        results = await asyncio.gather(*(self._entry(feed, step, declared) for step in steps))
        for result in results:
            if result == "new":
                outcome.new += 1
            elif result == "updated":
                outcome.updated += 1
            else:
                outcome.unchanged += 1

    async def _entry(self, feed: FeedRow, step: _Step, declared: str | None) -> str:
        async with self._entry_slots:
            try:
                return await self._build(feed, step, declared)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one entry's surprise must not cost the others
                log.warning(
                    "feed %s: entry %s skipped: %r"
                    ": the other entries are kept; report it if it repeats",
                    feed.url,
                    step.entry.link or step.entry.guid,
                    exc,
                )
                return "unchanged"
            finally:
                self._step_done()

    async def _build(self, feed: FeedRow, step: _Step, declared: str | None) -> str:
        entry = step.entry
        page = page_url = None
        if entry.link and entry.words < self.config.sources.full_text_below_words:
            try:
                fetched = await self.fetcher.fetch(entry.link, cache=False)
            except FetchError as exc:
                log.info(
                    "feed %s: page %s not fetched (%s), using the feed's text",
                    feed.url,
                    entry.link,
                    exc.detail,
                )
            else:
                page, page_url = fetched.text, fetched.final_url
        source = f"feed:{feed.id}:{hashlib.sha1(step.keys[0].encode()).hexdigest()}"
        loop = asyncio.get_running_loop()
        try:
            built: Built = await loop.run_in_executor(
                self.executor,
                build_article,
                source,
                entry,
                page,
                page_url,
                feed.language,
                self.config.summary.sentences,
                self.config.summary.language,
                declared,
            )
        except NotAnArticle as exc:
            log.info(
                "feed %s: entry %s skipped: %s", feed.url, entry.link or entry.guid, exc.reason
            )
            return "unchanged"
        keys = [*step.keys, *([built.page_key] if built.page_key else [])]
        return await asyncio.to_thread(self._store, feed, step, built, keys)

    def _store(self, feed: FeedRow, step: _Step, built: Built, keys: list[str]) -> str:
        if step.number is not None:
            changed = self.feeds.update_article(
                step.number,
                built.article,
                fingerprint=step.entry.fingerprint,
                summary=built.summary,
                keys=keys,
            )
            return "updated" if changed else "unchanged"
        with self._adding:
            # Looked up again now: another feed (the same site's other format) or the
            # page's canonical URL may have made it an article since the plan.
            known = self.feeds.lookup(keys)
            hit = next((known[key][0] for key in keys if key in known and known[key][0]), None)
            if hit is not None:
                missing = [key for key in step.keys if key not in known]
                if missing:
                    self.feeds.remember(hit, missing, step.entry.fingerprint)
                return "unchanged"
            added = self.feeds.add_article(
                feed.id,
                built.article,
                keys=keys,
                fingerprint=step.entry.fingerprint,
                published=step.entry.published,
                summary=built.summary,
            )
        return "new" if added is not None else "unchanged"

    # -- adding a feed ----------------------------------------------------------------

    async def probe(self, url: str) -> tuple[str, ParsedFeed]:
        """Fetch and parse ``url`` once (``/addfeed``); returns (final URL, feed).
        Raises FetchError or NotAFeed."""
        result = await self.fetcher.fetch(url, kind="feed", cache=False)
        loop = asyncio.get_running_loop()
        parsed = await loop.run_in_executor(
            None, parse_feed, result.body, result.headers.get("Content-Type", ""), result.final_url
        )
        return result.moved_to or url, parsed

    def failing_for_a_day(self, feeds: Sequence[FeedRow]) -> list[FeedRow]:
        """The feeds among ``feeds`` that have failed without a success for a day."""
        limit = datetime.fromtimestamp(self._clock(), UTC) - timedelta(days=1)
        return [
            f for f in feeds if f.failing_since and datetime.fromisoformat(f.failing_since) <= limit
        ]


async def poll_once(
    store: Store, config: Config, progress: Callable[[str, int, int], object] | None = None
) -> list[PollOutcome]:
    """Poll every feed once now (``digestbot fetch``): the config's feeds are synced
    first; returns one outcome per active feed, by feed id. ``progress``: see
    :attr:`Poller.progress`."""
    feeds = FeedStore(store)
    await asyncio.to_thread(feeds.sync_config, config.feeds)
    async with Fetcher(config.fetch) as fetcher:
        poller = Poller(feeds, fetcher, config)
        poller.progress = progress
        try:
            return await poller.poll_many(await asyncio.to_thread(feeds.feeds))
        finally:
            poller.close()
