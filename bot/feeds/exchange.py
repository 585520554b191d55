"""The feed list in and out: exporting the feeds as OPML, importing an OPML file's feeds.

Shared by the bot (``/opml``, :mod:`bot.telegram.handlers.opml`) and the command line
(``digestbot opml export|import``), over the pure :mod:`bot.feeds.opml` (parse, write),
:class:`bot.store.feeds.FeedStore` and :class:`bot.feeds.poll.Poller`:

* :func:`export_opml` -- every shared feed (config and admin ones), or the feeds one chat
  follows of its own, named as digests name it, in an OPML 2.0 document.
* :func:`import_feeds` -- each feed of a parsed OPML file added as ``/addfeed`` adds one:
  a URL that is already an active feed (or listed twice) is skipped without fetching;
  the others are fetched and parsed once (a few at a time), then stored. The
  :class:`ImportReport` says what was added, skipped and why each failure failed.
* :func:`import_follows` -- the same for one chat (``/add``'s rules and limits): the
  file's feeds become feeds the chat follows of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.config import Config
from bot.errors import FetchError, NotAWebPage
from bot.feeds.opml import OpmlDocument, OpmlFeed, write_opml
from bot.feeds.parse import NotAFeed
from bot.feeds.poll import Poller
from bot.locales import N_, Phrase
from bot.store.feeds import FeedRow, FeedStore
from bot.web.fetch import Fetcher

__all__ = [
    "IMPORT_CONCURRENCY",
    "ImportLine",
    "ImportReport",
    "export_opml",
    "import_feeds",
    "import_file_feeds",
    "import_follows",
]

log = logging.getLogger(__name__)

IMPORT_CONCURRENCY = 8  # feeds probed at once during an import (the Fetcher limits hosts)


@dataclass(frozen=True, slots=True)
class ImportLine:
    """What became of one feed of the file."""

    url: str
    outcome: Literal["added", "skipped", "failed"]
    feed: FeedRow | None = None  # the feed added, or the one it already was
    reason: str | Phrase = ""  # why it was skipped or failed (said in a chat's language)

    def describe(self) -> str:
        """One line: ``added [3] Name <url>``, ``skipped <url>: already feed 3``..."""
        if self.outcome == "added":
            assert self.feed is not None
            return f"added [{self.feed.id}] {self.feed.label} <{self.url}>"
        return f"{self.outcome} <{self.url}>: {self.reason}"


SHARED_ALREADY = Phrase.of(N_("a shared source already"))


def _already(row: FeedRow) -> Phrase:
    return Phrase.of(N_("already feed {id}"), id=row.id)


@dataclass(slots=True)
class ImportReport:
    """An import's lines, in the file's order."""

    lines: list[ImportLine] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def added(self) -> list[ImportLine]:
        return [line for line in self.lines if line.outcome == "added"]

    def summary(self) -> str:
        """``5 feeds in the file: 3 added, 1 skipped, 1 failed``."""
        total = len(self.lines)
        return (
            f"{total} {'feed' if total == 1 else 'feeds'} in the file: "
            f"{self.count('added')} added, {self.count('skipped')} skipped, "
            f"{self.count('failed')} failed"
        )


def export_opml(
    feeds: FeedStore,
    *,
    created: datetime | None = None,
    chat: tuple[int, int] | None = None,
) -> tuple[bytes, int]:
    """Every shared feed (config and admin ones) as an OPML 2.0 document, or with
    ``chat`` = (chat id, topic) the feeds that chat follows of its own; returns
    (document, number of feeds). Blocking (reads the store)."""
    rows = feeds.shared_feeds() if chat is None else feeds.followed(chat[0], topic=chat[1])
    entries = [
        OpmlFeed(url=row.url, title=row.label if row.label != row.url else None) for row in rows
    ]
    return write_opml(entries, created=created), len(entries)


async def import_feeds(
    feeds: FeedStore,
    poller: Poller,
    document: OpmlDocument,
    *,
    added_by: int | None = None,
    concurrency: int = IMPORT_CONCURRENCY,
) -> ImportReport:
    """Add the document's feeds as ``/addfeed`` would (shared with every chat); see the
    module docstring.

    ``poller.probe`` fetches and parses each feed once. Each feed is isolated: one that
    fails never stops the others.
    """
    shared = await asyncio.to_thread(feeds.shared_feeds)
    known = {row.url: (row, _already(row)) for row in shared}

    async def add(url: str, final: str, title: str | None) -> ImportLine:
        row, new = await asyncio.to_thread(feeds.add_feed, final, title=title, added_by=added_by)
        if new:
            return ImportLine(url, "added", row)
        return ImportLine(url, "skipped", row, _already(row))

    return await _import(poller, document, known, add, concurrency=concurrency)


async def import_follows(
    feeds: FeedStore,
    poller: Poller,
    document: OpmlDocument,
    *,
    chat_id: int,
    topic: int = 0,
    added_by: int | None = None,
    max_per_chat: int,
    max_feeds: int,
    concurrency: int = IMPORT_CONCURRENCY,
) -> ImportReport:
    """The chat follows the document's feeds as ``/add`` would (only its followers read
    a feed that is not shared). A feed the chat follows or a shared one is skipped
    without fetching; feeds beyond the chat's room under ``max_per_chat`` fail without
    fetching; ``max_feeds`` is checked as each one is added."""
    own = await asyncio.to_thread(feeds.followed, chat_id, topic=topic)
    shared = await asyncio.to_thread(feeds.shared_feeds)
    known = {row.url: (row, SHARED_ALREADY) for row in shared}
    known.update(
        {row.url: (row, Phrase.of(N_("followed already ({id})"), id=row.id)) for row in own}
    )
    room = max_per_chat - len(own)
    full = Phrase.of(N_("over this chat's limit of {limit} feeds"), limit=max_per_chat)

    async def add(url: str, final: str, title: str | None) -> ImportLine:
        done = await asyncio.to_thread(
            feeds.follow,
            chat_id,
            final,
            topic=topic,
            title=title,
            added_by=added_by,
            max_per_chat=max_per_chat,
            max_feeds=max_feeds,
        )
        match done.outcome:
            case "followed":
                return ImportLine(url, "added", done.feed)
            case "already":
                return ImportLine(url, "skipped", done.feed, Phrase.of(N_("followed already")))
            case "shared":
                return ImportLine(url, "skipped", done.feed, SHARED_ALREADY)
            case "chat_full":
                return ImportLine(url, "failed", None, full)
            case _:
                most = Phrase.of(N_("the bot reads {limit} feeds, its most"), limit=max_feeds)
                return ImportLine(url, "failed", None, most)

    return await _import(
        poller, document, known, add, concurrency=concurrency, room=room, full=full
    )


async def _import(
    poller: Poller,
    document: OpmlDocument,
    known: dict[str, tuple[FeedRow, Phrase]],
    add: Callable[[str, str, str | None], Awaitable[ImportLine]],
    *,
    concurrency: int,
    room: int | None = None,
    full: Phrase | None = None,
) -> ImportReport:
    """Probe the document's feeds (a few at a time; ``known`` URLs skipped, and beyond
    ``room`` new ones failed with ``full``, without fetching), then ``add`` each
    readable one in the file's order."""
    slots = asyncio.Semaphore(concurrency)
    seen: set[str] = set()

    async def probe(entry: OpmlFeed) -> ImportLine | tuple[str, str | None]:
        """An ImportLine when the feed is done with (skipped, failed), else what the
        probe found, to be added in the file's order (ids follow the file)."""
        url = entry.url
        if url in known:
            row, reason = known[url]
            return ImportLine(url, "skipped", row, reason)
        if url in seen:
            return ImportLine(url, "skipped", None, Phrase.of(N_("listed twice in the file")))
        seen.add(url)
        if room is not None and len(seen) > room:
            return ImportLine(url, "failed", None, full or "")
        async with slots:
            try:
                final, parsed = await poller.probe(url)
            except NotAWebPage as exc:  # the fetcher's words are for pages
                sent = exc.content_type or "no content type"
                refusal = Phrase.of(N_("not a feed (the server sent {type})"), type=sent)
                return ImportLine(url, "failed", None, refusal)
            except FetchError as exc:
                return ImportLine(url, "failed", None, exc.phrase)
            except NotAFeed as exc:
                return ImportLine(url, "failed", None, exc.phrase)
            except Exception as exc:  # one feed's surprise must not lose the others
                log.exception(
                    "OPML import: %s failed unexpectedly: the other feeds are imported"
                    "; a bug, report it with this traceback",
                    url,
                )
                error = Phrase.of(N_("unexpected error ({error})"), error=type(exc).__name__)
                return ImportLine(url, "failed", None, error)
        return final, parsed.title or entry.title

    # Probed at once (a few at a time), added one after another in the file's order.
    probed = await asyncio.gather(*(probe(entry) for entry in document.feeds))
    lines: list[ImportLine] = []
    for entry, outcome in zip(document.feeds, probed, strict=True):
        if isinstance(outcome, ImportLine):
            lines.append(outcome)
            continue
        final, title = outcome
        lines.append(await add(entry.url, final, title))
    return ImportReport(lines)


async def import_file_feeds(
    feeds: FeedStore, config: Config, document: OpmlDocument
) -> ImportReport:
    """The command line's import: a Fetcher and Poller of its own for the time it takes."""
    async with Fetcher(config.fetch) as fetcher:
        poller = Poller(feeds, fetcher, config)
        try:
            return await import_feeds(feeds, poller, document)
        finally:
            poller.close()
