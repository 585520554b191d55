"""What every ``digestbot`` command shares: the config a command reads (``--config``,
else ``./config.toml``, else the defaults), one-line errors on stderr, the progress bar
on a terminal, and the seeds folder read into the store."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.catalog import SyncReport
    from bot.config import Config
    from bot.store import Store

DEFAULT_CONFIG = Path("config.toml")


def load(args: argparse.Namespace) -> Config:
    """The config a command runs with: ``--config``, else ``./config.toml`` if there is
    one, else the built-in defaults."""
    from bot.config import default_config, load_config

    if args.config is not None:
        return load_config(args.config)
    if DEFAULT_CONFIG.exists():
        return load_config(DEFAULT_CONFIG)
    return default_config()


def error(message: str) -> None:
    """One line on stderr, as every command reports what it could not do."""
    print(f"digestbot: error: {message}", file=sys.stderr)


def progress_for(stream: TextIO, job: str) -> Callable[[str, int, int], None] | None:
    """A ``progress(stage, done, total)`` callback drawing a bar per stage of ``job`` on
    ``stream`` when it is a terminal; elsewhere None (the command's summary line says
    what was done)."""
    if not stream.isatty():
        return None
    from bot.progress import StagedProgress

    return StagedProgress(stream, job=job)


def sync_seeds(store: Store, config: Config) -> SyncReport:
    """The seeds folder read into ``store``, what is new summarized (a bar on a terminal)."""
    from bot.catalog import sync

    return sync(
        store,
        config.seeds.dir,
        sentences=config.summary.sentences,
        language=config.summary.language,
        progress=progress_for(sys.stderr, "ingest"),
    )
