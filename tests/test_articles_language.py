"""Tests for bot.articles.language: detecting the language of article text."""

from __future__ import annotations

import pytest

from bot.articles import detect_language
from bot.articles.language import language_name
from bot.languages import ISO_CODES, text_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Die Regierung hat am Freitag ein Gesetz beschlossen, das auch für die Länder gilt.",
            "german",
        ),
        (
            "Le gouvernement a adopté vendredi une loi qui sera aussi appliquée dans les régions.",
            "french",
        ),
        (
            "El gobierno aprobó el viernes una ley que también se aplicará en las regiones.",
            "spanish",
        ),
        (
            "Il governo ha approvato venerdì una legge che sarà applicata anche nelle regioni.",
            "italian",
        ),
        (
            "O governo aprovou na sexta-feira uma lei que também será aplicada nas regiões.",
            "portuguese",
        ),
        ("Regeringen antog på fredagen en lag som också ska gälla för regionerna.", "swedish"),
        ("The government passed a law on Friday that will also apply to the regions.", "english"),
    ],
)
def test_detect_language_from_function_words(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_detect_language_defaults_to_english_on_thin_evidence() -> None:
    assert detect_language("Tokyo 2020") == "english"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "De gemeenteraad heeft dinsdag het nieuwe plan voor het openbaar vervoer besproken.",
            "dutch",
        ),
        (
            "Vláda v piatok schválila zákon, ktorý bude platiť aj pre všetky regióny krajiny.",
            "slovak",
        ),
        ("Rząd przyjął w piątek ustawę, która będzie obowiązywać również w regionach.", "polish"),
    ],
)
def test_languages_beyond_the_summary_ones_are_detected_not_called_english(
    text: str, language: str
) -> None:
    assert detect_language(text) == language


def test_a_declared_language_holds_unless_enough_text_is_surely_another() -> None:
    short = "Notícias de hoje"  # too little to overrule what the feed declares
    assert text_language(short, "pt-BR") == "portuguese"
    english = (
        "The government passed a law on Friday that will also apply to the regions."
        " Officials said the plan would add twelve bus lines and extend service at night."
        " Critics argued that the money should go to road repairs instead of new routes."
    )
    assert text_language(english, "nl") == "english"
    assert text_language(english.replace("Friday", "vrijdag"), None) == "english"


@pytest.mark.parametrize(("code", "name"), sorted(ISO_CODES.items()))
def test_front_matter_language_reads_each_iso_code_and_sumy_name(code: str, name: str) -> None:
    assert language_name(code) == name
    assert language_name(f"{code.upper()}-XX") == name
    assert language_name(name.title()) == name


@pytest.mark.parametrize(
    ("written", "name"),
    [("Deutsch", "german"), ("Français", "french"), ("Español", "spanish"), ("svenska", "swedish")],
)
def test_front_matter_language_reads_names_in_their_own_language(written: str, name: str) -> None:
    assert language_name(written) == name


def test_front_matter_language_passes_other_names_through_and_refuses_garbage() -> None:
    # The summarizer falls back to the configured language for a name it has no stemmer for.
    assert language_name("Russian") == "russian"
    assert language_name("??") is None


def test_a_japanese_text_is_named_by_its_script_and_titled_by_its_first_sentence(
    tmp_path,
) -> None:
    from bot.articles import load

    path = tmp_path / "park.txt"
    path.write_text(
        "東京都は月曜日、新しい公園を開きました。公園には大きな池があります。\n\n"
        "市長は「公園は市民のものです。」と述べました。工事は三年かかりました。\n",
        encoding="utf-8",
    )
    article = load(path)
    assert article.language == "japanese"
    assert article.title == "東京都は月曜日、新しい公園を開きました。"
