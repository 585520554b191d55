"""`digestbot run` when Telegram cannot be used: one clear line, exit 1, no token anywhere."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest

import bot.telegram.app
from bot.cli import main
from tests.fakebotapi import FakeBotAPI

WRONG_TOKEN = "424242:WrongTokenThatMustNotLeak"


def write_config(tmp_path: Path, base_url: str) -> Path:
    (tmp_path / "seeds").mkdir(exist_ok=True)
    path = tmp_path / "config.toml"
    path.write_text(f'[telegram]\nbase_url = "{base_url}"\n', encoding="utf-8")
    return path


async def test_a_rejected_token_is_one_line_and_never_printed(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake.base_url)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": WRONG_TOKEN}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "-vv",
        "run",
        "--config",
        str(config),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    text = err.decode()
    assert text.strip().splitlines()[-1] == f"digestbot: error: {bot.telegram.app.BAD_TOKEN}"
    assert WRONG_TOKEN not in text
    assert WRONG_TOKEN.split(":")[1] not in text
    assert out == b""


def test_an_unreachable_bot_api_is_one_line_naming_the_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(tmp_path, f"http://127.0.0.1:{port}/bot")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", WRONG_TOKEN)
    monkeypatch.setattr(bot.telegram.app, "BOOTSTRAP_RETRIES", 0)
    assert main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith(
        f"digestbot: error: cannot reach the Telegram Bot API at http://127.0.0.1:{port}/bot<token>/"
    )
    assert WRONG_TOKEN not in err
