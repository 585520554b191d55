"""Delivery under failure, against the fake Bot API over HTTP: 429s, 5xx, timeouts, a
server that refuses connections for a while, chats that blocked the bot, a ``kill -9``
in the middle of a fan-out, and the token kept out of every log."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.articles import Article, Block
from bot.store import Store
from bot.telegram.app import build_application, running, runtime
from bot.telegram.delivery import Sender
from tests.fakebotapi import FakeBotAPI, Fault
from tests.test_delivery import bot, drain, make_bot, queue, store, texts, wait_for

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["bot", "store"]  # fixtures shared with test_delivery


def digest_texts(chat: int, parts: int = 1) -> list[str]:
    return [f"Digest for {chat}, part {k}" for k in range(1, parts + 1)]


async def test_429s_are_waited_out_and_retried(fake, store, bot):
    chats = list(range(300, 310))
    queue(store, chats)
    fake.fail(None, Fault.flood(retry_after=1), times=3)
    sender = await drain(bot, store)
    for chat in chats:
        assert texts(fake, chat) == digest_texts(chat)
    refused = [call for call in fake.calls_to("sendMessage") if call.status == 429]
    assert len(refused) == 3
    for call in refused:
        chat = call.params["chat_id"]
        accepted = [
            c
            for c in fake.calls_to("sendMessage")
            if c.params["chat_id"] == chat and c.status == 200
        ]
        assert accepted[0].time - call.time >= 1.0  # retry_after honoured
    assert bot.rate_limiter.retry_after_count == 3
    assert sender.totals.sent == 10


async def test_server_errors_are_retried_with_backoff(fake, store, bot):
    queue(store, [41, 42, 43])
    fake.fail(41, Fault.server_error(), times=2)
    fake.fail(42, Fault.bad_gateway(), times=1)
    sender = await drain(bot, store, backoff_base=0.05)
    for chat in (41, 42, 43):
        assert texts(fake, chat) == digest_texts(chat)
        assert store.delivered(chat) == {1}
    assert sender.totals.retried == 3
    statuses = [c.status for c in fake.calls_to("sendMessage") if c.params["chat_id"] == 41]
    assert statuses == [500, 500, 200]


async def test_retries_are_bounded_then_the_message_is_dropped_and_logged(fake, store, bot, caplog):
    queue(store, [44, 45])
    fake.fail(44, Fault.server_error(), times=None)
    with caplog.at_level(logging.ERROR, logger="bot.telegram.delivery"):
        sender = await drain(bot, store, backoff_base=0.01, max_attempts=3)
    attempts = [c for c in fake.calls_to("sendMessage") if c.params["chat_id"] == 44]
    assert len(attempts) == 3
    assert store.count_outbox() == 0
    assert store.delivered(44) == set()
    assert texts(fake, 45) == digest_texts(45)
    assert any("chat 44" in r.getMessage() for r in caplog.records)
    assert sender.totals.failed == 1


async def test_a_timeout_is_retried_and_the_chat_gets_its_digest(fake, store):
    queue(store, [46, 47], parts=2)
    # The fake answers chat 46's first message after 1 s, as a slow Telegram would: the
    # bot gives up after 0.3 s, although the message was delivered.
    fake.fail(46, Fault.delay_only(1.0), times=1)
    async with make_bot(fake, read_timeout=0.3) as bot:
        sender = await drain(bot, store, backoff_base=0.05)
    await wait_for(lambda: len(fake.messages(46)) >= 3)  # the late first copy landed too
    got = texts(fake, 46)
    # Nothing lost; only the message that was in flight repeats (the late copy lands
    # whenever the slow server gets to it).
    assert sorted(got) == sorted([*digest_texts(46, 2), "Digest for 46, part 1"])
    assert [t for t in got if t.endswith("part 2")] == ["Digest for 46, part 2"]
    assert texts(fake, 47) == digest_texts(47, 2)
    assert sender.totals.retried == 1


async def test_connection_refused_for_a_while_loses_nothing(fake, store, bot):
    chats = list(range(500, 560))  # three times the messages in flight at once
    queue(store, chats)
    await fake.stop()  # connection refused from now on
    sender = Sender(bot, store, backoff_base=0.05)
    sender.start()
    sender.notify()
    try:
        await wait_for(lambda: sender.totals.retried >= 1)
        assert sender.totals.sent == 0
        await fake.start()  # same port
        await sender.wait_idle(timeout=15)
    finally:
        await sender.stop()
    for chat in chats:
        assert texts(fake, chat) == digest_texts(chat)
    assert store.count_outbox() == 0
    # The outage paused the sender as a whole: the messages in flight at the time used
    # up an attempt, then one probe after each pause (the pauses double), not all sixty.
    assert sender.concurrency == 20
    assert sender.totals.retried < len(chats) // 2


async def test_a_blocked_chat_is_deactivated_status_says_so_and_subscribe_reactivates(
    fake, bot_config, seeds
):
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        fake.send_text(77, "/subscribe 08:00")
        await fake.wait_for_message(77)
        store = runtime(application).store
        store.queue_digest(77, "2026-11-28", [("<b>Today</b>", [])])
        fake.fail(77, Fault.blocked())
        runtime(application).sender.notify()
        await wait_for(lambda: not store.get_chat(77).active)
        assert store.count_outbox(77) == 0

        fake.send_text(77, "/status")
        status = await fake.wait_for_message(77, 2)
        assert "paused" in status.text and "blocked" in status.text

        fake.send_text(77, "/subscribe 08:00")
        await fake.wait_for_message(77, 3)
        assert store.get_chat(77).active


async def test_no_log_record_carries_the_token_at_debug_level(fake, store, caplog):
    """The sender, limiter and transport through every kind of fault, with every logger
    at DEBUG and no redaction installed: none of them logs the token."""
    queue(store, [61, 62, 63, 64, 65])
    fake.fail(61, Fault.flood(retry_after=1), times=1)
    fake.fail(62, Fault.server_error(), times=1)
    fake.fail(63, Fault.blocked(), times=1)
    fake.fail(64, Fault.delay_only(0.6), times=1)
    with caplog.at_level(logging.DEBUG):
        async with make_bot(fake, read_timeout=0.3) as bot:
            await drain(bot, store, backoff_base=0.05)
            await fake.stop()
            queue(store, [66], run_key="later")
            sender = Sender(bot, store, backoff_base=0.05)
            sender.start()
            sender.notify()
            await wait_for(lambda: sender.totals.retried >= 1)
            await sender.stop()
    assert "sendmessage" in caplog.text.lower()  # DEBUG records were captured
    secret = fake.token.split(":", 1)[1]
    assert fake.token not in caplog.text
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in repr(record.args)


# -- kill -9 mid-fan-out ---------------------------------------------------------------

SENDER_PROCESS = textwrap.dedent(
    """
    import asyncio, sys
    from telegram.ext import ExtBot
    from bot.telegram.delivery import Sender
    from bot.telegram.ratelimit import Limiter, TelegramRateLimiter
    from bot.store import Store
    from bot.telegram.request import AiohttpRequest

    async def main(db, base_url, token):
        store = Store(db)
        bot = ExtBot(
            token,
            base_url=base_url,
            request=AiohttpRequest(),
            rate_limiter=TelegramRateLimiter(Limiter(100)),
        )
        async with bot:
            sender = Sender(bot, store, concurrency=10)
            sender.start()
            sender.notify()
            print("sending", flush=True)
            await sender.wait_idle()
            await sender.stop()
        store.close()

    asyncio.run(main(*sys.argv[1:]))
    """
)


async def run_sender(db: Path, fake: FakeBotAPI) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SENDER_PROCESS,
        str(db),
        fake.base_url,
        fake.token,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
    )


async def test_kill_9_mid_fan_out_then_restart_loses_nothing(fake, tmp_path):
    db = tmp_path / "fanout.sqlite3"
    chats = list(range(1000, 1150))
    with Store(db) as setup:
        for number in (1, 2):
            setup.upsert_article(
                Article(
                    f"{number}.md", f"A{number}", None, None, "english", (Block("paragraph", "x"),)
                )
            )
        queue(setup, chats, parts=2)

    first = await run_sender(db, fake)
    # Kill it once a good part of the fan-out has gone out (100 msg/s: about 1 s in).
    await fake.wait_until(lambda: fake.stats.sent >= 100, timeout=20)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert first.returncode == -signal.SIGKILL
    sent_before_restart = fake.stats.sent
    assert sent_before_restart < 2 * len(chats)  # it really died mid-way

    second = await run_sender(db, fake)
    async with asyncio.timeout(60):
        await second.wait()
    assert second.returncode == 0

    duplicated = 0
    for chat in chats:
        got = texts(fake, chat)
        expected = digest_texts(chat, 2)
        # Every message arrived, in order; the one in flight at the kill may repeat.
        deduplicated = [text for i, text in enumerate(got) if i == 0 or text != got[i - 1]]
        assert deduplicated == expected, (chat, got)
        assert len(got) - len(expected) <= 1, (chat, got)
        duplicated += len(got) - len(expected)
    # At most one message per chat in flight, and at most `concurrency` chats at once.
    assert duplicated <= 10
    with Store(db) as after:
        assert after.count_outbox() == 0
        assert all(after.delivered(chat) == {1, 2} for chat in chats)


async def test_a_rejected_token_pauses_sending_and_drops_nothing(fake, store, bot, caplog):
    queue(store, [71, 72])
    fake.fail(None, Fault(401, "Unauthorized"), times=3)
    with caplog.at_level(logging.ERROR, logger="bot.telegram.delivery"):
        # One attempt per message would drop them at once, were a 401 held against them.
        sender = await drain(bot, store, backoff_base=0.05, max_attempts=1)
    assert texts(fake, 71) == digest_texts(71)
    assert texts(fake, 72) == digest_texts(72)
    assert sender.totals.failed == 0
    assert any("rejected the bot token" in r.getMessage() for r in caplog.records)
