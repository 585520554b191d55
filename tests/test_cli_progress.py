"""``ingest`` and ``fetch`` show their whole job on a terminal (a bar per stage, on
stderr) and only their summary line elsewhere."""

from __future__ import annotations

import asyncio
import io
import re
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.progress import StagedProgress
from tests.conftest import write_article
from tests.feedkit import Item, long_text, rss
from tests.newssite import NewsSite


class Terminal(io.StringIO):
    """stderr as a terminal would be."""

    def isatty(self) -> bool:
        return True


def bars(text: str) -> list[str]:
    """The last drawing of each bar: the lines a person sees once the job is done."""
    return [line.rsplit("\r", 1)[-1] for line in text.split("\n") if line]


def without_time(line: str) -> str:
    return re.sub(r"  \d+\.\ds$", "", line)


def write_config(tmp_path: Path, site: NewsSite | None = None, *paths: str) -> Path:
    config = tmp_path / "config.toml"
    text = '[storage]\npath = "db.sqlite3"\n[seeds]\ndir = "seeds"\n'
    if site is not None:
        text += (
            f'[fetch]\nallow_networks = ["127.0.0.1/32"]\nallow_ports = [{site.port}]\n'
            "total_timeout = 3\nconnect_timeout = 2\n"
        )
        text += "".join(f'[[feeds]]\nurl = "{site.url(p)}"\n' for p in paths)
    config.write_text(text, encoding="utf-8")
    (tmp_path / "seeds").mkdir(exist_ok=True)
    return config


def test_ingest_on_a_terminal_shows_reading_then_summarizing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    for n in range(3):
        write_article(tmp_path / "seeds", f"a{n}.md", f"Story {n}", date="2024-05-01")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["ingest", "--config", str(config)]) == 0
    assert [without_time(line) for line in bars(terminal.getvalue())] == [
        "ingest: reading and extracting [" + "#" * 30 + "] 3/3 100%",
        "ingest: summarizing [" + "#" * 30 + "] 3/3 100%",
    ]
    out = capsys.readouterr().out
    assert out.startswith("3 articles (3 new, 0 changed, 0 unchanged, 0 removed)")
    assert out.count("\n") == 1


def test_ingest_elsewhere_prints_only_its_summary_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    write_article(tmp_path / "seeds", "a.md", "Story", date="2024-05-01")
    assert main(["ingest", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert re.fullmatch(
        r"1 article \(1 new, 0 changed, 0 unchanged, 0 removed\), 0 files skipped, "
        r"1 summarized in \d+\.\d\d s\n",
        out,
    )


async def test_fetch_on_a_terminal_shows_feeds_and_articles_then_a_summary_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with NewsSite() as site:
        items = [
            Item(guid=f"g{i}", link=f"http://127.0.0.1/{i}", title=f"S{i}", text=long_text(4))
            for i in range(3)
        ]
        site.feeds["/a.xml"] = (rss(items, title="A"), "application/rss+xml")
        site.statuses["/b.xml"] = (500, {})
        config = write_config(tmp_path, site, "/a.xml", "/b.xml")
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert await asyncio.to_thread(main, ["fetch", "--config", str(config)]) == 0
        # Two feeds and the three new entries of the first: one bar over all five steps.
        (bar,) = bars(terminal.getvalue())
        assert without_time(bar) == "fetch: feeds and articles [" + "#" * 30 + "] 5/5 100%"
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == "[1] A: new: 3 new, 0 updated, 0 unchanged"
        assert re.fullmatch(
            r"2 feeds polled, 1 failed: 3 new articles, 0 updated in \d+\.\d s", lines[2]
        )

        monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal: no bar
        assert await asyncio.to_thread(main, ["fetch", "--config", str(config)]) == 0
        assert sys.stderr.getvalue() == ""
        lines = capsys.readouterr().out.splitlines()
        assert re.fullmatch(r"2 feeds polled, 1 failed: 0 new articles, 0 updated in .*", lines[2])


def test_staged_progress_draws_one_bar_per_stage_in_turn() -> None:
    stream = io.StringIO()
    progress = StagedProgress(stream, job="job", width=4, clock=lambda: 0.0)
    progress("one", 1, 1)
    progress("two", 1, 2)
    progress("two", 2, 2)
    assert stream.getvalue() == (
        "\rjob: one [####] 1/1 100%  0.0s\n"
        "\rjob: two [##--] 1/2  50%  0.0s\rjob: two [####] 2/2 100%  0.0s\n"
    )
