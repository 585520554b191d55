"""``digestbot ingest``, ``digestbot digest``, ``digestbot check`` and ``digestbot
migrate``: the database, as the bot keeps it: the seeds folder read in, the digest a new
subscriber would get from it, whether the file is sound, and the whole file copied into
PostgreSQL."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from bot.commands.common import load, progress_for, sync_seeds


def digest_command(args: argparse.Namespace, out: TextIO) -> int:
    config = load(args)
    from datetime import datetime

    from bot.compose import compose_digest, regroup_recent
    from bot.digest import compose_text
    from bot.schedule import zone
    from bot.store import Store

    # The day in the header: today where the digests go out (the config's timezone).
    now = datetime.now(zone(config.digest.timezone))
    with Store(config.storage.database) as store:
        sync_seeds(store, config)
        # As the bot does after a rescan: one story once, with "Also:" its other sources.
        regroup_recent(store, now)
        # The bot's digest for someone who has seen nothing yet, as plain text.
        composed = compose_digest(store, None, config.digest.max_articles, today=now.date())
        text = compose_text(
            composed.entries,
            today=now.date(),
            also=composed.also,
            new=composed.new,
            more=composed.more,
        )
    out.write(text if text.endswith("\n") else text + "\n")
    return 0


def ingest_command(args: argparse.Namespace, out: TextIO) -> int:
    config = load(args)
    from bot.store import Store

    with Store(config.storage.database) as store:
        report = sync_seeds(store, config)
    out.write(report.describe() + "\n")
    return 0


def check_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.store import Store

    config = load(args)
    with Store(config.storage.database) as store:
        store.raise_if_corrupt()  # damage: the one line "database ... is corrupt (...)"
        if store.engine == "postgresql":  # PostgreSQL checks its own pages
            out.write(f"database {store.path} opens (PostgreSQL)\n")
            return 0
    out.write(f"database {config.storage.path} is sound (SQLite quick_check)\n")
    return 0


def migrate_command(args: argparse.Namespace, out: TextIO) -> int:
    """Copy the SQLite database (``--from``, else the config's) into the PostgreSQL
    database ``--to``; one line per table with its rows, then the total. Refused while
    a bot runs on the file (its instance lock)."""
    import sys
    from pathlib import Path

    from bot.store.copy import CopyError, copy_database
    from bot.store.engine import parse_target
    from bot.telegram.lock import InstanceLock

    source = args.source if args.source is not None else load(args).storage.database
    where = parse_target(source)
    if where.engine != "sqlite":
        raise CopyError(f"the source must be a SQLite file, not {where}: say --from PATH")
    if not Path(where.location).is_file():
        raise CopyError(f"no SQLite database at {where}")
    with InstanceLock(where.location):
        report = copy_database(
            source, args.to, progress=_big_tables(progress_for(sys.stderr, "migrate"))
        )
    width = max(len(table) for table, _ in report.tables)
    for table, rows in report.tables:
        out.write(f"{table:<{width}}  {rows:>9}\n")
    out.write(f"{'total':<{width}}  {report.total:>9}\n")
    out.write(
        f"copied {where} into {report.target} (schema version {report.version}):"
        " every table's rows counted the same on both\n"
    )
    return 0


def _big_tables(
    progress: Callable[[str, int, int], None] | None,
) -> Callable[[str, int, int], None] | None:
    """``progress`` for the tables of more than one chunk (a bar each); the small
    ones pass without one."""
    if progress is None:
        return None
    from bot.store.copy import CHUNK

    def shown(table: str, done: int, total: int) -> None:
        if total > CHUNK:
            progress(table, done, total)

    return shown
