"""`digestbot run` as a real process: no token is one clear line and exit status 1;
SIGTERM/SIGINT stop the bot within 10 s with nothing lost and the token in no log."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from bot import __version__
from bot.store import Store
from tests.conftest import write_article
from tests.fakebotapi import FakeBotAPI

CHAT = 99


def write_config(tmp_path: Path, base_url: str, seeds: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[telegram]\nbase_url = "{base_url}"\n\n'
        f'[seeds]\ndir = "{seeds}"\nrescan_seconds = 3600\n\n'
        '[storage]\npath = "bot.sqlite3"\n'
    )
    return path


def environment(token: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    if token is not None:
        env["TELEGRAM_BOT_TOKEN"] = token
    return env


async def test_run_without_a_token_says_how_to_get_one_and_fails(tmp_path, seeds):
    config = write_config(tmp_path, "http://127.0.0.1:9/bot", seeds)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        env=environment(None),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1
    assert "@BotFather" in lines[0]
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "[telegram]" in lines[0]
    assert out == b""


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_a_stop_signal_ends_the_bot_within_ten_seconds(
    fake: FakeBotAPI, tmp_path, seeds, stop_signal
):
    write_article(seeds, "a.md", "Harbour reopens after storm", date="2024-05-01")
    config = write_config(tmp_path, fake.base_url, seeds)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "-vv",  # DEBUG: every library logs all it has
        "run",
        "--config",
        str(config),
        env=environment(fake.token),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_until(lambda: fake.polling, timeout=60, what="the bot's first long poll")
        fake.send_text(CHAT, "/subscribe 07:00")
        reply = await fake.wait_for_message(CHAT, timeout=20)
        assert "every day at 07:00" in reply.text

        process.send_signal(stop_signal)
        # The bound of the issue, not a speed figure: a stop that hangs fails here.
        out, err = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()[-2000:]
    log = err.decode()
    assert "digestbot stopped" in log
    assert fake.token not in log and fake.token not in out.decode()
    assert fake.token.split(":")[1] not in log
    # Nothing lost: the subscription is in the database the bot closed cleanly.
    with Store(tmp_path / "bot.sqlite3") as store:
        assert store.get_chat(CHAT).digest_time == "07:00"


async def test_stopping_mid_rescan_waits_for_one_summary_and_the_rest_come_later(
    fake: FakeBotAPI, bot_config, seeds, monkeypatch
):
    import bot.telegram.app as telegram
    import bot.telegram.jobs as jobs

    for n in range(30):
        write_article(seeds, f"a{n:02d}.md", f"Story number {n}", date="2024-05-01")
    first_summary = asyncio.Event()
    loop = asyncio.get_running_loop()
    real = jobs.summarize_article

    def summarize_and_signal(*args, **kwargs):  # runs in a worker thread
        real(*args, **kwargs)
        loop.call_soon_threadsafe(first_summary.set)

    monkeypatch.setattr(jobs, "summarize_article", summarize_and_signal)
    config = bot_config()
    application = telegram.build_application(config)
    async with telegram.running(application, config):
        # The rescan job fires at start; stop as soon as one summary is stored.
        await asyncio.wait_for(first_summary.wait(), 30)
    done = telegram.runtime(application).summarized
    assert 1 <= done < 30
    with Store(config.storage.database) as store:
        assert len(store.articles_without_summary()) == 30 - done

    again = telegram.build_application(config)
    async with telegram.running(again, config):
        await jobs.rescan_seeds(again)
        assert telegram.runtime(again).store.articles_without_summary() == []


def test_the_token_is_redacted_from_messages_arguments_and_tracebacks(caplog):
    from bot.telegram.redaction import install_token_redaction, redact

    token = "987654:SECRET-token-for-redaction"
    install_token_redaction(token)
    log = logging.getLogger("bot.test")
    with caplog.at_level(logging.DEBUG):
        log.debug("GET https://api.telegram.org/bot%s/getMe", token)
        try:
            raise ConnectionError(f"cannot reach https://api.telegram.org/bot{token}/getUpdates")
        except ConnectionError:
            log.exception("polling failed")
    assert token not in caplog.text
    assert "bot<token>/getMe" in caplog.text
    assert "bot<token>/getUpdates" in caplog.text
    assert redact(f"x{token}y") == "x<token>y"
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING


async def start_bot(tmp_path: Path, fake: FakeBotAPI, config: Path, *extra: str):
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *extra,
        "run",
        "--config",
        str(config),
        env=environment(fake.token),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_second_bot_on_the_same_database_refuses_to_start_naming_the_first(
    fake: FakeBotAPI, tmp_path, seeds
):
    config = write_config(tmp_path, fake.base_url, seeds)
    first = await start_bot(tmp_path, fake, config)
    try:
        await fake.wait_until(lambda: fake.polling, timeout=60, what="the first bot's long poll")
        second = await start_bot(tmp_path, fake, config)
        _out, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 1
        lines = err.decode().strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(
            f"digestbot: error: another digestbot (pid {first.pid}) is already running"
        )
        # kill -9 leaves the lock file, but not the lock: the next start works.
        first.kill()
        await first.wait()
        polls = fake.polls_started
        third = await start_bot(tmp_path, fake, config)
        try:
            # A long poll is recorded as a call only when it ends: count it on arrival.
            await fake.wait_until(lambda: fake.polls_started > polls, timeout=60, what="a poll")
            assert third.returncode is None
        finally:
            third.terminate()
            await asyncio.wait_for(third.communicate(), 10)
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()


async def test_digest_works_beside_a_running_bot(fake: FakeBotAPI, tmp_path, seeds):
    write_article(seeds, "a.md", "Harbour reopens after storm", date="2024-05-01")
    config = write_config(tmp_path, fake.base_url, seeds)
    running_bot = await start_bot(tmp_path, fake, config)
    try:
        await fake.wait_until(lambda: fake.polling, timeout=60, what="the bot's long poll")
        ingest = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "ingest", "--config", str(config),
            cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(ingest.communicate(), 60)
        assert ingest.returncode == 0, err.decode()
    finally:
        running_bot.terminate()
        await asyncio.wait_for(running_bot.communicate(), 10)


async def test_a_revoked_token_ends_the_bot_with_one_line_and_exit_status_1(
    fake: FakeBotAPI, tmp_path, seeds
):
    from bot.telegram.runtime import REVOKED_TOKEN

    config = write_config(tmp_path, fake.base_url, seeds)
    token = fake.token
    process = await start_bot(tmp_path, fake, config)
    try:
        await fake.wait_until(lambda: fake.polling, timeout=60, what="the bot's long poll")
        fake.token = "1:AnotherTokenEntirely"  # revoked in @BotFather: 401 from now on
        _out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 1
    text = err.decode()
    assert text.strip().splitlines()[-1] == f"digestbot: error: {REVOKED_TOKEN}"
    assert token not in text and token.split(":")[1] not in text


async def test_a_stop_with_hundreds_of_replies_queued_ends_within_ten_seconds(
    fake: FakeBotAPI, tmp_path, seeds
):
    config = write_config(tmp_path, fake.base_url, seeds)  # 30 messages a second
    process = await start_bot(tmp_path, fake, config)
    try:
        await fake.wait_until(lambda: fake.polling, timeout=60, what="the bot's long poll")
        for chat in range(1, 301):  # ten seconds of replies at the cap
            fake.send_text(chat, "/status")
        fake.send_text(7, "/status")  # and a chat with a backlog of its own
        await fake.wait_until(lambda: len(fake.calls_to("sendMessage")) >= 5, timeout=30)
        process.send_signal(signal.SIGTERM)
        # The bound of the issue, not a speed figure: a stop that drains fails here.
        _out, err = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    log = err.decode()
    assert "stopping: dropped" in log
    assert "digestbot stopped" in log
    assert len(fake.calls_to("sendMessage")) < 300


def _messages(stderr: bytes) -> list[str]:
    """The log lines without their time: "INFO bot.telegram.app: ready"."""
    return [line.split(" ", 2)[2] for line in stderr.decode().splitlines()]


async def test_a_start_logs_one_line_then_ready_and_no_library_chatter(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    config = write_config(tmp_path, fake.base_url, seeds)
    process = await start_bot(tmp_path, fake, config)
    try:
        await fake.wait_until(lambda: fake.polling, timeout=60, what="the bot's first long poll")
        fake.send_text(CHAT, "/subscribe 07:00")
        assert "every day at 07:00" in (await fake.wait_for_message(CHAT, timeout=20)).text
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    # APScheduler added four jobs and ran some, python-telegram-bot started and stopped:
    # none of it is news to an operator without -v.
    assert _messages(err) == [
        f"INFO bot.telegram.app: digestbot {__version__} starting as @digest_test_bot"
        " (long polling):"
        " 0 feeds, 0 articles, 0 subscribers",
        "INFO bot.telegram.app: ready",
        "INFO bot.telegram.app: digestbot stopping",
        "INFO bot.telegram.app: digestbot stopped",
    ]


async def test_json_log_format_writes_one_object_per_line_without_the_token(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    config = write_config(tmp_path, fake.base_url, seeds)
    config.write_text(config.read_text() + '\n[log]\nformat = "json"\n')
    process = await start_bot(tmp_path, fake, config)
    try:
        await fake.wait_until(lambda: fake.polling, timeout=60, what="the bot's first long poll")
        fake.send_text(CHAT, "/subscribe 07:00")
        assert "every day at 07:00" in (await fake.wait_for_message(CHAT, timeout=20)).text
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    text = err.decode()
    assert fake.token not in text and fake.token.split(":")[1] not in text
    entries = [json.loads(line) for line in text.splitlines()]
    assert all(set(entry) == {"time", "level", "logger", "message"} for entry in entries)
    assert [(e["level"], e["logger"], e["message"]) for e in entries] == [
        (
            "INFO",
            "bot.telegram.app",
            f"digestbot {__version__} starting as @digest_test_bot (long polling):"
            " 0 feeds, 0 articles, 0 subscribers",
        ),
        ("INFO", "bot.telegram.app", "ready"),
        ("INFO", "bot.telegram.app", "digestbot stopping"),
        ("INFO", "bot.telegram.app", "digestbot stopped"),
    ]


async def test_verbose_shows_the_libraries_routine_lines(fake: FakeBotAPI, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    config = write_config(tmp_path, fake.base_url, seeds)
    process = await start_bot(tmp_path, fake, config, "-v")
    try:
        await fake.wait_until(lambda: fake.polling, timeout=60, what="the bot's first long poll")
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    loggers = {message.split(":")[0].split(" ")[1] for message in _messages(err)}
    assert {"apscheduler.scheduler", "telegram.ext.Application"} <= loggers


def test_the_start_line_names_the_webhook_and_missed_digests_in_words(tmp_path: Path) -> None:
    from bot.config import config_from_dict
    from bot.schedule import Slot
    from bot.telegram.app import start_line
    from bot.telegram.slots import ScheduleSummary

    config = config_from_dict(
        {
            "telegram": {
                "mode": "webhook",
                "url": "https://bot.example.org/telegram",
                "secret_token": "s3cret",
            }
        },
        base=tmp_path,
    )
    scheduled = ScheduleSummary(1, 1, (Slot("07:00", "UTC"),))
    assert start_line("news_bot", config, 1, 1, scheduled) == (
        f"digestbot {__version__} starting as @news_bot (webhook at"
        " https://bot.example.org/telegram): 1 feed, 1 article, 1 subscriber;"
        " 1 missed digest slot to catch up"
    )


def test_the_running_bot_hands_the_interpreter_between_threads_every_millisecond() -> None:
    """A digest run composing in a worker thread holds the interpreter for at most a
    millisecond at a time: each step of a reply waits that long at most."""
    import gc

    from bot.telegram.app import SWITCH_INTERVAL_SECONDS, prepare_process

    before = sys.getswitchinterval()
    try:
        prepare_process()
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_SECONDS)
        assert SWITCH_INTERVAL_SECONDS <= 0.001
    finally:
        sys.setswitchinterval(before)
        gc.unfreeze()
