"""The catalog: keeping the store's articles in step with the seeds folder.

``sync`` is the one step between the files and the database: scan the folder
(``articles``), upsert every article (``store``) and summarize each new or
changed one exactly once (``summarizer``). It is plain blocking code; the
running bot calls it through ``asyncio.to_thread`` so the event loop never
waits on disk or on the summarizer. The CLI's ``ingest`` and ``digest``
commands call it directly.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.articles import Skipped, scan
from bot.errors import DigestbotError, UnsupportedLanguage
from bot.store import ArticleRecord, Store
from bot.summarizer import summarize

log = logging.getLogger(__name__)


# The stages of sync's progress: each file read and its article extracted, then each
# summary made.
READING = "reading and extracting"
SUMMARIZING = "summarizing"


class SeedsFolderError(DigestbotError):
    """The seeds folder is missing or not a folder."""


@dataclass(slots=True)
class SyncReport:
    """What one sync found and did."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    retired: int = 0
    summarized: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def articles(self) -> int:
        return self.added + self.changed + self.unchanged

    def describe(self) -> str:
        """One line for people, e.g. for ``digestbot ingest``."""
        files = "file" if len(self.skipped) == 1 else "files"
        articles = "article" if self.articles == 1 else "articles"
        return (
            f"{self.articles} {articles} ({self.added} new, {self.changed} changed, "
            f"{self.unchanged} unchanged, {self.retired} removed), "
            f"{len(self.skipped)} {files} skipped, "
            f"{self.summarized} summarized in {self.seconds:.2f} s"
        )


def sync(
    store: Store,
    folder: Path,
    *,
    sentences: int = 3,
    language: str = "english",
    progress: Callable[[str, int, int], None] | None = None,
    summaries: bool = True,
    reported: set[tuple[str, str]] | None = None,
) -> SyncReport:
    """Bring ``store`` up to date with ``folder``; summarize what has no summary yet.

    ``language`` is used for articles whose own language has no stemmer, so one
    odd front-matter value never stops a summary from being made. ``summaries=False``
    only reads the folder: the running bot then summarizes article by article with
    :func:`summarize_article`, so a shutdown never waits for a whole batch.
    ``reported`` goes to :func:`bot.articles.scan`: a caller that syncs again and
    again keeps it between calls, so each skipped file is warned about once.
    ``progress(stage, done, total)`` follows the whole job: :data:`READING`, then
    :data:`SUMMARIZING`.
    """
    started = time.perf_counter()
    report = SyncReport()
    try:
        found = scan(
            folder,
            progress=None if progress is None else functools.partial(progress, READING),
            reported=reported,
        )
    except OSError as exc:
        # A missing seeds folder is a setup problem, not an empty catalog:
        # say so, and retire nothing.
        raise SeedsFolderError(f"cannot read the seeds folder: {exc}") from None
    report.skipped = found.skipped
    known = store.visible_sources()
    # One transaction for the whole folder: a thousand files are one commit, not 1,000.
    results = store.upsert_articles(found.articles)
    for article, (_number, changed) in zip(found.articles, results, strict=True):
        if article.source not in known:
            report.added += 1
        elif changed:
            report.changed += 1
        else:
            report.unchanged += 1
    report.retired = len(store.retire_missing(article.source for article in found.articles))

    # Summaries are computed once per content: a changed article lost its
    # summary in upsert_article, so this also redoes exactly the edited ones.
    pending = store.articles_without_summary() if summaries else []
    for stored in pending:
        summarize_article(store, stored, sentences=sentences, language=language)
        report.summarized += 1
        if progress is not None:
            progress(SUMMARIZING, report.summarized, len(pending))
    report.seconds = time.perf_counter() - started
    if report.added or report.changed or report.retired:
        # Without summaries the caller summarizes and logs the one line for both.
        log.log(logging.INFO if summaries else logging.DEBUG, "seeds synced: %s", report.describe())
    return report


def summarize_article(
    store: Store, stored: ArticleRecord, *, sentences: int = 3, language: str = "english"
) -> None:
    """Summarize one stored article and keep the summary (``language`` as in sync)."""
    try:
        summary = summarize(stored.text, sentences, stored.language, title=stored.title)
    except UnsupportedLanguage:
        log.warning(
            "article %s (%s): no stemmer for %r, summarizing as %s"
            ": nothing to do, or set the language in its front matter",
            stored.number,
            stored.source,
            stored.language,
            language,
        )
        summary = summarize(stored.text, sentences, language, title=stored.title)
    store.set_summary(stored.number, summary)
