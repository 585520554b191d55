"""The ``digestbot`` command line: the parser and the entry point.

``build_parser`` names every sub-command with its options and example; each hands the
parsed arguments to its function in :mod:`bot.commands` (one module per noun: articles,
database, feeds, stories, service), which calls the same library the bot uses and
prints the result. Every error digestbot raises on purpose (``DigestbotError``) becomes
one line on stderr and exit status 1; usage errors exit with 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO

from bot import __version__
from bot.commands.articles import extract_command, summarize_command
from bot.commands.common import DEFAULT_CONFIG, error
from bot.commands.database import (
    check_command,
    digest_command,
    ingest_command,
    migrate_command,
)
from bot.commands.feeds import fetch_command, opml_command, sources_command
from bot.commands.service import doctor_command, init_command, run_command
from bot.commands.stories import group_stories_command, rank_command
from bot.errors import ConfigError, DigestbotError
from bot.logs import setup_logging
from bot.store.engine import DatabaseError

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digestbot",
        description="Turn news articles into short digests, on the command line or in Telegram.",
        epilog="Run 'digestbot COMMAND --help' for the options and an example of each command.",
    )
    parser.add_argument("--version", action="version", version=f"digestbot {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    summarize = _command(
        commands,
        "summarize",
        "print the title and summary of article files or web pages",
        "digestbot summarize seeds/000_4ebf0534fdb740ea.txt\n"
        "  digestbot summarize --sentences 2 --json seeds/*.txt\n"
        "  digestbot summarize https://example.com/news/story",
    )
    summarize.add_argument(
        "files",
        nargs="+",
        metavar="FILE|URL",
        help="article files, or http(s) links fetched under the [fetch] rules",
    )
    summarize.add_argument(
        "--sentences", type=_positive_int, default=3, metavar="N", help="sentences (default 3)"
    )
    summarize.add_argument(
        "--language",
        default=None,
        help="summarize every file in this language (default: each file's own)",
    )
    summarize.add_argument(
        "--json", action="store_true", help="one JSON object per line: file, title, url, ..."
    )
    _config_option(summarize)
    summarize.set_defaults(handler=summarize_command)

    extract = _command(
        commands,
        "extract",
        "print what the summarizer sees of each file: title, date, link, language, text",
        "digestbot extract seeds/000_4ebf0534fdb740ea.txt\n"
        "  digestbot extract --json saved-page.html",
    )
    extract.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="article files (.txt, .md, .html)"
    )
    extract.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line: file, title, date, url, language, text",
    )
    extract.set_defaults(handler=extract_command)

    _command(
        commands,
        "digest",
        "print the digest a new subscriber would get now",
        "digestbot digest --config config.toml",
        handler=digest_command,
        config=True,
    )

    _command(
        commands,
        "ingest",
        "read the seeds folder into the database and summarize what is new",
        "digestbot ingest --config config.toml",
        handler=ingest_command,
        config=True,
    )

    _command(
        commands,
        "fetch",
        "poll every feed once and store what is new",
        "digestbot fetch --config config.toml",
        handler=fetch_command,
        config=True,
    )

    _command(
        commands,
        "sources",
        "list the feeds with their state",
        "digestbot sources --config config.toml",
        handler=sources_command,
        config=True,
    )

    opml = _command(
        commands,
        "opml",
        "export the feeds to an OPML file, or add the feeds of one",
        "digestbot opml export feeds.opml --config config.toml\n"
        "  digestbot opml import feedly.opml --config config.toml",
    )
    opml.add_argument("action", choices=("export", "import"), help="export or import")
    opml.add_argument("file", type=Path, metavar="FILE", help="the OPML file ('-': stdout/stdin)")
    _config_option(opml)
    opml.set_defaults(handler=opml_command)

    group = _command(
        commands,
        "group-stories",
        "group a JSON-lines file of articles into stories",
        "digestbot group-stories articles.jsonl.gz > stories.jsonl\n"
        "  (each line in: id, language, title, text, published;"
        ' each line out: {"id": ..., "story": ...})',
    )
    group.add_argument("file", type=Path, metavar="FILE", help="JSON lines, may be gzipped")
    group.set_defaults(handler=group_stories_command)

    check = _command(
        commands,
        "check",
        "read the whole database and say whether it is sound (SQLite's quick_check)",
        "digestbot check --config config.toml",
    )
    _config_option(check)
    check.set_defaults(handler=check_command)

    migrate = _command(
        commands,
        "migrate",
        "copy the SQLite database whole into an empty PostgreSQL database",
        "digestbot migrate --to postgresql://digestbot@db.internal/digestbot --config config.toml\n"
        "  digestbot migrate --from digestbot.sqlite3 --to postgresql://localhost/digestbot\n"
        "  (stop the bot first; then set [storage] url to the --to URL and start it again)",
    )
    migrate.add_argument(
        "--to", required=True, metavar="URL", help="the PostgreSQL database (postgresql://...)"
    )
    migrate.add_argument(
        "--from",
        dest="source",
        default=None,
        metavar="PATH",
        help="the SQLite file (default: the config's [storage] database)",
    )
    _config_option(migrate)
    migrate.set_defaults(handler=migrate_command)
    ranked = _command(
        commands,
        "rank",
        "print what a digest of N items would show of a JSON-lines file of articles",
        "digestbot rank articles.jsonl --limit 10\n"
        "  (each line in: id, language, title, text, published, source;"
        ' each line out, in digest order: {"id": ..., "story": ..., "also": [...]})',
    )
    ranked.add_argument("file", type=Path, metavar="FILE", help="JSON lines, may be gzipped")
    ranked.add_argument(
        "--limit", type=_positive_int, default=10, metavar="N", help="items in the digest (10)"
    )
    ranked.set_defaults(handler=rank_command)

    init = _command(
        commands,
        "init",
        "write a commented config file (the example's), with the bot's token",
        "digestbot init\n"
        "  digestbot init --token 123456789:AAE... --config /opt/digestbot/config.toml\n"
        "  (the token: --token, else TELEGRAM_BOT_TOKEN, else asked on the terminal)",
    )
    init.add_argument("--token", default=None, help="the bot's token from @BotFather")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        metavar="PATH",
        help=f"the file to write (default: ./{DEFAULT_CONFIG})",
    )
    init.set_defaults(handler=init_command)

    doctor = _command(
        commands,
        "doctor",
        "check a config end to end: token, database, seeds folder, every feed",
        "digestbot doctor --config config.toml\n"
        "  digestbot doctor --integrity   (also read the whole database)\n"
        "  (one line per finding, naming the key to change; exit status 0 only when all is"
        " well)",
    )
    doctor.add_argument(
        "--integrity",
        action="store_true",
        help="also read the whole database (SQLite's quick_check; slow on a big one)",
    )
    _config_option(doctor)
    doctor.set_defaults(handler=doctor_command)

    _command(
        commands,
        "run",
        "run the Telegram bot",
        "TELEGRAM_BOT_TOKEN=123456:ABC... digestbot run --config config.toml",
        handler=run_command,
        config=True,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, default=logging.INFO if args.command == "run" else logging.WARNING)
    try:
        return args.handler(args, sys.stdout)
    except DigestbotError as exc:
        error(str(exc))
        return 1
    except DatabaseError as exc:
        # "database or disk is full", "database is locked", a corrupt file: the store
        # changes nothing half-way (each change is one transaction), so one line is all.
        error(f"database: {exc}")
        return 1
    except OSError as exc:
        # Disk full or unreadable while writing or reading a file (not the database).
        error(f"{exc.strerror or exc}: {exc.filename or ''}")
        return 1
    except KeyboardInterrupt:
        return 130


# -- helpers ---------------------------------------------------------------


class _Subcommands(Protocol):
    """What ``ArgumentParser.add_subparsers`` returns, as far as :func:`_command` uses it."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def _command(
    commands: _Subcommands,
    name: str,
    help: str,
    example: str,
    *,
    handler: Callable[[argparse.Namespace, TextIO], int] | None = None,
    config: bool = False,
) -> argparse.ArgumentParser:
    """A subcommand's parser, with its example, its ``--config`` option when ``config``
    and its ``handler`` when given."""
    parser = commands.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if config:
        _config_option(parser)
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"TOML config file (default: ./{DEFAULT_CONFIG} if it exists, else built-in defaults)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


__all__ = ["ConfigError", "build_parser", "main"]
