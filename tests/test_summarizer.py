"""Extractive summaries (bot.summarizer): verbatim, in order, offline, multilingual."""

from __future__ import annotations

from pathlib import Path

import nltk
import pytest
from sumy.nlp.tokenizers import Tokenizer as SumyTokenizer

from bot.articles import load
from bot.errors import UnsupportedLanguage
from bot.sentences import split_sentences
from bot.summarizer import SUPPORTED_LANGUAGES, summarize

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_4ebf0534fdb740ea.txt"

ARTICLE = """\
The city council approved a new budget for public transport on Tuesday, raising bus \
fares for the first time in ten years. The budget adds forty new buses and two tram lines.

Scroll down for video.

Council members argued for hours about the fare increase before the final vote on the \
transport budget. Opponents said the higher bus fares would hurt families with low incomes.

The mayor defended the budget, saying the new buses and tram lines would cut travel times \
across the city. Construction of the tram lines is due to start next spring.

Local shop owners welcomed the plan. A spokesman for the chamber of commerce said better \
transport would bring more customers into the centre.

Weather was sunny."""

GERMAN = """\
Der Stadtrat hat am Dienstag einen neuen Haushalt für den Nahverkehr beschlossen. Die \
Preise für Busfahrten steigen damit zum ersten Mal seit zehn Jahren.

Die Ratsmitglieder stritten stundenlang über die höheren Preise für Busfahrten. Gegner \
sagten, die Familien mit wenig Geld würden darunter leiden.

Der Bürgermeister verteidigte den Haushalt. Die neuen Busse und Straßenbahnen würden die \
Fahrzeiten in der Stadt verkürzen.

Die Ladenbesitzer begrüßten den Plan. Das Wetter war sonnig."""


def _positions(text: str, summary: list[str]) -> list[int]:
    sentences = split_sentences(text)
    return [sentences.index(s) for s in summary]


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_summary_has_the_asked_number_of_verbatim_sentences_in_document_order(count):
    summary = summarize(ARTICLE, sentences=count)
    assert len(summary) == count
    assert all(sentence in ARTICLE for sentence in summary)
    positions = _positions(ARTICLE, summary)
    assert positions == sorted(positions)
    assert len(set(positions)) == count


def test_summary_starts_from_the_lede_and_skips_boilerplate():
    summary = summarize(ARTICLE, sentences=3)
    assert summary[0].startswith("The city council approved a new budget")
    assert "Scroll down for video." not in summary
    assert "Weather was sunny." not in summary


def test_fewer_sentences_than_asked_gives_all_of_them():
    text = "Short one.\n\nScroll down for video. A normal sentence with several words in it."
    assert summarize(text, sentences=5) == split_sentences(text)
    assert len(summarize(text, sentences=5)) == 3


def test_boilerplate_and_fragments_are_used_only_when_nothing_else_is_left():
    text = "Scroll down for video. Too short. Click here. This sentence can stand on its own."
    summary = summarize(text, sentences=3)
    assert len(summary) == 3
    assert "This sentence can stand on its own." in summary
    assert summarize(text, sentences=1) == ["This sentence can stand on its own."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_empty_text_gives_an_empty_summary(text):
    assert summarize(text) == []


def test_zero_sentences_gives_an_empty_summary():
    assert summarize(ARTICLE, sentences=0) == []


def test_a_repeated_sentence_is_not_chosen_twice():
    lede = "The city council approved a new budget for public transport on Tuesday."
    text = (
        f"{lede} Bus fares will rise for the first time in ten years.\n\n{lede}\n\n"
        + (ARTICLE.split("\n\n", 1)[1])
    )
    summary = summarize(text, sentences=3)
    assert summary.count(lede) == 1


def test_repeated_sentences_still_fill_the_asked_count():
    text = "The same sentence is written here again. " * 4
    assert summarize(text, sentences=3) == ["The same sentence is written here again."] * 3


def test_german_summary_uses_german_stemmer_and_stop_words():
    summary = summarize(GERMAN, sentences=2, language="german")
    assert len(summary) == 2
    assert summary[0] == (
        "Der Stadtrat hat am Dienstag einen neuen Haushalt für den Nahverkehr beschlossen."
    )
    assert all(sentence in GERMAN for sentence in summary)
    assert "Das Wetter war sonnig." not in summary


@pytest.mark.parametrize("language", ["english", "German", " FRENCH ", "spanish"])
def test_supported_languages_include_the_required_ones(language):
    assert language.strip().lower() in SUPPORTED_LANGUAGES
    assert len(summarize(ARTICLE, sentences=2, language=language)) == 2


def test_unsupported_language_is_a_clear_error_listing_the_supported_ones():
    with pytest.raises(UnsupportedLanguage) as raised:
        summarize(ARTICLE, language="klingon")
    message = str(raised.value)
    assert "'klingon'" in message
    for language in ("english", "german", "french", "spanish"):
        assert language in message


def test_works_without_nltk_punkt_data(monkeypatch, tmp_path):
    # No NLTK data may be needed (or downloaded): make every lookup fail, as on a
    # fresh machine, and check that sumy's own tokenizer indeed breaks under it.
    def missing(resource_name, paths=None):
        raise LookupError(f"{resource_name} not found")

    monkeypatch.setattr(nltk.data, "find", missing)
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(LookupError):
        SumyTokenizer("english")
    summary = summarize(ARTICLE, sentences=3)
    assert len(summary) == 3


def test_example_seed_summary_has_the_lede_and_no_heading_caption_or_byline():
    article = load(SEED)
    summary = summarize(article.text, sentences=3, language=article.language)
    assert (
        "South Korea, the US and Japan have agreed to sign a rare trilateral "
        "intelligence-sharing pact." in summary
    )
    joined = "\n".join(summary)
    for unwanted in ("Historic distrust", "Growing fears", "Image:", "missile test\n", "ksb/tj"):
        assert unwanted not in joined
    assert all(sentence in article.text for sentence in summary)
