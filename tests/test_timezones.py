"""What users type for a timezone (bot.timezones) and the fixed offsets bot.times stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import config_from_dict
from bot.schedule import next_due
from bot.times import (
    canonical_timezone,
    fixed_offset,
    is_fixed_offset,
    offset_name,
    timezone_names,
    valid_timezone,
    zone,
)
from bot.timezones import (
    LANGUAGE_ZONES,
    MAJOR_CITIES,
    city_of,
    fold,
    likely_timezones,
    parse_offset,
    resolve_timezone,
    timezone_at,
    timezone_label,
)

# -- IANA names and tz database cities ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "zone_name"),
    [
        ("europe/berlin", "Europe/Berlin"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("São Paulo", "America/Sao_Paulo"),
        ("sao paulo", "America/Sao_Paulo"),
        ("St. John's", "America/St_Johns"),
        ("port-au-prince", "America/Port-au-Prince"),
        ("Ho Chi Minh", "Asia/Ho_Chi_Minh"),
        ("  tokyo  ", "Asia/Tokyo"),
        ("Paris, France", "Europe/Paris"),
        ("utc", "UTC"),
        ("gmt", "GMT"),
    ],
)
def test_iana_names_in_any_case_and_tz_database_cities_resolve(typed, zone_name):
    found = resolve_timezone(typed)
    assert found.kind == "zone"
    assert found.zone == zone_name
    assert not found.fixed


def test_a_link_and_its_zone_are_one_place_under_the_zone_s_name():
    # America/Buenos_Aires is a link to America/Argentina/Buenos_Aires.
    assert resolve_timezone("Buenos Aires").zone == "America/Argentina/Buenos_Aires"
    assert resolve_timezone("kiev").zone == "Europe/Kyiv"


# -- the table of major cities ---------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "zone_name"),
    [
        ("Munich", "Europe/Berlin"),
        ("münchen", "Europe/Berlin"),
        ("Barcelona", "Europe/Madrid"),
        ("Mumbai", "Asia/Kolkata"),
        ("san francisco", "America/Los_Angeles"),
        ("Beijing", "Asia/Shanghai"),
        ("Washington DC", "America/New_York"),
    ],
)
def test_major_cities_the_tz_database_does_not_name_resolve(typed, zone_name):
    assert resolve_timezone(typed).zone == zone_name


def test_a_city_meaning_two_places_offers_both_with_where_they_are():
    found = resolve_timezone("portland")
    assert found.kind == "choices" and found.zone is None
    assert [(c.zone, c.label) for c in found.choices] == [
        ("America/Los_Angeles", "Portland, Oregon · America/Los_Angeles"),
        ("America/New_York", "Portland, Maine · America/New_York"),
    ]
    assert {c.zone for c in resolve_timezone("Hyderabad").choices} == {
        "Asia/Kolkata",
        "Asia/Karachi",
    }


def test_every_zone_in_the_tables_exists_and_no_city_repeats_a_tz_database_one():
    for entries in MAJOR_CITIES.values():
        for zone_name, where in entries:
            assert valid_timezone(zone_name), zone_name
            assert where
    for zones in LANGUAGE_ZONES.values():
        assert 1 <= len(zones) <= 6
        assert all(valid_timezone(name) for name in zones), zones
    tz_cities = {fold(city_of(name)) for name in timezone_names() if "/" in name}
    assert [city for city in MAJOR_CITIES if fold(city) in tz_cities] == []


def test_unknown_words_get_close_city_names_as_suggestions():
    found = resolve_timezone("Berln")
    assert found.kind == "unknown" and found.zone is None
    assert "Europe/Berlin" in [c.zone for c in found.suggestions]
    nothing = resolve_timezone("Mars/Olympus")
    assert nothing.kind == "unknown"
    assert resolve_timezone("").kind == "unknown"
    assert resolve_timezone("../../etc/passwd").kind == "unknown"


def test_fold_ignores_case_accents_dots_apostrophes_and_separators():
    assert fold("São_Paulo") == fold("sao paulo") == "sao paulo"
    assert fold("St. John's") == "st johns"
    assert fold("Port-au-Prince") == "port au prince"


# -- fixed offsets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("UTC+1", "UTC+01:00"),
        ("utc +1", "UTC+01:00"),
        ("GMT-3", "UTC-03:00"),
        ("+05:30", "UTC+05:30"),
        ("UTC+5:30", "UTC+05:30"),
        ("UTC+0530", "UTC+05:30"),
        ("-3", "UTC-03:00"),
        ("\u22123", "UTC-03:00"),  # a typographic minus
        ("UTC+14", "UTC+14:00"),
        ("UTC-12", "UTC-12:00"),
        ("UTC+0", "UTC"),
    ],
)
def test_fixed_offsets_are_read_in_the_usual_spellings(typed, stored):
    assert parse_offset(typed) == stored
    found = resolve_timezone(typed)
    assert found.zone == stored
    assert found.fixed == (stored != "UTC")


@pytest.mark.parametrize("typed", ["UTC+15", "UTC-13", "+5:75", "UTC+", "5", "UTC5", "+123"])
def test_offsets_beyond_earth_s_or_without_a_sign_are_not_offsets(typed):
    assert parse_offset(typed) is None


def test_a_fixed_offset_is_a_valid_stored_timezone_with_its_own_tzinfo():
    assert valid_timezone("UTC+05:30") and is_fixed_offset("UTC+05:30")
    assert fixed_offset("UTC-03:00") == -180
    assert not valid_timezone("UTC+5:30")  # only the stored spelling
    assert not valid_timezone("UTC+15:00") and not valid_timezone("UTC-00:00")
    assert canonical_timezone("utc+05:30") == "UTC+05:30"
    assert offset_name(330) == "UTC+05:30" and offset_name(-720) == "UTC-12:00"
    tz = zone("UTC+05:30")
    noon = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert tz.utcoffset(noon) == timedelta(hours=5, minutes=30)
    assert noon.astimezone(tz).strftime("%H:%M %Z") == "17:30 UTC+05:30"


def test_a_fixed_offset_follows_no_daylight_saving():
    # Europe/Berlin's digest at 08:00 moves by an hour in UTC across the March change;
    # a UTC+01:00 one stays at 07:00 UTC.
    before = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    after = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    assert next_due("08:00", "UTC+01:00", before).hour == 7
    assert next_due("08:00", "UTC+01:00", after).hour == 7
    assert next_due("08:00", "Europe/Berlin", after).hour == 6


def test_the_config_accepts_a_fixed_offset_as_the_default_timezone(tmp_path):
    config = config_from_dict({"digest": {"timezone": "UTC+05:30"}}, base=tmp_path)
    assert config.digest.timezone == "UTC+05:30"


def test_labels_show_etc_zones_with_the_sign_people_expect():
    assert timezone_label("Etc/GMT-1") == "UTC+01:00"
    assert timezone_label("Etc/GMT+2") == "UTC-02:00"
    assert timezone_label("Etc/GMT0") == "Etc/GMT0"
    assert timezone_label("Europe/Berlin") == "Europe/Berlin"
    assert timezone_label("UTC+05:30") == "UTC+05:30"


# -- languages and locations -------------------------------------------------------------


def test_likely_timezones_follow_the_language_and_its_region():
    assert likely_timezones("de") == ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich")
    assert likely_timezones("pt-BR")[0] == "America/Sao_Paulo"
    assert likely_timezones("pt")[0] == "America/Sao_Paulo"
    assert likely_timezones("de-AT") == likely_timezones("de")  # no row: the language's
    assert likely_timezones("xx") == ()
    assert likely_timezones(None) == ()


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone_name"),
    [
        (52.52, 13.40, "Europe/Berlin"),
        (-23.55, -46.63, "America/Sao_Paulo"),
        (40.71, -74.01, "America/New_York"),
        (28.61, 77.21, "Asia/Kolkata"),
        (40.0, -30.0, "Etc/GMT+2"),  # the middle of the Atlantic: the nautical zone
    ],
)
def test_a_location_is_looked_up_offline(latitude, longitude, zone_name):
    assert timezone_at(latitude, longitude) == zone_name


def test_coordinates_off_the_globe_have_no_timezone():
    assert timezone_at(91.0, 0.0) is None
    assert timezone_at(0.0, 181.0) is None


def test_every_timezone_fits_in_a_button_s_callback_data():
    from bot.telegram.replies import TIMEZONE_BUTTON

    longest = max(timezone_names(), key=len)
    assert len((TIMEZONE_BUTTON + longest).encode()) <= 64  # Telegram's limit
