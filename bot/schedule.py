"""When digests are due: "HH:MM" in a timezone, across daylight-saving changes.

Pure time arithmetic -- every function takes ``now``, nothing here imports Telegram,
APScheduler or the store -- so tests inject the clock:

* :func:`next_due` / :func:`last_due` -- the next due instant after ``now``, the latest at
  or before it.
* :func:`run_key` -- the local date of a due digest, the key that makes a digest
  "never twice" (``Store.queue_digest`` refuses a key it has seen for that chat).
* :func:`missed_digest` -- the key of a digest that fell due while the bot was down,
  if it is within the grace period and was not queued.
* :class:`Slot` / :func:`slot_of` -- the (time, timezone) pair a chat's digest is due at;
  :func:`slots_of` -- all of them, for a chat with several times a day.
* :func:`next_run` -- the next digest of a rhythm (times on chosen weekdays,
  :mod:`bot.rhythm`); :func:`run_weekday` -- the local weekday a run belongs to (a slot's
  job runs daily and skips the chats whose days do not include it);
  :func:`missed_slots` -- every slot of a chat whose digest was missed.
* "HH:MM" and timezone names are parsed by :mod:`bot.times` (re-exported here).

Daylight saving, decided once here:

* A time that does not exist on a spring-forward day (02:30 in Europe/Berlin on the last
  Sunday of March) is sent when the clock has moved on by the same amount: 03:30 local,
  one hour of real time after 01:30. The digest is late, never skipped.
* A time that exists twice on a fall-back day (01:30 in America/New_York on the first
  Sunday of November) is sent at its first occurrence (daylight time), once.

The scheduler that fires at these times (APScheduler through python-telegram-bot's
JobQueue) is wired in :mod:`bot.telegram.slots`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import NamedTuple, Protocol

from bot.rhythm import EVERY_DAY, includes
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
    "missed_slots",
    "next_due",
    "next_run",
    "parse_time",
    "run_key",
    "run_weekday",
    "slot_of",
    "slots_of",
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
    @property
    def days(self) -> int: ...
    @property
    def digest_times(self) -> tuple[str, ...]: ...
    def last_key_at(self, digest_time: str) -> str | None: ...


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


def run_weekday(at: time | str, tz: tzinfo | str, now: datetime) -> int:
    """The local weekday (Monday = 0) of the digest due at or just before ``now``: the
    day of its :func:`run_key`, which decides whether a chat's days include that run."""
    return date.fromisoformat(run_key(at, tz, now)).weekday()


def next_run(times: Sequence[time | str], days: int, tz: tzinfo | str, now: datetime) -> datetime:
    """The first digest strictly after ``now`` of a chat due at each of ``times`` on the
    weekdays in ``days`` (a :mod:`bot.rhythm` mask), as an aware datetime in UTC."""
    _check_aware(now)
    tz = _as_zone(tz)
    if not times or not 0 < days <= EVERY_DAY:
        raise ValueError("a rhythm needs at least one time and one day")
    today = now.astimezone(tz).date()
    best: datetime | None = None
    for value in times:
        at = _as_time(value)
        for offset in range(-2, 9):
            day = today + timedelta(days=offset)
            if not includes(days, day.weekday()):
                continue
            due = _due_on(day, at, tz)
            if due > now:
                best = due if best is None else min(best, due)
                break  # later days only come later
    assert best is not None  # a day of the mask falls within any 7 days
    return best


@lru_cache(maxsize=1024)
def _last_due_cached(at: str, timezone: str, now: datetime) -> datetime:
    # Start-up asks for every subscriber at one `now`: 100,000 chats share a few
    # hundred (time, zone) pairs.
    return last_due(at, zone(timezone), now)


def missed_slots(
    chat: Subscription,
    now: datetime,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    default_timezone: str = "UTC",
) -> list[tuple[Slot, str]]:
    """Every (slot, run key) of a digest the chat missed, earliest time first.

    Missed, for each of the chat's times: the chat is subscribed, the latest due time
    is at most ``grace_seconds`` before ``now``, on one of the chat's days, and after
    the chat subscribed (a digest due before that was never owed), and that run was
    not queued (``chat.last_key_at(time)`` differs). Queuing it records the key, so it
    is sent once.
    """
    if not chat.subscribed or chat.digest_time is None:
        return []
    name = chat_timezone(chat, default_timezone)
    tz = zone(name)
    subscribed_at = datetime.fromisoformat(chat.subscribed_at) if chat.subscribed_at else None
    missed = []
    for digest_time in chat.digest_times:
        due = _last_due_cached(digest_time, name, now)
        if (now - due).total_seconds() > grace_seconds:
            continue
        if subscribed_at is not None and due < subscribed_at:
            continue
        key = due.astimezone(tz).date().isoformat()
        if not includes(chat.days, date.fromisoformat(key).weekday()):
            continue
        if chat.last_key_at(digest_time) != key:
            missed.append((Slot(digest_time, name), key))
    return missed


def missed_digest(
    chat: Subscription,
    now: datetime,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    default_timezone: str = "UTC",
) -> str | None:
    """The run key of a digest the chat missed (the first of :func:`missed_slots`), or None."""
    missed = missed_slots(chat, now, grace_seconds, default_timezone)
    return missed[0][1] if missed else None


class Slot(NamedTuple):
    """When a chat's digest is due: "HH:MM" and an IANA timezone (the config default
    already filled in). The data of every digest job (``context.job.data``)."""

    digest_time: str
    timezone: str


def slot_of(chat: Subscription, default_timezone: str) -> Slot | None:
    """The chat's (first) slot, or None if it gets no scheduled digest."""
    slots = slots_of(chat, default_timezone)
    return slots[0] if slots else None


def slots_of(chat: Subscription, default_timezone: str) -> list[Slot]:
    """One slot per time of day the chat gets a digest at (none if not subscribed)."""
    if not chat.subscribed or chat.digest_time is None:
        return []
    name = chat_timezone(chat, default_timezone)
    return [Slot(digest_time, name) for digest_time in chat.digest_times]
