"""``digestbot opml export|import`` against the loopback news site: exact output."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.feeds.opml import parse_opml
from tests.feedkit import Item, long_text, rss
from tests.newssite import NewsSite
from tests.test_feeds_cli import write_config
from tests.test_opml import BILLION_LAUGHS, xxe

RSS = "application/rss+xml"


def item(i: int) -> Item:
    return Item(
        guid=f"g{i}", link=f"http://127.0.0.1/a/{i}", title=f"Story {i}", text=long_text(4, str(i))
    )


async def digestbot(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


@pytest.fixture
async def site() -> NewsSite:
    async with NewsSite() as news:
        news.feeds["/world.xml"] = (rss([item(1)], title="World Wire"), RSS)
        news.feeds["/sport.xml"] = (rss([item(2)], title="Sport Daily"), RSS)
        news.pages["/page"] = "<html><body><p>Not a feed at all.</p></body></html>"
        yield news


async def test_import_adds_skips_and_fails_each_feed_with_one_line(
    tmp_path: Path, site: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, ["/world.xml"])
    opml = tmp_path / "feedly.opml"
    opml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="1.0"><body>\n'
        '<outline text="Sport">'
        f'<outline type="rss" text="Sport" xmlUrl="{site.url("/sport.xml")}"/></outline>\n'
        f'<outline text="World" xmlUrl="{site.url("/world.xml")}"/>\n'
        f'<outline text="Gone" xmlUrl="{site.url("/missing.xml")}"/>\n'
        f'<outline text="Sport again" xmlUrl="{site.url("/sport.xml")}"/>\n'
        f'<outline text="A page" xmlUrl="{site.url("/page")}"/>\n'
        '<outline text="Elsewhere" xmlUrl="ftp://files.example/feed.xml"/>\n'
        "</body></opml>\n",
        encoding="utf-8",
    )
    code = await digestbot("opml", "import", str(opml), "--config", str(config))
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines() == [
        f"added [2] Sport Daily <{site.url('/sport.xml')}>",
        f"skipped <{site.url('/world.xml')}>: already feed 1",
        f"failed <{site.url('/missing.xml')}>: HTTP 404 Not Found",
        f"skipped <{site.url('/sport.xml')}>: listed twice in the file",
        f"failed <{site.url('/page')}>: not a feed (the server sent text/html)",
        "failed <ftp://files.example/feed.xml>: only http and https links are allowed",
        "6 feeds in the file: 1 added, 2 skipped, 3 failed",
    ]
    assert site.hits["/sport.xml"] == 1  # fetched once to check it; the bot polls it later

    code = await digestbot("sources", "--config", str(config))
    listing = capsys.readouterr().out.splitlines()
    assert listing[2].startswith(f"[2] Sport Daily <{site.url('/sport.xml')}> (admin): 0 articles")

    # The same file again: nothing new, and that is no failure.
    code = await digestbot("opml", "import", str(opml), "--config", str(config))
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and out[-1] == "6 feeds in the file: 0 added, 3 skipped, 3 failed"


async def test_export_writes_every_feed_and_reimports_as_all_skipped(
    tmp_path: Path, site: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, ["/world.xml", "/sport.xml"])
    assert await digestbot("fetch", "--config", str(config)) == 0  # feeds get their titles
    capsys.readouterr()
    exported = tmp_path / "out.opml"
    code = await digestbot("opml", "export", str(exported), "--config", str(config))
    assert code == 0
    assert capsys.readouterr().out == f"wrote 2 feeds to {exported}\n"
    text = exported.read_text(encoding="utf-8")
    text = re.sub(r"<dateCreated>[^<]*</dateCreated>", "<dateCreated>…</dateCreated>", text)
    assert text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<opml version="2.0">\n'
        "  <head>\n"
        "    <title>digestbot feeds</title>\n"
        "    <dateCreated>…</dateCreated>\n"
        "  </head>\n"
        "  <body>\n"
        f'    <outline type="rss" text="World Wire" title="World Wire" '
        f'xmlUrl="{site.url("/world.xml")}"/>\n'
        f'    <outline type="rss" text="Sport Daily" title="Sport Daily" '
        f'xmlUrl="{site.url("/sport.xml")}"/>\n'
        "  </body>\n"
        "</opml>\n"
    )
    code = await digestbot("opml", "import", str(exported), "--config", str(config))
    assert capsys.readouterr().out.splitlines() == [
        f"skipped <{site.url('/world.xml')}>: already feed 1",
        f"skipped <{site.url('/sport.xml')}>: already feed 2",
        "2 feeds in the file: 0 added, 2 skipped, 0 failed",
    ]
    # "-" writes the document to standard output.
    code = await digestbot("opml", "export", "-", "--config", str(config))
    assert code == 0
    assert [f.url for f in parse_opml(capsys.readouterr().out.encode()).feeds] == [
        site.url("/world.xml"),
        site.url("/sport.xml"),
    ]


async def test_hostile_or_broken_files_are_one_line_and_exit_1(
    tmp_path: Path, site: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, [])
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-4711\n")
    big = tmp_path / "big.opml"
    outline = b'<outline text="x" xmlUrl="http://127.0.0.1/f"/>\n'
    big.write_bytes(b"<opml><body>" + outline * (10 * 1024 * 1024 // len(outline)) + b"</body>")
    files = {
        "laughs.opml": BILLION_LAUGHS,
        "xxe.opml": xxe(secret),
        "feed.xml": rss([item(1)], title="Not OPML"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    expected = {
        "laughs.opml": "refused: the file declares XML entities (entity 'lol')",
        "xxe.opml": "refused: the file declares XML entities (external entity 'xxe' pointing at"
        f" 'file://{secret}' was not read)",
        "feed.xml": "not an OPML file: the document is <rss>, not <opml>",
        "big.opml": "the file is too big for an OPML feed list: 10.0 MB (at most 2.0 MB)",
        "missing.opml": None,
    }
    for name, reason in expected.items():
        path = tmp_path / name
        code = await digestbot("opml", "import", str(path), "--config", str(config))
        captured = capsys.readouterr()
        assert code == 1 and captured.out == ""
        if reason is None:
            assert captured.err == f"digestbot: error: no such file: {path}\n"
        else:
            assert captured.err == f"digestbot: error: {path}: {reason}\n"
        assert "TOP-SECRET" not in captured.err
    assert sum(site.hits.values()) == 0


async def test_an_import_where_every_feed_fails_exits_1(
    tmp_path: Path, site: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, [])
    opml = tmp_path / "bad.opml"
    opml.write_text(f'<opml><body><outline xmlUrl="{site.url("/missing.xml")}"/></body></opml>')
    code = await digestbot("opml", "import", str(opml), "--config", str(config))
    assert code == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "1 feed in the file: 0 added, 0 skipped, 1 failed"
    )
