"""What a user means by a timezone: the words of ``/timezone``, a shared location, and
the zones likely for a language.

:func:`resolve_timezone` reads, in this order:

* an IANA name in any case ("europe/berlin" → Europe/Berlin);
* a fixed offset: ``UTC+1``, ``GMT-3``, ``+05:30``, ``UTC+0530`` (stored as
  ``UTC+01:00``, see :mod:`bot.times`; such a zone follows no daylight saving);
* a city of :data:`MAJOR_CITIES` (big cities the tz database does not name, and a few
  names that mean two places, e.g. Portland, Oregon or Maine);
* a city from the tz database itself ("new york", "São Paulo", "sao paulo"): the last
  part of every zone name, compared without case, accents, dots, apostrophes or
  underscores;
* the same, for the part before a comma ("Paris, France").

It answers one zone, a few choices (a name meaning several places), or nothing with the
closest city names as suggestions (``difflib``). :func:`timezone_at` looks a location up
offline with ``timezonefinder`` (polygons shipped with the package), and
:func:`likely_timezones` gives the zones to offer for a Telegram ``language_code``
(:data:`LANGUAGE_ZONES`). Pure apart from reading the tz database's and
timezonefinder's data files, once.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.times import (
    canonical_timezone,
    fixed_offset,
    offset_name,
    timezone_names,
    valid_timezone,
)

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

__all__ = [
    "LANGUAGE_ZONES",
    "MAJOR_CITIES",
    "Choice",
    "Resolution",
    "city_of",
    "fold",
    "likely_timezones",
    "parse_offset",
    "resolve_timezone",
    "timezone_at",
    "timezone_label",
]

# Cities the tz database does not name, each with its zone; a name that means several
# places lists each with where it is. Kept modest: large cities people are likely to
# type, not a gazetteer. Keys are written as people write them; they are folded like
# everything else before comparing.
MAJOR_CITIES: dict[str, tuple[tuple[str, str], ...]] = {
    # Europe
    "Munich": (("Europe/Berlin", "Germany"),),
    "Hamburg": (("Europe/Berlin", "Germany"),),
    "Frankfurt": (("Europe/Berlin", "Germany"),),
    "Cologne": (("Europe/Berlin", "Germany"),),
    "Köln": (("Europe/Berlin", "Germany"),),
    "München": (("Europe/Berlin", "Germany"),),
    "Stuttgart": (("Europe/Berlin", "Germany"),),
    "Düsseldorf": (("Europe/Berlin", "Germany"),),
    "Barcelona": (("Europe/Madrid", "Spain"),),
    "Seville": (("Europe/Madrid", "Spain"),),
    "Milan": (("Europe/Rome", "Italy"),),
    "Naples": (("Europe/Rome", "Italy"),),
    "Florence": (("Europe/Rome", "Italy"),),
    "Venice": (("Europe/Rome", "Italy"),),
    "Lyon": (("Europe/Paris", "France"),),
    "Marseille": (("Europe/Paris", "France"),),
    "Manchester": (("Europe/London", "England"),),
    "Edinburgh": (("Europe/London", "Scotland"),),
    "Glasgow": (("Europe/London", "Scotland"),),
    "Geneva": (("Europe/Zurich", "Switzerland"),),
    "Bern": (("Europe/Zurich", "Switzerland"),),
    "Krakow": (("Europe/Warsaw", "Poland"),),
    "Saint Petersburg": (("Europe/Moscow", "Russia"),),
    "St Petersburg": (("Europe/Moscow", "Russia"),),
    "Porto": (("Europe/Lisbon", "Portugal"),),
    "Rotterdam": (("Europe/Amsterdam", "Netherlands"),),
    "The Hague": (("Europe/Amsterdam", "Netherlands"),),
    "Antwerp": (("Europe/Brussels", "Belgium"),),
    "Gothenburg": (("Europe/Stockholm", "Sweden"),),
    # The Americas
    "San Francisco": (("America/Los_Angeles", "California"),),
    "San Diego": (("America/Los_Angeles", "California"),),
    "Seattle": (("America/Los_Angeles", "Washington"),),
    "Las Vegas": (("America/Los_Angeles", "Nevada"),),
    "LA": (("America/Los_Angeles", "California"),),
    "Boston": (("America/New_York", "Massachusetts"),),
    "Washington": (("America/New_York", "District of Columbia"),),
    "Washington DC": (("America/New_York", "District of Columbia"),),
    "NYC": (("America/New_York", "New York"),),
    "New York City": (("America/New_York", "New York"),),
    "Miami": (("America/New_York", "Florida"),),
    "Atlanta": (("America/New_York", "Georgia"),),
    "Philadelphia": (("America/New_York", "Pennsylvania"),),
    "Dallas": (("America/Chicago", "Texas"),),
    "Houston": (("America/Chicago", "Texas"),),
    "Austin": (("America/Chicago", "Texas"),),
    "New Orleans": (("America/Chicago", "Louisiana"),),
    "Minneapolis": (("America/Chicago", "Minnesota"),),
    "Salt Lake City": (("America/Denver", "Utah"),),
    "Ottawa": (("America/Toronto", "Ontario"),),
    "Calgary": (("America/Edmonton", "Alberta"),),
    "Rio de Janeiro": (("America/Sao_Paulo", "Brazil"),),
    "Brasilia": (("America/Sao_Paulo", "Brazil"),),
    # Asia, Africa, Oceania
    "Mumbai": (("Asia/Kolkata", "India"),),
    "Bombay": (("Asia/Kolkata", "India"),),
    "Delhi": (("Asia/Kolkata", "India"),),
    "New Delhi": (("Asia/Kolkata", "India"),),
    "Bangalore": (("Asia/Kolkata", "India"),),
    "Bengaluru": (("Asia/Kolkata", "India"),),
    "Chennai": (("Asia/Kolkata", "India"),),
    "Beijing": (("Asia/Shanghai", "China"),),
    "Peking": (("Asia/Shanghai", "China"),),
    "Guangzhou": (("Asia/Shanghai", "China"),),
    "Shenzhen": (("Asia/Shanghai", "China"),),
    "Osaka": (("Asia/Tokyo", "Japan"),),
    "Kyoto": (("Asia/Tokyo", "Japan"),),
    "Hanoi": (("Asia/Ho_Chi_Minh", "Vietnam"),),
    "Abu Dhabi": (("Asia/Dubai", "United Arab Emirates"),),
    "Lahore": (("Asia/Karachi", "Pakistan"),),
    "Islamabad": (("Asia/Karachi", "Pakistan"),),
    "Ankara": (("Europe/Istanbul", "Turkey"),),
    "Cape Town": (("Africa/Johannesburg", "South Africa"),),
    "Alexandria": (("Africa/Cairo", "Egypt"),),
    "Wellington": (("Pacific/Auckland", "New Zealand"),),
    # Names that mean more than one place: the user picks.
    "Portland": (("America/Los_Angeles", "Oregon"), ("America/New_York", "Maine")),
    "Birmingham": (("Europe/London", "England"), ("America/Chicago", "Alabama")),
    "Cambridge": (("Europe/London", "England"), ("America/New_York", "Massachusetts")),
    "Hyderabad": (("Asia/Kolkata", "India"), ("Asia/Karachi", "Pakistan")),
    "Valencia": (("Europe/Madrid", "Spain"), ("America/Caracas", "Venezuela")),
    "San Jose": (("America/Los_Angeles", "California"), ("America/Costa_Rica", "Costa Rica")),
    "Kingston": (("America/Jamaica", "Jamaica"), ("America/Toronto", "Ontario")),
}

# The zones to offer a user whose Telegram app speaks this language (``language_code``,
# an IETF tag: "de", "pt-br"); a tag with a region is looked up first as a whole. The
# most populous places speaking it first; at most six, as buttons.
LANGUAGE_ZONES: dict[str, tuple[str, ...]] = {
    "en": (
        "Europe/London",
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "Asia/Kolkata",
        "Australia/Sydney",
    ),
    "en-us": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
    "en-gb": ("Europe/London",),
    "de": ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich"),
    "fr": ("Europe/Paris", "Europe/Brussels", "Europe/Zurich", "America/Toronto"),
    "es": (
        "Europe/Madrid",
        "America/Mexico_City",
        "America/Bogota",
        "America/Argentina/Buenos_Aires",
        "America/Lima",
        "America/Santiago",
    ),
    "pt": ("America/Sao_Paulo", "Europe/Lisbon"),
    "pt-br": ("America/Sao_Paulo", "America/Manaus"),
    "it": ("Europe/Rome", "Europe/Zurich"),
    "nl": ("Europe/Amsterdam", "Europe/Brussels"),
    "ru": ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Vladivostok"),
    "uk": ("Europe/Kyiv",),
    "be": ("Europe/Minsk",),
    "pl": ("Europe/Warsaw",),
    "cs": ("Europe/Prague",),
    "sk": ("Europe/Bratislava",),
    "hu": ("Europe/Budapest",),
    "ro": ("Europe/Bucharest", "Europe/Chisinau"),
    "bg": ("Europe/Sofia",),
    "el": ("Europe/Athens", "Asia/Nicosia"),
    "tr": ("Europe/Istanbul",),
    "sv": ("Europe/Stockholm", "Europe/Helsinki"),
    "da": ("Europe/Copenhagen",),
    "nb": ("Europe/Oslo",),
    "no": ("Europe/Oslo",),
    "fi": ("Europe/Helsinki",),
    "et": ("Europe/Tallinn",),
    "lv": ("Europe/Riga",),
    "lt": ("Europe/Vilnius",),
    "sr": ("Europe/Belgrade",),
    "hr": ("Europe/Zagreb",),
    "sl": ("Europe/Ljubljana",),
    "ca": ("Europe/Madrid", "Europe/Andorra"),
    "he": ("Asia/Jerusalem",),
    "ar": ("Africa/Cairo", "Asia/Riyadh", "Asia/Dubai", "Africa/Casablanca", "Asia/Baghdad"),
    "fa": ("Asia/Tehran", "Asia/Kabul"),
    "hi": ("Asia/Kolkata",),
    "bn": ("Asia/Dhaka", "Asia/Kolkata"),
    "ur": ("Asia/Karachi", "Asia/Kolkata"),
    "id": ("Asia/Jakarta", "Asia/Makassar"),
    "ms": ("Asia/Kuala_Lumpur", "Asia/Singapore"),
    "th": ("Asia/Bangkok",),
    "vi": ("Asia/Ho_Chi_Minh",),
    "zh": ("Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong", "Asia/Singapore"),
    "zh-hant": ("Asia/Taipei", "Asia/Hong_Kong"),
    "zh-tw": ("Asia/Taipei",),
    "ja": ("Asia/Tokyo",),
    "ko": ("Asia/Seoul",),
    "kk": ("Asia/Almaty",),
    "uz": ("Asia/Tashkent",),
    "az": ("Asia/Baku",),
    "ka": ("Asia/Tbilisi",),
    "hy": ("Asia/Yerevan",),
}

# The tz database's areas whose last part is a place ("Etc/GMT-1", "US/Eastern" are not).
_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia"}
    | {"Europe", "Indian", "Pacific"}
)
# "UTC+1", "GMT -3", "+05:30", "+5.30", "utc+0530", "−3" (a typographic minus); a sign
# is required ("UTC5" and "5" are not offsets).
_OFFSET = re.compile(
    r"(?:(?:UTC|GMT)\s*)?([+\-−])\s*(?:([0-9]{1,2})(?:[:h.]([0-9]{2}))?|([0-9]{2})([0-9]{2}))",
    re.IGNORECASE,
)
_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Choice:
    """One timezone to offer: the zone name and the words on its button."""

    zone: str
    label: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the user's words mean: one ``zone``, several ``choices`` (a name meaning
    places in different zones), or neither, with ``suggestions``: the zones of the city
    names closest to what was typed (maybe none)."""

    zone: str | None = None
    choices: tuple[Choice, ...] = ()
    suggestions: tuple[Choice, ...] = ()

    @property
    def kind(self) -> Literal["zone", "choices", "unknown"]:
        if self.zone is not None:
            return "zone"
        return "choices" if self.choices else "unknown"

    @property
    def fixed(self) -> bool:
        """True when the zone is a fixed offset: no daylight saving."""
        return self.zone is not None and fixed_offset(self.zone) is not None


