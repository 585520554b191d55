"""The message catalogs: every language has every text of the code with the same
placeholders, a text a catalog lacks is said in English (that text only), and numbers
and dates are written the language's way."""

from __future__ import annotations

import ast
import re
import string
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from bot.config import Config
from bot.digest import digest_header
from bot.errors import FetchTimeout, HTTPStatus, RefusedAddress, TooManyRequests
from bot.feeds.opml import OpmlError, parse_opml
from bot.feeds.parse import NotAFeed, parse_feed
from bot.filters import FilterError, parse_command
from bot.locales import (
    DEFAULT,
    ENGLISH,
    LANGUAGES,
    Translator,
    catalog,
    language_for,
    source_catalog,
    translator,
)
from bot.telegram import replies
from bot.web.fence import Fence

PACKAGE = Path(__file__).resolve().parent.parent / "bot"
OTHERS = [code for code in LANGUAGES if code != DEFAULT]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


@pytest.fixture(scope="module")
def source() -> Catalog:
    return source_catalog()


def test_the_code_marks_texts_to_translate(source: Catalog) -> None:
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in source}
    assert "Your digest" in ids
    assert "Only this group's administrators can change its digest." in ids
    assert len(ids) > 100


def test_at_least_seven_languages_besides_english_one_right_to_left() -> None:
    assert len(OTHERS) >= 7
    assert any(translator(code).rtl for code in OTHERS)


@pytest.mark.parametrize("code", OTHERS)
def test_every_catalog_has_every_text_of_the_code(source: Catalog, code: str) -> None:
    """A text added to the code without a translation here fails: run
    ``python -m bot.locales`` and translate what it adds (docs/i18n.md)."""
    translated = catalog(code)
    missing = []
    for message in source:
        if not message.id:
            continue
        found = translated.get(message.id)
        if found is None or found.fuzzy or not all(_forms(found.string)):
            missing.append(message.id)
    assert not missing, f"{code}: {len(missing)} texts untranslated, e.g. {missing[:3]}"


@pytest.mark.parametrize("code", OTHERS)
def test_every_translation_has_the_placeholders_of_its_english_text(
    source: Catalog, code: str
) -> None:
    translated = catalog(code)
    wrong = []
    for message in source:
        found = translated.get(message.id) if message.id else None
        if found is None:
            continue
        english = _placeholders(" ".join(_forms(message.id)))
        for form in _forms(found.string):
            if form and _placeholders(form) != english:
                wrong.append((message.id, form))
    assert not wrong, f"{code}: placeholders differ in {wrong[:3]}"


@pytest.mark.parametrize("code", OTHERS)
def test_catalogs_carry_no_texts_the_code_no_longer_has(source: Catalog, code: str) -> None:
    ids = {message.id for message in source if message.id}
    stale = [message.id for message in catalog(code) if message.id and message.id not in ids]
    assert not stale, f"{code}: texts gone from the code: {stale[:3]}"


def test_a_missing_text_falls_back_to_english_for_that_text_only() -> None:
    partial = Catalog(locale="de")
    partial.add("Your digest", "Deine Übersicht")
    partial.add("Next digest: {next}", "")  # untranslated
    partial.add("Timezone: {timezone}", "Zeitzone: {timezone}", flags=["fuzzy"])
    t = Translator.from_catalog(partial, "de")
    assert t("Your digest") == "Deine Übersicht"
    assert t("Next digest: {next}", next="Mo.") == "Next digest: Mo."
    assert t("Timezone: {timezone}", timezone="UTC") == "Timezone: UTC"
    assert t("Nothing new since your last digest.") == "Nothing new since your last digest."


def test_a_translation_with_a_wrong_placeholder_is_said_in_english() -> None:
    broken = Catalog(locale="de")
    broken.add("Timezone: {timezone}", "Zeitzone: {zone}")
    t = Translator.from_catalog(broken, "de")
    assert t("Timezone: {timezone}", timezone="UTC") == "Timezone: UTC"


def test_plural_forms_follow_the_language() -> None:
    ru = translator("ru")
    assert ru.plural("{count} story", "{count} stories", 1) == "1 сюжет"
    assert ru.plural("{count} story", "{count} stories", 3) == "3 сюжета"
    assert ru.plural("{count} story", "{count} stories", 5) == "5 сюжетов"
    assert ENGLISH.plural("{count} story", "{count} stories", 1) == "1 story"


def test_numbers_and_dates_are_written_the_languages_way() -> None:
    day = date(2026, 12, 7)
    assert ENGLISH.number(1234) == "1,234"
    assert translator("de").number(1234) == "1.234"
    assert ENGLISH.date(day) == "Mon 7 Dec 2026"
    assert translator("de").date(day) == "Mo., 7. Dez. 2026"
    assert translator("fr").date(day) == "lun. 7 déc. 2026"
    assert translator("de").join(["07:30", "18:00"]) == "07:30 und 18:00"


