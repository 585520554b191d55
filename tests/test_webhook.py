"""Webhook mode: the bot registers its webhook with the secret token at the Bot API and
answers updates POSTed to it over real HTTP; a POST without the matching
X-Telegram-Bot-Api-Secret-Token header is rejected and never handled."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from aiohttp import ClientSession

from bot.errors import ConfigError
from bot.telegram.app import build_application, running
from bot.telegram.updater import updater_kwargs
from tests.fakebotapi import SECRET_HEADER, FakeBotAPI

CHAT = 31337
SECRET = "s3cret-Token_42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def webhook_config(bot_config):
    port = free_port()
    return bot_config(
        telegram={
            "mode": "webhook",
            "url": f"http://127.0.0.1:{port}/hooks/digestbot",
            "listen": "127.0.0.1",
            "port": port,
            "secret_token": SECRET,
        }
    )


def command_update(update_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": CHAT, "type": "private", "first_name": "Eve"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Eve"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


async def test_webhook_is_registered_with_the_secret_and_updates_are_answered(
    fake: FakeBotAPI, webhook_config
):
    application = build_application(webhook_config)
    async with running(application, webhook_config):
        assert fake.webhook_url == webhook_config.telegram.webhook_url
        assert fake.webhook_secret == SECRET
        # The fake POSTs the update to the webhook with the secret header, as Telegram does.
        fake.send_text(CHAT, "/start")
        reply = await fake.wait_for_message(CHAT)
        assert "/subscribe" in reply.text


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}])
async def test_a_post_without_the_matching_secret_is_rejected(
    fake: FakeBotAPI, webhook_config, headers
):
    url = webhook_config.telegram.webhook_url
    application = build_application(webhook_config)
    async with running(application, webhook_config), ClientSession() as http:
        async with http.post(url, json=command_update(900, "/status"), headers=headers) as r:
            assert r.status == 403
        async with http.post(
            url, json=command_update(901, "/help"), headers={SECRET_HEADER: SECRET}
        ) as r:
            assert r.status == 200
        reply = await fake.wait_for_message(CHAT)
        # One chat's updates are handled in order: had /status been accepted, its reply
        # would have come first.
        assert reply.text.startswith("Commands")
        assert len(fake.messages(CHAT)) == 1


def test_webhook_mode_listens_on_the_path_of_the_public_url(webhook_config):
    kwargs = updater_kwargs(webhook_config)
    assert kwargs["url_path"] == "hooks/digestbot"
    assert kwargs["secret_token"] == SECRET
    assert kwargs["webhook_url"] == webhook_config.telegram.webhook_url


def test_webhook_mode_requires_a_secret_token(bot_config):
    with pytest.raises(ConfigError, match="secret_token: required"):
        bot_config(telegram={"mode": "webhook", "url": "https://bot.example.com/hook"})


async def raw_post(port: int, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """Send a POST's head (and ``body``, maybe less than it declares); return the
    response as far as the server sent it before closing or within 10 s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()


async def test_a_post_without_the_secret_is_refused_before_its_body_is_read(
    fake: FakeBotAPI, webhook_config
):
    tg = webhook_config.telegram
    application = build_application(webhook_config)
    async with running(application, webhook_config):
        # 90 MB announced, none sent: the answer cannot have waited for the body.
        head = await raw_post(tg.port, "/hooks/digestbot", {"Content-Length": "94371840"})
        assert head.startswith(b"HTTP/1.1 403")


async def test_a_body_over_one_megabyte_is_refused_with_413(fake: FakeBotAPI, webhook_config):
    tg = webhook_config.telegram
    application = build_application(webhook_config)
    async with running(application, webhook_config):
        announced = {SECRET_HEADER: SECRET, "Content-Length": str(2 * 1024 * 1024)}
        head = await raw_post(tg.port, "/hooks/digestbot", announced)
        assert head.startswith(b"HTTP/1.1 413")
        chunk = b"x" * 65536
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20))
        head = await raw_post(
            tg.port,
            "/hooks/digestbot",
            {SECRET_HEADER: SECRET, "Transfer-Encoding": "chunked"},
            chunked,
        )
        assert head.startswith(b"HTTP/1.1 413")


async def test_the_webhook_secret_is_in_no_log_at_any_level(
    fake: FakeBotAPI, webhook_config, caplog
):
    caplog.set_level(logging.DEBUG)
    application = build_application(webhook_config)
    async with running(application, webhook_config):
        fake.send_text(CHAT, "/start")
        await fake.wait_for_message(CHAT)
    assert fake.webhook_secret == SECRET
    assert caplog.records
    for record in caplog.records:
        assert SECRET not in record.getMessage()
