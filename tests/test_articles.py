"""Tests for bot.articles: seed files in, clean articles out, bad files skipped and logged."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

import bot.articles.pages
from bot.articles import (
    Article,
    Block,
    Scan,
    detect_language,
    load,
    parse_date,
    parse_markdown,
    parse_page,
    scan,
)
from bot.errors import NotAnArticle

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "seeds" / "000_4ebf0534fdb740ea.txt"
DATA = Path(__file__).resolve().parent / "data" / "articles"


def all_text(article: Article) -> str:
    """Everything a reader or the summarizer could see."""
    return "\n".join([article.title, *(block.text for block in article.blocks)])


def headings(article: Article) -> list[str]:
    return [block.text for block in article.blocks if block.kind == "heading"]


def paragraphs(article: Article) -> list[str]:
    return [block.text for block in article.blocks if block.kind == "paragraph"]


# --------------------------------------------------------------------------- the example page


@pytest.fixture(scope="module")
def example() -> Article:
    return load(EXAMPLE, EXAMPLE.parent)


def test_example_has_title_date_and_link(example: Article) -> None:
    assert example.title == "S. Korea, Japan, US sign intel-sharing pact"
    assert example.date == "2014-12-26"
    assert example.url == "https://p.dw.com/p/1EACv"
    assert example.language == "english"
    assert example.source == "000_4ebf0534fdb740ea.txt"


@pytest.mark.parametrize(
    "boilerplate",
    [
        "Skip to content",
        "Skip to main menu",
        "Skip to more DW sites",
        "Image: picture-alliance/dpa/R. Sinmun",
        "picture-alliance",
        "North Korea missile test",
        "ksb/tj",
        "(AP, AFP)",
        "December 26, 2014",
        "https://p.dw.com/p/1EACv",
    ],
)
def test_example_body_has_no_boilerplate_line(example: Article, boilerplate: str) -> None:
    for block in example.blocks:
        assert boilerplate not in block.text
    assert boilerplate not in example.text


def test_example_lede_is_the_first_paragraph(example: Article) -> None:
    first = paragraphs(example)[0]
    assert first.startswith(
        "South Korea, the US and Japan have agreed to sign a rare trilateral "
        "intelligence-sharing pact."
    )
    assert first.endswith("North Korea's increasing nuclear and missile threats.")
    assert example.blocks[0] == Block("paragraph", first)


def test_example_subheadings_are_headings_never_paragraphs(example: Article) -> None:
    assert headings(example) == ["Historic distrust", "Growing fears"]
    for heading in ("Historic distrust", "Growing fears"):
        assert heading not in paragraphs(example)
        assert heading not in example.text.split("\n\n")
    # Each heading sits where it was, between two paragraphs.
    kinds = [block.kind for block in example.blocks]
    for i, kind in enumerate(kinds):
        if kind == "heading":
            assert kinds[i - 1] == "paragraph"
            assert kinds[i + 1] == "paragraph"


def test_example_keeps_every_body_paragraph(example: Article) -> None:
    body = paragraphs(example)
    assert len(body) == 10
    assert body[1].startswith("According to South Korea's defense ministry")
    assert body[-1].startswith("Hundreds of American cinemas")
    assert body[-1].endswith("carried out by North Korea.")


def test_text_is_paragraphs_only_joined_by_blank_lines(example: Article) -> None:
    assert example.text == "\n\n".join(paragraphs(example))
    assert "Historic distrust" not in example.text


# --------------------------------------------------------------------------- other page shapes


def test_german_page_drops_menu_kicker_byline_photo_and_agency_credit() -> None:
    article = load(DATA / "german_page.txt", DATA)
    assert article.title == "Bundestag beschließt neues Klimaschutzgesetz"
    assert article.date == "2014-12-26"  # "Freitag, 26. Dezember 2014, 14:30 Uhr"
    assert article.language == "german"
    assert headings(article) == ["Kritik der Verbände"]
    assert paragraphs(article)[0].startswith("Der Bundestag hat am Freitag")
    seen = all_text(article)
    for gone in [
        "Startseite",
        "Wirtschaft",
        "Politik\n",
        "Von Max Mustermann",
        "Abgeordnete im Plenarsaal",
        "Bild:",
        "ksb/tj",
        "(dpa, Reuters)",
        "14:30",
    ]:
        assert gone not in seen + "\n"


def test_french_page_drops_byline_photo_share_and_copyright() -> None:
    article = load(DATA / "french_page.txt", DATA)
    assert article.title == "Le Parlement européen adopte la réforme du droit d'auteur"
    assert article.date == "2014-12-26"  # "26 décembre 2014"
    assert article.language == "french"
    assert headings(article) == ["Un vote serré"]
    seen = all_text(article)
    for gone in ["Aller au contenu", "Par Jean Dupont", "Photo :", "Strasbourg", "Partager", "©"]:
        assert gone not in seen


def test_wire_story_unwraps_lines_and_drops_dateline_credits_and_links() -> None:
    article = load(DATA / "wire_story.txt", DATA)
    assert article.title == "Fed holds rates steady as inflation cools"
    assert article.date == "2014-12-26"  # "Updated: Friday, December 26, 2014 10:30 AM EST"
    assert article.url is None  # a "Read more:" link is not the page's own address
    assert headings(article) == ["Markets react"]
    body = paragraphs(article)
    assert body[0] == (
        "The Federal Reserve kept interest rates unchanged on Friday, saying inflation had "
        "cooled enough to allow policymakers to wait before making any further moves."
    )
    assert (
        body[-1] == "Analysts said the central bank was likely to remain cautious until the spring."
    )
    seen = all_text(article)
    for gone in [
        "Home",
        "Advertisement",
        "By Jane Doe",
        "WASHINGTON",
        "(Reuters)",
        "Getty Images",
        "Fed Chair Janet Yellen speaks",
        "Read more",
        "Related topics",
        "Reporting by",
    ]:
        assert gone not in seen


def between_paragraphs(line: str) -> Article:
    return parse_page(f"Headline\n\nFirst paragraph.\n\n{line}\n\nSecond paragraph.\n", "x.txt")


@pytest.mark.parametrize(
    "line",
    [
        "Skip to main content",
        "Home | World | Business | Tech",
        "Photo: Jane Doe/Reuters",
        "Credit: AFP",
        "Image: picture-alliance/dpa",
        "AFP via Getty Images",
        "By Jane Doe",
        "By JANE DOE and John van der Berg",
        "Von Max Mustermann",
        "Par Jean Dupont",
        "Por Ana García",
        "Reporting by Jane Doe; Editing by John Roe",
        "(Reuters)",
        "dh/rc (AFP, dpa)",
        "Advertisement",
        "Read more: https://example.com/other-story",
        "© 2014 Example Media",
        "Copyright 2014 Example Media. All rights reserved.",
        "Keywords North Korea, South Korea, Japan",
        "Feedback: Send us your feedback.",
    ],
)
def test_boilerplate_line_between_paragraphs_is_dropped(line: str) -> None:
    # Each of these is short and unpunctuated, so it would otherwise be kept as a heading.
    assert between_paragraphs(line).blocks == (
        Block("paragraph", "First paragraph."),
        Block("paragraph", "Second paragraph."),
    )


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Published: 26.12.2014 | 10:30", "2014-12-26"),
        ("Updated 10:30 AM EST, Fri December 26, 2014", "2014-12-26"),
        ("26. Dezember 2014", "2014-12-26"),  # not item 26 of a numbered menu
        ("Publié le 26 décembre 2014 à 10h30", "2014-12-26"),
        ("2014-12-26T10:30:00Z", "2014-12-26"),
    ],
)
def test_date_line_gives_the_date_and_leaves_the_body(line: str, iso: str) -> None:
    article = between_paragraphs(line)
    assert article.date == iso
    assert paragraphs(article) == ["First paragraph.", "Second paragraph."]
    assert headings(article) == []


def test_permalink_line_gives_the_url_and_leaves_the_body() -> None:
    article = between_paragraphs("Permalink https://p.dw.com/p/1EACv")
    assert article.url == "https://p.dw.com/p/1EACv"
    assert len(article.blocks) == 2


def test_photo_caption_goes_with_its_credit_line() -> None:
    article = between_paragraphs("Rescue workers search the rubble\nPhoto: Jane Doe/AP")
    assert "Rescue workers" not in all_text(article)


@pytest.mark.parametrize(
    "sentence",
    [
        "By the end of the year, prices had risen by a third.",
        "Since March 3, 2014 the city has grown quickly.",
        "Apple (AAPL) shares rose sharply after the results were published.",
        "Share prices fell on Monday as investors fled to safety.",
        "Photographs of the scene were shared widely on social media.",
    ],
)
def test_prose_that_looks_like_boilerplate_is_kept(sentence: str) -> None:
    article = parse_page(f"A headline\n\n{sentence}\n", "x.txt")
    assert paragraphs(article) == [sentence]


def test_short_line_without_paragraph_after_it_is_not_a_heading() -> None:
    article = parse_page(
        "Headline\n\nFirst paragraph here.\n\nSecond paragraph here.\n\nMore on this topic\n",
        "x.txt",
    )
    assert article.blocks == (
        Block("paragraph", "First paragraph here."),
        Block("paragraph", "Second paragraph here."),
    )


def test_short_lines_before_the_first_paragraph_leave_only_the_longest_as_title() -> None:
    article = parse_page("Asia\n\nQuake shakes northern Japan\n\nA strong quake hit.\n", "x.txt")
    assert article.title == "Quake shakes northern Japan"
    assert article.blocks == (Block("paragraph", "A strong quake hit."),)


def test_title_may_end_with_a_question_mark() -> None:
    article = parse_page("Is the euro doomed?\n\nThe euro fell.\n\nTraders sold.\n", "x.txt")
    assert article.title == "Is the euro doomed?"
    assert paragraphs(article) == ["The euro fell.", "Traders sold."]


def test_page_without_title_line_takes_the_first_sentence() -> None:
    article = parse_page("The euro fell on Friday. Traders sold.\n\nMore later.\n", "x.txt")
    assert article.title == "The euro fell on Friday."
    assert paragraphs(article)[0] == "The euro fell on Friday. Traders sold."


def test_title_with_site_suffix_gives_title_and_date() -> None:
    article = parse_page("Seoul and Tokyo sign pact | News | DW | 26.12.2014\n\nThey did.\n", "x")
    assert article.title == "Seoul and Tokyo sign pact"
    assert article.date == "2014-12-26"


def test_labelled_permalink_is_the_url_and_url_path_gives_the_date() -> None:
    article = parse_page(
        "Pact signed\n\nThey signed it.\n\nPermalink: https://example.com/2014/12/26/pact\n",
        "x.txt",
    )
    assert article.url == "https://example.com/2014/12/26/pact"
    assert article.date == "2014-12-26"


def test_long_list_items_are_paragraphs_and_markdown_headings_are_headings() -> None:
    article = parse_page(
        "Headline\n\nThe plan has two parts.\n\n## The parts\n\n"
        "- The first part raises taxes on large companies.\n"
        "- The second part cuts them for small ones.\n",
        "x.txt",
    )
    assert article.blocks == (
        Block("paragraph", "The plan has two parts."),
        Block("heading", "The parts"),
        Block("paragraph", "The first part raises taxes on large companies."),
        Block("paragraph", "The second part cuts them for small ones."),
    )


def test_page_of_only_navigation_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle) as caught:
        load(DATA / "nav_only.txt", DATA)
    assert caught.value.source == "nav_only.txt"
    assert caught.value.reason == "no article text"


# --------------------------------------------------------------------------- dates and languages


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("December 26, 2014", "2014-12-26"),
        ("Dec. 26 2014", "2014-12-26"),
        ("26 December 2014", "2014-12-26"),
        ("26.12.2014", "2014-12-26"),
        ("2014-12-26", "2014-12-26"),
        ("2014-12-26T10:30:00+01:00", "2014-12-26"),
        ("2014/12/26", "2014-12-26"),
        ("12/26/2014", "2014-12-26"),
        ("26/12/2014", "2014-12-26"),
        ("Freitag, 26. Dezember 2014", "2014-12-26"),
        ("3. März 2015", "2015-03-03"),
        ("1er janvier 2015", "2015-01-01"),
        ("26 de diciembre de 2014", "2014-12-26"),
        ("Published on Friday, December 26th, 2014", "2014-12-26"),
    ],
)
def test_parse_date_reads_common_formats(written: str, iso: str) -> None:
    assert parse_date(written) == iso


@pytest.mark.parametrize("written", ["03/04/2014", "February 30, 2014", "Dec 2014", "no date"])
def test_parse_date_refuses_ambiguous_or_impossible_dates(written: str) -> None:
    assert parse_date(written) is None


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


# ------------------------------------------------------------------------- bad files, encodings


def test_empty_file_is_not_an_article(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\n\t\n")
    for name in ("empty.txt", "blank.txt"):
        with pytest.raises(NotAnArticle, match="empty file"):
            load(tmp_path / name, tmp_path)


def test_binary_file_is_not_an_article(tmp_path: Path) -> None:
    png = tmp_path / "photo.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(NotAnArticle, match="binary file"):
        load(png, tmp_path)
    controls = tmp_path / "controls.txt"
    controls.write_bytes(bytes(range(1, 32)) * 50)
    with pytest.raises(NotAnArticle, match="binary file"):
        load(controls, tmp_path)


def test_latin1_file_reads_right(tmp_path: Path) -> None:
    text = "Müller gewinnt in Köln\n\nDer Fußballer Müller hat am Sonntag in Köln gewonnen.\n"
    (tmp_path / "latin1.txt").write_bytes(text.encode("latin-1"))
    (tmp_path / "utf8.txt").write_bytes(text.encode("utf-8"))
    latin1 = load(tmp_path / "latin1.txt", tmp_path)
    assert latin1.title == "Müller gewinnt in Köln"
    assert paragraphs(latin1) == ["Der Fußballer Müller hat am Sonntag in Köln gewonnen."]
    assert latin1.content_hash == load(tmp_path / "utf8.txt", tmp_path).content_hash


def test_cp1252_file_reads_euro_sign_and_curly_quotes(tmp_path: Path) -> None:
    text = "Prices rise\n\n“Coffee now costs 3 €,” she said.\n"
    (tmp_path / "cp1252.txt").write_bytes(text.encode("cp1252"))
    assert paragraphs(load(tmp_path / "cp1252.txt"))[0] == "“Coffee now costs 3 €,” she said."


def test_utf8_and_utf16_byte_order_marks_are_honoured(tmp_path: Path) -> None:
    text = "Café opens\n\nThe café opened today.\n"
    (tmp_path / "bom8.txt").write_bytes(text.encode("utf-8-sig"))
    (tmp_path / "bom16.txt").write_bytes(text.encode("utf-16"))
    for name in ("bom8.txt", "bom16.txt"):
        article = load(tmp_path / name)
        assert article.title == "Café opens"
        assert paragraphs(article) == ["The café opened today."]


def test_crlf_and_lf_files_are_the_same_article(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    (tmp_path / "crlf.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert load(tmp_path / "crlf.txt").content_hash == load(EXAMPLE).content_hash


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.txt")


def test_unreadable_file_is_not_an_article(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("Title\n\nText.\n", encoding="utf-8")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(NotAnArticle, match="cannot read: Permission denied"):
        load(path, tmp_path)


def test_load_without_root_names_the_path_as_given() -> None:
    assert load(EXAMPLE).source == EXAMPLE.as_posix()


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


# --------------------------------------------------------------------------- identity


def test_content_hash_is_pinned_for_a_fixed_article() -> None:
    # Stored articles are keyed by this hash: changing the recipe makes every
    # stored article look new, so it must only ever change on purpose.
    article = Article(
        source="a.txt",
        title="T",
        date="2014-12-26",
        url=None,
        language="english",
        blocks=(Block("heading", "H"), Block("paragraph", "P.")),
    )
    assert article.content_hash == (
        "d2d9a2a8d276dc38eb2ff21e328d5973ccebd5e31580d02af158550b71b1a655"
    )


def test_rescan_gives_the_same_hashes_and_moves_do_not_change_identity(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(EXAMPLE.read_bytes())
    first = [a.content_hash for a in scan(tmp_path).articles]
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").rename(tmp_path / "sub" / "renamed.txt")
    second = scan(tmp_path).articles
    assert [a.content_hash for a in second] == first
    assert second[0].source == "sub/renamed.txt"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Growing fears", "Growing worries"),  # a heading
        ("on Monday.", "on Tuesday."),  # one word of a paragraph
        ("December 26, 2014", "December 27, 2014"),  # the date
        ("intel-sharing pact\n", "intel pact\n"),  # the title
    ],
)
def test_edited_file_has_a_different_hash(tmp_path: Path, old: str, new: str) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "edited.txt").write_text(text.replace(old, new, 1), encoding="utf-8")
    assert load(tmp_path / "edited.txt").content_hash != load(EXAMPLE).content_hash


# --------------------------------------------------------------------------- scan


def make_folder(root: Path) -> None:
    (root / "sub").mkdir()
    (root / ".hidden").mkdir()
    (root / "b.txt").write_bytes(EXAMPLE.read_bytes())
    (root / "sub" / "a.md").write_text('+++\ntitle = "A"\n+++\nSome text.\n', encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "image.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200))
    (root / "copy.txt").write_bytes(EXAMPLE.read_bytes())
    (root / ".draft.txt").write_text("Draft\n\nNot to be read.\n", encoding="utf-8")
    (root / ".hidden" / "c.txt").write_text("Hidden\n\nNot to be read.\n", encoding="utf-8")


def test_scan_loads_files_recursively_in_path_order_and_ignores_hidden(tmp_path: Path) -> None:
    make_folder(tmp_path)
    result = scan(tmp_path)
    assert isinstance(result, Scan)
    assert [a.source for a in result.articles] == ["b.txt", "sub/a.md"]
    assert [(s.source, s.reason) for s in result.skipped] == [
        ("copy.txt", "same content as b.txt"),
        ("empty.txt", "empty file"),
        ("image.jpg", "binary file (contains NUL bytes)"),
    ]


def test_scan_logs_one_warning_per_skipped_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_folder(tmp_path)
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        scan(tmp_path)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.name for r in warnings] == ["bot.articles"] * 3
    assert [r.getMessage() for r in warnings] == [
        "skipped copy.txt: same content as b.txt",
        "skipped empty.txt: empty file",
        "skipped image.jpg: binary file (contains NUL bytes)",
    ]


# A rescanning caller (the running bot) passes a `reported` set so that a skipped
# file is warned about once, and again only when it is news.

ARTICLE_TEXT = "Harbour reopens\n\nThe harbour reopened on Monday after the storm.\n"


def skip_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.articles" and r.levelno == logging.WARNING
    ]


def test_first_scan_with_a_reported_set_warns_once_per_skipped_file_and_remembers_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_folder(tmp_path)
    reported: set[tuple[str, str]] = set()
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        scan(tmp_path, reported=reported)
    assert skip_warnings(caplog) == [
        "skipped copy.txt: same content as b.txt",
        "skipped empty.txt: empty file",
        "skipped image.jpg: binary file (contains NUL bytes)",
    ]
    assert reported == {
        ("copy.txt", "same content as b.txt"),
        ("empty.txt", "empty file"),
        ("image.jpg", "binary file (contains NUL bytes)"),
    }


def test_rescan_of_an_unchanged_folder_logs_skips_at_debug_not_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_folder(tmp_path)
    reported: set[tuple[str, str]] = set()
    scan(tmp_path, reported=reported)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="bot.articles"):
        result = scan(tmp_path, reported=reported)
    assert len(result.skipped) == 3  # still skipped, only quieter
    assert skip_warnings(caplog) == []
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert debug == [
        "skipped copy.txt: same content as b.txt",
        "skipped empty.txt: empty file",
        "skipped image.jpg: binary file (contains NUL bytes)",
    ]
    # The one summary line per scan is unchanged.
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert info == [f"scanned {tmp_path}: 5 files, 2 articles, 3 skipped"]


def test_a_skipped_file_edited_to_be_skipped_for_another_reason_warns_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_folder(tmp_path)
    reported: set[tuple[str, str]] = set()
    scan(tmp_path, reported=reported)
    (tmp_path / "empty.txt").write_text("Home | World | Sport\n\nMenu\n", encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        scan(tmp_path, reported=reported)
    assert skip_warnings(caplog) == ["skipped empty.txt: no article text"]
    assert ("empty.txt", "empty file") not in reported
    assert ("empty.txt", "no article text") in reported


def test_a_file_that_became_an_article_and_broke_again_warns_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_folder(tmp_path)
    reported: set[tuple[str, str]] = set()
    scan(tmp_path, reported=reported)
    (tmp_path / "empty.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        result = scan(tmp_path, reported=reported)
    assert "empty.txt" in [a.source for a in result.articles]
    assert skip_warnings(caplog) == []
    assert ("empty.txt", "empty file") not in reported

    (tmp_path / "empty.txt").write_bytes(b"")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        scan(tmp_path, reported=reported)
    assert skip_warnings(caplog) == ["skipped empty.txt: empty file"]


def test_scans_without_a_reported_set_warn_every_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The one-shot CLI scans this way: every run names every skipped file.
    make_folder(tmp_path)
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        scan(tmp_path)
        scan(tmp_path)
    assert len(skip_warnings(caplog)) == 6


def test_scan_reports_progress_after_each_file(tmp_path: Path) -> None:
    make_folder(tmp_path)
    calls: list[tuple[int, int]] = []
    scan(tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_scan_survives_a_parser_error_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a.txt").write_text("Title\n\nText.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Title\n\nText.\n", encoding="utf-8")

    def broken(text: str, source: str) -> Article:
        raise RuntimeError("boom")

    monkeypatch.setattr(bot.articles.pages, "parse_page", broken)
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        result = scan(tmp_path)
    assert [a.source for a in result.articles] == ["b.md"]
    assert result.skipped[0].reason == "unexpected error: RuntimeError: boom"
    assert "skipped a.txt: unexpected error: RuntimeError: boom" in caplog.messages


def test_scan_of_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="seeds folder does not exist"):
        scan(tmp_path / "nope")


def test_scan_of_the_repository_seeds_finds_the_example() -> None:
    result = scan(REPO / "seeds")
    assert "000_4ebf0534fdb740ea.txt" in [a.source for a in result.articles]
    assert result.skipped == []


def test_parsers_raise_only_not_an_article_on_garbage() -> None:
    # Seeded random soup of the pieces the rules react to: every outcome must be
    # an article with a title and a paragraph, or NotAnArticle; never a crash.
    rng = random.Random(20141226)
    pieces = ["\n", "\n\n", " ", "Title", "By Jane", "(AP)", "Image:", "https://x.y/z", "1. "]
    pieces += ["26.12.2014", "2014-02-30", "## ", "+++", "---", ".", "?", "é", "\u200b", "\r"]
    pieces += ["|", "[a](b)", "**", "```", "> ", "Word", "the", "der", "(", ")", "ksb/tj"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        for parse in (parse_page, parse_markdown):
            try:
                article = parse(text, "soup.txt")
            except NotAnArticle:
                continue
            assert article.title
            assert paragraphs(article)
            assert all(block.text == block.text.strip() != "" for block in article.blocks)


# --------------------------------------------------------------------------- large odd files
# Stray non-article files (generated tables, code) land in seeds folders. These
# check what such files become at a size where a quadratic step would stall a
# scan; bench/ingest.py and the report carry the timings, not these tests.


def test_twenty_thousand_data_lines_without_blank_lines_join_into_one_paragraph(
    tmp_path: Path,
) -> None:
    # Shaped like pip's idna/uts46data.py: no blank line and no sentence end,
    # so every line is the hard-wrapped continuation of the one before.
    lines = [f"    0x{number:X}," for number in range(20_000)]
    path = tmp_path / "uts46data.py"
    path.write_text("uts46_starts = (\n" + "\n".join(lines) + "\n)\n", encoding="utf-8")
    article = load(path, tmp_path)
    # No title line and no sentence end: the title is the text's start, cut at a word.
    assert article.title.startswith("uts46_starts = ( 0x0, 0x1, 0x2,")
    assert article.title.endswith("…") and len(article.title) <= 121
    assert len(article.blocks) == 1
    assert article.blocks[0].kind == "paragraph"
    assert article.blocks[0].text == " ".join(
        ["uts46_starts = (", *(s.strip() for s in lines), ")"]
    )


def test_twenty_thousand_short_code_lines_between_blank_lines_are_not_an_article(
    tmp_path: Path,
) -> None:
    # Short lines without terminal punctuation are heading-like; with no
    # paragraph anywhere nothing is kept, and the scan says why.
    path = tmp_path / "generated.py"
    path.write_text("\n\n".join(f"x_{n} = f(y[{n}])" for n in range(20_000)), encoding="utf-8")
    result = scan(tmp_path)
    assert result.articles == []
    assert [(s.source, s.reason) for s in result.skipped] == [("generated.py", "no article text")]


def test_thousands_of_headings_are_kept_only_between_paragraphs() -> None:
    # Each heading needs a paragraph before it and, past any dropped lines, one after it.
    sections = [f"Part {n}\n\nThe count rose to {n}.\n\n(\n" for n in range(5_000)]
    article = parse_page("Report on counts\n\n" + "\n".join(sections) + "\nThe end\n", "x.txt")
    assert article.title == "Report on counts"
    expected = [Block("paragraph", "The count rose to 0.")]
    for n in range(1, 5_000):
        expected += [Block("heading", f"Part {n}"), Block("paragraph", f"The count rose to {n}.")]
    assert list(article.blocks) == expected


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
