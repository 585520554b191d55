"""``digestbot fetch`` and ``digestbot sources`` against the loopback news site."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from tests.feedkit import Item, long_text, rss
from tests.newssite import NewsSite


def write_config(tmp_path: Path, site: NewsSite, paths: list[str]) -> Path:
    """A config file in ``tmp_path`` whose ``[[feeds]]`` are these paths of ``site``."""
    feeds = "".join(f'[[feeds]]\nurl = "{site.url(p)}"\n' for p in paths)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\npath = "db.sqlite3"\n[seeds]\ndir = "seeds"\n'
        f'[fetch]\nallow_networks = ["127.0.0.1/32"]\nallow_ports = [{site.port}]\n'
        f"total_timeout = 3\nconnect_timeout = 2\n{feeds}",
        encoding="utf-8",
    )
    (tmp_path / "seeds").mkdir(exist_ok=True)
    return config


def item(i: int) -> Item:
    return Item(
        guid=f"g{i}", link=f"http://127.0.0.1/a/{i}", title=f"Story {i}", text=long_text(4, str(i))
    )


async def test_fetch_prints_a_line_per_feed_and_fails_only_when_all_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with NewsSite() as site:
        site.feeds["/good"] = (rss([item(1), item(2)], title="Good News"), "application/rss+xml")
        site.statuses["/bad"] = (500, {})
        config = write_config(tmp_path, site, ["/good", "/bad"])
        code = await asyncio.to_thread(main, ["fetch", "--config", str(config)])
        out = capsys.readouterr().out.splitlines()
        assert code == 0
        assert out[0] == "[1] Good News: new: 2 new, 0 updated, 0 unchanged"
        assert out[1].startswith(f"[2] {site.url('/bad')}: failed: ") and "500" in out[1]

        code = await asyncio.to_thread(main, ["fetch", "--config", str(config)])
        out = capsys.readouterr().out.splitlines()
        assert out[0] == "[1] Good News: unchanged (not modified)"

        code = await asyncio.to_thread(main, ["sources", "--config", str(config)])
        out = capsys.readouterr().out.splitlines()
        assert code == 0
        assert out[0].startswith("seeds ") and out[0].endswith(": 0 articles")
        assert out[1].startswith(f"[1] Good News <{site.url('/good')}> (config): 2 articles;")
        assert "failing 2x since" in out[2] and "500" in out[2]

        (tmp_path / "b").mkdir()
        bad_only = write_config(tmp_path / "b", site, ["/bad"])
        code = await asyncio.to_thread(main, ["fetch", "--config", str(bad_only)])
        assert code == 1


async def test_a_config_feed_the_fence_refuses_names_the_key_and_the_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with NewsSite() as site:
        site.feeds["/good"] = (rss([item(1)], title="Good News"), "application/rss+xml")
        config = write_config(tmp_path, site, ["/good"])
        with config.open("a", encoding="utf-8") as file:
            file.write('[[feeds]]\nurl = "http://127.0.0.1:1/news.xml"\n')
        code = await asyncio.to_thread(main, ["fetch", "--config", str(config)])
        out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[1] == (
        "[2] http://127.0.0.1:1/news.xml: failed: port 1 is not allowed"
        f" (allowed: {site.port}; add it to [fetch] allow_ports)"
        f" (a [[feeds]] entry in {config})"
    )