def test_the_digest_header_speaks_the_chats_language() -> None:
    day = date(2026, 12, 7)
    assert digest_header(3, today=day) == "<b>Your digest</b> · Mon 7 Dec 2026 · 3 stories"
    german = digest_header(1234, today=day, t=translator("de"))
    assert german == "<b>Deine Übersicht</b> · Mo., 7. Dez. 2026 · 1.234 Meldungen"


def test_telegram_language_codes_choose_a_language() -> None:
    assert language_for("de") == "de"
    assert language_for("pt-br") == "pt"
    assert language_for("en-US") == "en"
    assert language_for("ja") == "en"
    assert language_for(None) == "en"


def test_replies_are_html_safe_in_every_language() -> None:
    """Translated texts keep the tags they had, so Telegram still parses them."""
    for code in LANGUAGES:
        text = replies.start_text(Config(), welcome_back=True, t=translator(code))
        assert text.count("<b>") == text.count("</b>") == 1, code


def test_arabic_replies_read_right_to_left() -> None:
    text = replies.start_text(Config(), welcome_back=False, t=translator("ar"))
    plain = re.sub(r"<[^>]+>", "", text)
    first_strong = next(c for c in plain if unicodedata.bidirectional(c) in ("L", "R", "AL"))
    assert unicodedata.bidirectional(first_strong) in ("R", "AL")


def test_command_descriptions_exist_in_every_language() -> None:
    for code in LANGUAGES:
        described = replies.command_list(translator(code))
        assert [name for name, _ in described] == [name for name, _ in replies.COMMANDS]
        assert all(1 <= len(text) <= 256 for _, text in described)
    german = dict(replies.command_list(translator("de")))
    assert german["help"] == "Alle Befehle"


def test_every_literal_text_in_the_code_is_extracted(source: Catalog) -> None:
    """Every ``t("…")``, ``N_("…")`` and ``.plural("…", …)`` with a literal text is in
    the catalogs' source: a call the extractor cannot see (one nested in another's
    arguments) would otherwise stay English unnoticed."""
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in source}
    unseen = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            if name in ("t", "N_", "plural") and literal and first.value not in ids:
                unseen.append(f"{path.name}:{node.lineno} {str(first.value)[:40]!r}")
    assert not unseen, unseen


def test_fetch_errors_are_said_in_the_chats_language_and_logged_in_english() -> None:
    error = FetchTimeout("https://example.com/", "connect", 10)
    assert error.user_message == "The site did not accept a connection within 10 seconds."
    german = error.said(translator("de"))
    assert german == "Die Seite hat innerhalb von 10 Sekunden keine Verbindung angenommen."
    busy = TooManyRequests("chat", 125.0)
    assert busy.said(translator("ru")).endswith("через 3 минуты.")


def test_filter_errors_are_said_in_the_chats_language() -> None:
    with pytest.raises(FilterError) as caught:
        parse_command("football")
    assert str(caught.value).startswith("Start “football” with - to mute")
    assert caught.value.said(translator("de")).startswith("Beginne „football“ mit -")


def test_lower_layers_reasons_are_english_in_logs_and_translated_in_chats() -> None:
    """A reason from the feed or OPML parser, the address fence or a site's status is
    English as a string (logs, the command line) and said in the chat's language."""
    german = translator("de")
    with pytest.raises(NotAFeed) as not_a_feed:
        parse_feed(b'{"items": []}', "application/json")
    assert str(not_a_feed.value) == "not a feed: JSON without a jsonfeed.org version"
    assert not_a_feed.value.said(german) == "kein Feed: JSON ohne jsonfeed.org-Version"
    with pytest.raises(OpmlError) as opml:
        parse_opml(b"<rss><channel/></rss>")
    assert str(opml.value) == "not an OPML file: the document is <rss>, not <opml>"
    assert opml.value.said(translator("fr")) == (
        "pas un fichier OPML : le document est <rss>, pas <opml>"
    )
    with pytest.raises(RefusedAddress) as refused:
        Fence(allow_ports=[80]).check_url("http://example.com:8080/")
    assert refused.value.detail == (
        "port 8080 is not allowed (allowed: 80; add it to [fetch] allow_ports)"
    )
    assert refused.value.said(translator("ru")) == (
        "Эту ссылку я не открою: порт 8080 не разрешён "
        "(разрешены: 80; добавьте его в [fetch] allow_ports)."
    )
    status = HTTPStatus("https://example.com/", 404, "Nope")
    assert status.detail == "HTTP 404 Nope"  # the server's own words in the log
    assert status.said(german) == "Die Seite antwortete mit einem Fehler: HTTP 404 Nicht gefunden."
