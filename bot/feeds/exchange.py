"""The feed list in and out: exporting the feeds as OPML, importing an OPML file's feeds.

Shared by the bot (``/opml``, :mod:`bot.telegram.handlers.opml`) and the command line
(``digestbot opml export|import``), over the pure :mod:`bot.feeds.opml` (parse, write),
:class:`bot.store.feeds.FeedStore` and :class:`bot.feeds.poll.Poller`:

* :func:`export_opml` -- every active feed (config and admin ones), named as digests
  name it, in an OPML 2.0 document.
* :func:`import_feeds` -- each feed of a parsed OPML file added as ``/addfeed`` adds one:
  a URL that is already an active feed (or listed twice) is skipped without fetching;
  the others are fetched and parsed once (a few at a time), then stored. The
  :class:`ImportReport` says what was added, skipped and why each failure failed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.config import Config
from bot.errors import FetchError, NotAWebPage
from bot.feeds.opml import OpmlDocument, OpmlFeed, write_opml
from bot.feeds.parse import NotAFeed
from bot.feeds.poll import Poller
from bot.store.feeds import FeedRow, FeedStore
from bot.web.fetch import Fetcher

__all__ = [
    "IMPORT_CONCURRENCY",
    "ImportLine",
    "ImportReport",
    "export_opml",
    "import_feeds",
    "import_file_feeds",
]

log = logging.getLogger(__name__)

IMPORT_CONCURRENCY = 8  # feeds probed at once during an import (the Fetcher limits hosts)


@dataclass(frozen=True, slots=True)
class ImportLine:
    """What became of one feed of the file."""

    url: str
    outcome: Literal["added", "skipped", "failed"]
    feed: FeedRow | None = None  # the feed added, or the one it already was
    reason: str = ""  # why it was skipped or failed

    def describe(self) -> str:
        """One line: ``added [3] Name <url>``, ``skipped <url>: already feed 3``..."""
        if self.outcome == "added":
            assert self.feed is not None
            return f"added [{self.feed.id}] {self.feed.label} <{self.url}>"
        return f"{self.outcome} <{self.url}>: {self.reason}"


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


def export_opml(feeds: FeedStore, *, created: datetime | None = None) -> tuple[bytes, int]:
    """Every active feed as an OPML 2.0 document; returns (document, number of feeds).
    Blocking (reads the store)."""
    rows = feeds.feeds()
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
    """Add the document's feeds as ``/addfeed`` would; see the module docstring.

    ``poller.probe`` fetches and parses each feed once. Each feed is isolated: one that
    fails never stops the others.
    """
    known = {row.url: row for row in await asyncio.to_thread(feeds.feeds)}
    slots = asyncio.Semaphore(concurrency)
    seen: set[str] = set()

    async def probe(entry: OpmlFeed) -> ImportLine | tuple[str, str | None]:
        """An ImportLine when the feed is done with (skipped, failed), else what the
        probe found, to be added in the file's order (ids follow the file)."""
        url = entry.url
        if url in known:
            return ImportLine(url, "skipped", known[url], f"already feed {known[url].id}")
        if url in seen:
            return ImportLine(url, "skipped", None, "listed twice in the file")
        seen.add(url)
        async with slots:
            try:
                final, parsed = await poller.probe(url)
            except NotAWebPage as exc:  # the fetcher's words are for pages
                sent = exc.content_type or "no content type"
                return ImportLine(url, "failed", None, f"not a feed (the server sent {sent})")
            except FetchError as exc:
                return ImportLine(url, "failed", None, exc.detail)
            except NotAFeed as exc:
                return ImportLine(url, "failed", None, str(exc))
            except Exception as exc:  # one feed's surprise must not lose the others
                log.exception("OPML import: %s failed unexpectedly", url)
                return ImportLine(url, "failed", None, f"unexpected error ({type(exc).__name__})")
        return final, parsed.title or entry.title

    # Probed at once (a few at a time), added one after another in the file's order.
    probed = await asyncio.gather(*(probe(entry) for entry in document.feeds))
    lines: list[ImportLine] = []
    for entry, outcome in zip(document.feeds, probed, strict=True):
        if isinstance(outcome, ImportLine):
            lines.append(outcome)
            continue
        final, title = outcome
        row, new = await asyncio.to_thread(feeds.add_feed, final, title=title, added_by=added_by)
        if new:
            lines.append(ImportLine(entry.url, "added", row))
        else:
            lines.append(ImportLine(entry.url, "skipped", row, f"already feed {row.id}"))
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