def fold(text: str) -> str:
    """A place name compared loosely: no case, accents, dots, apostrophes, hyphens or
    underscores ("São_Paulo", "sao paulo", "St. John's" → "st johns")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"[.'’]", "", plain.casefold())
    return " ".join(re.sub(r"[_\-]", " ", plain).split())


def parse_offset(text: str) -> str | None:
    """A fixed offset as the bot stores it ("UTC+1" → "UTC+01:00", "+5:30" →
    "UTC+05:30"; "UTC+0" → "UTC"), or None if ``text`` is no offset (or beyond
    UTC-12:00 … UTC+14:00)."""
    match = _OFFSET.fullmatch(text.strip())
    if match is None:
        return None
    if match[4] is not None:  # "+0530"
        hours, minutes = int(match[4]), int(match[5])
    else:  # "+5", "+05:30"
        hours, minutes = int(match[2]), int(match[3] or 0)
    if minutes > 59:
        return None
    value = (hours * 60 + minutes) * (1 if match[1] == "+" else -1)
    if value == 0:
        return "UTC"
    try:
        return offset_name(value)
    except ValueError:
        return None


def resolve_timezone(text: str) -> Resolution:
    """What ``text`` (the argument of ``/timezone``) means; see the module docstring."""
    text = " ".join(text.split()) if isinstance(text, str) else ""
    if not text:
        return Resolution()
    try:
        return Resolution(canonical_timezone(text))
    except ValueError:
        pass
    offset = parse_offset(text)
    if offset is not None:
        return Resolution(offset)
    for words in (text, text.split(",", 1)[0]):
        found = _cities().get(fold(words))
        if found:
            if len(found) == 1:
                return Resolution(found[0].zone)
            return Resolution(choices=found)
    return Resolution(suggestions=_suggestions(fold(text)))


def _suggestions(key: str) -> tuple[Choice, ...]:
    cities = _cities()
    close = difflib.get_close_matches(key, list(cities), n=_SUGGESTIONS, cutoff=0.75)
    seen: dict[str, Choice] = {}
    for name in close:
        for choice in cities[name]:
            seen.setdefault(choice.zone, choice)
    return tuple(seen.values())[:_SUGGESTIONS]


def city_of(name: str) -> str:
    """The place in a zone name, for people: "America/Sao_Paulo" → "Sao Paulo"."""
    return name.rsplit("/", 1)[-1].replace("_", " ")


def timezone_label(name: str) -> str:
    """A timezone as a reply shows it: the IANA name, or the fixed offset ("UTC+05:30");
    ``Etc/GMT-1`` (whose sign is inverted by POSIX convention) as "UTC+01:00"."""
    match = re.fullmatch(r"Etc/GMT([+-])([0-9]{1,2})", name)
    if match:
        hours = int(match[2]) * (-1 if match[1] == "+" else 1)
        return offset_name(hours * 60) if hours else "UTC"
    return name


def likely_timezones(language_code: str | None) -> tuple[str, ...]:
    """The zones to offer for a Telegram ``language_code`` ("de" → Europe/Berlin,
    Europe/Vienna, Europe/Zurich), most likely first; () for a language not listed."""
    if not language_code:
        return ()
    code = language_code.strip().lower().replace("_", "-")
    found = LANGUAGE_ZONES.get(code) or LANGUAGE_ZONES.get(code.split("-", 1)[0], ())
    return tuple(name for name in found if valid_timezone(name))


@functools.cache
def _links() -> dict[str, str]:
    """The tz database's links (old or duplicate names) and the zones they stand for."""
    source = importlib.resources.files("tzdata").joinpath("zoneinfo/tzdata.zi")
    links = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    return links


