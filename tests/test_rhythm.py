"""A subscription's rhythm as pure functions: days and times read from /subscribe,
said back in words, and when they fall due across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.rhythm import (
    EVERY_DAY,
    WEEKDAYS,
    WEEKENDS,
    Rhythm,
    RhythmError,
    check_days,
    describe,
    describe_days,
    includes,
    normal_times,
    parse_days,
    parse_rhythm,
)
from bot.schedule import Slot, missed_slots, next_run, run_key, run_weekday
from bot.store import Chat

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def days(*weekdays: int) -> int:
    mask = 0
    for day in weekdays:
        mask |= 1 << day
    return mask


# -- reading /subscribe ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily", EVERY_DAY),
        ("Weekdays", WEEKDAYS),
        ("weekends", WEEKENDS),
        ("mon", days(MON)),
        ("Monday", days(MON)),
        ("mon,wed,fri", days(MON, WED, FRI)),
        ("tues,thurs", days(TUE, THU)),
        ("mon-fri", WEEKDAYS),
        ("fri-mon", days(FRI, SAT, SUN, MON)),
        ("sat,sun", WEEKENDS),
    ],
)
def test_days_are_read_in_any_case_as_python_weekdays_monday_first(text, expected) -> None:
    assert parse_days(text) == expected


@pytest.mark.parametrize("text", ["08:00", "eight", "mo", "t", "mon,,", "funday", ""])
def test_words_that_are_no_days_are_not_days(text) -> None:
    assert parse_days(text) is None


def test_monday_is_bit_zero_and_sunday_bit_six_never_apschedulers_sunday_zero() -> None:
    assert includes(parse_days("mon") or 0, 0)
    assert includes(parse_days("sun") or 0, 6)
    assert not includes(parse_days("sun") or 0, 0)
    assert [day for day in range(7) if includes(WEEKDAYS, day)] == [0, 1, 2, 3, 4]


def test_a_rhythm_is_days_first_then_up_to_four_times_sorted_and_distinct() -> None:
    assert parse_rhythm([]) == Rhythm(None, ())
    assert parse_rhythm(["7:30"]) == Rhythm(None, ("07:30",))
    assert parse_rhythm(["weekdays", "18:00", "07:30"]) == Rhythm(WEEKDAYS, ("07:30", "18:00"))
    assert parse_rhythm(["mon,wed,fri", "12:00,18:00"]) == Rhythm(
        days(MON, WED, FRI), ("12:00", "18:00")
    )
    assert parse_rhythm(["sat", "sun", "09:00"]) == Rhythm(WEEKENDS, ("09:00",))
    assert parse_rhythm(["weekends"]) == Rhythm(WEEKENDS, ())
    assert parse_rhythm(["08:00", "08:00"]) == Rhythm(None, ("08:00",))
    assert parse_rhythm(["1:00", "2:00", "3:00", "4:00"]).times == (
        "01:00",
        "02:00",
        "03:00",
        "04:00",
    )


@pytest.mark.parametrize(
    ("args", "kind", "argument"),
    [
        (["25:99"], "time", "25:99"),
        (["weekdays", "eight"], "time", "eight"),
        (["07:30", "weekdays"], "order", "weekdays"),
        (["1:00", "2:00", "3:00", "4:00", "5:00"], "too-many", "01:00 02:00 03:00 04:00 05:00"),
    ],
)
def test_bad_rhythms_say_what_is_wrong(args, kind, argument) -> None:
    with pytest.raises(RhythmError) as error:
        parse_rhythm(args)
    assert (error.value.kind, error.value.argument) == (kind, argument)


def test_normal_times_and_day_masks_are_checked() -> None:
    assert normal_times(["18:00", "7:30", "07:30"]) == ("07:30", "18:00")
    for bad in ([], ["1:00", "2:00", "3:00", "4:00", "5:00"], ["24:00"]):
        with pytest.raises(ValueError):
            normal_times(bad)
    for bad_days in (0, 128, -1, True):
        with pytest.raises(ValueError):
            check_days(bad_days)


def test_rhythms_are_said_in_words() -> None:
    assert describe(EVERY_DAY, ["08:30"]) == "every day at 08:30"
    assert describe(WEEKDAYS, ["07:30", "18:00"]) == "weekdays at 07:30 and 18:00"
    assert describe(WEEKENDS, ["09:00"]) == "weekends at 09:00"
    assert describe(days(MON, WED, FRI), ["06:00", "12:00", "18:00"]) == (
        "Mon, Wed and Fri at 06:00, 12:00 and 18:00"
    )
    assert describe_days(days(SUN)) == "Sun"


# -- when a rhythm is due ------------------------------------------------------------------


def test_the_next_weekday_digest_skips_the_weekend_and_the_dst_change() -> None:
    # Fri 27 Mar 2026, 09:00 CET; Berlin moves to CEST on Sunday the 29th.
    friday = utc(2026, 3, 27, 8, 0)
    assert next_run(["07:30"], WEEKDAYS, BERLIN, friday) == utc(2026, 3, 30, 5, 30)  # CEST
    assert next_run(["07:30", "18:00"], WEEKDAYS, BERLIN, friday) == utc(2026, 3, 27, 17, 0)


def test_a_sunday_time_that_does_not_exist_is_sent_an_hour_later_once() -> None:
    # 02:30 does not exist in Berlin on Sun 29 Mar 2026: sent at 03:30 CEST (01:30 UTC).
    saturday = utc(2026, 3, 28, 12, 0)
    due = next_run(["02:30"], days(SUN), BERLIN, saturday)
    assert due == utc(2026, 3, 29, 1, 30)
    assert next_run(["02:30"], days(SUN), BERLIN, due) == utc(2026, 4, 5, 0, 30)


def test_a_weekend_time_that_exists_twice_is_sent_at_its_first_occurrence() -> None:
    # 01:30 happens twice in New York on Sun 1 Nov 2026 (EDT, then EST).
    saturday = utc(2026, 10, 31, 12, 0)
    first = next_run(["01:30"], WEEKENDS, NEW_YORK, saturday)
    assert first == utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    # Not again at 01:30 EST (06:30 UTC): the next is Saturday's.
    assert next_run(["01:30"], WEEKENDS, NEW_YORK, first) == utc(2026, 11, 7, 6, 30)


def test_the_weekday_of_a_run_is_its_local_date_not_utcs() -> None:
    # 08:00 in Tokyo on Saturday is 23:00 UTC on Friday.
    friday_utc = utc(2026, 11, 27, 23, 0, 5)
    assert run_key("08:00", "Asia/Tokyo", friday_utc) == "2026-11-28"
    assert run_weekday("08:00", "Asia/Tokyo", friday_utc) == SAT


def chat(times: tuple[str, ...], mask: int, keys: dict[str, str] | None = None) -> Chat:
    runs = tuple((at, (keys or {}).get(at)) for at in times)
    return Chat(1, BERLIN, times[0], True, None, None, "t", "t", None, mask, runs)


def test_each_time_of_a_chat_is_missed_on_its_own_and_only_on_its_days() -> None:
    # Mon 30 Nov 2026, 18:20 CET: 18:00 fell due 20 minutes ago, 07:30 long ago.
    now = utc(2026, 11, 30, 17, 20)
    both = chat(("07:30", "18:00"), WEEKDAYS)
    assert missed_slots(both, now) == [(Slot("18:00", BERLIN), "2026-11-30")]
    assert missed_slots(both, now, grace_seconds=12 * 3600) == [
        (Slot("07:30", BERLIN), "2026-11-30"),
        (Slot("18:00", BERLIN), "2026-11-30"),
    ]
    done = chat(("07:30", "18:00"), WEEKDAYS, {"18:00": "2026-11-30"})
    assert missed_slots(done, now) == []
    assert missed_slots(chat(("18:00",), WEEKENDS), now) == []
    sunday = now - timedelta(days=1)
    assert missed_slots(chat(("18:00",), WEEKENDS), sunday) == [
        (Slot("18:00", BERLIN), "2026-11-29")
    ]
