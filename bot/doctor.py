"""``digestbot doctor``: a config checked end to end, one finding per line.

:func:`diagnose` runs every check of a loaded :class:`~bot.config.Config` and returns
:class:`Finding` s in a fixed order: the token (``getMe`` over ``[telegram] base_url``,
once, without the start-up retries), the database (opens, schema version, SQLite's
quick_check on demand), the seeds folder, and every feed (the config's and those added
in Telegram): fetched under the ``[fetch]`` rules and parsed. Each failing finding names
the key to change. Nothing is written: a database that does not exist yet is not
created, and feeds are not synced into the store.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Config
from bot.errors import (
    DigestbotError,
    FetchError,
    FetchTimeout,
    NotAWebPage,
    RefusedAddress,
    TooBig,
)
from bot.store.engine import DatabaseError, parse_target

if TYPE_CHECKING:
    from bot.web.fetch import Fetcher

__all__ = ["Finding", "config_finding", "diagnose", "summary_line"]

# One try for getMe and for each feed: the doctor answers in seconds, not after retries.
TELEGRAM_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report: ``subject: text``; ``ok`` False when something must change."""

    subject: str
    text: str
    ok: bool = True

    def line(self) -> str:
        return f"{self.subject}: {self.text}"


def summary_line(findings: list[Finding]) -> str:
    problems = sum(not f.ok for f in findings)
    if not problems:
        return "all well"
    return f"{problems} problem{'' if problems == 1 else 's'} found"


async def diagnose(config: Config, *, integrity: bool = False) -> list[Finding]:
    """Every check of ``config`` (see the module docstring), in report order."""
    findings = [await check_token(config)]
    database, stored_feeds = await asyncio.to_thread(check_database, config, integrity)
    findings.append(database)
    findings.append(await asyncio.to_thread(check_seeds, config))
    findings.extend(await check_feeds(config, stored_feeds))
    return findings


async def check_token(config: Config) -> Finding:
    """``getMe`` with the configured token over ``[telegram] base_url``."""
    from telegram import Bot
    from telegram.error import EndPointNotFound, InvalidToken, NetworkError

    from bot.telegram.app import NO_TOKEN
    from bot.telegram.redaction import redact
    from bot.telegram.request import AiohttpRequest, proxy_from_environment

    tg = config.telegram
    if not tg.token:
        return Finding("token", "missing: " + NO_TOKEN, ok=False)
    request = AiohttpRequest(
        pool_size=1,
        connect_timeout=TELEGRAM_TIMEOUT,
        read_timeout=TELEGRAM_TIMEOUT,
        proxy=proxy_from_environment(tg.base_url),
    )
    where = f"{tg.base_url}<token>/getMe"
    try:
        async with Bot(tg.token, base_url=tg.base_url, request=request) as bot:
            username = bot.username
    except (InvalidToken, EndPointNotFound):
        return Finding(
            "token",
            f"Telegram rejected it ({where}): set TELEGRAM_BOT_TOKEN or [telegram] token to "
            "the whole token (@BotFather's /token shows it); if you run your own Bot API "
            "server, check [telegram] base_url",
            ok=False,
        )
    except NetworkError as exc:  # TimedOut included
        message = redact(str(exc), {tg.token})
        return Finding(
            "token",
            f"cannot reach the Bot API at {where} ({message}): check [telegram] base_url, "
            "and HTTPS_PROXY if this machine needs a proxy",
            ok=False,
        )
    return Finding("token", f"ok, the bot is @{username}")