@functools.cache
def _cities() -> dict[str, tuple[Choice, ...]]:
    """Folded city name → the zones it may mean (MAJOR_CITIES before the tz database)."""
    by_city: dict[str, dict[str, str]] = {}
    links = _links()
    names = set(timezone_names())
    for name in sorted(names):
        area, _, rest = name.partition("/")
        if area not in _AREAS or not rest:
            continue
        key = fold(city_of(name))
        places = by_city.setdefault(key, {})
        # A name that is a link to another zone with the same city ("America/Buenos_Aires"
        # → "America/Argentina/Buenos_Aires") is one place, not two.
        target = links.get(name, name)
        if target in places or any(links.get(n, n) == target for n in places.values()):
            continue
        places[target if target in names else name] = city_of(name)
    cities = {
        key: tuple(Choice(zone, f"{label} · {zone}") for zone, label in places.items())
        for key, places in by_city.items()
    }
    for city, entries in MAJOR_CITIES.items():
        cities[fold(city)] = tuple(
            Choice(zone, f"{city}, {where} · {zone}") for zone, where in entries
        )
    return cities


_finder_lock = threading.Lock()


@functools.cache
def _finder() -> TimezoneFinder:
    # Imported and built on first use (numpy, h3 and the data: ~0.1-0.5 s), not when the
    # replies that name timezones are imported.
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def timezone_at(latitude: float, longitude: float) -> str | None:
    """The IANA zone of a place on Earth (offline: timezonefinder's shipped polygons;
    at sea, the nautical "Etc/GMT±N"), or None for coordinates off the globe. Blocks for
    about half a second the first time (loading the data): call it in a thread."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    # A TimezoneFinder is not thread-safe (its docs: one per thread); a lookup takes
    # microseconds, so the threads share one instance, one lookup at a time.
    with _finder_lock:
        finder = _finder()
        name = finder.timezone_at(lat=latitude, lng=longitude)
    return name if isinstance(name, str) and valid_timezone(name) else None
