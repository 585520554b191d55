"""Sentence splitting and the sumy tokenizer built on it (bot.sentences)."""

from __future__ import annotations

import re

import pytest
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers.lex_rank import LexRankSummarizer

from bot.sentences import Tokenizer, build_document, split_sentences, split_words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones on Monday. They talked.",
            ["Mr. Smith met Dr. Jones on Monday.", "They talked."],
        ),
        (
            "S. Korea and the U.S. signed a pact. It costs $3.50 a day.",
            ["S. Korea and the U.S. signed a pact.", "It costs $3.50 a day."],
        ),
        (
            '"Great!" she said. "Is it?" He was not sure.',
            ['"Great!" she said.', '"Is it?"', "He was not sure."],
        ),
        (
            "J. R. R. Tolkien wrote it. Gen. Lee lost.",
            ["J. R. R. Tolkien wrote it.", "Gen. Lee lost."],
        ),
        (
            "The firm moved to the U.S. The move cost jobs.",
            ["The firm moved to the U.S.", "The move cost jobs."],
        ),
        (
            'He said: "We will win." The crowd cheered!',
            ['He said: "We will win."', "The crowd cheered!"],
        ),
        (
            "Growth was 2.5 per cent, e.g. in Berlin. Prices fell... and then rose.",
            ["Growth was 2.5 per cent, e.g. in Berlin.", "Prices fell... and then rose."],
        ),
        (
            "Am 3. Oktober feiert Deutschland. Die Zahl stieg 2014. Dann fiel sie.",
            ["Am 3. Oktober feiert Deutschland.", "Die Zahl stieg 2014.", "Dann fiel sie."],
        ),
        (
            "Il a dit : « C'est fini ! » Puis il est parti. M. Dupont est resté.",
            ["Il a dit : « C'est fini ! »", "Puis il est parti.", "M. Dupont est resté."],
        ),
        (
            "He lives at No. 10 and said no. The talks ended. Martin Luther King Jr. The end.",
            [
                "He lives at No. 10 and said no.",
                "The talks ended.",
                "Martin Luther King Jr.",
                "The end.",
            ],
        ),
        (
            "Image: picture-alliance/dpa/R. Sinmun",
            ["Image: picture-alliance/dpa/R. Sinmun"],
        ),
    ],
)
def test_prose_is_split_at_sentence_ends_not_at_abbreviations(text, expected):
    assert split_sentences(text) == expected


def test_tokenized_text_splits_at_stand_alone_punctuation_and_keeps_closing_quotes():
    text = (
        "car horns blared . some people flaunted u.s. dollar bills . "
        "`` we love you , zarif ! '' crowds yelled . was it over ? nobody knew"
    )
    assert split_sentences(text) == [
        "car horns blared .",
        "some people flaunted u.s. dollar bills .",
        "`` we love you , zarif ! ''",
        "crowds yelled .",
        "was it over ?",
        "nobody knew",
    ]


def test_tokenized_single_quotes_close_an_open_quotation_and_open_a_new_one():
    text = "he said : ' she knew she was wrong . ' she knew it . ' it was fun , ' he added ."
    assert split_sentences(text) == [
        "he said : ' she knew she was wrong . '",
        "she knew it .",
        "' it was fun , ' he added .",
    ]


def test_a_sentence_never_spans_a_paragraph_break():
    text = "A heading-like line without a stop\n\nThe next paragraph. Its second sentence."
    assert split_sentences(text) == [
        "A heading-like line without a stop",
        "The next paragraph.",
        "Its second sentence.",
    ]


def test_lowercase_after_a_full_stop_does_not_start_a_sentence():
    assert split_sentences("It rose 3 p.m. yesterday. Then it fell.") == [
        "It rose 3 p.m. yesterday.",
        "Then it fell.",
    ]


def test_lowercased_prose_still_splits_except_after_abbreviations():
    assert split_sentences("hello world. this is mr. smith of the u.s. army. ok") == [
        "hello world.",
        "this is mr. smith of the u.s. army.",
        "ok",
    ]


def test_sentences_are_verbatim_slices_in_order_covering_all_text():
    text = "  First one.  Second one!\nStill second?\n\n\n  Third, no stop  \n"
    sentences = split_sentences(text)
    assert sentences == ["First one.", "Second one!", "Still second?", "Third, no stop"]
    position = 0
    for sentence in sentences:
        position = text.index(sentence, position) + len(sentence)
    assert re.sub(r"\s", "", text) == re.sub(r"\s", "", "".join(sentences))


@pytest.mark.parametrize("text", ["", "   ", "\n\n \n"])
def test_empty_text_has_no_sentences(text):
    assert split_sentences(text) == []


def test_words_are_letter_runs_keeping_apostrophes_and_hyphens():
    assert split_words("Don't stop the well-known U.S. band, 42 times!") == [
        "Don't",
        "stop",
        "the",
        "well-known",
        "U",
        "S",
        "band",
        "times",
    ]


def test_tokenizer_works_in_sumy_parser_and_summarizer():
    tokenizer = Tokenizer("English")
    assert tokenizer.language == "english"
    text = "First sentence here. Second one there.\n\nA new paragraph. And more text."
    parser = PlaintextParser.from_string(text, tokenizer)
    assert [str(s) for s in parser.document.sentences] == split_sentences(text)
    summary = LexRankSummarizer()(parser.document, 2)
    assert len(summary) == 2
    assert all(str(s) in text for s in summary)


def test_build_document_keeps_paragraphs_and_verbatim_sentences():
    text = "ONE LINE IN CAPS.\nsame paragraph.\n\nSecond paragraph here."
    document = build_document(text, Tokenizer())
    assert [len(p.sentences) for p in document.paragraphs] == [1, 1]
    assert [str(s) for s in document.sentences] == [
        "ONE LINE IN CAPS.\nsame paragraph.",
        "Second paragraph here.",
    ]
    assert document.headings == ()
