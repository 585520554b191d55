"""The store's records: the dataclasses its methods return and the rows they come from.

:class:`Chat`, :class:`ArticleRecord`, :class:`OutboxItem` and :class:`Pruned`, the
column lists the queries select (``CHAT_SELECT``, ``ARTICLE_COLUMNS``,
``OUTBOX_COLUMNS``) and the converters from ``sqlite3.Row`` (``chat_from_row``,
``runs_from_rows``, ``article_from_row``, ``outbox_item_from_row``). Also
:data:`ChatKey`, how batch methods name a subscriber: a chat id (the chat itself, topic 0)
or a (chat id, forum topic) pair.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from bot.rhythm import EVERY_DAY
from bot.settings import DigestSettings

DEFAULT_SETTINGS = DigestSettings()

# A subscriber in the store's batch methods: a chat id (the chat itself, topic 0) or a
# (chat id, topic) pair, topic a forum topic's message_thread_id (0: the chat itself).
ChatKey = int | tuple[int, int]


def chat_key(key: ChatKey) -> tuple[int, int]:
    """``key`` as a (chat id, topic) pair."""
    if isinstance(key, tuple):
        return int(key[0]), int(key[1])
    return int(key), 0


@dataclass(frozen=True, slots=True)
class Chat:
    """A subscriber as stored: a chat, or one forum topic of it (``topic``, the topic's
    message_thread_id; 0: the chat itself), each with its own settings. ``timezone``
    None: the config default; ``digest_time`` None: not subscribed; ``last_digest_key``:
    the local date of the last scheduled digest queued; ``subscribed_at``: when it last
    subscribed or changed its time (ISO, UTC)."""

    chat_id: int
    timezone: str | None
    digest_time: str | None
    active: bool
    deactivated_reason: str | None
    last_digest_key: str | None
    created_at: str
    updated_at: str
    subscribed_at: str | None = None
    # Weekdays with digests (bot.rhythm mask), (time, last run key) of each digest time
    # (sorted by time), and the forum topic this subscriber is (0: the chat itself).
    days: int = EVERY_DAY
    runs: tuple[tuple[str, str | None], ...] = ()
    topic: int = 0
    # Its digest's size and form (/settings).
    settings: DigestSettings = DEFAULT_SETTINGS

    @property
    def key(self) -> tuple[int, int]:
        """(chat id, topic): who this subscriber is."""
        return self.chat_id, self.topic

    @property
    def thread_id(self) -> int | None:
        """The message_thread_id digests are sent with (None: the chat itself)."""
        return self.topic or None

    @property
    def subscribed(self) -> bool:
        """True when this chat gets scheduled digests: active and with a time."""
        return self.active and self.digest_time is not None

    @property
    def digest_times(self) -> tuple[str, ...]:
        """Every time of day the chat gets a digest at, sorted (none if unsubscribed)."""
        if self.runs:
            return tuple(digest_time for digest_time, _ in self.runs)
        return () if self.digest_time is None else (self.digest_time,)

    def last_key_at(self, digest_time: str) -> str | None:
        """The run key of the last digest queued for ``digest_time`` (the chat's
        ``last_digest_key`` when the chat has no row for that time)."""
        for at, key in self.runs:
            if at == digest_time:
                return key
        return self.last_digest_key


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """An article as stored; ``summary`` is None until it has been computed.

    Has the attributes ``bot.digest`` reads (number, title, url, date, summary), so a
    record can be passed to the digest formatters directly.
    """

    number: int
    source: str
    content_hash: str
    title: str
    date: str | None
    url: str | None
    language: str
    text: str
    summary: tuple[str, ...] | None
    added_at: str
    # Feed articles: the feed's id and the name digests show ("seeds" for
    # seed files: source_name is None and feed_id None).
    feed_id: int | None = None
    source_name: str | None = None


@dataclass(frozen=True, slots=True)
class Pruned:
    """What :meth:`Store.prune` did: ``deliveries`` deleted, all delivered before
    ``cutoff`` (ISO, UTC), from ``chats`` chats."""

    cutoff: str
    deliveries: int
    chats: int


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One queued message: send ``text`` (HTML) to ``chat_id`` (in forum topic ``topic``
    unless 0); on success that subscriber has received ``article_numbers``.
    ``attempts`` counts earlier failed tries."""

    id: int
    chat_id: int
    run_key: str
    text: str
    article_numbers: tuple[int, ...]
    attempts: int
    next_attempt_at: float
    topic: int = 0  # the subscriber's forum topic (0: the chat itself)
    # The subscriber's settings when the item was read: no sound, link previews.
    silent: bool = False
    previews: bool = False

    @property
    def thread_id(self) -> int | None:
        """The message_thread_id to send it with (None: the chat itself)."""
        return self.topic or None


