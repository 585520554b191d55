"""One chat's updates across two bots behind one webhook (bot.cluster.turns): two
Applications on one PostgreSQL database, each with its own webhook, are fed one chat's
updates over real HTTP; the second waits for the first's turn, so the replies keep the
updates' order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from aiohttp import ClientSession

from bot.cluster.turns import TURN_LOCK_CLASS, ChatTurns, turn_key
from bot.telegram.app import build_application, running, runtime
from tests.fakebotapi import SECRET_HEADER, FakeBotAPI, Fault
from tests.test_webhook import SECRET, free_port

CHAT = 5151
DEADLINE = 30.0


def webhook(bot_config: Callable[..., Any], url: str) -> Any:
    port = free_port()
    return bot_config(
        storage={"url": url},
        telegram={
            "mode": "webhook",
            "url": f"http://127.0.0.1:{port}/hook",
            "listen": "127.0.0.1",
            "port": port,
            "secret_token": SECRET,
        },
    )


def update(update_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": CHAT, "type": "private", "first_name": "Eve"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Eve"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def post(http: ClientSession, config: Any, body: dict[str, Any]) -> None:
    """What Telegram does: POST the update to the webhook, with the secret."""
    url = config.telegram.webhook_url
    async with http.post(url, json=body, headers={SECRET_HEADER: SECRET}) as response:
        assert response.status == 200


async def until_locks(url: str, granted: bool) -> None:
    """Wait (polling the server, at most DEADLINE) until the chat's turn has a lock
    ``granted`` (held) or not (a process waiting for it)."""
    deadline = time.monotonic() + DEADLINE
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as db:
        while True:
            cursor = await db.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
                " AND classid = %s::bigint::oid AND objid = %s::bigint::oid AND granted = %s",
                (TURN_LOCK_CLASS, turn_key(CHAT) % 2**32, granted),
            )
            row = await cursor.fetchone()
            if row is not None and row[0] > 0:
                return
            assert time.monotonic() < deadline, f"no {'held' if granted else 'waiting'} turn"
            await asyncio.sleep(0.02)


async def test_two_processes_behind_one_webhook_answer_one_chat_in_order(
    fake: FakeBotAPI, bot_config: Callable[..., Any], postgresql_target: str
) -> None:
    configs = [webhook(bot_config, postgresql_target) for _ in range(2)]
    first, second = (build_application(config) for config in configs)
    assert isinstance(runtime(first).turns, ChatTurns)
    # The first reply is held at the Bot API (released below): its handler keeps the
    # chat's turn meanwhile.
    fake.fail(CHAT, Fault.delay_only(120), times=1, methods=["sendMessage"])
    async with running(first, configs[0]), running(second, configs[1]), ClientSession() as http:
        await post(http, configs[0], update(1, "/start"))
        await until_locks(postgresql_target, granted=True)  # the first handles it
        await fake.wait_until(lambda: fake.delays_in_progress == 1, DEADLINE, "the held reply")
        await post(http, configs[1], update(2, "/help"))
        await until_locks(postgresql_target, granted=False)  # the second waits its turn
        assert fake.messages(CHAT) == []
        fake.end_delays()
        await fake.wait_for_message(CHAT, 2, timeout=DEADLINE)
    replies = [m.text for m in fake.messages(CHAT)]
    assert "/subscribe" in replies[0] and replies[0] != replies[1]
    assert len(fake.calls_to("sendMessage")) == 2


def test_a_chat_id_folds_to_a_32_bit_key() -> None:
    for chat in (0, 1, -1, 5151, -1001234567890, 2**63 - 1, -(2**63)):
        assert -(2**31) <= turn_key(chat) < 2**31
    assert turn_key(5151) == 5151


async def test_without_postgresql_the_update_is_handled_anyway_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    turns = ChatTurns("postgresql://postgres@127.0.0.1:9/none?connect_timeout=2")
    handled = []
    for n in range(2):
        async with turns.turn(CHAT):
            handled.append(n)
    await turns.close()
    assert handled == [0, 1]
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "check that PostgreSQL is reachable" in warnings[0].message
