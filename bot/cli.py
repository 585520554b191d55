"""The ``digestbot`` command line: a thin layer over the library.

Each sub-command parses its arguments, calls the same functions the bot uses
(``articles``, ``summarizer``, ``catalog``, ``digest``, ``telegram``) and
prints the result. Every error digestbot raises on purpose (``DigestbotError``)
becomes one line on stderr and exit status 1; usage errors exit with 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO

from bot import __version__
from bot.errors import ConfigError, DigestbotError

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("config.toml")


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
    summarize.set_defaults(handler=_summarize)

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
    extract.set_defaults(handler=_extract)

    _command(
        commands,
        "digest",
        "print the digest a new subscriber would get now",
        "digestbot digest --config config.toml",
        handler=_digest,
        config=True,
    )

    _command(
        commands,
        "ingest",
        "read the seeds folder into the database and summarize what is new",
        "digestbot ingest --config config.toml",
        handler=_ingest,
        config=True,
    )

    _command(
        commands,
        "fetch",
        "poll every feed once and store what is new",
        "digestbot fetch --config config.toml",
        handler=_fetch,
        config=True,
    )

    _command(
        commands,
        "sources",
        "list the feeds with their state",
        "digestbot sources --config config.toml",
        handler=_sources,
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
    opml.set_defaults(handler=_opml)

    group = _command(
        commands,
        "group-stories",
        "group a JSON-lines file of articles into stories",
        "digestbot group-stories articles.jsonl.gz > stories.jsonl\n"
        "  (each line in: id, language, title, text, published;"
        ' each line out: {"id": ..., "story": ...})',
    )
    group.add_argument("file", type=Path, metavar="FILE", help="JSON lines, may be gzipped")
    group.set_defaults(handler=_group_stories)

    check = _command(
        commands,
        "check",
        "read the whole database and say whether it is sound (SQLite's quick_check)",
        "digestbot check --config config.toml",
    )
    _config_option(check)
    check.set_defaults(handler=_check)
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
    ranked.set_defaults(handler=_rank)

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
    init.set_defaults(handler=_init)

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
    doctor.set_defaults(handler=_doctor)

    _command(
        commands,
        "run",
        "run the Telegram bot",
        "TELEGRAM_BOT_TOKEN=123456:ABC... digestbot run --config config.toml",
        handler=_run,
        config=True,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose, default=logging.INFO if args.command == "run" else logging.WARNING)
    try:
        return args.handler(args, sys.stdout)
    except DigestbotError as exc:
        print(f"digestbot: error: {exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        # "database or disk is full", "database is locked", a corrupt file: the store
        # changes nothing half-way (each change is one transaction), so one line is all.
        print(f"digestbot: error: database: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # Disk full or unreadable while writing or reading a file (not the database).
        print(f"digestbot: error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _summarize(args: argparse.Namespace, out: TextIO) -> int:
    from bot.articles import load
    from bot.articles.files import source_name
    from bot.languages import language_name
    from bot.summarizer import SUPPORTED_LANGUAGES, summarize

    if args.language is not None and language_name(args.language) is None:
        raise DigestbotError(
            f"unsupported language {args.language!r} (supported: "
            f"{', '.join(SUPPORTED_LANGUAGES)}, with stemming; any other by name or code, "
            "e.g. japanese, ru)"
        )
    failed = False
    first = True
    fetched = _fetch_pages(args, [name for name in args.files if _is_url(name)])
    for name in args.files:
        if _is_url(name):
            page = fetched[name]
            if isinstance(page, str):
                _error(page)
                failed = True
                continue
            if not first and not args.json:
                out.write("\n")
            first = False
            _print_page(out, page, args.json)
            continue
        path = Path(name)
        try:
            article = load(path)
            language = args.language or article.language
            summary = summarize(article.text, args.sentences, language, title=article.title)
        except FileNotFoundError:
            _error(f"no such file: {path}")
            failed = True
            continue
        except IsADirectoryError:
            _error(f"is a directory, not an article file: {path}")
            failed = True
            continue
        except (OSError, DigestbotError) as exc:
            _error(f"{path}: {getattr(exc, 'reason', None) or exc}")
            failed = True
            continue
        if args.json:
            record = {
                "file": source_name(path),
                "title": article.title,
                "url": article.url,
                "date": article.date,
                "summary": summary,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        if not first:
            out.write("\n")
        first = False
        out.write(article.title + "\n")
        meta = " · ".join(x for x in (article.date, article.url) if x)
        if meta:
            out.write(meta + "\n")
        for sentence in summary:
            out.write(f"  {sentence}\n")
    return 1 if failed else 0


def _is_url(name: str) -> bool:
    return name.lower().startswith(("http://", "https://"))


def _fetch_pages(args: argparse.Namespace, urls: list[str]) -> dict[str, object]:
    """Each URL fetched (the bot's fetcher: fence, limits) and summarized, in order:
    a :class:`bot.web.links.PageSummary`, or the one-line reason it failed."""
    if not urls:
        return {}
    import asyncio

    from bot.web.fetch import Fetcher
    from bot.web.links import summarize_page

    config = _load(args)
    language = args.language or config.summary.language

    async def fetch_all() -> dict[str, object]:
        done: dict[str, object] = {}
        async with Fetcher(config.fetch) as fetcher:
            for url in urls:
                try:
                    page = await fetcher.fetch(url)
                    done[url] = summarize_page(
                        page.text,
                        page.final_url,
                        sentences=args.sentences,
                        language=language,
                        plain=page.content_type == "text/plain",
                    )
                except DigestbotError as exc:
                    message = getattr(exc, "user_message", None) or getattr(exc, "reason", exc)
                    done[url] = f"{url}: {message}"
        return done

    return asyncio.run(fetch_all())


def _print_page(out: TextIO, page, as_json: bool) -> None:
    if as_json:
        record = {
            "url": page.url,
            "title": page.title,
            "site": page.site_name,
            "date": page.date,
            "summary": list(page.sentences),
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    out.write(page.title + "\n")
    out.write(" · ".join(x for x in (page.date, page.site_name, page.url) if x) + "\n")
    for sentence in page.sentences:
        out.write(f"  {sentence}\n")


def _extract(args: argparse.Namespace, out: TextIO) -> int:
    from bot.articles import load
    from bot.articles.files import source_name

    failed = False
    for number, path in enumerate(args.files):
        try:
            article = load(path)
        except FileNotFoundError:
            _error(f"no such file: {path}")
        except IsADirectoryError:
            _error(f"is a directory, not an article file: {path}")
        except (OSError, DigestbotError) as exc:
            _error(f"{path}: {getattr(exc, 'reason', None) or exc}")
        else:
            fields = {
                "file": source_name(path),
                "title": article.title,
                "date": article.date,
                "url": article.url,
                "language": article.language,
                "text": article.text,
            }
            if args.json:
                out.write(json.dumps(fields, ensure_ascii=False) + "\n")
            else:
                head = [f"{key}: {fields[key]}" for key in ("file", "title", "date", "url")]
                head.append(f"language: {article.language}")
                out.write(("\n" if number else "") + "\n".join(head) + "\n\n")
                out.write(article.text + "\n")
            continue
        failed = True
    return 1 if failed else 0


def _digest(args: argparse.Namespace, out: TextIO) -> int:
    config = _load(args)
    from datetime import datetime

    from bot.compose import compose_digest, regroup_recent
    from bot.digest import compose_text
    from bot.schedule import zone
    from bot.store import Store

    # The day in the header: today where the digests go out (the config's timezone).
    now = datetime.now(zone(config.digest.timezone))
    with Store(config.storage.path) as store:
        _sync(store, config)
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


def _ingest(args: argparse.Namespace, out: TextIO) -> int:
    config = _load(args)
    from bot.store import Store

    with Store(config.storage.path) as store:
        report = _sync(store, config)
    out.write(report.describe() + "\n")
    return 0


def _fetch(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from bot.feeds.poll import poll_once
    from bot.store import Store

    config = _load(args)
    started = time.perf_counter()
    with Store(config.storage.path) as store:
        outcomes = asyncio.run(poll_once(store, config, _progress_for(sys.stderr, "fetch")))
    for outcome in outcomes:
        out.write(outcome.describe() + "\n")
    if not outcomes:
        out.write("no feeds: add [[feeds]] to the config or /addfeed in the bot\n")
    else:
        out.write(_fetch_summary(outcomes, time.perf_counter() - started) + "\n")
    return 1 if outcomes and all(o.failed for o in outcomes) else 0


def _fetch_summary(outcomes: Sequence[Any], seconds: float) -> str:
    """The last line of ``digestbot fetch``: the whole job in figures."""
    failed = sum(o.failed for o in outcomes)
    new = sum(o.new for o in outcomes)
    updated = sum(o.updated for o in outcomes)
    return (
        f"{len(outcomes)} feed{'' if len(outcomes) == 1 else 's'} polled, {failed} failed: "
        f"{new} new article{'' if new == 1 else 's'}, {updated} updated in {seconds:.1f} s"
    )


def _sources(args: argparse.Namespace, out: TextIO) -> int:
    from bot.store import Store
    from bot.store.feeds import FeedStore

    config = _load(args)
    with Store(config.storage.path) as store:
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


def _check(args: argparse.Namespace, out: TextIO) -> int:
    from bot.store import Store

    config = _load(args)
    with Store(config.storage.path) as store:
        store.raise_if_corrupt()  # damage: the one line "database ... is corrupt (...)"
    out.write(f"database {config.storage.path} is sound (SQLite quick_check)\n")
    return 0


def _opml(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from bot.feeds.exchange import export_opml, import_file_feeds
    from bot.feeds.opml import MAX_OPML_BYTES, OpmlError, parse_opml, too_big
    from bot.store import Store
    from bot.store.feeds import FeedStore

    config = _load(args)
    path, stdio = args.file, str(args.file) == "-"
    if args.action == "export":
        with Store(config.storage.path) as store:
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
    with Store(config.storage.path) as store:
        feeds = FeedStore(store)
        feeds.sync_config(config.feeds)
        report = asyncio.run(import_file_feeds(feeds, config, document))
    for line in report.lines:
        out.write(line.describe() + "\n")
    out.write(report.summary() + "\n")
    return 1 if report.count("failed") == len(report.lines) else 0


def _articles(count: int) -> str:
    return f"{count} article" if count == 1 else f"{count} articles"


def _story_inputs(path: Path) -> list:
    """The articles of a JSON-lines file as story inputs; ids must be unique."""
    from bot.stories import story_input

    articles = []
    lines: dict[object, int] = {}
    for number, record in _json_lines(path):
        article = story_input(record, f"{path}:{number}")
        if article.id in lines:
            raise DigestbotError(
                f"{path}:{number}: id {article.id!r} is already on line {lines[article.id]}"
            )
        lines[article.id] = number
        articles.append(article)
    return articles


def _group_stories(args: argparse.Namespace, out: TextIO) -> int:
    from bot.stories import group_stories

    articles = _story_inputs(args.file)
    stories = group_stories(articles)
    for article, story in zip(articles, stories, strict=True):
        record = {"id": article.id, "story": articles[story].id}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def _rank(args: argparse.Namespace, out: TextIO) -> int:
    from bot.stories import rank

    for item in rank(_story_inputs(args.file), args.limit):
        record = {"id": item.id, "story": item.story, "also": list(item.also)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from bot.telegram.app import run

    return run(_load(args))


def _init(args: argparse.Namespace, out: TextIO) -> int:
    import os

    from bot.config import TOKEN_ENV, example_config_text, render_config

    path: Path = args.config
    if path.exists() and not args.force:
        raise DigestbotError(f"{path} already exists: edit it, or add --force to replace it")
    token, source = args.token, "--token"
    if token is None and (os.environ.get(TOKEN_ENV) or "").strip():
        token, source = os.environ[TOKEN_ENV], TOKEN_ENV
    if token is None and sys.stdin.isatty():
        import getpass

        asked = getpass.getpass("Bot token from @BotFather (Enter: leave it out): ").strip()
        token, source = asked or None, "the terminal"
    text = render_config(example_config_text(), token)
    # Only its owner may read it: it may hold the token.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    if token is None:
        told = f"no token in it: set {TOKEN_ENV} or [telegram] token"
    else:
        told = f"with the token from {source}"
    out.write(f"wrote {path} ({told})\n")
    out.write(f"next: digestbot doctor --config {path}, then digestbot run --config {path}\n")
    return 0


def _doctor(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from bot.doctor import Finding, config_finding, diagnose, summary_line

    path = args.config
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    try:
        config = _load(args)
    except ConfigError as exc:
        findings = [Finding("config", str(exc), ok=False)]
    else:
        findings = [config_finding(path), *asyncio.run(diagnose(config, integrity=args.integrity))]
    for finding in findings:
        out.write(finding.line() + "\n")
    out.write(summary_line(findings) + "\n")
    return 0 if all(f.ok for f in findings) else 1


# -- helpers ---------------------------------------------------------------


def _sync(store, config):
    from bot.catalog import sync

    return sync(
        store,
        config.seeds.dir,
        sentences=config.summary.sentences,
        language=config.summary.language,
        progress=_progress_for(sys.stderr, "ingest"),
    )


def _json_lines(path: Path) -> list[tuple[int, object]]:
    """The JSON value on each non-blank line of a (possibly gzipped) file, numbered."""
    import gzip
    import zlib

    try:
        with path.open("rb") as handle:
            data = handle.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        text = data.decode("utf-8-sig")
    except FileNotFoundError:
        raise DigestbotError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DigestbotError(f"is a directory, not a JSON-lines file: {path}") from None
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise DigestbotError(f"{path}: a broken gzip file") from None
    except UnicodeDecodeError:
        raise DigestbotError(f"{path}: not UTF-8 text") from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DigestbotError(f"{path}:{number}: not JSON ({exc.msg})") from None
    return records


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


def _load(args: argparse.Namespace):
    from bot.config import default_config, load_config

    if args.config is not None:
        return load_config(args.config)
    if DEFAULT_CONFIG.exists():
        return load_config(DEFAULT_CONFIG)
    return default_config()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def _error(message: str) -> None:
    print(f"digestbot: error: {message}", file=sys.stderr)


def _progress_for(stream: TextIO, job: str) -> Callable[[str, int, int], None] | None:
    """A ``progress(stage, done, total)`` callback drawing a bar per stage of ``job`` on
    ``stream`` when it is a terminal; elsewhere None (the command's summary line says
    what was done)."""
    if not stream.isatty():
        return None
    from bot.progress import StagedProgress

    return StagedProgress(stream, job=job)


def _setup_logging(verbosity: int, default: int) -> None:
    level = default
    if verbosity == 1:
        level = min(default, logging.INFO)
    elif verbosity >= 2:
        level = logging.DEBUG
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if verbosity < 2:
        # trafilatura and htmldate warn about every page without text; we say it once,
        # in our own words (the skipped file's log line).
        for name in ("trafilatura", "htmldate", "courlan"):
            logging.getLogger(name).setLevel(logging.ERROR)
    # The libraries' routine lines (APScheduler: two per job run, every 30 s even with
    # nothing to do; python-telegram-bot: "Application started") need -v; their warnings
    # and errors always show.
    for name in ("apscheduler", "telegram"):
        logging.getLogger(name).setLevel(logging.WARNING if verbosity < 1 else logging.NOTSET)


__all__ = ["ConfigError", "build_parser", "main"]
