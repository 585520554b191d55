"""Tests for bot.articles.markdown: Markdown seeds (TOML front matter, markdown-it-py body)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.articles import (
    Article,
    Block,
    load,
    parse_markdown,
)
from bot.errors import NotAnArticle

DATA = Path(__file__).resolve().parent / "data" / "articles"


def headings(article: Article) -> list[str]:
    return [block.text for block in article.blocks if block.kind == "heading"]


# --------------------------------------------------------------------------- markdown


def test_markdown_front_matter_gives_title_url_date_and_language() -> None:
    article = load(DATA / "markdown_seed.md", DATA)
    assert article.title == "Community garden opens downtown"
    assert article.url == "https://example.org/garden"
    assert article.date == "2014-12-26"
    assert article.language == "english"  # written "en"
    assert article.blocks == (
        Block(
            "paragraph",
            "The city's first community garden opened on Friday, with forty plots for "
            "local residents.",
        ),
        Block("heading", "Who can join"),
        Block(
            "paragraph",
            "Anyone living in the district can apply for a plot. The waiting list is already "
            "two months long.",
        ),
        Block("paragraph", "Plots cost ten euros a year."),
        Block("paragraph", "Water and tools are shared."),
    )


def test_markdown_without_front_matter_takes_title_from_first_heading() -> None:
    article = parse_markdown(
        "# Neue Brücke eröffnet\n\nDie neue Brücke über den Rhein ist seit Montag für den "
        "Verkehr frei. Sie wurde nach drei Jahren Bauzeit fertig.\n",
        "bruecke.md",
    )
    assert article.title == "Neue Brücke eröffnet"
    assert article.date is None
    assert article.url is None
    assert article.language == "german"
    assert headings(article) == []


def test_markdown_language_code_and_string_date_are_normalized() -> None:
    article = parse_markdown(
        '+++\ntitle = "T"\ndate = "26.12.2014"\nlanguage = "es-ES"\n+++\nTexto.\n', "t.md"
    )
    assert article.date == "2014-12-26"
    assert article.language == "spanish"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('+++\ntitle = "T\n+++\nText.\n', "front matter is not valid TOML"),
        ("+++\ntitle = 3\n+++\nText.\n", "front matter title: expected a string, got int"),
        ('+++\ndate = "soon"\n+++\nText.\n', "front matter date: cannot read 'soon' as a date"),
        ('+++\nlanguage = "??"\n+++\nText.\n', "front matter language: cannot read '??'"),
        ('+++\ntitle = "T"\nText.\n', "front matter opened with +++ is never closed"),
        ("---\ntitle: T\n---\nText.\n", "YAML front matter (---) is not supported"),
        ('+++\ntitle = "Only a title"\n+++\n\n# Only a title\n', "no article text"),
    ],
)
def test_bad_markdown_seed_says_why(text: str, reason: str) -> None:
    with pytest.raises(NotAnArticle) as caught:
        parse_markdown(text, "bad.md")
    assert caught.value.reason.startswith(reason)


def test_markdown_suffixes_dispatch_to_markdown_and_others_to_page(tmp_path: Path) -> None:
    text = '+++\ntitle = "From front matter"\n+++\n\nBody text here.\n'
    for name in ("a.md", "b.MARKDOWN"):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert load(tmp_path / name).title == "From front matter"
    (tmp_path / "c.txt").write_text(text, encoding="utf-8")
    assert load(tmp_path / "c.txt").title != "From front matter"


@pytest.mark.parametrize("opener", ["**a ", "*a ", "_a ", "[a ", "<a ", "`a "])
def test_markdown_paragraph_full_of_unclosed_markers_is_kept_as_text(opener: str) -> None:
    # Emphasis and links are bounded spans: a run of openers with no closer is
    # plain text (and parses in linear time, which the ingest benchmark covers).
    body = "Start of the story. " + opener * 5000 + "end of the story."
    article = parse_markdown(f'+++\ntitle = "Markers"\n+++\n\n{body}\n', "markers.md")
    assert article.title == "Markers"
    (paragraph,) = [b.text for b in article.blocks if b.kind == "paragraph"]
    assert paragraph.startswith("Start of the story.")
    assert paragraph.endswith("end of the story.")
    assert paragraph.count("a ") >= 5000


# ------------------------------------------------------------- CommonMark, read by markdown-it-py


def body_blocks(body: str) -> list[tuple[str, str]]:
    article = parse_markdown(f'+++\ntitle = "T"\n+++\n\n{body}', "t.md")
    return [(block.kind, block.text) for block in article.blocks]


def test_markdown_escapes_entities_and_line_breaks_read_as_text() -> None:
    assert body_blocks("A \\*starred\\* word, &amp; &copy; 2014.  \nNext line\\\nand more.\n") == [
        ("paragraph", "A *starred* word, & © 2014. Next line and more.")
    ]


def test_markdown_reference_links_keep_their_text_and_definitions_go() -> None:
    body = 'See [the site][s] and [other].\n\n[s]: https://example.org "T"\n[other]: /x\n'
    assert body_blocks(body) == [("paragraph", "See the site and other.")]


def test_markdown_html_blocks_and_comments_are_left_out_and_inline_tags_dropped() -> None:
    body = (
        "<figure>\n<img src='a.jpg'>\n<figcaption>A caption</figcaption>\n</figure>\n\n"
        "<!-- a note\n\nfor the editor -->\n\n"
        "Some <b>bold</b> text<!-- inline -->.\n"
    )
    assert body_blocks(body) == [("paragraph", "Some bold text.")]


def test_markdown_indented_paragraph_is_prose_not_code() -> None:
    body = "    An indented paragraph.\n\n```\nfenced code\n```\n\n~~~\nmore code\n~~~\n"
    assert body_blocks(body) == [("paragraph", "An indented paragraph.")]


def test_markdown_quotes_and_nested_list_items_are_paragraphs_and_setext_a_heading() -> None:
    body = (
        "> A quoted\n> sentence.\n\nPart two\n--------\n\n"
        "1. First item\n   - nested item\n2. Second item\n   wrapped.\n\n***\n\nLast.\n"
    )
    assert body_blocks(body) == [
        ("paragraph", "A quoted sentence."),
        ("heading", "Part two"),
        ("paragraph", "First item"),
        ("paragraph", "nested item"),
        ("paragraph", "Second item wrapped."),
        ("paragraph", "Last."),
    ]


def test_markdown_of_five_thousand_list_items_and_link_definitions_is_read_whole() -> None:
    # Large generated Markdown: every item a paragraph, every definition gone;
    # bench/ingest.py and the notes carry the timings, not this test.
    items = "".join(f"- Item {n} links [here][d{n}].\n" for n in range(5_000))
    definitions = "".join(f"[d{n}]: https://example.org/{n}\n" for n in range(5_000))
    blocks = body_blocks(items + "\n" + definitions)
    assert len(blocks) == 5_000
    assert blocks[-1] == ("paragraph", "Item 4999 links here.")
