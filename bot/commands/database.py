"""``digestbot ingest``, ``digestbot digest`` and ``digestbot check``: the database, as the
bot keeps it: the seeds folder read in, the digest a new subscriber would get from it,
and whether the file is sound."""

from __future__ import annotations

import argparse
from typing import TextIO

from bot.commands.common import load, sync_seeds


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
