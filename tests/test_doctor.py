"""``digestbot init`` and ``digestbot doctor``: exact output against the fake Bot API and a
loopback news site, and ``[telegram] base_url`` mistakes caught when the config is read."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, config_from_dict, load_config
from bot.store import Store
from tests.conftest import write_article
from tests.fakebotapi import FakeBotAPI
from tests.feedkit import Item, long_text, rss
from tests.newssite import NewsSite

TOKEN = "123456789:AAE-doctor_test_token_abcdef"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as news:
        items = [
            Item(guid=f"g{i}", link=f"http://127.0.0.1/{i}", title=f"Story {i}", text=long_text(2))
            for i in range(2)
        ]
        news.feeds["/world.xml"] = (rss(items, title="World Wire"), "application/rss+xml")
        news.statuses["/broken.xml"] = (500, {})
        news.pages["/page.html"] = "<html><body><p>Just a page.</p></body></html>"
        yield news


def write_config(tmp_path: Path, base_url: str, site: NewsSite, *feeds: str, **extra: str) -> Path:
    lines = [
        "[telegram]",
        f'base_url = "{base_url}"',
        "[fetch]",
        f"allow_ports = [{extra.get('ports', site.port)}]",
        'allow_networks = ["127.0.0.1/32"]',
        "total_timeout = 3",
        "connect_timeout = 2",
    ]
    for url in feeds:
        lines += ["[[feeds]]", f'url = "{url}"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def doctor(
    config: Path, capsys: pytest.CaptureFixture[str], *args: str, token: str = TOKEN
) -> tuple[int, str]:
    """``digestbot doctor`` in a thread (it runs its own event loop), with the token."""
    old = os.environ.get("TELEGRAM_BOT_TOKEN")
    os.environ["TELEGRAM_BOT_TOKEN"] = token
    try:
        status = await asyncio.to_thread(main, ["doctor", "--config", str(config), *args])
    finally:
        if old is None:
            del os.environ["TELEGRAM_BOT_TOKEN"]
        else:
            os.environ["TELEGRAM_BOT_TOKEN"] = old
    out, err = capsys.readouterr()
    assert err == ""
    return status, out


async def test_doctor_says_all_is_well_naming_the_bot(
    fake: FakeBotAPI, site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "seeds").mkdir()
    write_article(tmp_path / "seeds", "a.md", "Harbour reopens", date="2024-05-01")
    config = write_config(tmp_path, fake.base_url, site, site.url("/world.xml"))
    Store(tmp_path / "digestbot.sqlite3").close()
    status, out = await doctor(config, capsys, "--integrity", token=fake.token)
    with Store(tmp_path / "digestbot.sqlite3") as store:
        version = store.schema_version
    assert out == (
        f"config: ok, {config}\n"
        "token: ok, the bot is @digest_test_bot\n"
        f"database: ok, {tmp_path / 'digestbot.sqlite3'}: schema version {version} of "
        f"{version}, 0 articles, integrity ok\n"
        f"seeds: ok, {tmp_path / 'seeds'}: 1 file\n"
        f'feed {site.url("/world.xml")}: ok, "World Wire" 2 entries\n'
        "all well\n"
    )
    assert status == 0


async def test_doctor_names_the_key_to_change_for_each_problem(
    fake: FakeBotAPI, site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = f"http://127.0.0.1:{site.raw.port}/feed.xml"  # a port not in allow_ports
    config = write_config(
        tmp_path,
        fake.base_url,
        site,
        refused,
        site.url("/broken.xml"),
        site.url("/page.html"),
    )
    status, out = await doctor(config, capsys, token="424242:WrongTokenThatMustNotLeak")
    lines = out.splitlines()
    assert lines[1] == (
        f"token: Telegram rejected it ({fake.base_url}<token>/getMe): set TELEGRAM_BOT_TOKEN "
        "or [telegram] token to the whole token (@BotFather's /token shows it); if you run "
        "your own Bot API server, check [telegram] base_url"
    )
    assert lines[2] == (
        f"database: {tmp_path / 'digestbot.sqlite3'} does not exist yet; the first ingest or "
        "run creates it"
    )
    assert (
        lines[3] == f"seeds: {tmp_path / 'seeds'} does not exist: create it or change [seeds] dir"
    )
    assert lines[4] == (
        f"feed {refused}: refused: port {site.raw.port} is not allowed (allowed: {site.port}; "
        "add it to [fetch] allow_ports)"
    )
    assert lines[5].startswith(f"feed {site.url('/broken.xml')}: HTTP 500")
    assert lines[5].endswith("([[feeds]] in the config)")
    assert lines[6] == (
        f"feed {site.url('/page.html')}: not a feed (not a web page: text/html; "
        "[[feeds]] in the config)"
    )
    assert lines[7] == "5 problems found"
    assert len(lines) == 8
    assert "WrongToken" not in out
    assert status == 1
    assert not (tmp_path / "digestbot.sqlite3").exists()  # the doctor creates nothing


async def test_doctor_reports_an_unreachable_bot_api_at_once(
    site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "seeds").mkdir()
    config = write_config(tmp_path, "http://127.0.0.1:9/bot", site)
    status, out = await doctor(config, capsys)
    token_line = out.splitlines()[1]
    assert token_line.startswith("token: cannot reach the Bot API at http://127.0.0.1:9/bot<token>")
    assert token_line.endswith(
        "check [telegram] base_url, and HTTPS_PROXY if this machine needs a proxy"
    )
    assert TOKEN.split(":")[1] not in out
    assert status == 1


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        (
            "https://api.telegram.org/bot/",
            'must end where the token goes (a path such as /bot, no trailing "/")',
        ),
        ("https://api.telegram.org", "must end where the token goes"),
        ("http://127.0.0.1:80x/bot", "the port is not a number from 1 to 65535"),
        ("api.telegram.org/bot", "is not an http(s) URL"),
    ],
)
def test_a_malformed_base_url_is_one_line_naming_the_key(
    base_url: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError, match=r"^\[telegram\] base_url: ") as raised:
        config_from_dict({"telegram": {"base_url": base_url}}, base=tmp_path)
    assert says in str(raised.value)
    path = tmp_path / "config.toml"
    path.write_text(f'[telegram]\nbase_url = "{base_url}"\n', encoding="utf-8")
    # `run` stops at once with that line instead of retrying for 20 s.
    assert main(["run", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("digestbot: error: [telegram] base_url: ")
    assert err.count("\n") == 1
    assert main(["doctor", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("config: [telegram] base_url: ")
    assert out.endswith("\n1 problem found\n")


def test_metrics_listen_is_an_address_and_off_by_default(tmp_path: Path) -> None:
    assert config_from_dict({}, base=tmp_path).metrics.address is None
    config = config_from_dict({"metrics": {"listen": "127.0.0.1:9464"}}, base=tmp_path)
    assert config.metrics.address == ("127.0.0.1", 9464)
    with pytest.raises(ConfigError, match=r'^\[metrics\] listen: expected an address "HOST:PORT"'):
        config_from_dict({"metrics": {"listen": "9464"}}, base=tmp_path)


def test_init_writes_the_commented_example_with_the_token_for_its_owner_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    path = tmp_path / "config.toml"
    assert main(["init", "--token", TOKEN, "--config", str(path)]) == 0
    assert capsys.readouterr().out == (
        f"wrote {path} (with the token from --token)\n"
        f"next: digestbot doctor --config {path}, then digestbot run --config {path}\n"
    )
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    written = path.read_text(encoding="utf-8")
    assert written == example.replace('token = ""\n', f'token = "{TOKEN}"\n', 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(path, env={}).telegram.token == TOKEN


def test_init_takes_the_token_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    path = tmp_path / "config.toml"
    assert main(["init", "--config", str(path)]) == 0
    assert capsys.readouterr().out.startswith(
        f"wrote {path} (with the token from TELEGRAM_BOT_TOKEN)\n"
    )
    assert load_config(path, env={}).telegram.token == TOKEN


def test_init_asks_for_the_token_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    asked: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or f" {TOKEN}\n")
    path = tmp_path / "config.toml"
    assert main(["init", "--config", str(path)]) == 0
    assert asked == ["Bot token from @BotFather (Enter: leave it out): "]
    assert load_config(path, env={}).telegram.token == TOKEN


def test_init_refuses_to_overwrite_without_force_and_checks_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    path = tmp_path / "config.toml"
    path.write_text("# mine\n", encoding="utf-8")
    assert main(["init", "--token", TOKEN, "--config", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"digestbot: error: {path} already exists: edit it, or add --force to replace it\n"
    )
    assert path.read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", "--token", "not-a-token", "--config", str(path), "--force"]) == 1
    assert capsys.readouterr().err.startswith("digestbot: error: that is not a bot token: ")
    assert path.read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", "--token", TOKEN, "--config", str(path), "--force"]) == 0
    assert load_config(path, env={}).telegram.token == TOKEN
