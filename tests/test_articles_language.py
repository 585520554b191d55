"""Tests for bot.articles.language: detecting the language of article text."""

from __future__ import annotations

import pytest

from bot.articles import detect_language
from bot.articles.language import STOP_WORDS, language_name
from bot.languages import ISO_CODES, SUPPORTED_LANGUAGES


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


def test_stop_words_cover_exactly_the_summary_languages() -> None:
    assert tuple(STOP_WORDS) == SUPPORTED_LANGUAGES


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
