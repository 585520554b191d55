"""Languages the bot speaks: message catalogs, a :class:`Translator` per language, and
numbers and dates written the language's way.

The texts are written in English in the code, each inside ``t("...")`` (or
``t.plural("...", "...", n)``; :func:`N_` marks a constant to translate where it is
used); ``pybabel extract`` collects them (see docs/i18n.md). Each other language has a
gettext catalog, ``bot/locale/<code>/LC_MESSAGES/messages.po``, shipped in the package
and compiled in memory on first use (no build step: a clean clone works). A text a
catalog lacks (or has fuzzy or empty) is said in English, that text only. Texts use
``{name}`` placeholders, filled by ``str.format`` after translation; values are
inserted as given (HTML escaping is the caller's job, as before).

Pure: no Telegram, no store. The chat's language is chosen by the handlers
(:mod:`bot.telegram.handlers.language`) and stored by :mod:`bot.store.languages`.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal

__all__ = [
    "DEFAULT",
    "ENGLISH",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Phrase",
    "Translator",
    "catalog",
    "language_for",
    "say",
    "translator",
]

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
DEFAULT = "en"
# Every language with a catalog, by code, with its own name (the /language buttons).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "pt": "Português",
    "ru": "Русский",
    "uk": "Українська",
    "ar": "العربية",
}


def N_(message: str) -> str:
    """Marks a constant text for extraction; translate it where it is used: ``t(TEXT)``."""
    return message


def language_for(code: str | None) -> str:
    """The language to speak to someone whose Telegram ``language_code`` is ``code``
    ("de", "pt-br", "en-US"): its first two letters if a catalog has them, else English."""
    short = (code or "").strip().lower()[:2]
    return short if short in LANGUAGES else DEFAULT


def catalog(language: str) -> Catalog:
    """The language's catalog as read from its ``.po`` file (an empty one for English)."""
    if language == DEFAULT:
        return Catalog(locale=DEFAULT, domain=DOMAIN)
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def _compiled(source: Catalog) -> gettext.GNUTranslations:
    """The catalog as gettext translations, without its fuzzy messages and those with
    an empty form (gettext would say nothing for them: they fall back to English)."""
    kept = Catalog(locale=source.locale, domain=DOMAIN)
    for message in source:
        if not message.id or message.fuzzy:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(forms):
            kept[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, kept)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Translator:
    """The texts of one language: ``t("Hello, {name}", name=x)``,
    ``t.plural("{count} story", "{count} stories", n)``, ``t.number(1234)``,
    ``t.date(day)``."""

    language: str
    translations: gettext.NullTranslations

    @classmethod
    def from_catalog(cls, source: Catalog, language: str) -> Translator:
        return cls(language, _compiled(source))

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)

    @property
    def rtl(self) -> bool:
        """True for a language written right to left."""
        return self.locale.text_direction == "rtl"

    @property
    def name(self) -> str:
        return LANGUAGES.get(self.language, self.language)

    def __call__(self, message: str, /, **values: Any) -> str:
        """``message`` in this language, its ``{placeholders}`` filled from ``values``
        (English if the catalog lacks it or its translation names other placeholders)."""
        return self._filled(self.translations.gettext(message), message, values)

    def plural(self, singular: str, plural: str, count: int, /, **values: Any) -> str:
        """The form for ``count`` (``{count}`` is filled with it, written the language's
        way)."""
        text = self.translations.ngettext(singular, plural, count)
        values.setdefault("count", self.number(count))
        english = singular if count == 1 else plural
        return self._filled(text, english, values)

    @staticmethod
    def _filled(text: str, english: str, values: dict[str, Any]) -> str:
        if not values:
            return text
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return english.format(**values)

    def number(self, value: float) -> str:
        """``1,234`` in English, ``1.234`` in German, ``1 234`` in French."""
        return format_decimal(value, locale=self.locale)

    def date(self, day: date, weekday: bool = True, *, year: bool = True) -> str:
        """A day the language's way: ``Mon 1 Dec 2026`` in English, ``Mo., 1. Dez. 2026``
        in German (``weekday=False``: without the weekday; ``year=False``: without the
        year, ``Mon 01 Dec`` in English)."""
        if self.language == DEFAULT:
            pattern = ("EEE " if weekday else "") + ("d MMM y" if year else "dd MMM")
            return format_date(day, pattern, locale="en")
        skeleton = ("y" if year else "") + "MMM" + ("Ed" if weekday else "d")
        return format_skeleton(skeleton, day, locale=self.locale)

    def weekday(self, day: int) -> str:
        """A weekday's short name (0 is Monday): ``Mon``, ``Mo.``."""
        return str(self.locale.days["format"]["abbreviated"][day])

    def join(self, items: Sequence[str]) -> str:
        """``a, b and c`` the language's way (English: British, no serial comma)."""
        if not items:
            return ""
        return format_list(list(items), locale="en_GB" if self.language == DEFAULT else self.locale)


