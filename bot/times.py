"""Clock-face values the bot stores: "HH:MM" times of day and timezones.

A timezone is an IANA name ("Europe/Berlin", "UTC") or a fixed offset written
``UTC+05:30`` / ``UTC-03:00`` (sign, two-digit hours and minutes): a zone without
daylight saving, for users who give an offset rather than a place. :func:`zone` turns
either into a ``tzinfo``. What a user may *type* for a timezone (cities, "GMT-3", a
location) is read by :mod:`bot.timezones`, which always ends in one of these two forms.

Small and pure (standard library only), so the store, the config and the schedule
can all validate the same way without importing each other. One date format
everywhere the bot writes a day: ``1 Dec 2026`` (:func:`format_day`; ``Mon 1 Dec
2026`` with the weekday), in English whatever the machine's locale.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, available_timezones

__all__ = [
    "MAX_OFFSET_MINUTES",
    "MIN_OFFSET_MINUTES",
    "canonical_timezone",
    "fixed_offset",
    "format_date",
    "format_day",
    "format_moment",
    "format_time",
    "is_fixed_offset",
    "looks_like_time",
    "offset_name",
    "parse_time",
    "timezone_names",
    "valid_timezone",
    "zone",
]

# The offsets clocks use on Earth: UTC-12:00 (Baker Island) to UTC+14:00 (Line Islands).
MIN_OFFSET_MINUTES = -12 * 60
MAX_OFFSET_MINUTES = 14 * 60
_OFFSET_NAME = re.compile(r"UTC([+-])([0-9]{2}):([0-9]{2})")

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


def format_date(value: str | None, show: Callable[[date], str] = format_day) -> str | None:
    """A stored date (an article's, a page's) as shown: ``26 Dec 2014`` for an ISO day
    or time (its day as written; ``show`` writes the day), else the text as stored,
    shortened; None for none."""
    value = " ".join((value or "").split())
    if not value:
        return None
    match = _ISO_DAY.fullmatch(value)
    if match:
        try:
            return show(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            pass
    return value if len(value) <= DATE_CHARS else value[: DATE_CHARS - 1] + "…"


def offset_name(minutes: int) -> str:
    """The stored name of a fixed offset of ``minutes`` east of UTC: 330 → "UTC+05:30",
    -180 → "UTC-03:00"; ValueError outside UTC-12:00 … UTC+14:00."""
    if not MIN_OFFSET_MINUTES <= minutes <= MAX_OFFSET_MINUTES:
        raise ValueError("offsets go from UTC-12:00 to UTC+14:00")
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def fixed_offset(name: str) -> int | None:
    """Minutes east of UTC of a fixed-offset name ("UTC+05:30" → 330), None for anything
    else (IANA names included: "Etc/GMT-1" is a zone name, not this form)."""
    match = _OFFSET_NAME.fullmatch(name) if isinstance(name, str) else None
    if match is None:
        return None
    hours, minutes = int(match[2]), int(match[3])
    if minutes > 59:
        return None
    value = (hours * 60 + minutes) * (-1 if match[1] == "-" else 1)
    if not MIN_OFFSET_MINUTES <= value <= MAX_OFFSET_MINUTES:
        return None
    if value == 0 and match[1] == "-":
        return None  # "UTC+00:00" is the one spelling of no offset
    return value


def is_fixed_offset(name: str) -> bool:
    """True for a fixed-offset name ("UTC+05:30"), which follows no daylight saving."""
    return fixed_offset(name) is not None


def valid_timezone(name: str) -> bool:
    """True if ``name`` is exactly an IANA timezone name ("Europe/Berlin", "UTC") or a
    fixed offset in its stored form ("UTC+05:30")."""
    return isinstance(name, str) and (name in _timezone_names() or is_fixed_offset(name))


def canonical_timezone(name: str) -> str:
    """The timezone ``name`` means, ignoring case ("europe/berlin" → "Europe/Berlin",
    "utc+05:30" → "UTC+05:30"); ValueError with a message fit for the user when there is
    none ("Mars/Olympus")."""
    text = name.strip() if isinstance(name, str) else ""
    if valid_timezone(text):
        return text
    if valid_timezone(text.upper()):
        return text.upper()
    found = _folded_timezone_names().get(text.casefold())
    if found is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValueError(
            f"unknown timezone {shown!r}: use an IANA name like Europe/Berlin or America/New_York"
        )
    return found


def zone(name: str) -> tzinfo:
    """The tzinfo of a timezone name: a ZoneInfo for an IANA name, a fixed
    ``datetime.timezone`` (named like "UTC+05:30") for an offset; ValueError with a
    message fit for the user for anything else."""
    canonical = canonical_timezone(name)
    minutes = fixed_offset(canonical)
    if minutes is not None:
        return _fixed_zone(minutes)
    return ZoneInfo(canonical)


@functools.cache
def _fixed_zone(minutes: int) -> tzinfo:
    return timezone(timedelta(minutes=minutes), offset_name(minutes))


def timezone_names() -> list[str]:
    """Every IANA name the bot accepts, sorted (this machine's or the tzdata package's)."""
    return sorted(_timezone_names())


@functools.cache
def _timezone_names() -> frozenset[str]:
    # Only names zoneinfo lists (no file paths), minus files that are not zones to offer:
    # "localtime" is this machine's setting, "Factory" a placeholder.
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


@functools.cache
def _folded_timezone_names() -> dict[str, str]:
    return {name.casefold(): name for name in sorted(_timezone_names())}
