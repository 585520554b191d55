"""Tests for bot.transport.LeanRequest: HTTP/1.1 over raw asyncio, through PTB's request
layer, against small real servers on 127.0.0.1 and the fake Bot API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.transport import LeanRequest
from tests.fakebotapi import FakeBotAPI, Fault

Answer = Callable[[bytes], bytes]


@pytest.fixture
async def server() -> AsyncIterator[Callable[[Answer], asyncio.Future[str]]]:
    """Start a one-off HTTP server whose answer to a request is computed by a function;
    yields a starter returning the server's URL."""
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    body = await reader.readexactly(length)
                    reply = answer(head + body)
                    if not reply:
                        writer.close()
                        return
                    writer.write(reply)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()

        srv = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(srv)
        port = srv.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/botTOKEN/getMe"

    yield start  # type: ignore[misc]
    for srv in servers:
        srv.close()
        await srv.wait_closed()


def ok(body: dict, extra_headers: bytes = b"") -> bytes:
    payload = json.dumps(body).encode()
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra_headers
        + b"Content-Length: %d\r\n\r\n" % len(payload)
        + payload
    )


def data(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_a_post_carries_json_and_the_answer_comes_back(server):
    seen: list[bytes] = []

    def answer(request: bytes) -> bytes:
        seen.append(request)
        return ok({"ok": True, "result": 1})

    url = await server(answer)
    async with LeanRequest() as request:
        payload = await request.post(url, data(chat_id=5, text="héllo & <b>"))
    assert payload == 1
    head, body = seen[0].split(b"\r\n\r\n", 1)
    assert head.startswith(b"POST /botTOKEN/getMe HTTP/1.1\r\n")
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["text"] == "héllo & <b>"
    assert str(json.loads(body)["chat_id"]) == "5"


async def test_the_connection_is_kept_alive_between_requests(server):
    def answer(request: bytes) -> bytes:
        return ok({"ok": True, "result": True})

    url = await server(answer)
    async with LeanRequest() as request:
        for _ in range(5):
            await request.post(url, data(chat_id=1))
        connections = sum(len(idle) for idle in request._idle.values())
    assert connections == 1


async def test_chunked_answers_and_connection_close_are_understood(server):
    payload = json.dumps({"ok": True, "result": {"x": "y" * 5000}}).encode()
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(payload[i : i + 1000]), payload[i : i + 1000])
        for i in range(0, len(payload), 1000)
    )

    def answer(request: bytes) -> bytes:
        return (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + chunks
            + b"0\r\n\r\n"
        )

    url = await server(answer)
    async with LeanRequest() as request:
        first = await request.post(url, data(chat_id=1))
        second = await request.post(url, data(chat_id=1))  # on a new connection
        assert not any(request._idle.values())
    assert first == second == {"x": "y" * 5000}


async def test_a_slow_server_raises_timed_out():
    never = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await never.wait()
        writer.close()

    srv = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        async with LeanRequest(read_timeout=0.2) as request:
            with pytest.raises(TimedOut):
                await request.post(f"http://127.0.0.1:{port}/botT/getMe", data(chat_id=1))
    finally:
        never.set()
        srv.close()
        await srv.wait_closed()


async def test_a_connection_closed_without_an_answer_is_a_network_error(server):
    url = await server(lambda request: b"")
    async with LeanRequest() as request:
        with pytest.raises(NetworkError, match="Connection to the Bot API failed"):
            await request.post(url, data(chat_id=1))


async def test_connection_refused_is_a_network_error():
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    async with LeanRequest() as request:
        with pytest.raises(NetworkError, match="Cannot connect"):
            await request.post(f"http://127.0.0.1:{port}/botT/getMe", data(chat_id=1))


async def test_a_full_pool_times_out_without_sending():
    release = asyncio.Event()

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    srv = await asyncio.start_server(slow, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}/botT/getMe"
    try:
        async with LeanRequest(pool_size=1, pool_timeout=0.1, read_timeout=5) as request:
            busy = asyncio.create_task(request.post(url, data(chat_id=1)))
            await asyncio.sleep(0)  # let it take the only connection
            with pytest.raises(TimedOut, match="not"):
                await request.post(url, data(chat_id=2))
            release.set()
            with pytest.raises(NetworkError):
                await busy
    finally:
        release.set()
        srv.close()
        await srv.wait_closed()


async def test_telegram_errors_map_to_ptb_exceptions_through_a_bot(fake: FakeBotAPI):
    fake.fail(1, Fault.blocked())
    fake.fail(2, Fault.flood(retry_after=3))
    async with Bot(fake.token, base_url=fake.base_url, request=LeanRequest()) as bot:
        message = await bot.send_message(3, "<b>fine</b>", parse_mode="HTML")
        assert message.text == "fine"
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(1, "x")
        with pytest.raises(RetryAfter):
            await bot.send_message(2, "x")
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(3, "<b>unclosed", parse_mode="HTML")
