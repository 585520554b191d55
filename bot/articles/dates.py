"""Dates: reading the calendar date a seed file writes, in many formats and languages.

This module owns :func:`parse_date` (the first date written in a string, as ISO
``YYYY-MM-DD``) and :func:`date_line` (the date if a line is nothing but a date,
with weekday, time and words like "Published:" around it), which the page rules
use to find an article's date and to drop date lines from its body. Month names
are known in English, German, French, Spanish, Italian, Portuguese and Swedish.
Pure over strings.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.articles.text import fold, word_set

__all__ = ["date_line", "parse_date"]

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar janner janvier janv enero ene gennaio genn janeiro januari gen",
        "february feb februar fevrier fevr fev febrero febbraio fevereiro februari",
        "march mar marz maerz mars marzo marco mrt",
        "april apr avril avr abril abr aprile",
        "may mai mayo maggio maio maj mag mei",
        "june jun juni juin junio giugno junho giu",
        "july jul juli juillet juil julio luglio julho lug",
        "august aug aout agosto ago augusti",
        "september sep sept septembre septiembre setiembre settembre setembro set",
        "october oct oktober octobre octubre ottobre outubro okt ott out",
        "november nov novembre noviembre novembro",
        "december dec dezember decembre diciembre dic dicembre dezembro dez",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH_WORD = r"(?P<month>[a-z]{3,10})\.?"
_DATE_PATTERNS = [
    # 2014-12-26, 2014/12/26 (also the date part of 2014-12-26T10:00:00Z)
    re.compile(r"(?<!\d)(?P<year>\d{4})[-/](?P<mon>\d{1,2})[-/](?P<day>\d{1,2})(?!\d)"),
    # 26.12.2014 (day first, as everywhere dots are used)
    re.compile(r"(?<![\d.])(?P<day>\d{1,2})\.\s?(?P<mon>\d{1,2})\.\s?(?P<year>\d{4})(?!\d)"),
    # 12/26/2014 or 26/12/2014: only read when the day is unambiguous (> 12)
    re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<year>\d{4})(?!\d)"),
    # December 26, 2014 / Dec. 26 2014
    re.compile(
        rf"\b{_MONTH_WORD}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})(?!\d)"
    ),
    # 26 December 2014 / 26. Dezember 2014 / 1er janvier 2015 / 26 de diciembre de 2014
    re.compile(
        rf"(?<!\d)(?P<day>\d{{1,2}})(?:st|nd|rd|th|er|º|\.)?\s+(?:de\s+)?{_MONTH_WORD},?"
        rf"\s+(?:de\s+|del\s+)?(?P<year>\d{{4}})(?!\d)"
    ),
]
_TIME = re.compile(
    r"(?<!\d)\d{1,2}[:h.]\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:a\.?m\.?|p\.?m\.?)?"
    r"|t\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:z|[+-]\d{2}:?\d{2})?"
    r"|(?<!\d)\d{1,2}\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z])"
    r"|[+-]\d{2}:?\d{2}\b"
)
# Words that may surround a date on a line that is nothing but a date.
_DATE_NOISE = word_set(
    """
    published updated posted last modified on at date dated am pm a m p time
    utc gmt cet cest est edt cst cdt mst mdt pst pdt et pt bst ist msk jst kst z
    stand veroffentlicht aktualisiert zuletzt datum uhr um vom
    publie le mis a jour maj modifie
    publicado actualizado el de del la fecha hora
    pubblicato aggiornato il alle ore
    monday tuesday wednesday thursday friday saturday sunday
    mon tue tues wed thu thur thurs fri sat sun
    montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag
    mo di mi do fr sa so
    lundi mardi mercredi jeudi vendredi samedi dimanche
    lunes martes miercoles jueves viernes sabado domingo
    lunedi martedi mercoledi giovedi venerdi sabato domenica
    """
)


def parse_date(text: str) -> str | None:
    """The first calendar date written in ``text``, as ISO ``YYYY-MM-DD``, or None.

    Reads 2014-12-26, 2014/12/26, 26.12.2014, December 26, 2014, Dec. 26 2014,
    26 December 2014, and the same with German, French, Spanish, Italian or
    Portuguese month names. Slashed day/month dates are read only when the
    order is unambiguous.
    """
    found = _find_date(fold(text))
    return found[0] if found else None


def _find_date(folded: str) -> tuple[str, int, int] | None:
    best: tuple[str, int, int] | None = None
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(folded):
            iso = _match_to_iso(match)
            if iso is not None:
                if best is None or match.start() < best[1]:
                    best = (iso, match.start(), match.end())
                break
    return best


def _match_to_iso(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    year = int(groups["year"])
    if "month" in groups:
        month = _MONTHS.get(groups["month"])
        if month is None:
            return None
        day = int(groups["day"])
    elif "a" in groups:
        a, b = int(groups["a"]), int(groups["b"])
        if a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a:
            day, month = b, a
        else:
            return None  # 03/04/2014: April 3rd or March 4th? Do not guess.
    else:
        day, month = int(groups["day"]), int(groups["mon"])
    if not 1900 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def date_line(line: str) -> str | None:
    """The date if ``line`` is nothing but a date (with weekday, time, "Published:" …)."""
    if len(line) > 80 or not re.search(r"\d{4}", line):
        return None
    folded = fold(line)
    found = _find_date(folded)
    if found is None:
        return None
    iso, start, end = found
    rest = _TIME.sub(" ", folded[:start] + " " + folded[end:])
    if re.search(r"\d", rest):
        return None
    if all(word in _DATE_NOISE for word in re.findall(r"[a-z]+", rest)):
        return iso
    return None
