"""A subscription's rhythm: on which days of the week and at which times of day it gets
digests -- ``/subscribe weekdays 07:30 18:00`` read, validated and said back in words.

Pure (standard library and :mod:`bot.times` only). When those days and times fall due,
across daylight-saving changes, is :mod:`bot.schedule`'s business.

Days are a bitmask of *Python's* weekdays: bit ``1 << date.weekday()``, Monday = 0 ...
Sunday = 6. Never APScheduler's numbering (``JobQueue.run_daily(days=...)`` counts
Sunday as 0): the bot's digest jobs use their own trigger and the weekday test is
:func:`includes`, here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import time

from bot.times import format_time, parse_time

__all__ = [
    "EVERY_DAY",
    "MAX_TIMES",
    "WEEKDAYS",
    "WEEKENDS",
    "Rhythm",
    "RhythmError",
    "check_days",
    "describe",
    "describe_days",
    "includes",
    "normal_times",
    "parse_days",
    "parse_rhythm",
]

EVERY_DAY = 0b1111111
WEEKDAYS = 0b0011111  # Monday to Friday
WEEKENDS = 0b1100000  # Saturday and Sunday
MAX_TIMES = 4

_SHORT = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LONG = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WORDS = {
    "daily": EVERY_DAY,
    "everyday": EVERY_DAY,
    "every-day": EVERY_DAY,
    "weekdays": WEEKDAYS,
    "weekday": WEEKDAYS,
    "workdays": WEEKDAYS,
    "weekends": WEEKENDS,
    "weekend": WEEKENDS,
}


def includes(days: int, weekday: int) -> bool:
    """True if the ``days`` mask has ``weekday`` (Python's: Monday = 0 ... Sunday = 6)."""
    return bool(days >> weekday & 1)


def check_days(days: int) -> int:
    """``days`` if it is a mask with at least one day; ValueError otherwise."""
    if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= EVERY_DAY:
        raise ValueError(f"days must be a weekday mask between 1 and {EVERY_DAY}, got {days!r}")
    return days


def _day(name: str) -> int | None:
    for names in (_SHORT, _LONG):
        if name in names:
            return names.index(name)
    # "tues", "thur", "thurs": any prefix of three letters or more of one day.
    found = [i for i, full in enumerate(_LONG) if len(name) >= 3 and full.startswith(name)]
    return found[0] if len(found) == 1 else None


def parse_days(text: str) -> int | None:
    """The days mask ``text`` names, or None if it names no days.

    "daily", "weekdays", "weekends", one day or a comma-separated list of days and
    ranges: "mon", "Monday", "mon,wed,fri", "mon-fri", "fri-mon" (wraps round the
    week). Case does not matter."""
    if not isinstance(text, str):
        return None
    word = text.strip().casefold()
    if word in _WORDS:
        return _WORDS[word]
    mask = 0
    for part in word.split(","):
        first, dash, last = part.partition("-")
        start = _day(first)
        end = _day(last) if dash else start
        if start is None or end is None:
            return None
        day = start
        while True:
            mask |= 1 << day
            if day == end:
                break
            day = (day + 1) % 7
    return mask or None


def normal_times(times: Iterable[str | time]) -> tuple[str, ...]:
    """Times as sorted, distinct "HH:MM"; ValueError if one is no time of day, if there
    are none, or more than :data:`MAX_TIMES`."""
    normal = sorted(
        {format_time(value if isinstance(value, time) else parse_time(value)) for value in times}
    )
    if not normal:
        raise ValueError("at least one time of day is needed")
    if len(normal) > MAX_TIMES:
        raise ValueError(f"at most {MAX_TIMES} times a day, got {len(normal)}")
    return tuple(normal)


@dataclass(frozen=True, slots=True)
class Rhythm:
    """What ``/subscribe`` asked for: ``days`` (a mask) and ``times`` ("HH:MM", sorted).
    None / () where the command left it out (the chat keeps what it has)."""

    days: int | None
    times: tuple[str, ...]


class RhythmError(ValueError):
    """``/subscribe`` arguments that say no rhythm. ``kind``: "time" (``argument`` is no
    time of day), "order" (days after a time), "too-many" (more than MAX_TIMES times)."""

    def __init__(self, kind: str, argument: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.argument = argument


def parse_rhythm(args: Sequence[str]) -> Rhythm:
    """``/subscribe``'s arguments: days first (optional; "mon,wed,fri" or "mon wed fri"),
    then up to four times "HH:MM" (spaces or commas between them)."""
    days: int | None = None
    times: list[str] = []
    for argument in args:
        named = parse_days(argument)
        if named is not None:
            if times:
                raise RhythmError("order", argument, f"days come before the times: {argument!r}")
            days = (days or 0) | named
            continue
        for part in filter(None, argument.split(",")):
            try:
                times.append(format_time(parse_time(part)))
            except ValueError as exc:
                raise RhythmError("time", part, str(exc)) from None
    distinct = tuple(sorted(set(times)))
    if len(distinct) > MAX_TIMES:
        raise RhythmError(
            "too-many", " ".join(distinct), f"at most {MAX_TIMES} times a day, got {len(distinct)}"
        )
    return Rhythm(days, distinct)


def describe_days(days: int) -> str:
    """The days in words: "every day", "weekdays", "weekends", "Mon, Wed and Fri"."""
    check_days(days)
    if days == EVERY_DAY:
        return "every day"
    if days == WEEKDAYS:
        return "weekdays"
    if days == WEEKENDS:
        return "weekends"
    names = [_SHORT[day].capitalize() for day in range(7) if includes(days, day)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe(days: int, times: Sequence[str]) -> str:
    """The rhythm in words: "every day at 08:30", "weekdays at 07:30 and 18:00"."""
    when = list(times)
    if not when:
        raise ValueError("a rhythm has at least one time")
    at = when[0] if len(when) == 1 else ", ".join(when[:-1]) + " and " + when[-1]
    return f"{describe_days(days)} at {at}"