@dataclass(frozen=True)
class Phrase:
    """A text said later: an English text marked ``N_("…")`` and its values (each a
    plain value, another :class:`Phrase` or a tuple of them). ``str()`` is the English
    sentence (logs, the command line); :meth:`said` is the same in a chat's language.
    Lower layers (the fetcher, the feed and OPML parsers) give their reasons this way, so
    the reason a Telegram user reads inside a translated sentence is translated too."""

    text: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, text: str, /, **values: Any) -> Phrase:
        return cls(text, tuple(values.items()))

    def said(self, t: Translator) -> str:
        filled = {name: say(value, t) for name, value in self.values}
        return t(self.text, **filled)

    def __str__(self) -> str:
        return self.said(ENGLISH)


def say(value: object, t: Translator) -> str:
    """``value`` in ``t``'s language if it is a :class:`Phrase` (a tuple: each item,
    joined with "; "), else as it is."""
    if isinstance(value, tuple):
        return "; ".join(say(item, t) for item in value)
    return value.said(t) if isinstance(value, Phrase) else str(value)


@functools.cache
def translator(language: str | None) -> Translator:
    """The translator of ``language`` (a code of :data:`LANGUAGES`; anything else:
    English), its catalog read and compiled once."""
    code = language if language in LANGUAGES else DEFAULT
    if code == DEFAULT:
        return Translator(DEFAULT, gettext.NullTranslations())
    return Translator.from_catalog(catalog(code), code)


ENGLISH = translator(DEFAULT)


# -- the catalogs' upkeep (python -m bot.locales) -----------------------------------------

PACKAGE_DIR = Path(__file__).parent
# What marks a text to translate: t("..."), N_("..."), t.plural("...", "...", n).
KEYWORDS: dict[str, Any] = {"t": None, "N_": None, "plural": (1, 2)}


def source_catalog(root: Path = PACKAGE_DIR) -> Catalog:
    """Every text marked in the code under ``root`` (the English source of the catalogs)."""
    source = Catalog(locale=DEFAULT, domain=DOMAIN, project="digestbot")
    for filename, lineno, message, _comments, _context in extract_from_dir(
        root, method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        source.add(message, locations=[(filename, lineno)])
    return source


def update_catalogs(root: Path = PACKAGE_DIR) -> list[Path]:
    """Write ``messages.pot`` from the code and bring each language's ``.po`` up to date
    (new texts added untranslated, texts gone dropped; a file with no change is left
    alone); returns the files written."""
    source = source_catalog(root)
    written = [LOCALE_DIR / f"{DOMAIN}.pot"]
    with written[0].open("wb") as file:
        write_po(file, source, omit_header=True, sort_output=True, no_location=True, width=88)
    for code in LANGUAGES:
        if code == DEFAULT:
            continue
        path = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        current = catalog(code) if path.exists() else Catalog(locale=code, domain=DOMAIN)
        before = {message.id: message.string for message in current if message.id}
        current.update(source, no_fuzzy_matching=True)
        current.obsolete.clear()
        if path.exists() and before == {m.id: m.string for m in current if m.id}:
            continue  # nothing changed: the file (and its dates) stay as they are
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            write_po(file, current, sort_output=True, no_location=True, width=88)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in update_catalogs():
        print(f"wrote {path.relative_to(PACKAGE_DIR.parent)}")