def check_database(config: Config, integrity: bool) -> tuple[Finding, list[str]]:
    """Whether ``[storage] path`` opens, its schema version (and, with ``integrity``,
    SQLite's quick_check); also the URLs of the feeds stored in it (added in Telegram)."""
    from bot.store import Store
    from bot.store.feeds import FeedStore
    from bot.store.migrations import MIGRATIONS

    subject = "database"
    file = Path(parse_target(config.storage.database).location)
    path: str | Path = file
    if not config.storage.is_file:
        path = str(parse_target(config.storage.database))  # the password left out
    elif not file.exists():
        folder = file.parent
        if not folder.is_dir():
            return Finding(
                subject,
                f"the folder of {path} does not exist: create it or change [storage] path",
                ok=False,
            ), []
        return Finding(
            subject, f"{path} does not exist yet; the first ingest or run creates it"
        ), []
    try:
        with Store(config.storage.database) as store:
            version = store.schema_version
            if integrity:
                store.raise_if_corrupt()
            urls = [feed.url for feed in FeedStore(store).feeds()]
            articles = store.count_articles()
    except (DigestbotError, *DatabaseError, OSError) as exc:
        return Finding(
            subject, f"{path}: {exc}: fix the file or change [storage] path or url", ok=False
        ), []
    checked = ", integrity ok" if integrity else " (--integrity reads it all)"
    text = (
        f"ok, {path}: schema version {version} of {len(MIGRATIONS)}, "
        f"{articles} article{'' if articles == 1 else 's'}{checked}"
    )
    return Finding(subject, text), urls


def check_seeds(config: Config) -> Finding:
    """Whether ``[seeds] dir`` is a readable folder, and how many files it holds."""
    folder = config.seeds.dir
    if not folder.exists():
        return Finding(
            "seeds", f"{folder} does not exist: create it or change [seeds] dir", ok=False
        )
    if not folder.is_dir():
        return Finding("seeds", f"{folder} is not a folder: change [seeds] dir", ok=False)
    try:
        files = sum(1 for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError as exc:
        return Finding(
            "seeds", f"{folder} cannot be read ({exc.strerror}): change [seeds] dir", ok=False
        )
    return Finding("seeds", f"ok, {folder}: {files} file{'' if files == 1 else 's'}")


async def check_feeds(config: Config, stored: list[str]) -> list[Finding]:
    """Each feed of the config, then each other feed in the database, fetched once and
    parsed; a refusal names the ``[fetch]`` key that would allow it."""
    from bot.web.fetch import Fetcher

    configured = [feed.url for feed in config.feeds]
    urls = configured + [url for url in stored if url not in configured]
    if not urls:
        return []
    async with Fetcher(config.fetch) as fetcher:
        return list(
            await asyncio.gather(*(_check_feed(fetcher, url, url in configured) for url in urls))
        )


async def _check_feed(fetcher: Fetcher, url: str, configured: bool) -> Finding:
    from bot.feeds.parse import NotAFeed, parse_feed

    subject = f"feed {url}"
    where = "[[feeds]] in the config" if configured else "added in Telegram: /removefeed it"
    try:
        result = await fetcher.fetch(url, kind="feed", cache=False)
        parsed = await asyncio.to_thread(
            parse_feed, result.body, result.headers.get("Content-Type", ""), result.final_url
        )
    except RefusedAddress as exc:
        fix = "" if exc.allow else f" ({where})"
        return Finding(subject, f"refused: {exc.detail}{fix}", ok=False)
    except FetchTimeout as exc:
        fix = "a slow site: raise [fetch] connect_timeout and total_timeout"
        return Finding(subject, f"{exc.detail} ({fix}; {where})", ok=False)
    except TooBig as exc:
        return Finding(subject, f"{exc.detail} ([fetch] max_bytes; {where})", ok=False)
    except NotAWebPage as exc:
        return Finding(subject, f"not a feed ({exc.detail}; {where})", ok=False)
    except FetchError as exc:
        return Finding(subject, f"{exc.detail} ({where})", ok=False)
    except NotAFeed as exc:
        return Finding(subject, f"not a feed: {exc} ({where})", ok=False)
    title = f' "{parsed.title}"' if parsed.title else ""
    entries = len(parsed.entries)
    return Finding(subject, f"ok,{title} {entries} entr{'y' if entries == 1 else 'ies'}")


def config_finding(path: Path | None) -> Finding:
    """The first line: which file was read (or the built-in defaults)."""
    return Finding("config", f"ok, {path}" if path is not None else "ok, built-in defaults")