# A chat row (table alias c): what chat_from_row() reads, with its subscriptions rows
# (runs_from_rows).
CHAT_SELECT = (
    "SELECT c.chat_id, c.topic, c.timezone, c.digest_time, c.active, c.deactivated_reason,"
    " c.last_digest_key, c.created_at, c.updated_at, c.subscribed_at, c.days,"
    " c.digest_size, c.headlines_only, c.silent, c.link_previews"
)
ARTICLE_COLUMNS = (
    "number, source, content_hash, title, date, url, language, text, summary, added_at,"
    " feed_id, (SELECT coalesce(f.name, f.title, f.url) FROM feeds f WHERE f.id = feed_id)"
    " AS source_name"
)
# An outbox row (table alias o): its text is its body's (outbox_bodies: one row per
# distinct text), with its subscriber's silent and link-preview settings, read when the
# message is sent (a change made after it was queued applies).
OUTBOX_COLUMNS = (
    "o.id, o.chat_id, o.run_key,"
    " (SELECT b.text FROM outbox_bodies b WHERE b.hash = o.body) AS text,"
    " o.article_numbers, o.attempts, o.next_attempt_at, o.topic,"
    " (SELECT c.silent FROM chats c WHERE c.chat_id = o.chat_id AND c.topic = o.topic)"
    " AS silent, (SELECT c.link_previews FROM chats c WHERE c.chat_id = o.chat_id"
    " AND c.topic = o.topic) AS link_previews"
)


def runs_from_rows(
    rows: Iterable[sqlite3.Row],
) -> dict[tuple[int, int], tuple[tuple[str, str | None], ...]]:
    """Subscriptions rows (chat_id, topic, digest_time, last_run_key) by (chat, topic),
    times sorted."""
    found: dict[tuple[int, int], list[tuple[str, str | None]]] = {}
    for chat_id, topic, digest_time, key in rows:
        found.setdefault((chat_id, topic), []).append((digest_time, key))
    return {key: tuple(sorted(runs)) for key, runs in found.items()}


def chat_from_row(row: sqlite3.Row, runs: tuple[tuple[str, str | None], ...] = ()) -> Chat:
    return Chat(
        chat_id=row["chat_id"],
        timezone=row["timezone"],
        digest_time=row["digest_time"],
        active=bool(row["active"]),
        deactivated_reason=row["deactivated_reason"],
        last_digest_key=row["last_digest_key"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        subscribed_at=row["subscribed_at"],
        days=row["days"],
        runs=runs,
        topic=row["topic"],
        settings=DigestSettings(
            size=row["digest_size"],
            headlines=bool(row["headlines_only"]),
            silent=bool(row["silent"]),
            previews=bool(row["link_previews"]),
        ),
    )


def article_from_row(row: sqlite3.Row) -> ArticleRecord:
    summary = row["summary"]
    return ArticleRecord(
        number=row["number"],
        source=row["source"],
        content_hash=row["content_hash"],
        title=row["title"],
        date=row["date"],
        url=row["url"],
        language=row["language"],
        text=row["text"],
        summary=None if summary is None else tuple(json.loads(summary)),
        added_at=row["added_at"],
        feed_id=row["feed_id"],
        source_name=row["source_name"],
    )


def outbox_item_from_row(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        chat_id=row["chat_id"],
        run_key=row["run_key"],
        text=row["text"],
        article_numbers=tuple(json.loads(row["article_numbers"])),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        topic=row["topic"],
        silent=bool(row["silent"]),
        previews=bool(row["link_previews"]),
    )
