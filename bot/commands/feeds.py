"""``digestbot fetch``, ``digestbot sources`` and ``digestbot opml``: the news feeds, polled
once, listed with their state, and exchanged as OPML files."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from bot.commands.common import load, progress_for
from bot.errors import DigestbotError

if TYPE_CHECKING:
    from bot.feeds.poll import PollOutcome


def fetch_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.feeds.poll import poll_once
    from bot.store import Store

    config = load(args)
    started = time.perf_counter()
    with Store(config.storage.database) as store:
        outcomes = asyncio.run(poll_once(store, config, progress_for(sys.stderr, "fetch")))
    for outcome in outcomes:
        out.write(outcome.describe() + "\n")
    if not outcomes:
        out.write("no feeds: add [[feeds]] to the config or /addfeed in the bot\n")
    else:
        out.write(_fetch_summary(outcomes, time.perf_counter() - started) + "\n")
    return 1 if outcomes and all(o.failed for o in outcomes) else 0


def _fetch_summary(outcomes: Sequence[PollOutcome], seconds: float) -> str:
    """The last line of ``digestbot fetch``: the whole job in figures."""
    failed = sum(o.failed for o in outcomes)
    new = sum(o.new for o in outcomes)
    updated = sum(o.updated for o in outcomes)
    return (
        f"{len(outcomes)} feed{'' if len(outcomes) == 1 else 's'} polled, {failed} failed: "
        f"{new} new article{'' if new == 1 else 's'}, {updated} updated in {seconds:.1f} s"
    )


def sources_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.store import Store
    from bot.store.feeds import FeedStore

    config = load(args)
    with Store(config.storage.database) as store:
        feeds = FeedStore(store)
        feeds.sync_config(config.feeds)
        counts = feeds.article_counts()
        rows = feeds.feeds()
        seeds = store.count_articles() - sum(counts.values())
    out.write(f"seeds  {config.seeds.dir}: {_articles(seeds)}\n")
    for row in rows:
        state = f"last success {row.last_success_at or 'never'}"
        if row.failures:
            state += f"; failing {row.failures}x since {row.failing_since}: {row.last_error}"
        elif row.last_error:
            state += f"; last error {row.last_error_at}: {row.last_error}"
        out.write(
            f"[{row.id}] {row.label} <{row.url}> ({row.origin}): "
            f"{_articles(counts.get(row.id, 0))}; {state}\n"
        )
    return 0


def opml_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.feeds.exchange import export_opml, import_file_feeds
    from bot.feeds.opml import MAX_OPML_BYTES, OpmlError, parse_opml, too_big
    from bot.store import Store
    from bot.store.feeds import FeedStore

    config = load(args)
    path, stdio = args.file, str(args.file) == "-"
    if args.action == "export":
        with Store(config.storage.database) as store:
            feeds = FeedStore(store)
            feeds.sync_config(config.feeds)
            data, count = export_opml(feeds)
        if stdio:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            path.write_bytes(data)
            out.write(f"wrote {count} {'feed' if count == 1 else 'feeds'} to {path}\n")
        return 0
    try:
        if not stdio and path.stat().st_size > MAX_OPML_BYTES:  # not read into memory
            raise DigestbotError(f"{path}: {too_big(path.stat().st_size)}")
        data = sys.stdin.buffer.read(MAX_OPML_BYTES + 1) if stdio else path.read_bytes()
        document = parse_opml(data)
    except FileNotFoundError:
        raise DigestbotError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DigestbotError(f"is a directory, not an OPML file: {path}") from None
    except OpmlError as exc:
        raise DigestbotError(f"{path}: {exc}") from None
    with Store(config.storage.database) as store:
        feeds = FeedStore(store)
        feeds.sync_config(config.feeds)
        report = asyncio.run(import_file_feeds(feeds, config, document))
    for line in report.lines:
        out.write(line.describe() + "\n")
    out.write(report.summary() + "\n")
    return 1 if report.count("failed") == len(report.lines) else 0


def _articles(count: int) -> str:
    return f"{count} article" if count == 1 else f"{count} articles"
