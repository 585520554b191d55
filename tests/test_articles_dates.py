"""Tests for bot.articles.dates: dates written in many formats and languages."""

from __future__ import annotations

import pytest

from bot.articles import parse_date


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("December 26, 2014", "2014-12-26"),
        ("Dec. 26 2014", "2014-12-26"),
        ("26 December 2014", "2014-12-26"),
        ("26.12.2014", "2014-12-26"),
        ("2014-12-26", "2014-12-26"),
        ("2014-12-26T10:30:00+01:00", "2014-12-26"),
        ("2014/12/26", "2014-12-26"),
        ("12/26/2014", "2014-12-26"),
        ("26/12/2014", "2014-12-26"),
        ("Freitag, 26. Dezember 2014", "2014-12-26"),
        ("3. März 2015", "2015-03-03"),
        ("1er janvier 2015", "2015-01-01"),
        ("26 de diciembre de 2014", "2014-12-26"),
        ("Published on Friday, December 26th, 2014", "2014-12-26"),
    ],
)
def test_parse_date_reads_common_formats(written: str, iso: str) -> None:
    assert parse_date(written) == iso


@pytest.mark.parametrize("written", ["03/04/2014", "February 30, 2014", "Dec 2014", "no date"])
def test_parse_date_refuses_ambiguous_or_impossible_dates(written: str) -> None:
    assert parse_date(written) is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Seg, 24 Set 2018 10:00:00 -0300", "2018-09-24"),
        ("mer, 16 nov 2022 08:00:00 +0100", "2022-11-16"),
        ("gio, 3 ott 2024", "2024-10-03"),
        ("Qui, 12 Dez 2019", "2019-12-12"),
    ],
)
def test_feed_dates_with_abbreviated_month_names_in_other_languages(text: str, iso: str) -> None:
    assert parse_date(text) == iso
