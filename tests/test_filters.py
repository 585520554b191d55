"""Keyword filters (bot/filters.py): parsing /filter arguments and matching articles on
whole, folded, stemmed words in the article's language."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from bot.filters import (
    KEEP,
    MAX_TERM_CHARS,
    MAX_TERMS,
    MUTE,
    ArticleCache,
    ArticleWords,
    FilterCommand,
    FilterError,
    Term,
    compile_filter,
    parse_command,
    split_entries,
    term_words,
)


class Article(NamedTuple):
    number: int
    title: str
    text: str
    language: str = "english"
    content_hash: str = "h"


def allows(terms: list[tuple[str, str]], title: str, text: str = "", language: str = "english"):
    return compile_filter(terms).allows(ArticleWords(title, text, language))


# -- parsing ---------------------------------------------------------------------------


def test_no_argument_shows_the_filters() -> None:
    assert parse_command("") == FilterCommand("show")
    assert parse_command("   ") == FilterCommand("show")


def test_signed_words_and_quoted_phrases_are_added() -> None:
    command = parse_command('-football +election -"transfer  window"')
    assert command == FilterCommand(
        "add",
        (Term(MUTE, "football"), Term(KEEP, "election"), Term(MUTE, "transfer window")),
    )


def test_typographic_quotes_and_a_detached_sign_are_understood() -> None:
    assert parse_command("-“transfer window” + élection").terms == (
        Term(MUTE, "transfer window"),
        Term(KEEP, "élection"),
    )
    assert parse_command("-«mercato d'été»").terms == (Term(MUTE, "mercato d'été"),)


def test_the_same_term_twice_keeps_the_last_mode() -> None:
    assert parse_command("-Brexit +brexit").terms == (Term(KEEP, "brexit"),)


def test_remove_and_clear() -> None:
    assert parse_command("remove football") == FilterCommand("remove", (Term("", "football"),))
    assert parse_command('REMOVE -"transfer window" +x').terms == (
        Term(MUTE, "transfer window"),
        Term(KEEP, "x"),
    )
    assert parse_command("clear") == FilterCommand("clear")
    # As terms, "clear" and "remove" are just words.
    assert parse_command("-clear +remove").action == "add"


@pytest.mark.parametrize(
    ("argument", "reason"),
    [
        ("football", "Start “football” with - to mute"),
        ('-"transfer window', "The quote before “transfer window” is not closed"),
        ("-", "“-” needs a word right after it"),
        ("-***", "“***” has no letters or digits"),
        ('-""', "An empty phrase is no filter"),
        ("-" + "x" * (MAX_TERM_CHARS + 1), f"a filter term has at most {MAX_TERM_CHARS}"),
        ("remove", "Say which word to remove"),
        ("clear all", "/filter clear takes nothing after it"),
        (" ".join(f"-w{n}" for n in range(MAX_TERMS + 1)), f"At most {MAX_TERMS} terms"),
    ],
)
def test_bad_arguments_say_why(argument: str, reason: str) -> None:
    with pytest.raises(FilterError, match=reason.replace("*", r"\*")):
        parse_command(argument)


def test_a_term_of_exactly_the_limit_is_fine() -> None:
    assert parse_command("+" + "x" * MAX_TERM_CHARS).terms == (Term(KEEP, "x" * MAX_TERM_CHARS),)


def test_regular_expression_syntax_is_just_text() -> None:
    # No regex from users: ".*" is no wildcard, and "c++" is the word "c".
    assert parse_command("-c++").terms == (Term(MUTE, "c++"),)
    assert term_words("c++") == ("c",)
    with pytest.raises(FilterError):
        parse_command("-.*")
    assert allows([(MUTE, "(a|b)*")], "a b") is False  # the words "a" and "b", in a row
    assert allows([(MUTE, "(a|b)*")], "b a") is True


def test_term_keys_are_folded_words() -> None:
    assert Term(MUTE, "Transfer  Window").key == Term(KEEP, "transfer window").key
    assert Term(MUTE, "Élection").key == "election"
    assert Term(MUTE, "transfer window").shown() == '-"transfer window"'


# -- matching --------------------------------------------------------------------------


def test_a_muted_word_holds_back_articles_that_mention_it_in_title_or_text() -> None:
    assert allows([(MUTE, "football")], "Football final tonight") is False
    assert allows([(MUTE, "football")], "Final tonight", "A football match.") is False
    assert allows([(MUTE, "football")], "Harbour reopens", "Boats left at dawn.") is True


def test_stems_match_other_forms_of_the_word() -> None:
    assert allows([(KEEP, "election")], "Elections in the north") is True
    assert allows([(KEEP, "elections")], "The election was close") is True
    assert allows([(MUTE, "run")], "She was running late") is False


def test_case_and_accents_do_not_matter() -> None:
    assert allows([(MUTE, "ELECTION")], "élection présidentielle", language="french") is False
    assert allows([(MUTE, "élections")], "Les elections", language="french") is False
    assert allows([(MUTE, "fussball")], "Fußball am Sonntag", language="german") is False
    assert allows([(MUTE, "Müller")], "Thomas Muller trifft", language="german") is False


def test_the_articles_language_decides_the_stemmer() -> None:
    # German stems "wahlen" and "Wahl" alike; English knows nothing of them.
    assert allows([(MUTE, "Wahl")], "Die Wahlen in Bayern", language="german") is False
    assert allows([(MUTE, "Wahl")], "Die Wahlen in Bayern", language="english") is True
    # A language without a stemmer (or none known) matches whole folded words.
    assert allows([(MUTE, "Москва")], "москва сегодня", language="klingon") is False
    assert allows([(MUTE, "Москв")], "москва сегодня", language="") is True


def test_only_whole_words_match() -> None:
    assert allows([(MUTE, "art")], "The article about Mozart") is True
    assert allows([(MUTE, "art")], "Modern art, again") is False
    assert allows([(MUTE, "cat")], "Catalonia votes") is True


def test_a_phrase_needs_its_words_in_a_row() -> None:
    terms = [(MUTE, "transfer window")]
    assert allows(terms, "The transfer window closes") is False
    assert allows(terms, "Transfer windows: what we learned") is False  # stemmed
    assert allows(terms, "A window for the transfer of power") is True
    assert allows(terms, "Transfer news", "the window closes") is True


def test_keep_terms_keep_only_articles_with_at_least_one() -> None:
    terms = [(KEEP, "election"), (KEEP, "climate")]
    assert allows(terms, "Climate talks") is True
    assert allows(terms, "Election day") is True
    assert allows(terms, "Harbour reopens") is False


def test_a_mute_wins_over_a_keep() -> None:
    terms = [(KEEP, "election"), (MUTE, "football")]
    assert allows(terms, "Election of the football federation's president") is False
    assert compile_filter(terms).muted_by(ArticleWords("football", "", "english")) == Term(
        MUTE, "football"
    )


def test_spaceless_scripts_match_where_the_term_appears() -> None:
    assert allows([(MUTE, "東京")], "東京で地震", language="japanese") is False
    assert allows([(MUTE, "大阪")], "東京で地震", language="japanese") is True


def test_no_terms_allow_everything() -> None:
    assert allows([], "Anything") is True
    assert not compile_filter([])


def test_compiled_filters_are_cached_per_set_of_terms() -> None:
    assert compile_filter([(MUTE, "a")]) is compile_filter([Term(MUTE, "a")])


def test_split_entries_keeps_order_and_limit_and_holds_back_the_rest() -> None:
    entries = [
        Article(1, "Football tonight", ""),
        Article(2, "Election news", ""),
        Article(3, "Harbour reopens", ""),
        Article(4, "Football again", ""),
        Article(5, "Bridge opens", ""),
    ]
    chat_filter = compile_filter([(MUTE, "football")])
    kept, held = split_entries(entries, chat_filter, ArticleCache(), limit=2)
    assert [e.number for e in kept] == [2, 3]
    # Muted ones are held back even past the limit; kept ones past it wait.
    assert [e.number for e in held] == [1, 4]
    assert split_entries(entries, compile_filter([]), limit=2) == (entries[:2], [])


def test_the_cache_reads_each_article_once_and_again_when_it_changes() -> None:
    cache = ArticleCache()
    first = cache.words(Article(1, "Football", ""))
    assert cache.words(Article(1, "Football", "")) is first
    changed = cache.words(Article(1, "Cricket", "", content_hash="h2"))
    assert changed is not first and "cricket" in changed.stems
