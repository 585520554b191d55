"""Tests for bot.transport.LeanRequest: HTTP/1.1 over raw asyncio, through PTB's request
layer, against small real servers on 127.0.0.1 and the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import ssl
import struct
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.transport import LeanRequest, default_ssl_context
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


# -- dropped connections: one retry, and only where nothing can have been processed ----------


class ScriptedServer:
    """An HTTP server on 127.0.0.1 that counts the connections it accepts and the requests
    it reads (their ``chat_id`` in ``chats``), and does with the n-th request read what
    the n-th step of its script says (the last step repeats):

    * ``"answer"``: answers, keeps the connection open;
    * ``"answer, then close"``: answers, then closes the connection, which the client
      believes kept alive (a server's or a proxy's idle timeout, early);
    * ``"close"``: closes the connection without answering;
    * ``"hang"``: never answers;
    * ``"partial, then reset"``: sends part of an answer, then resets the connection.
    """

    def __init__(self, *script: str) -> None:
        self.script = script
        self.connections = 0
        self.chats: list[int] = []
        self._release = asyncio.Event()
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def requests(self) -> int:
        return len(self.chats)

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/botTOKEN/sendMessage"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._release.set()
        self._server.close()
        await self._server.wait_closed()
        await asyncio.gather(*self._handlers)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                self.chats.append(int(json.loads(body)["chat_id"]))
                step = self.script[min(len(self.chats), len(self.script)) - 1]
                if step == "answer":
                    writer.write(ok({"ok": True, "result": True}))
                elif step == "answer, then close":
                    writer.write(ok({"ok": True, "result": True}))
                    break
                elif step == "close":
                    break
                elif step == "hang":
                    await self._release.wait()
                    break
                elif step == "partial, then reset":
                    writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n{"ok": tr')
                    # Linger 0: closing sends a TCP reset; the bytes before it stay readable.
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                else:
                    raise AssertionError(f"unknown step {step!r}")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


async def test_a_request_on_a_kept_alive_connection_the_server_closed_goes_out_on_a_new_one():
    async with ScriptedServer("answer, then close") as server, LeanRequest() as request:
        for chat in (1, 2, 3):
            # Each call after the first is written on the idle connection the server closed
            # after answering the previous one, before the client has noticed.
            assert await request.post(server.url, data(chat_id=chat)) is True
            assert server.chats == list(range(1, chat + 1))  # once per call
    assert server.connections == 3


async def test_a_fresh_connection_closed_without_an_answer_is_a_network_error_not_retried():
    async with ScriptedServer("close") as server, LeanRequest() as request:
        with pytest.raises(NetworkError, match="Connection to the Bot API failed"):
            await request.post(server.url, data(chat_id=1))
    assert server.chats == [1]
    assert server.connections == 1


async def test_a_reused_connection_closed_without_an_answer_is_retried_only_once():
    # The server reads the request on the reused connection and drops it, then does the
    # same on the new connection: one retry (the request is read twice), then the error.
    async with ScriptedServer("answer", "close") as server, LeanRequest() as request:
        assert await request.post(server.url, data(chat_id=1)) is True
        # The timeout only guards against a retry loop, which would otherwise hang here.
        async with asyncio.timeout(10):
            with pytest.raises(NetworkError, match="Connection to the Bot API failed"):
                await request.post(server.url, data(chat_id=2))
    assert server.chats == [1, 2, 2]
    assert server.connections == 2


@pytest.mark.parametrize("answered_before", [0, 1], ids=["fresh", "reused"])
async def test_a_request_left_unanswered_times_out_and_is_not_sent_again(answered_before):
    script = ("answer",) * answered_before + ("hang",)
    async with ScriptedServer(*script) as server, LeanRequest(read_timeout=0.2) as request:
        for chat in range(answered_before):
            assert await request.post(server.url, data(chat_id=chat)) is True
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimedOut, match="waiting for the Bot API to answer"):
            await request.post(server.url, data(chat_id=99))
        waited = loop.time() - started
        assert server.chats.count(99) == 1
    assert waited >= 0.19  # the read timeout, not an early failure
    assert server.connections == 1


@pytest.mark.parametrize("answered_before", [0, 1], ids=["fresh", "reused"])
async def test_a_partial_answer_then_a_reset_is_a_network_error_and_not_sent_again(
    answered_before,
):
    script = ("answer",) * answered_before + ("partial, then reset", "answer")
    async with ScriptedServer(*script) as server, LeanRequest() as request:
        for chat in range(answered_before):
            assert await request.post(server.url, data(chat_id=chat)) is True
        with pytest.raises(NetworkError, match="Connection to the Bot API failed"):
            await request.post(server.url, data(chat_id=99))
    assert server.chats.count(99) == 1
    assert server.connections == 1


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


# -- HTTPS ---------------------------------------------------------------------------------


def self_signed_certificate(folder: Path, names: str) -> tuple[Path, Path]:
    """A fresh self-signed certificate and its key (PEM files in ``folder``) for the
    subjectAltName ``names`` (e.g. "DNS:localhost"), made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate with")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=digestbot test",
            "-addext",
            f"subjectAltName={names}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class TLSFake:
    """The fake Bot API served over TLS with a self-signed certificate; records the
    server name each client asked for in its TLS hello (SNI)."""

    def __init__(self, folder: Path, names: str) -> None:
        self.cert, key = self_signed_certificate(folder, names)
        self.server_names: list[str | None] = []
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(self.cert, key)
        server_context.sni_callback = self._sni
        self.api = FakeBotAPI(ssl_context=server_context)

    def _sni(self, connection: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        self.server_names.append(name)

    def trusting_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate (and verifies as usual)."""
        return ssl.create_default_context(cafile=str(self.cert))

    def url(self, host: str) -> str:
        return f"https://{host}:{self.api.port}/bot"


@pytest.fixture
async def tls_fake(tmp_path: Path) -> AsyncIterator[TLSFake]:
    fake = TLSFake(tmp_path, "DNS:localhost")
    async with fake.api:
        yield fake


async def test_https_carries_bot_api_calls_with_the_certificate_verified(tls_fake: TLSFake):
    request = LeanRequest(ssl_context=tls_fake.trusting_context())
    base_url = tls_fake.url("localhost")
    async with Bot(tls_fake.api.token, base_url=base_url, request=request) as bot:
        me = await bot.get_me()
        message = await bot.send_message(7, "<b>over TLS</b> &amp; fine", parse_mode="HTML")
        connections = [c for idle in request._idle.values() for c in idle]
        assert connections
        tls = connections[0].transport.get_extra_info("ssl_object")
    assert me.username == tls_fake.api.bot_user["username"]
    assert message.text == "over TLS & fine"
    assert tls_fake.api.last_message(7).text == "over TLS & fine"
    # The connection really is TLS, for the URL's host name, which went out as SNI.
    assert tls is not None and tls.server_hostname == "localhost"
    assert tls.getpeercert()["subjectAltName"] == (("DNS", "localhost"),)
    assert "localhost" in tls_fake.server_names


async def test_an_untrusted_certificate_fails_verification_and_nothing_is_sent(
    tls_fake: TLSFake,
):
    # The default context (certifi's authorities) does not trust a self-signed certificate.
    bot = Bot(tls_fake.api.token, base_url=tls_fake.url("localhost"), request=LeanRequest())
    with pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED"):
        await bot.initialize()  # its getMe
    await bot.shutdown()
    assert tls_fake.api.calls == []


async def test_a_certificate_for_another_host_name_fails_verification(tls_fake: TLSFake):
    # Trusted, but made out to "localhost" only: the same server reached as 127.0.0.1 fails.
    request = LeanRequest(ssl_context=tls_fake.trusting_context())
    async with request:
        with pytest.raises(NetworkError, match="mismatch"):
            await request.post(tls_fake.url("127.0.0.1") + tls_fake.api.token + "/getMe", data())
    assert tls_fake.api.calls == []


def test_the_default_context_verifies_certificates_and_host_names():
    context = default_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.get_ca_certs() or context.cert_store_stats()["x509_ca"] > 0


# -- which transport the bot uses ------------------------------------------------------------


def test_the_bot_uses_the_lean_transport_unless_configured_otherwise(bot_config):
    from bot.telegram import build_application

    application = build_application(bot_config())
    # bot.request: every Bot API call; _request[0]: getUpdates (PTB has no public name).
    assert isinstance(application.bot.request, LeanRequest)
    assert isinstance(application.bot._request[0], LeanRequest)
    application = build_application(bot_config(telegram={"transport": "httpx"}))
    assert isinstance(application.bot.request, HTTPXRequest)
    assert isinstance(application.bot._request[0], HTTPXRequest)


def test_an_unknown_transport_is_a_config_error_naming_the_key(tmp_path: Path):
    from bot.config import config_from_dict
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=r'\[telegram\] transport: expected "lean" or "httpx"'):
        config_from_dict({"telegram": {"transport": "curl"}}, base=tmp_path)
    assert config_from_dict({}, base=tmp_path).telegram.transport == "lean"


# -- replies -------------------------------------------------------------------------------


async def test_replies_go_to_the_topic_they_answer_through_the_rate_limiter(
    fake: FakeBotAPI, bot_config
):
    from bot.ratelimit import TelegramRateLimiter
    from bot.telegram import build_application, running

    config = bot_config()
    application = build_application(config)
    limiter = application.bot.rate_limiter
    assert isinstance(limiter, TelegramRateLimiter)
    booked: list[object] = []
    reserve = limiter.limiter.reserve

    def spy(chat_id, paced=False):
        booked.append(chat_id)
        return reserve(chat_id, paced=paced)

    limiter.limiter.reserve = spy  # type: ignore[method-assign]
    group = -100777
    async with running(application, config):
        fake.inject(
            {
                "message": {
                    "message_id": 9,
                    "message_thread_id": 5,
                    "is_topic_message": True,
                    "from": {"id": 31, "is_bot": False, "first_name": "Ann"},
                    "chat": {"id": group, "type": "supergroup", "title": "Forum", "is_forum": True},
                    "date": 0,
                    "text": "/help",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                }
            }
        )
        fake.send_command(32, "/help")
        in_topic = await fake.wait_for_call(
            "sendMessage", where=lambda call: call.params.get("chat_id") == group
        )
        private = await fake.wait_for_call(
            "sendMessage", where=lambda call: call.params.get("chat_id") == 32
        )
    assert in_topic.params["message_thread_id"] == 5
    assert "message_thread_id" not in private.params
    for call in (in_topic, private):
        assert call.params["parse_mode"] == "HTML"
        assert call.params["link_preview_options"] == {"is_disabled": True}
        assert "reply_parameters" not in call.params  # no quote of the user's message
    assert group in booked and 32 in booked
