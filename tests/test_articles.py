"""Tests for bot.articles.files and the package: decoding, bad files, identity, scanning."""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import pytest

import bot.articles.pages
from bot.articles import (
    Article,
    Block,
    Scan,
    load,
    parse_markdown,
    parse_page,
    scan,
)
from bot.errors import NotAnArticle

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "seeds" / "000_4ebf0534fdb740ea.txt"


def paragraphs(article: Article) -> list[str]:
    return [block.text for block in article.blocks if block.kind == "paragraph"]


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
        # The one summary line per scan: at debug too (a bot rescans every few minutes).
        f"scanned {tmp_path}: 5 files, 2 articles, 3 skipped",
    ]
    assert [r for r in caplog.records if r.levelno > logging.DEBUG] == []


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


# Names that are not UTF-8 and symlinks: never stop a scan, never leave the folder.

NOT_UTF8_WARNING = (
    "caf\\xe9.txt: file name is not valid UTF-8 (read under this name; rename the file to UTF-8)"
)


def latin1_named_file(folder: Path, text: str = ARTICLE_TEXT) -> Path:
    """``caf\\xe9.txt`` (Latin-1 é) via a bytes path; skips where the file system refuses it."""
    raw = os.path.join(os.fsencode(folder), b"caf\xe9.txt")
    try:
        with open(raw, "wb") as handle:
            handle.write(text.encode("utf-8"))
    except OSError:
        pytest.skip("this file system only takes UTF-8 file names")
    return Path(os.fsdecode(raw))


def test_a_file_name_that_is_not_utf8_is_read_under_an_escaped_name_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    latin1_named_file(tmp_path)
    (tmp_path / "d.txt").write_text("Dam opens\n\nThe dam opened on Friday.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        result = scan(tmp_path)
    assert [a.source for a in result.articles] == ["caf\\xe9.txt", "d.txt"]
    assert result.articles[0].title == "Harbour reopens"
    result.articles[0].source.encode("utf-8")  # storable: no lone surrogates left
    assert result.skipped == []
    assert skip_warnings(caplog) == [NOT_UTF8_WARNING]


def test_a_rescan_warns_about_a_name_that_is_not_utf8_only_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    latin1_named_file(tmp_path)
    reported: set[tuple[str, str]] = set()
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        scan(tmp_path, reported=reported)
        again = scan(tmp_path, reported=reported)
    assert skip_warnings(caplog) == [NOT_UTF8_WARNING]
    assert [a.source for a in again.articles] == ["caf\\xe9.txt"]


def test_load_of_a_path_that_is_not_utf8_names_it_with_escapes(tmp_path: Path) -> None:
    path = latin1_named_file(tmp_path)
    assert load(path, tmp_path).source == "caf\\xe9.txt"
    assert load(path).source.endswith("/caf\\xe9.txt")


def test_a_symlink_to_a_file_outside_the_folder_is_skipped_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    private = tmp_path / "private.txt"
    private.write_text("Secret plans\n\nThe private plans are here.\n", encoding="utf-8")
    (seeds / "link.txt").symlink_to(private)
    (seeds / "up.txt").symlink_to(Path("..") / "private.txt")
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        result = scan(seeds)
    assert result.articles == []
    reason = "symlink to a file outside the seeds folder: not followed"
    assert [(s.source, s.reason) for s in result.skipped] == [
        ("link.txt", reason),
        ("up.txt", reason),
    ]
    assert skip_warnings(caplog) == [f"skipped link.txt: {reason}", f"skipped up.txt: {reason}"]


def test_a_symlink_inside_the_folder_is_followed(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    (tmp_path / "z.txt").symlink_to(Path("sub") / "a.txt")
    result = scan(tmp_path)
    assert [a.source for a in result.articles] == ["sub/a.txt"]
    assert [(s.source, s.reason) for s in result.skipped] == [
        ("z.txt", "same content as sub/a.txt")
    ]


def test_a_seeds_folder_reached_through_a_symlink_reads_its_files(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    (tmp_path / "seeds").symlink_to(real)
    assert [a.source for a in scan(tmp_path / "seeds").articles] == ["a.txt"]


def test_a_dangling_or_looping_symlink_never_stops_a_scan(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    assert [a.source for a in scan(tmp_path).articles] == ["a.txt"]


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
