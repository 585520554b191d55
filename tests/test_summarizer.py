"""Extractive summaries (bot.summarizer): verbatim, in order, offline, any language.

Also the language names and script detection of bot.languages the summarizer uses.
"""

from __future__ import annotations

from pathlib import Path

import nltk
import pytest
from sumy.nlp.tokenizers import Tokenizer as SumyTokenizer

from bot.articles import load
from bot.errors import UnsupportedLanguage
from bot.languages import language_name, script_language
from bot.sentences import split_sentences
from bot.summarizer import (
    SUPPORTED_LANGUAGES,
    _quoted_shares,
    independent_words,
    summarize,
    with_settings,
)

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


# Short texts written for these tests: a city budget for buses, in four scripts.
JAPANESE = (
    "市議会は火曜日、公共交通の新しい予算を承認しました。バスの運賃は十年ぶりに上がります。"
    "予算で新しいバス四十台と路面電車二路線が導入されます。\n\n"
    "市長は「新しいバスと路面電車で移動時間が短くなります。」と述べました。"
    "路面電車の工事は来年の春に始まる予定です。\n\n"
    "天気は晴れでした。"
)
CHINESE = (
    "市议会星期二批准了新的公共交通预算。公交车票价十年来首次上涨。"
    "预算将增加四十辆新公交车和两条电车线路。\n\n"
    "市长说，新的公交车和电车线路将缩短出行时间！电车线路的建设预计明年春天开始。\n\n"
    "天气很好。"
)
RUSSIAN = (
    "Городской совет во вторник утвердил новый бюджет общественного транспорта. "
    "Цены на проезд в автобусах вырастут впервые за десять лет.\n\n"
    "Бюджет добавит сорок новых автобусов и две трамвайные линии. "
    "Мэр заявил, что новые автобусы и трамваи сократят время в пути.\n\n"
    "Погода была солнечной."
)
ARABIC = (
    "وافق مجلس المدينة يوم الثلاثاء على ميزانية جديدة للنقل العام. "
    "سترتفع أسعار الحافلات لأول مرة منذ عشر سنوات.\n\n"
    "تضيف الميزانية أربعين حافلة جديدة وخطين للترام. "
    "هل ستقلل الحافلات الجديدة وقت السفر؟ قال العمدة إن الحافلات والترام ستقلل وقت السفر.\n\n"
    "كان الطقس مشمسا."
)


# The sentences of each text, as a reader counts them.
SENTENCES = {
    "japanese": [
        "市議会は火曜日、公共交通の新しい予算を承認しました。",
        "バスの運賃は十年ぶりに上がります。",
        "予算で新しいバス四十台と路面電車二路線が導入されます。",
        "市長は「新しいバスと路面電車で移動時間が短くなります。」と述べました。",
        "路面電車の工事は来年の春に始まる予定です。",
        "天気は晴れでした。",
    ],
    "chinese": [
        "市议会星期二批准了新的公共交通预算。",
        "公交车票价十年来首次上涨。",
        "预算将增加四十辆新公交车和两条电车线路。",
        "市长说，新的公交车和电车线路将缩短出行时间！",
        "电车线路的建设预计明年春天开始。",
        "天气很好。",
    ],
    "russian": [
        "Городской совет во вторник утвердил новый бюджет общественного транспорта.",
        "Цены на проезд в автобусах вырастут впервые за десять лет.",
        "Бюджет добавит сорок новых автобусов и две трамвайные линии.",
        "Мэр заявил, что новые автобусы и трамваи сократят время в пути.",
        "Погода была солнечной.",
    ],
    "arabic": [
        "وافق مجلس المدينة يوم الثلاثاء على ميزانية جديدة للنقل العام.",
        "سترتفع أسعار الحافلات لأول مرة منذ عشر سنوات.",
        "تضيف الميزانية أربعين حافلة جديدة وخطين للترام.",
        "هل ستقلل الحافلات الجديدة وقت السفر؟",
        "قال العمدة إن الحافلات والترام ستقلل وقت السفر.",
        "كان الطقس مشمسا.",
    ],
}
TEXTS = {"japanese": JAPANESE, "chinese": CHINESE, "russian": RUSSIAN, "arabic": ARABIC}


@pytest.mark.parametrize("language", list(TEXTS))
@pytest.mark.parametrize("count", [1, 2, 3])
def test_languages_without_a_stemmer_are_summarized_from_whole_input_sentences(language, count):
    summary = summarize(TEXTS[language], sentences=count, language=language)
    assert len(summary) == count
    positions = [SENTENCES[language].index(sentence) for sentence in summary]
    assert positions == sorted(positions)
    assert len(set(positions)) == count


@pytest.mark.parametrize("language", list(TEXTS))
def test_every_sentence_comes_back_when_more_are_asked_for_than_there_are(language):
    assert summarize(TEXTS[language], sentences=20, language=language) == SENTENCES[language]


@pytest.mark.parametrize("language", list(TEXTS))
def test_fragments_are_left_out_in_any_script(language):
    # The weather line (under six words) is the last resort, as in English.
    summary = summarize(TEXTS[language], sentences=3, language=language)
    assert SENTENCES[language][-1] not in summary


@pytest.mark.parametrize(
    ("text", "declared"),
    [(JAPANESE, "english"), (CHINESE, "french"), (RUSSIAN, "german"), (ARABIC, "english")],
)
def test_text_in_another_script_than_the_declared_language_is_still_summarized(text, declared):
    summary = summarize(text, sentences=2, language=declared)
    assert summary == summarize(text, sentences=2, language=script_language(text))
    assert all(sentence in text for sentence in summary)


