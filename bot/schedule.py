"""When digests are due: "HH:MM" in a timezone, across daylight-saving changes.

The time logic is pure -- every function takes ``now`` -- so tests inject the clock:

* :func:`parse_time` / :func:`format_time` -- "HH:MM" (24-hour) to ``datetime.time`` and back.
* :func:`valid_timezone` -- an IANA name zoneinfo knows ("Europe/Berlin"; not "Mars/Olympus").
* :func:`next_due` / :func:`last_due` -- the next due instant after ``now``, the latest at
  or before it.
* :func:`run_key` -- the local date of a due digest, the key that makes a digest
  "never twice" (``Store.queue_digest`` refuses a key it has seen for that chat).
* :func:`missed_digest` -- the key of a digest that fell due while the bot was down,
  if it is within the grace period and was not queued.

Daylight saving, decided once here:

* A time that does not exist on a spring-forward day (02:30 in Europe/Berlin on the last
  Sunday of March) is sent when the clock has moved on by the same amount: 03:30 local,
  one hour of real time after 01:30. The digest is late, never skipped.
* A time that exists twice on a fall-back day (01:30 in America/New_York on the first
  Sunday of November) is sent at its first occurrence (daylight time), once.

APScheduler wiring (python-telegram-bot's JobQueue): one job per subscribed chat, with
a :class:`DailyTrigger` that asks :func:`next_due`, so the scheduler fires exactly when
the tested pure function says. Jobs live in memory only; :func:`schedule_all` rebuilds
them from the store at start-up and returns the chats whose digest was missed, for a
catch-up run. Every job has ``misfire_grace_time`` = the grace period (APScheduler's
default of 1 s would silently skip a digest when the event loop is busy) and
``coalesce=True`` (a backlog of runs becomes one run).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.jobstores.base import JobLookupError
from apscheduler.triggers.base import BaseTrigger

if TYPE_CHECKING:
    from telegram.ext import Job, JobQueue

    from bot.store import Chat

__all__ = [
    "DEFAULT_GRACE_SECONDS",
    "DailyTrigger",
    "ScheduleSummary",
    "chat_timezone",
    "format_time",
    "job_name",
    "last_due",
    "missed_digest",
    "next_due",
    "parse_time",
    "run_key",
    "schedule_all",
    "schedule_chat",
    "unschedule_chat",
    "valid_timezone",
    "zone",
]

DEFAULT_GRACE_SECONDS = 3600

# A scheduler timer may wake a job a moment before our own reading of the clock (or
# the clock may be stepped back a little); a job that runs up to this long before its
# due time still belongs to that due time, not to the day before.
EARLY_TOLERANCE = timedelta(seconds=60)

_TIME = re.compile(r"(\d{1,2}):(\d{2})")


def parse_time(text: str) -> time:
    """Parse "HH:MM" (24-hour; "8:30" is accepted too) into a ``datetime.time``.

    Raises ValueError with a message fit for the user, e.g. for "25:99".
    """
    match = _TIME.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        shown = text if len(str(text)) <= 20 else str(text)[:20] + "…"
        raise ValueError(f"{shown!r} is not a time: use HH:MM, 24-hour, e.g. 08:30")
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        raise ValueError(
            f"{text.strip()!r} is not a time of day: hours go 00-23 and minutes 00-59, e.g. 08:30"
        )
    return time(hours, minutes)


def format_time(value: time) -> str:
    """A time as "HH:MM"."""
    return f"{value.hour:02d}:{value.minute:02d}"


def valid_timezone(name: str) -> bool:
    """True if ``name`` is an IANA timezone zoneinfo knows ("Europe/Berlin", "UTC")."""
    try:
        zone(name)
    except ValueError:
        return False
    return True


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError with a message fit for the user."""
    # zoneinfo reads files: keep odd input (paths, huge strings) away from the filesystem.
    if (
        not isinstance(name, str)
        or not 0 < len(name) <= 64
        or name.startswith("/")
        or ".." in name.split("/")
        or not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name)
    ):
        raise ValueError(f"unknown timezone {name[:64]!r}: use an IANA name like Europe/Berlin")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown timezone {name!r}: use an IANA name like Europe/Berlin"
        ) from None


def chat_timezone(chat: Chat, default_timezone: str) -> str:
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


def due_run_key(chat: Chat, now: datetime, default_timezone: str) -> str | None:
    """run_key for a chat's scheduled digest at ``now``; None if it is not subscribed."""
    if not chat.subscribed or chat.digest_time is None:
        return None
    return run_key(chat.digest_time, chat_timezone(chat, default_timezone), now)


