"""The configuration: one TOML file, read once at start-up into frozen dataclasses.

``load_config(path)`` is the only entry point. It checks every key against the
schema below, so a typo or a value of the wrong type is an error that names the
key (``[digest] max_article: unknown key``) instead of a silently ignored line.
Relative paths resolve against the config file's folder, so the bot runs the
same whatever directory it is started from. ``TELEGRAM_BOT_TOKEN`` in the
environment overrides ``[telegram] token``, so the token need not sit in a file.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from bot import __version__
from bot.errors import ConfigError
from bot.languages import SUPPORTED_LANGUAGES, language_name
from bot.times import parse_time, valid_timezone

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
TELEGRAM_BASE_URL = "https://api.telegram.org/bot"


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: str | None = None
    # python-telegram-bot semantics: requests go to f"{base_url}{token}/{method}".
    base_url: str = TELEGRAM_BASE_URL
    max_messages_per_second: float = 30.0
    # Messages to one chat: about one a second (short bursts of three), as Telegram asks.
    chat_messages_per_second: float = 1.0
    # Share of the global cap digests leave to replies (at least one message a window).
    reply_reserve: float = 0.1
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None
    admin_ids: tuple[int, ...] = ()
    # HTTP client for Bot API calls: bot.telegram.request.AiohttpRequest, or PTB's HTTPX one
    # ("lean", the name of the hand-written client it replaced, still means aiohttp).
    transport: Literal["aiohttp", "httpx"] = "aiohttp"


@dataclass(frozen=True, slots=True)
class SeedsConfig:
    dir: Path = Path("seeds")
    rescan_seconds: float = 300.0
    # What /sources calls the articles of the seeds folder (users never see the folder).
    name: str = "This bot's articles"


@dataclass(frozen=True, slots=True)
class StorageConfig:
    path: Path = Path("digestbot.sqlite3")
    # Deliveries older than this many days are pruned daily (bot.store.prune_expired).
    retention_days: int = 90
    # The database as a URL (postgresql://... or sqlite:///path); set, it wins over path.
    url: str | None = None

    @property
    def database(self) -> str | Path:
        """What the store opens: ``url`` when given, else the SQLite file ``path``."""
        return self.url if self.url else self.path

    @property
    def is_file(self) -> bool:
        """Whether the database is a SQLite file (``path``, or a ``sqlite:///`` URL)."""
        return not self.url or not self.url.lower().startswith("postgres")


@dataclass(frozen=True, slots=True)
class SummaryConfig:
    sentences: int = 3
    language: str = "english"


@dataclass(frozen=True, slots=True)
class DigestConfig:
    time: str = "08:00"
    timezone: str = "UTC"
    max_articles: int = 10
    # A digest that fell due while the bot was down is still sent if the bot
    # comes back within this many seconds; later than that it is skipped.
    missed_grace_seconds: int = 3600


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """How digestbot fetches web pages and feeds (``bot.web.fetch``); see ``[fetch]`` in
    the example."""

    connect_timeout: float = 10.0
    total_timeout: float = 20.0
    max_bytes: int = 5_000_000
    user_agent: str = f"digestbot/{__version__} (news digest bot)"
    allow_ports: tuple[int, ...] = (80, 443)
    # CIDRs exempt from the address fence (normalised, e.g. "10.1.2.0/24").
    allow_networks: tuple[str, ...] = ()
    per_chat_per_hour: int = 30
    cache_minutes: float = 60.0
    max_concurrent: int = 8
    per_host: int = 2


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One ``[[feeds]]`` entry: a feed polled every ``interval_minutes`` (None: the
    ``[sources]`` default). ``name`` None: the feed's own title."""

    url: str
    name: str | None = None
    interval_minutes: float | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class SourcesConfig:
    """``[sources]``: what applies to every feed (``[[feeds]]`` is the list itself)."""

    # Feed articles older than this (published, else first seen) leave lists and digests.
    keep_days: int = 30
    interval_minutes: float = 60.0
    # Entries with fewer words than this get their linked page fetched and extracted.
    full_text_below_words: int = 150
    # Threads that extract and summarize (off the event loop).
    workers: int = 2
    # Users may follow feeds of their own (/add URL); False: only the operator's feeds.
    user_feeds: bool = True
    # Feeds one chat (or forum topic) may follow with /add or an OPML file.
    max_per_chat: int = 50
    # Feeds polled in all (shared and followed): /add of a new feed beyond this is refused.
    max_feeds: int = 10_000


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    """``[metrics]``: the Prometheus metrics and health endpoint (off unless ``listen``)."""

    # "HOST:PORT" the endpoint listens on, e.g. "127.0.0.1:9464"; None: no endpoint.
    listen: str | None = None

    @property
    def address(self) -> tuple[str, int] | None:
        """``listen`` as (host, port), or None when metrics are off."""
        return None if self.listen is None else _host_port(self.listen)


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """``[cluster]``: what several ``digestbot run`` processes of one bot share besides
    the database (docs/cluster.md)."""

    # "redis://HOST:PORT/DB": send rates, button tokens, quotas and the admins' cache
    # shared through this Redis; None: kept in each process's memory (one process).
    redis_url: str | None = None


@dataclass(frozen=True, slots=True)
class LogConfig:
    """``[log]``: how log lines are written (to stderr)."""

    # "text": one readable line per record; "json": one JSON object per line, for
    # log collectors (time, level, logger, message, exception).
    format: str = "text"


@dataclass(frozen=True, slots=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    seeds: SeedsConfig = field(default_factory=SeedsConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    summary: SummaryConfig = field(default_factory=SummaryConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    feeds: tuple[FeedConfig, ...] = ()
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    log: LogConfig = field(default_factory=LogConfig)
    # The file this was read from, if any (for messages; not a TOML key).
    source: Path | None = None


_SECTIONS: dict[str, type] = {
    "telegram": TelegramConfig,
    "seeds": SeedsConfig,
    "storage": StorageConfig,
    "summary": SummaryConfig,
    "digest": DigestConfig,
    "fetch": FetchConfig,
    "sources": SourcesConfig,
    "feeds": FeedConfig,
    "metrics": MetricsConfig,
    "cluster": ClusterConfig,
    "log": LogConfig,
}
# Sections that are arrays of tables ([[feeds]]), each table checked like a section.
_ARRAYS = frozenset({"feeds"})

# The TOML type each key accepts, and how it is checked. Kept explicit rather
# than derived from annotations so the error messages can say what was expected.
_KINDS: dict[tuple[str, str], str] = {
    ("telegram", "token"): "string",
    ("telegram", "base_url"): "bot api url",
    ("telegram", "max_messages_per_second"): "positive number",
    ("telegram", "chat_messages_per_second"): "positive number",
    ("telegram", "reply_reserve"): "non-negative number",
    ("telegram", "mode"): "mode",
    ("telegram", "url"): "string",
    ("telegram", "listen"): "string",
    ("telegram", "port"): "port",
    ("telegram", "secret_token"): "secret token",
    ("telegram", "admin_ids"): "list of integers",
    ("telegram", "transport"): "transport",
    ("seeds", "dir"): "path",
    ("seeds", "rescan_seconds"): "positive number",
    ("seeds", "name"): "non-empty string",
    ("storage", "path"): "path",
    ("storage", "retention_days"): "positive integer",
    ("storage", "url"): "database URL",
    ("summary", "sentences"): "positive integer",
    ("summary", "language"): "string",
    ("digest", "time"): "HH:MM",
    ("digest", "timezone"): "timezone",
    ("digest", "max_articles"): "positive integer",
    ("digest", "missed_grace_seconds"): "non-negative integer",
    ("fetch", "connect_timeout"): "positive number",
    ("fetch", "total_timeout"): "positive number",
    ("fetch", "max_bytes"): "positive integer",
    ("fetch", "user_agent"): "non-empty string",
    ("fetch", "allow_ports"): "list of ports",
    ("fetch", "allow_networks"): "list of networks",
    ("fetch", "per_chat_per_hour"): "positive integer",
    ("fetch", "cache_minutes"): "non-negative number",
    ("fetch", "max_concurrent"): "positive integer",
    ("fetch", "per_host"): "positive integer",
    ("sources", "keep_days"): "positive integer",
    ("sources", "interval_minutes"): "positive number",
    ("sources", "full_text_below_words"): "non-negative integer",
    ("sources", "workers"): "positive integer",
    ("sources", "user_feeds"): "boolean",
    ("sources", "max_per_chat"): "positive integer",
    ("sources", "max_feeds"): "positive integer",
    ("feeds", "url"): "feed url",
    ("feeds", "name"): "non-empty string",
    ("feeds", "interval_minutes"): "positive number",
    ("feeds", "language"): "language",
    ("metrics", "listen"): "host:port",
    ("cluster", "redis_url"): "redis url",
    ("log", "format"): "log format",
}

# The sensible range of each number, inclusive: beyond it a value is a typo (or NaN, or
# infinity) that would fail later, far from the config file.
_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("telegram", "max_messages_per_second"): (0.1, 1000),
    ("telegram", "chat_messages_per_second"): (0.1, 1000),
    ("telegram", "reply_reserve"): (0, 0.5),
    ("seeds", "rescan_seconds"): (1, 7 * 86400),
    ("summary", "sentences"): (1, 20),
    ("digest", "max_articles"): (1, 100),
    ("digest", "missed_grace_seconds"): (0, 7 * 86400),
    ("sources", "keep_days"): (1, 3650),
    ("sources", "interval_minutes"): (1, 7 * 1440),
    ("sources", "full_text_below_words"): (0, 100_000),
    ("sources", "workers"): (1, 64),
    ("sources", "max_per_chat"): (1, 10_000),
    ("sources", "max_feeds"): (1, 10_000_000),
    ("feeds", "interval_minutes"): (1, 7 * 1440),
}

# What a [cluster] redis_url may start with (redis-py's URL schemes).
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")

# TOML keys whose dataclass attribute has another name.
_ATTRIBUTES = {("telegram", "url"): "webhook_url"}


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and check the TOML file at ``path``; raise ConfigError naming the bad key."""
    path = Path(path)
    env = os.environ if env is None else env
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return config_from_dict(raw, base=path.resolve().parent, env=env, source=path)


def config_from_dict(
    raw: Mapping[str, Any],
    base: Path,
    env: Mapping[str, str] | None = None,
    source: Path | None = None,
) -> Config:
    """Build a Config from parsed TOML; relative paths resolve against ``base``."""
    env = {} if env is None else env
    sections: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in _SECTIONS:
            known = ", ".join(f"[{s}]" for s in _SECTIONS)
            raise ConfigError(f"[{name}]: unknown section (known: {known})")
        if name in _ARRAYS:
            sections[name] = _array(name, value, base)
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: expected a [{name}] table")
        cls = _SECTIONS[name]
        allowed = sorted(k for (s, k) in _KINDS if s == name)
        values: dict[str, Any] = {}
        for key, item in value.items():
            if key not in allowed:
                raise ConfigError(f"[{name}] {key}: unknown key (known: {', '.join(allowed)})")
            attribute = _ATTRIBUTES.get((name, key), str(key))
            values[attribute] = _check(name, key, item, base)
        sections[name] = cls(**values)

    config = Config(**sections, source=source)
    # Defaults that are paths resolve against the config's folder too.
    config = _resolve_default_paths(config, raw, base)
    # The environment wins over the file; an empty or blank token is no token.
    token = (env.get(TOKEN_ENV) or "").strip() or (config.telegram.token or "").strip()
    config = _replace(config, "telegram", token=token or None)
    _check_consistency(config)
    return config


def _array(name: str, value: Any, base: Path) -> tuple[Any, ...]:
    """An array of tables like ``[[feeds]]``: each entry checked, required keys present."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError(f"{name}: expected [[{name}]] tables")
    cls = _SECTIONS[name]
    allowed = sorted(k for (s, k) in _KINDS if s == name)
    items = []
    seen: set[str] = set()
    for index, table in enumerate(value, 1):
        values = {}
        for key, item in table.items():
            if key not in allowed:
                raise ConfigError(
                    f"[[{name}]] #{index} {key}: unknown key (known: {', '.join(allowed)})"
                )
            values[key] = _check(name, key, item, base)
        if "url" not in values:
            raise ConfigError(f"[[{name}]] #{index} url: required")
        if values["url"] in seen:
            raise ConfigError(f"[[{name}]] #{index} url: listed twice ({values['url']})")
        seen.add(values["url"])
        items.append(cls(**values))
    return tuple(items)


def _check(section: str, key: str, value: Any, base: Path) -> Any:
    kind = _KINDS[(section, key)]
    where = f"[[{section}]] {key}" if section in _ARRAYS else f"[{section}] {key}"

    def fail(expected: str) -> ConfigError:
        return ConfigError(f"{where}: expected {expected}, got {value!r}")

    # bool is a subclass of int in Python, but `port = true` is surely a mistake.
    is_int = isinstance(value, int) and not isinstance(value, bool)
    is_number = is_int or (isinstance(value, float) and math.isfinite(value))
    if (section, key) in _RANGES and (is_number or kind.endswith("number")):
        low, high = _RANGES[(section, key)]
        if not is_number or not low <= value <= high or (kind.endswith("integer") and not is_int):
            raise fail(f"a {kind} from {low:g} to {high:g}")
    if isinstance(value, str) and "\x00" in value:
        raise ConfigError(f"{where}: contains a NUL character")
    match kind:
        case "string":
            if not isinstance(value, str):
                raise fail("a string")
            return value
        case "path":
            if not isinstance(value, str) or not value:
                raise fail("a path (string)")
            p = Path(value).expanduser()
            return p if p.is_absolute() else base / p
        case "database URL":
            from bot.store.engine import parse_target

            if not isinstance(value, str) or "://" not in value:
                raise fail("a database URL (postgresql://... or sqlite:///path)")
            try:
                target = parse_target(value)
            except ValueError as exc:
                raise fail(str(exc)) from None
            if target.engine == "sqlite" and not Path(target.location).is_absolute():
                return "sqlite:///" + str(base / target.location)
            return value
        case "positive number":
            if not is_number or value <= 0:
                raise fail("a positive number")
            return float(value)
        case "positive integer":
            if not is_int or value <= 0:
                raise fail("a positive integer")
            return value
        case "non-negative integer":
            if not is_int or value < 0:
                raise fail("a non-negative integer")
            return value
        case "secret token":
            # Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -.
            if not (
                isinstance(value, str)
                and 0 < len(value) <= 256
                and all(c.isascii() and (c.isalnum() or c in "_-") for c in value)
            ):
                raise fail("1-256 characters of A-Z, a-z, 0-9, _ and -")
            return value
        case "port":
            if not is_int or not 0 < value < 65536:
                raise fail("a port number (1-65535)")
            return value
        case "boolean":
            if not isinstance(value, bool):
                raise fail("true or false")
            return value
        case "mode":
            if value not in ("polling", "webhook"):
                raise fail('"polling" or "webhook"')
            return value
        case "log format":
            if value not in ("text", "json"):
                raise fail('"text" or "json"')
            return value
        case "transport":
            if value not in ("aiohttp", "httpx", "lean"):
                raise fail('"aiohttp" or "httpx"')
            return "aiohttp" if value == "lean" else value
        case "list of integers":
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise fail("a list of integer user ids")
            return tuple(value)
        case "non-empty string":
            if not isinstance(value, str) or not value.strip():
                raise fail("a non-empty string")
            return value
        case "non-negative number":
            if not is_number or value < 0:
                raise fail("a non-negative number")
            return float(value)
        case "list of ports":
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v < 65536 for v in value
            ):
                raise fail("a list of port numbers (1-65535)")
            return tuple(value)
        case "list of networks":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail('a list of networks like "10.1.2.0/24"')
            networks = []
            for v in value:
                try:
                    networks.append(str(ipaddress.ip_network(v.strip())))
                except ValueError as exc:
                    raise ConfigError(f"{where}: {v!r} is not a network ({exc})") from None
            return tuple(networks)
        case "redis url":
            if not isinstance(value, str) or not value.strip().startswith(_REDIS_SCHEMES):
                raise fail('a Redis URL like "redis://127.0.0.1:6379/0"')
            return value.strip()
        case "feed url":
            if not isinstance(value, str) or not _is_http_url(value):
                raise fail('an http(s) URL like "https://example.org/feed.xml"')
            return value.strip()
        case "bot api url":
            if not isinstance(value, str):
                raise fail("a string")
            problem = bot_api_url_problem(value)
            if problem is not None:
                raise ConfigError(f"{where}: {problem}")
            return value
        case "host:port":
            if not isinstance(value, str) or _host_port(value) is None:
                raise fail('an address "HOST:PORT" like "127.0.0.1:9464"')
            return value.strip()
        case "language":
            name = language_name(value) if isinstance(value, str) else None
            if name is None:
                raise fail('a language name or code like "english" or "de"')
            return name
        case "HH:MM":
            if not isinstance(value, str) or not _is_hhmm(value):
                raise fail('a time "HH:MM" (24-hour)')
            return value
        case "timezone":
            if not isinstance(value, str) or not _is_timezone(value):
                raise fail(
                    'an IANA timezone name like "Europe/Berlin" or an offset like "UTC+05:30"'
                )
            return value
    raise AssertionError(f"no check for {kind}")  # pragma: no cover


def _is_hhmm(text: str) -> bool:
    try:
        parse_time(text)
    except ValueError:
        return False
    return True


def _is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def bot_api_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a ``[telegram] base_url``, in a few words, or None.

    python-telegram-bot calls ``{base_url}{token}/{method}``, so the URL must be http(s)
    with a host and a port that parse, and must end right before the token: a trailing
    "/" or an empty path would put the token in the wrong place.
    """
    example = f'like "{TELEGRAM_BASE_URL}"'
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        if "port" in str(exc).lower():
            return f"{url!r}: the port is not a number from 1 to 65535; expected a URL {example}"
        return f"{url!r} is not a URL ({exc}); expected one {example}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL; expected one {example}"
    if port == 0:
        return f"{url!r}: port 0 is not a port"
    if url != url.strip():
        return f"{url!r} has spaces around it"
    if parts.query or parts.fragment:
        return f"{url!r} has a query or fragment; the token is appended to it, {example}"
    if not parts.path or parts.path.endswith("/"):
        return (
            f"{url!r} must end where the token goes (a path such as /bot, no trailing "
            f'"/"): requests go to {{base_url}}{{token}}/{{method}}, so use a URL {example}'
        )
    return None


def _host_port(text: str) -> tuple[str, int] | None:
    """ "HOST:PORT" (IPv6 in brackets: "[::1]:9464") as (host, port), or None."""
    try:
        parts = urlsplit("//" + text.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or port is None or not 0 <= port < 65536:
        return None
    if parts.path or parts.query or parts.fragment or parts.username:
        return None
    return parts.hostname, port


def _is_timezone(name: str) -> bool:
    return valid_timezone(name)


def _replace(config: Config, section: str, **changes: Any) -> Config:
    return replace(config, **{section: replace(getattr(config, section), **changes)})


def _resolve_default_paths(config: Config, raw: Mapping[str, Any], base: Path) -> Config:
    if "dir" not in raw.get("seeds", {}):
        config = _replace(config, "seeds", dir=base / config.seeds.dir)
    if "path" not in raw.get("storage", {}):
        config = _replace(config, "storage", path=base / config.storage.path)
    return config


# A Bot API token as @BotFather gives it: the bot's id, a colon, the secret.
_TOKEN_SHAPE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{10,}")
# Where `digestbot init` finds the commented example: beside the package (a clone or an
# editable install), then where a wheel installs it (data-files), then here.
EXAMPLE_NAME = "config.example.toml"


def example_config_text() -> str:
    """The text of ``config.example.toml``, the commented template ``init`` writes."""
    import sys

    for folder in (
        Path(__file__).resolve().parent.parent,
        Path(sys.prefix) / "share" / "digestbot",
        Path.cwd(),
    ):
        path = folder / EXAMPLE_NAME
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise ConfigError(f"{EXAMPLE_NAME} not found: run digestbot init in the digestbot folder")


def check_token_shape(token: str) -> str:
    """``token`` stripped, or ConfigError if it cannot be a Bot API token."""
    token = token.strip()
    if not _TOKEN_SHAPE.fullmatch(token):
        raise ConfigError(
            "that is not a bot token: @BotFather's tokens look like 123456789:AAE... "
            "(digits, a colon, then letters, digits, _ and -)"
        )
    return token


def render_config(template: str, token: str | None) -> str:
    """The example config with ``[telegram] token`` set to ``token`` (None: left empty)."""
    if token is None:
        return template
    token = check_token_shape(token)
    lines = template.splitlines(keepends=True)
    section = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            section = stripped.strip("[]")
        elif section == "telegram" and re.match(r"token\s*=", stripped):
            lines[index] = f'token = "{token}"\n'
            return "".join(lines)
    raise ConfigError(f"{EXAMPLE_NAME} has no [telegram] token line to fill in")


def default_config(base: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """The configuration used when there is no file: defaults, paths under ``base``."""
    return config_from_dict({}, base=(base or Path.cwd()).resolve(), env=env)


def _check_consistency(config: Config) -> None:
    if config.summary.language not in SUPPORTED_LANGUAGES:
        raise ConfigError(
            f"[summary] language: unsupported {config.summary.language!r} "
            f"(supported: {', '.join(SUPPORTED_LANGUAGES)})"
        )
    fetch = config.fetch
    if fetch.connect_timeout > fetch.total_timeout:
        raise ConfigError("[fetch] connect_timeout: must not exceed total_timeout")
    tg = config.telegram
    if tg.mode == "webhook":
        for key, attribute in (("url", "webhook_url"), ("secret_token", "secret_token")):
            if not getattr(tg, attribute):
                raise ConfigError(f'[telegram] {key}: required when mode = "webhook"')
