"""The ``digestbot`` command line: exact output, and one clear line for every error."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_4ebf0534fdb740ea.txt"

# Three sentences: a summary of three or more is the whole text, whatever the scoring.
SHORT = """+++
title = "Harbour reopens after storm"
url = "https://example.org/harbour"
date = 2024-03-05
+++

The harbour reopened on Tuesday after a week of repairs. Fishing boats left at dawn.

Officials said the breakwater would be inspected again in May.
"""


@pytest.fixture
def short_article(tmp_path: Path) -> Path:
    path = tmp_path / "harbour.md"
    path.write_text(SHORT, encoding="utf-8")
    return path


def test_summarize_prints_title_date_link_and_summary(
    short_article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summarize", str(short_article)]) == 0
    out, err = capsys.readouterr()
    assert out == (
        "Harbour reopens after storm\n"
        "2024-03-05 · https://example.org/harbour\n"
        "  The harbour reopened on Tuesday after a week of repairs.\n"
        "  Fishing boats left at dawn.\n"
        "  Officials said the breakwater would be inspected again in May.\n"
    )
    assert err == ""


def test_summarize_json_prints_one_object_per_file(
    short_article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summarize", "--json", "--sentences", "2", str(short_article), str(SEED)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert list(first) == ["file", "title", "url", "date", "summary"]
    assert first["title"] == "Harbour reopens after storm"
    assert first["date"] == "2024-03-05"
    assert len(first["summary"]) == 2
    assert second["title"] == "S. Korea, Japan, US sign intel-sharing pact"
    assert second["url"] == "https://p.dw.com/p/1EACv"
    assert second["date"] == "2014-12-26"


def test_summarize_the_example_seed_leads_with_the_lede(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summarize", str(SEED)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "S. Korea, Japan, US sign intel-sharing pact"
    assert out[1] == "2014-12-26 · https://p.dw.com/p/1EACv"
    assert out[2] == (
        "  South Korea, the US and Japan have agreed to sign a rare trilateral"
        " intelligence-sharing pact."
    )
    assert len(out) == 5


def test_missing_file_is_one_line_on_stderr_and_exit_1(
    short_article: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.txt"
    assert main(["summarize", str(missing), str(short_article)]) == 1
    out, err = capsys.readouterr()
    assert err == f"digestbot: error: no such file: {missing}\n"
    assert out.startswith("Harbour reopens after storm\n")  # the good file is still done


def test_a_file_that_is_not_an_article_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert main(["summarize", str(empty)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"digestbot: error: {empty}: ")
    assert "empty" in err
    assert err.count("\n") == 1


def test_bad_sentence_count_is_a_usage_error(
    short_article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["summarize", "--sentences", "0", str(short_article)])
    assert exited.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_unknown_language_is_one_line(
    short_article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summarize", "--language", "klingon", str(short_article)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("digestbot: error: unsupported language 'klingon' (supported: english")
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", ["summarize", "digest", "ingest", "migrate", "run"])
def test_every_command_help_shows_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "example:\n  digestbot " in out or "example:\n  TELEGRAM_BOT_TOKEN=" in out


def test_bad_config_is_one_line_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[digest]\nmax_article = 3\n", encoding="utf-8")
    assert main(["digest", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "digestbot: error: [digest] max_article: unknown key "
        "(known: max_articles, missed_grace_seconds, time, timezone)\n"
    )


def test_missing_config_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["digest", "--config", str(tmp_path / "nope.toml")]) == 1
    assert capsys.readouterr().err == (
        f"digestbot: error: config file not found: {tmp_path / 'nope.toml'}\n"
    )


def test_digest_prints_the_new_subscriber_digest_as_plain_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "harbour.md").write_text(SHORT, encoding="utf-8")
    (tmp_path / "config.toml").write_text('[storage]\npath = "bot.db"\n', encoding="utf-8")
    assert main(["digest", "--config", str(tmp_path / "config.toml")]) == 0
    out, err = capsys.readouterr()
    # The header names today (in the config's timezone, UTC here): "Tue 1 Dec 2026".
    header, out = out.split("\n", 1)
    assert re.fullmatch(
        r"Your digest · (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} \w{3} \d{4} · 1 story", header
    )
    assert out == (
        "\n"
        "1. Harbour reopens after storm\n"
        "5 Mar 2024 · https://example.org/harbour\n"
        "  The harbour reopened on Tuesday after a week of repairs.\n"
        "  Fishing boats left at dawn.\n"
        "  Officials said the breakwater would be inspected again in May.\n"
    )
    assert err == ""
    assert (tmp_path / "bot.db").exists()  # summaries are kept, computed once


def test_digest_shows_a_story_from_two_sources_once_with_also(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    today = datetime.now(UTC).date().isoformat()
    lede = (
        "The storm brought heavy rain to the town on Sunday night and the water rose "
        "quickly in the streets.\n\nResidents were moved to the school hall while crews "
        "pumped water out of houses near the quay.\n"
    )
    for name, title in [
        ("a", "Storm Ciara floods harbour town of Kingsbridge"),
        ("b", "Kingsbridge harbour flooded as Storm Ciara hits coast"),
        ("c", "Council approves harbour tram budget after long debate"),
    ]:
        (seeds / f"{name}.md").write_text(
            f'+++\ntitle = "{title}"\ndate = "{today}"\nurl = "https://{name}.example/story"\n'
            f"+++\n\n{title}. {lede}",
            encoding="utf-8",
        )
    (tmp_path / "config.toml").write_text('[storage]\npath = "bot.db"\n', encoding="utf-8")
    assert main(["digest", "--config", str(tmp_path / "config.toml")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(" · 2 stories")
    items = out.split("\n\n")[1:]
    # The story two sources tell comes first.
    assert [item.splitlines()[0] for item in items] == [
        "2. Kingsbridge harbour flooded as Storm Ciara hits coast",
        "3. Council approves harbour tram budget after long debate",
    ]
    assert items[0].splitlines()[2] == "Also: a.example (https://a.example/story)"
    assert "1. Storm Ciara" not in out


def test_ingest_reports_what_it_found_and_skips_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "harbour.md").write_text(SHORT, encoding="utf-8")
    (seeds / "empty.txt").write_bytes(b"")
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    assert main(["ingest", "--config", str(config)]) == 0
    first = capsys.readouterr().out
    assert first.startswith("1 article (1 new, 0 changed, 0 unchanged, 0 removed), 1 file skipped")
    assert main(["ingest", "--config", str(config)]) == 0
    again = capsys.readouterr().out
    assert again.startswith("1 article (0 new, 0 changed, 1 unchanged, 0 removed), 1 file skipped")
    assert ", 0 summarized in " in again


def test_missing_seeds_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[seeds]\ndir = "nowhere"\n', encoding="utf-8")
    assert main(["digest", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err == (
        "digestbot: error: cannot read the seeds folder: "
        f"seeds folder does not exist: {tmp_path.resolve() / 'nowhere'}\n"
    )


def _limit_file_size() -> None:  # runs in the child, before exec
    import resource
    import signal

    # A full disk, as SQLite sees one: writes past 640 KB fail (EFBIG, not a signal); a new database
    # with every migration takes about 450 KB.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (640 * 1024, 640 * 1024))


def test_a_full_disk_during_ingest_is_one_line_and_exit_1(tmp_path: Path) -> None:
    import subprocess
    import sys

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    paragraph = "The council met on Monday to discuss the new harbour plans in detail. " * 40
    for n in range(150):  # about 750 KB of text past a new database: well past the limit
        (seeds / f"a{n:02d}.md").write_text(
            f'+++\ntitle = "Story {n}"\n+++\n\n{paragraph}\n\nStory {n} ends here.\n',
            encoding="utf-8",
        )
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ingest", "--config", "config.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size,
    )
    assert done.returncode == 1
    # ENOSPC reads "database or disk is full"; a size limit reads "disk I/O error".
    [line] = done.stderr.splitlines()
    assert line.startswith("digestbot: error: database: ")
    assert "disk" in line


PAGE = """<!doctype html><html lang="en"><head>
<title>Harbour reopens after storm | Example News</title>
<meta property="og:title" content="Harbour reopens after storm">
<link rel="canonical" href="https://news.example.org/harbour">
<meta property="article:published_time" content="2024-03-05T08:00:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article><h1>Harbour reopens after storm</h1>
<p>The harbour reopened on Tuesday after a week of repairs to the breakwater, and the
first fishing boats left at dawn with their crews cheering from the decks.</p>
<p>Officials said the breakwater would be inspected again in May, when the spring
tides are highest, and that the repairs had cost less than the council had feared.</p>
<p>Fishermen said the week without work had been hard, but that the town had helped
them through it with food, money and a great deal of patience.</p>
</article>
<footer>© 2024 Example News. All rights reserved.</footer>
</body></html>
"""


def test_extract_json_prints_what_the_summarizer_sees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "harbour.html"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["extract", "--json", str(page)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert list(record) == ["file", "title", "date", "url", "language", "text"]
    assert record["title"] == "Harbour reopens after storm"
    assert record["date"] == "2024-03-05"
    assert record["url"] == "https://news.example.org/harbour"
    assert record["language"] == "english"
    assert record["text"].startswith("The harbour reopened on Tuesday")
    assert "Home" not in record["text"] and "rights reserved" not in record["text"]


def test_extract_prints_a_readable_block_and_errors_are_one_line(
    short_article: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(short_article), str(tmp_path / "nope.txt")]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(
        f"file: {short_article}\ntitle: Harbour reopens after storm\ndate: 2024-03-05\n"
        "url: https://example.org/harbour\nlanguage: english\n\n"
        "The harbour reopened on Tuesday after a week of repairs."
    )
    assert captured.err == f"digestbot: error: no such file: {tmp_path / 'nope.txt'}\n"


def test_a_saved_html_page_in_the_seeds_folder_is_ingested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "harbour.html").write_text(PAGE, encoding="utf-8")
    (seeds / "empty.html").write_text("<html><body><nav>Home</nav></body></html>")
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    assert main(["ingest", "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith("1 article (1 new,")
    assert main(["digest", "--config", str(config)]) == 0
    assert "Harbour reopens after storm" in capsys.readouterr().out


def test_a_corrupt_database_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(40):
        (seeds / f"a{n}.md").write_text(SHORT.replace("Harbour", f"Harbour {n}"), "utf-8")
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    assert main(["ingest", "--config", str(config)]) == 0
    capsys.readouterr()
    database = tmp_path / "digestbot.sqlite3"
    data = bytearray(database.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, page):  # every page but the header
        data[offset + 8 : offset + 200] = b"\xff" * 192
    database.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"digestbot.sqlite3{suffix}").unlink(missing_ok=True)
    assert main(["ingest", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"digestbot: error: database {database} is corrupt (")


def test_ingest_reads_a_file_whose_name_is_not_utf8_and_skips_an_outside_symlink(
    tmp_path: Path,
) -> None:
    # A real process: the log lines on stderr and the exit status are the point.
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "harbour.md").write_text(SHORT, encoding="utf-8")
    try:
        with open(os.path.join(os.fsencode(seeds), b"caf\xe9.txt"), "wb") as handle:
            handle.write(b"Cafe reopens\n\nThe cafe reopened on Monday after the storm.\n")
    except OSError:
        pytest.skip("this file system only takes UTF-8 file names")
    private = tmp_path / "private.txt"
    private.write_text("Private notes\n\nNot for publishing at all.\n", encoding="utf-8")
    (seeds / "link.txt").symlink_to(private)
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ingest", "--config", "config.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "2 articles (2 new, 0 changed, 0 unchanged, 0 removed), 1 file skipped"
    )
    warnings = [line.split(" ", 2)[2] for line in done.stderr.splitlines()]
    assert warnings == [
        "WARNING bot.articles: caf\\xe9.txt: file name is not valid UTF-8 "
        "(read under this name; rename the file to UTF-8)",
        "WARNING bot.articles: skipped link.txt: symlink to a file outside the seeds folder: "
        "not followed",
    ]
    assert "Traceback" not in done.stderr


def test_summarize_takes_any_language_by_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ru.txt"
    path.write_text(
        "Городской совет утвердил новый бюджет. Автобусы станут дешевле.\n\n"
        "Мэр сказал, что работы начнутся весной. Погода была хорошей.\n",
        encoding="utf-8",
    )
    assert main(["summarize", "--language", "ru", "--sentences", "1", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[1].startswith("  ")


def test_json_output_names_a_non_utf8_file_in_valid_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt"), "wb") as handle:
            handle.write(b"Cafe reopens\n\nThe cafe reopened on Monday after the storm.\n")
    except OSError:
        pytest.skip("this file system only takes UTF-8 file names")
    [path] = tmp_path.iterdir()
    assert main(["extract", "--json", str(path)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["file"] == f"{tmp_path.as_posix()}/caf\\xe9.txt"
    record["file"].encode("utf-8")  # no lone surrogate left


def _declared_version() -> str:
    pyproject = (SEED.parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    return str(tomllib.loads(pyproject)["project"]["version"])


def test_version_prints_the_version_pyproject_declares(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr() == (f"digestbot {_declared_version()}\n", "")


def test_python_m_bot_version_is_one_line_and_status_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--version"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"digestbot {_declared_version()}\n",
        "",
    )