def missed_digest(
    chat: Chat,
    now: datetime,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    default_timezone: str = "UTC",
) -> str | None:
    """The run key of a digest the chat missed, or None.

    Missed: the chat is subscribed, its latest due time is at most ``grace_seconds``
    before ``now``, and that digest was not queued (``chat.last_digest_key`` differs).
    Queuing it with ``Store.queue_digest`` records the key, so it is sent once.
    """
    if not chat.subscribed or chat.digest_time is None:
        return None
    tz = zone(chat_timezone(chat, default_timezone))
    due = last_due(chat.digest_time, tz, now)
    if (now - due).total_seconds() > grace_seconds:
        return None
    key = due.astimezone(tz).date().isoformat()
    return None if chat.last_digest_key == key else key


# -- APScheduler -------------------------------------------------------------------


class DailyTrigger(BaseTrigger):
    """An APScheduler trigger firing daily at ``at`` in ``tz``, as :func:`next_due` says."""

    __slots__ = ("at", "tz")

    def __init__(self, at: time | str, tz: tzinfo | str) -> None:
        self.at = _as_time(at)
        self.tz = _as_zone(tz)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        # After a run, the next one follows that run's time (not "now", which may be
        # later when the run was late), so a late run never skips the next day.
        after = previous_fire_time if previous_fire_time is not None else now - _JUST_BEFORE
        return next_due(self.at, self.tz, after)

    def __str__(self) -> str:
        return f"daily at {format_time(self.at)} {self.tz}"

    def __repr__(self) -> str:
        return f"<DailyTrigger at={format_time(self.at)} tz={self.tz}>"


# next_due is strictly after; a job added exactly at its due time still fires then.
_JUST_BEFORE = timedelta(microseconds=1)


def job_name(chat_id: int) -> str:
    """The name (and APScheduler id) of a chat's daily digest job."""
    return f"digest:{chat_id}"


def schedule_chat(
    job_queue: JobQueue[Any],
    chat: Chat,
    callback: Any,
    *,
    default_timezone: str,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> Job[Any] | None:
    """(Re)schedule the chat's daily digest job; remove it if the chat is not subscribed.

    Call after subscribe, a new time or timezone, unsubscribe, deactivate, reactivate.
    ``callback(context)`` is the digest job (Telegram side); ``context.job.chat_id`` is
    the chat and :func:`due_run_key` gives the run key. Returns the job, or None.
    """
    unschedule_chat(job_queue, chat.chat_id)
    if not chat.subscribed or chat.digest_time is None:
        return None
    trigger = DailyTrigger(chat.digest_time, chat_timezone(chat, default_timezone))
    name = job_name(chat.chat_id)
    return job_queue.run_custom(
        callback,
        job_kwargs={
            "trigger": trigger,
            "id": name,
            "replace_existing": True,
            "misfire_grace_time": max(1, int(grace_seconds)),
            "coalesce": True,
        },
        name=name,
        chat_id=chat.chat_id,
    )


def unschedule_chat(job_queue: JobQueue[Any], chat_id: int) -> bool:
    """Remove the chat's daily digest job; True if there was one."""
    try:
        job_queue.scheduler.remove_job(job_name(chat_id))
    except JobLookupError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class ScheduleSummary:
    """What schedule_all did: jobs created, and the chats whose digest was missed
    (chat id, run key), for which a catch-up run was scheduled to start now."""

    scheduled: int
    catch_up: tuple[tuple[int, str], ...]


def schedule_all(
    job_queue: JobQueue[Any],
    chats: Iterable[Chat],
    callback: Any,
    *,
    now: datetime,
    default_timezone: str,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> ScheduleSummary:
    """Build one daily job per subscribed chat (at start-up, from ``store.iter_subscribers()``)
    and a one-off catch-up job, starting now, for each chat that missed a digest within
    the grace period. The catch-up job runs the same ``callback`` with the chat id."""
    scheduled = 0
    catch_up: list[tuple[int, str]] = []
    for chat in chats:
        if schedule_chat(
            job_queue,
            chat,
            callback,
            default_timezone=default_timezone,
            grace_seconds=grace_seconds,
        ):
            scheduled += 1
        key = missed_digest(chat, now, grace_seconds, default_timezone)
        if key is not None:
            job_queue.run_once(
                callback,
                when=0,
                name=f"digest-catch-up:{chat.chat_id}",
                chat_id=chat.chat_id,
                data=key,
                job_kwargs={"misfire_grace_time": max(1, int(grace_seconds))},
            )
            catch_up.append((chat.chat_id, key))
    return ScheduleSummary(scheduled, tuple(catch_up))