@pytest.mark.parametrize("language", ["ja", "ja-JP", "Japanese", " JAPANESE ", "jpn"])
def test_language_names_and_iso_codes_are_accepted(language):
    assert language_name(language) == "japanese"
    assert len(summarize(JAPANESE, sentences=2, language=language)) == 2


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("fr", "french"),
        ("fr-CA", "french"),
        ("pt_BR", "portuguese"),
        ("Deutsch", "german"),
        ("zh-Hant", "chinese"),
        ("ko", "korean"),
        ("ru", "russian"),
        ("ar", "arabic"),
        ("el", "greek"),
        ("hi", "hindi"),
        ("klingon", None),
        ("", None),
        ("xx", None),
    ],
)
def test_language_name_reads_names_and_codes(value, name):
    assert language_name(value) == name


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (JAPANESE, "japanese"),
        ("カタカナとひらがなだけ", "japanese"),
        (CHINESE, "chinese"),
        ("서울시는 새로운 버스 노선을 발표했다.", "korean"),
        (RUSSIAN, "russian"),
        (ARABIC, "arabic"),
        ("Το δημοτικό συμβούλιο ενέκρινε τον προϋπολογισμό.", "greek"),
        ("नगर परिषद ने नया बजट मंजूर किया।", "hindi"),
        ("מועצת העיר אישרה את התקציב.", "hebrew"),
        ("สภาเมืองอนุมัติงบประมาณใหม่", "thai"),
        (ARTICLE, None),
        ("Le conseil municipal a voté « le budget » — enfin.", None),
        ("Tokyo (東京) is the capital of Japan.", None),
        ("12:30 — 45 %", None),
        ("", None),
    ],
)
def test_script_language_names_the_language_of_non_latin_scripts(text, language):
    assert script_language(text) == language


def test_independent_words_are_letter_runs_or_character_bigrams():
    assert independent_words("東京都はAI公園") == ["東京", "京都", "都は", "ai", "公園"]
    assert independent_words("Мэр заявил, 2024") == ["мэр", "заявил"]
    # Devanagari vowel signs are combining marks: they stay inside their words.
    assert independent_words("नई बसें चलेंगी") == ["नई", "बसें", "चलेंगी"]


def test_title_words_lift_the_sentence_that_shares_them():
    text = (
        "The city council met on Tuesday evening in the old town hall for its weekly "
        "session. Members discussed the parking rules near the central market at length. "
        "They also talked about the weekly market days and the parking fees. "
        "A new library will open in the north district next year, the mayor announced. "
        "Parking near the market will cost more from next month, members agreed."
    )
    library = "A new library will open in the north district next year, the mayor announced."
    assert library not in summarize(text, sentences=2)
    assert library in summarize(text, sentences=2, title="New library for the north district")


def test_a_sentence_that_is_mostly_a_direct_quote_must_score_higher_to_be_chosen():
    reported = "The council approved its budget for the new trams on Tuesday evening."
    quote = '"The new trams and buses will cut travel times across the city," the mayor said.'
    text = (
        f"{reported} {quote} The trams will run every ten minutes. Travel times across "
        "the city will fall by a third, the council said. The buses and trams will use "
        "the same tickets as before."
    )
    # The quote says more of what follows; without the quote penalty it wins.
    assert summarize(text, sentences=1, settings=with_settings(quote_penalty=0.0)) == [quote]
    assert summarize(text, sentences=1) == [reported]


@pytest.mark.parametrize(
    ("sentences", "shares"),
    [
        (["He said “we come” today."], [7 / 22]),
        (["Il a dit « nous venons » hier."], [13 / 28]),
        (["Er sagte: „Wir kommen“ und ging."], [11 / 33]),
        (["Sie sagte »ja« und ging."], [2 / 22]),
        (["`` we are here , '' he said ."], [15 / 25]),
        # A quote the page broke over paragraphs: its tail is quoted too.
        (['"', "Nous sommes là.", 'On verra", a-t-il ajouté.', "Fin."], [0, 1, 8 / 24, 0]),
    ],
)
def test_quoted_share_is_the_part_of_a_sentence_inside_quotation_marks(sentences, shares):
    assert list(_quoted_shares(sentences)) == pytest.approx(shares)


def test_a_paragraph_without_punctuation_gives_a_short_summary_cut_at_a_word() -> None:
    from bot.sentences import MAX_SENTENCE_CHARS, MAX_SUMMARY_CHARS

    words = [f"word{n % 97}" for n in range(8000)]  # about 52 KB, no sentence end
    summary = summarize(" ".join(words), sentences=3)
    assert len(summary) == 1
    assert len(summary[0]) <= MAX_SENTENCE_CHARS
    assert summary[0].endswith("…")
    assert summary[0][:-1].split() == words[: len(summary[0][:-1].split())]
    assert sum(len(s) for s in summary) <= MAX_SUMMARY_CHARS


def test_long_sentences_are_clipped_and_the_summary_stays_within_its_budget() -> None:
    from bot.sentences import clip_summary

    long = "This sentence goes on and on " * 30
    clipped = clip_summary([long, long, long, long])
    assert all(len(s) <= 400 and s.endswith("…") for s in clipped)
    assert sum(len(s) for s in clipped) <= 1200 + len(clipped)
    assert clip_summary(["Short one.", "Another."]) == ["Short one.", "Another."]
    assert clip_summary(["中" * 1000])[0] == "中" * 399 + "…"
