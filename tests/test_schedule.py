"""Schedule: time parsing, due times across DST, run keys, missed digests, slots."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.schedule import (
    Slot,
    canonical_timezone,
    due_run_key,
    format_time,
    last_due,
    missed_digest,
    next_due,
    parse_time,
    run_key,
    slot_of,
    valid_timezone,
    zone,
)
from bot.store import Chat

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def chat(
    chat_id: int = 1,
    digest_time: str | None = "08:00",
    timezone: str | None = "Europe/Berlin",
    last_digest_key: str | None = None,
    active: bool = True,
) -> Chat:
    return Chat(chat_id, timezone, digest_time, active, None, last_digest_key, "t", "t")


# -- parse_time, valid_timezone ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("08:30", time(8, 30)), ("8:30", time(8, 30)), ("00:00", time(0)), (" 23:59 ", time(23, 59))],
)
def test_parse_time_accepts_24_hour_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected


def test_parse_time_rejects_out_of_range_with_a_clear_message() -> None:
    with pytest.raises(ValueError) as error:
        parse_time("25:99")
    assert str(error.value) == (
        "'25:99' is not a time of day: hours go 00-23 and minutes 00-59, e.g. 08:30"
    )


@pytest.mark.parametrize("text", ["24:00", "12:60", "8", "08:5", "ab:cd", "", "8.30", "08:30:00"])
def test_parse_time_rejects_malformed_input(text: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 08:30"):
        parse_time(text)


def test_parse_time_error_does_not_echo_a_huge_argument() -> None:
    with pytest.raises(ValueError) as error:
        parse_time("9" * 3000)
    assert len(str(error.value)) < 100


def test_format_time_pads() -> None:
    assert format_time(time(7, 5)) == "07:05"


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"])
def test_valid_timezone_accepts_iana_names(name: str) -> None:
    assert valid_timezone(name)


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus",
        "",
        "europe/berlin",
        "../../etc/passwd",
        "/etc/localtime",
        "localtime",
        "x" * 3000,
    ],
)
def test_valid_timezone_rejects_unknown_and_odd_names(name: str) -> None:
    assert not valid_timezone(name)


def test_canonical_timezone_ignores_case_and_explains_unknown_names() -> None:
    assert canonical_timezone("europe/berlin") == "Europe/Berlin"
    assert canonical_timezone(" America/New_York ") == "America/New_York"
    assert canonical_timezone("utc") == "UTC"
    with pytest.raises(ValueError) as error:
        canonical_timezone("Mars/Olympus")
    assert str(error.value) == (
        "unknown timezone 'Mars/Olympus': use an IANA name like Europe/Berlin or America/New_York"
    )
    with pytest.raises(ValueError) as error:
        canonical_timezone("x" * 3000)
    assert len(str(error.value)) < 150


def test_zone_accepts_any_case_of_a_known_name() -> None:
    assert zone("asia/tokyo") == ZoneInfo("Asia/Tokyo")


# -- next_due and DST ----------------------------------------------------------------


def test_next_due_is_today_if_still_ahead_else_tomorrow() -> None:
    # 2026-01-15: Berlin is UTC+1.
    assert next_due("08:00", "Europe/Berlin", utc(2026, 1, 15, 6, 0)) == utc(2026, 1, 15, 7, 0)
    assert next_due("08:00", "Europe/Berlin", utc(2026, 1, 15, 7, 0)) == utc(2026, 1, 16, 7, 0)
    assert next_due("08:00", "Europe/Berlin", utc(2026, 1, 15, 9, 0)) == utc(2026, 1, 16, 7, 0)


def test_next_due_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_due("08:00", "UTC", datetime(2026, 1, 1))


def test_daily_digest_stays_at_local_time_across_dst_in_berlin() -> None:
    # Spring forward on 2026-03-29: 08:00 local moves from 07:00 to 06:00 UTC.
    moment = utc(2026, 3, 27, 12, 0)
    dues = []
    for _ in range(4):
        moment = next_due("08:00", BERLIN, moment)
        dues.append(moment)
    assert [d.astimezone(BERLIN).strftime("%m-%d %H:%M") for d in dues] == [
        "03-28 08:00",
        "03-29 08:00",
        "03-30 08:00",
        "03-31 08:00",
    ]
    assert dues[1] - dues[0] == timedelta(hours=23)
    assert dues[2] - dues[1] == timedelta(hours=24)


def test_daily_digest_stays_at_local_time_across_fall_back_in_new_york() -> None:
    # Fall back on 2026-11-01: 08:00 local moves from 12:00 to 13:00 UTC.
    first = next_due("08:00", NEW_YORK, utc(2026, 10, 31, 13, 0))
    second = next_due("08:00", NEW_YORK, first)
    assert (first, second) == (utc(2026, 11, 1, 13, 0), utc(2026, 11, 2, 13, 0))
    previous = next_due("08:00", NEW_YORK, utc(2026, 10, 30, 13, 0))
    assert first - previous == timedelta(hours=25)


def test_nonexistent_time_in_spring_forward_is_sent_an_hour_later() -> None:
    # Berlin 2026-03-29: 02:00 → 03:00, so 02:30 does not exist; sent at 03:30 CEST.
    due = next_due("02:30", BERLIN, utc(2026, 3, 28, 12, 0))
    assert due == utc(2026, 3, 29, 1, 30)
    assert due.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"
    assert next_due("02:30", BERLIN, due) == utc(2026, 3, 30, 0, 30)  # 02:30 CEST
    # New York 2026-03-08: 02:30 does not exist; sent at 03:30 EDT.
    ny = next_due("02:30", NEW_YORK, utc(2026, 3, 7, 12, 0))
    assert ny.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M %Z") == "2026-03-08 03:30 EDT"


def test_ambiguous_time_in_fall_back_is_sent_once_at_its_first_occurrence() -> None:
    # New York 2026-11-01: 01:30 happens twice (EDT, then EST); only the first counts.
    due = next_due("01:30", NEW_YORK, utc(2026, 10, 31, 12, 0))
    assert due == utc(2026, 11, 1, 5, 30)
    assert due.astimezone(NEW_YORK).strftime("%H:%M %Z") == "01:30 EDT"
    following = next_due("01:30", NEW_YORK, due)
    assert following == utc(2026, 11, 2, 6, 30)  # not 06:30 UTC the same day (01:30 EST)
    # Berlin 2026-10-25: 02:30 happens twice; the CEST one.
    berlin = next_due("02:30", BERLIN, utc(2026, 10, 24, 12, 0))
    assert berlin.astimezone(BERLIN).strftime("%H:%M %Z") == "02:30 CEST"


def test_last_due_is_at_or_before_now() -> None:
    assert last_due("08:00", "UTC", utc(2026, 1, 15, 8, 0)) == utc(2026, 1, 15, 8, 0)
    assert last_due("08:00", "UTC", utc(2026, 1, 15, 7, 59)) == utc(2026, 1, 14, 8, 0)


# -- run keys and missed digests -----------------------------------------------------


def test_run_key_is_the_local_date_of_the_due_digest() -> None:
    # 08:00 in Tokyo is 23:00 UTC the day before: the key is Tokyo's date.
    assert run_key("08:00", "Asia/Tokyo", utc(2026, 11, 27, 23, 0, 5)) == "2026-11-28"
    # Late by half an hour: still that day's digest.
    assert run_key("08:00", "UTC", utc(2026, 11, 28, 8, 30)) == "2026-11-28"


def test_run_keys_across_dst_days_name_that_day_once() -> None:
    # Spring forward: the 02:30 digest goes at 03:30 CEST and still belongs to that day.
    assert run_key("02:30", BERLIN, utc(2026, 3, 29, 1, 30)) == "2026-03-29"
    # Fall back: at the second 01:30 (EST) the key is the same as at the first (EDT), so
    # Store.queue_digest refuses it: never twice.
    assert run_key("01:30", NEW_YORK, utc(2026, 11, 1, 5, 30)) == "2026-11-01"
    assert run_key("01:30", NEW_YORK, utc(2026, 11, 1, 6, 30)) == "2026-11-01"


def test_run_key_tolerates_a_job_waking_a_moment_early() -> None:
    assert run_key("08:00", "UTC", utc(2026, 11, 28, 7, 59, 59)) == "2026-11-28"
    assert run_key("08:00", "UTC", utc(2026, 11, 28, 7, 50)) == "2026-11-27"


def test_due_run_key_uses_the_default_timezone_and_needs_a_subscription() -> None:
    now = utc(2026, 6, 1, 23, 30)
    assert due_run_key(chat(timezone=None), now, "Asia/Tokyo") == "2026-06-02"
    assert due_run_key(chat(timezone=None), now, "UTC") == "2026-06-01"
    assert due_run_key(chat(digest_time=None), now, "UTC") is None


def test_missed_digest_within_grace_is_due_once() -> None:
    # Due 08:00 Berlin = 07:00 UTC on 2026-01-15; the bot comes back at 07:40 UTC.
    now = utc(2026, 1, 15, 7, 40)
    assert missed_digest(chat(last_digest_key="2026-01-14"), now) == "2026-01-15"
    assert missed_digest(chat(last_digest_key=None), now) == "2026-01-15"
    assert missed_digest(chat(last_digest_key="2026-01-15"), now) is None


def test_missed_digest_beyond_grace_is_skipped() -> None:
    due = utc(2026, 1, 15, 7, 0)
    assert missed_digest(chat(), due + timedelta(seconds=3600)) == "2026-01-15"
    assert missed_digest(chat(), due + timedelta(seconds=3601)) is None
    assert missed_digest(chat(), due + timedelta(hours=3), grace_seconds=4 * 3600) == "2026-01-15"


def test_a_digest_due_before_the_chat_subscribed_was_never_missed() -> None:
    # Due 07:00 UTC; the chat subscribed at 07:10 and the bot restarts at 07:20.
    now = utc(2026, 1, 15, 7, 20)
    late = chat(timezone="UTC", digest_time="07:00")
    late = Chat(**{**asdict(late), "subscribed_at": utc(2026, 1, 15, 7, 10).isoformat()})
    assert missed_digest(late, now) is None
    early = Chat(**{**asdict(late), "subscribed_at": utc(2026, 1, 15, 6, 50).isoformat()})
    assert missed_digest(early, now) == "2026-01-15"


def test_missed_digest_only_for_active_subscribers() -> None:
    now = utc(2026, 1, 15, 7, 10)
    assert missed_digest(chat(digest_time=None), now) is None
    assert missed_digest(chat(active=False), now) is None


def test_missed_digest_uses_default_timezone() -> None:
    now = utc(2026, 1, 15, 8, 10)  # 08:10 UTC: 08:00 UTC due 10 min ago; Berlin's 1h10 ago
    c = chat(timezone=None)
    assert missed_digest(c, now, default_timezone="UTC") == "2026-01-15"
    assert missed_digest(c, now, 3600, default_timezone="Europe/Berlin") is None


# -- slots ----------------------------------------------------------------------------


def test_slot_of_fills_in_the_default_timezone() -> None:
    assert slot_of(chat(timezone=None), "UTC") == Slot("08:00", "UTC")
    assert slot_of(chat(), "UTC") == Slot("08:00", "Europe/Berlin")
    assert slot_of(chat(digest_time=None), "UTC") is None
