"""Clock-face values users type and read: "HH:MM" times of day, IANA timezone names,
and days as the bot shows them.

Small and pure (standard library only), so the store, the config and the schedule
can all validate the same way without importing each other. One date format
everywhere the bot writes a day: ``1 Dec 2026`` (:func:`format_day`; ``Mon 1 Dec
2026`` with the weekday), in English whatever the machine's locale.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, available_timezones

__all__ = [
    "canonical_timezone",
    "format_date",
    "format_day",
    "format_moment",
    "format_time",
    "looks_like_time",
    "parse_time",
    "valid_timezone",
    "zone",
]

# ASCII digits only: "²3:00" or "٣:00" are not times anyone types on purpose.
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")


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


def looks_like_time(text: str) -> bool:
    """True if ``text`` has the shape of "HH:MM" (whether or not the values are in range)."""
    return isinstance(text, str) and _TIME.fullmatch(text.strip()) is not None


def format_time(value: time) -> str:
    """A time as "HH:MM"."""
    return f"{value.hour:02d}:{value.minute:02d}"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ].*)?")
# A stored date that is no ISO day is shown as stored, up to this many characters.
DATE_CHARS = 40


def format_day(day: date, weekday: bool = False) -> str:
    """``1 Dec 2026`` (``Mon 1 Dec 2026`` with ``weekday``)."""
    text = f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{_WEEKDAYS[day.weekday()]} {text}" if weekday else text


def format_moment(moment: datetime) -> str:
    """A moment in its own timezone: ``Mon 1 Dec 2026, 08:30 CET``."""
    day = format_day(moment.date(), weekday=True)
    return f"{day}, {format_time(moment.time())} {moment.tzname() or ''}".rstrip()


def format_date(value: str | None) -> str | None:
    """A stored date (an article's, a page's) as shown: ``26 Dec 2014`` for an ISO day
    or time (its day as written), else the text as stored, shortened; None for none."""
    value = " ".join((value or "").split())
    if not value:
        return None
    match = _ISO_DAY.fullmatch(value)
    if match:
        try:
            return format_day(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            pass
    return value if len(value) <= DATE_CHARS else value[: DATE_CHARS - 1] + "…"


def valid_timezone(name: str) -> bool:
    """True if ``name`` is exactly an IANA timezone name ("Europe/Berlin", "UTC")."""
    return isinstance(name, str) and name in _timezone_names()


def canonical_timezone(name: str) -> str:
    """The IANA name ``name`` means, ignoring case ("europe/berlin" → "Europe/Berlin");
    ValueError with a message fit for the user when there is none ("Mars/Olympus")."""
    text = name.strip() if isinstance(name, str) else ""
    if valid_timezone(text):
        return text
    found = _folded_timezone_names().get(text.casefold())
    if found is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValueError(
            f"unknown timezone {shown!r}: use an IANA name like Europe/Berlin or America/New_York"
        )
    return found


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError with a message fit for the user."""
    return ZoneInfo(canonical_timezone(name))


@functools.cache
def _timezone_names() -> frozenset[str]:
    # Only names zoneinfo lists (no file paths), minus files that are not zones to offer:
    # "localtime" is this machine's setting, "Factory" a placeholder.
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


@functools.cache
def _folded_timezone_names() -> dict[str, str]:
    return {name.casefold(): name for name in sorted(_timezone_names())}
