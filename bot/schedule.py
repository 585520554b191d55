"""When digests are due: "HH:MM" in a timezone, across daylight-saving changes.

Pure time arithmetic -- every function takes ``now``, nothing here imports Telegram,
APScheduler or the store -- so tests inject the clock:

* :func:`next_due` / :func:`last_due` -- the next due instant after ``now``, the latest at
  or before it.
* :func:`run_key` -- the local date of a due digest, the key that makes a digest
  "never twice" (``Store.queue_digest`` refuses a key it has seen for that chat).
* :func:`missed_digest` -- the key of a digest that fell due while the bot was down,
  if it is within the grace period and was not queued.
* :class:`Slot` / :func:`slot_of` -- the (time, timezone) pair a chat's digest is due at.
* "HH:MM" and timezone names are parsed by :mod:`bot.times` (re-exported here).

Daylight saving, decided once here:

* A time that does not exist on a spring-forward day (02:30 in Europe/Berlin on the last
  Sunday of March) is sent when the clock has moved on by the same amount: 03:30 local,
  one hour of real time after 01:30. The digest is late, never skipped.
* A time that exists twice on a fall-back day (01:30 in America/New_York on the first
  Sunday of November) is sent at its first occurrence (daylight time), once.

The scheduler that fires at these times (APScheduler through python-telegram-bot's
JobQueue) is wired in :mod:`bot.jobs`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple, Protocol

from bot.times import canonical_timezone, format_time, parse_time, valid_timezone, zone

__all__ = [
    "DEFAULT_GRACE_SECONDS",
    "Slot",
    "Subscription",
    "canonical_timezone",
    "chat_timezone",
    "due_run_key",
    "format_time",
    "last_due",
    "missed_digest",
    "next_due",
    "parse_time",
    "run_key",
    "slot_of",
    "valid_timezone",
    "zone",
]

DEFAULT_GRACE_SECONDS = 3600

# A scheduler timer may wake a job a moment before our own reading of the clock (or
# the clock may be stepped back a little); a job that runs up to this long before its
# due time still belongs to that due time, not to the day before.
EARLY_TOLERANCE = timedelta(seconds=60)


class Subscription(Protocol):
    """What the schedule needs of a chat (``bot.store.Chat`` has it)."""

    @property
    def subscribed(self) -> bool: ...
    @property
    def digest_time(self) -> str | None: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def subscribed_at(self) -> str | None: ...
    @property
    def last_digest_key(self) -> str | None: ...


def chat_timezone(chat: Subscription, default_timezone: str) -> str:
    """The chat's timezone name, or the config default when it has none."""
    return chat.timezone or default_timezone


def _as_time(value: time | str) -> time:
    return parse_time(value) if isinstance(value, str) else value


def _as_zone(value: tzinfo | str) -> tzinfo:
    return zone(value) if isinstance(value, str) else value


def _check_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (e.g. datetime.now(UTC))")


def _due_on(day: date, at: time, tz: tzinfo) -> datetime:
    # fold=0 implements both DST choices of the module docstring: in a gap the offset
    # before the change applies (02:30 → 03:30 local), in an overlap the first occurrence.
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(UTC)


def _candidates(at: time, tz: tzinfo, now: datetime) -> list[datetime]:
    # A day either side of the local date: a gap can push "23:30 yesterday" past
    # midnight, and zones with transitions at midnight exist.
    today = now.astimezone(tz).date()
    return [_due_on(today + timedelta(days=d), at, tz) for d in (-2, -1, 0, 1, 2)]


def next_due(at: time | str, tz: tzinfo | str, now: datetime) -> datetime:
    """The first due instant strictly after ``now``, as an aware datetime in UTC."""
    _check_aware(now)
    at, tz = _as_time(at), _as_zone(tz)
    return min(due for due in _candidates(at, tz, now) if due > now)


def last_due(at: time | str, tz: tzinfo | str, now: datetime) -> datetime:
    """The latest due instant at or before ``now``, as an aware datetime in UTC."""
    _check_aware(now)
    at, tz = _as_time(at), _as_zone(tz)
    return max(due for due in _candidates(at, tz, now) if due <= now)


def run_key(at: time | str, tz: tzinfo | str, now: datetime) -> str:
    """The key of the digest due at or just before ``now``: its local date "YYYY-MM-DD".

    Call it when a scheduled job runs (or for a catch-up): the latest due instant at
    or before ``now`` (+ EARLY_TOLERANCE) is the digest being sent.
    """
    tz = _as_zone(tz)
    due = last_due(at, tz, now + EARLY_TOLERANCE)
    return due.astimezone(tz).date().isoformat()


def due_run_key(chat: Subscription, now: datetime, default_timezone: str) -> str | None:
    """run_key for a chat's scheduled digest at ``now``; None if it is not subscribed."""
    if not chat.subscribed or chat.digest_time is None:
        return None
    return run_key(chat.digest_time, chat_timezone(chat, default_timezone), now)


def missed_digest(
    chat: Subscription,
    now: datetime,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    default_timezone: str = "UTC",
) -> str | None:
    """The run key of a digest the chat missed, or None.

    Missed: the chat is subscribed, its latest due time is at most ``grace_seconds``
    before ``now`` and after the chat subscribed (a digest due before that was never
    owed), and that digest was not queued (``chat.last_digest_key`` differs). Queuing
    it with ``Store.queue_digest`` records the key, so it is sent once.
    """
    if not chat.subscribed or chat.digest_time is None:
        return None
    tz = zone(chat_timezone(chat, default_timezone))
    due = last_due(chat.digest_time, tz, now)
    if (now - due).total_seconds() > grace_seconds:
        return None
    if chat.subscribed_at and due < datetime.fromisoformat(chat.subscribed_at):
        return None
    key = due.astimezone(tz).date().isoformat()
    return None if chat.last_digest_key == key else key


class Slot(NamedTuple):
    """When a chat's digest is due: "HH:MM" and an IANA timezone (the config default
    already filled in). The data of every digest job (``context.job.data``)."""

    digest_time: str
    timezone: str


def slot_of(chat: Subscription, default_timezone: str) -> Slot | None:
    """The chat's slot, or None if it gets no scheduled digest."""
    if not chat.subscribed or chat.digest_time is None:
        return None
    return Slot(chat.digest_time, chat_timezone(chat, default_timezone))
