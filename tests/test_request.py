"""Tests for bot.telegram.request.AiohttpRequest: PTB's request layer on aiohttp, against small real
servers on 127.0.0.1 (counting what they receive), loopback proxies and the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import logging
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

from bot.telegram.ptb import request_data, updates_request
from bot.telegram.request import AiohttpRequest, default_ssl_context, proxy_from_environment
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
    return request_data(values)


async def test_a_post_carries_json_and_the_answer_comes_back(server):
    seen: list[bytes] = []

    def answer(request: bytes) -> bytes:
        seen.append(request)
        return ok({"ok": True, "result": 1})

    url = await server(answer)
    async with AiohttpRequest() as request:
        payload = await request.post(url, data(chat_id=5, text="héllo & <b>"))
    assert payload == 1
    head, body = seen[0].split(b"\r\n\r\n", 1)
    assert head.startswith(b"POST /botTOKEN/getMe HTTP/1.1\r\n")
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["text"] == "héllo & <b>"
    assert str(json.loads(body)["chat_id"]) == "5"


async def test_the_connection_is_kept_alive_between_requests():
    async with ScriptedServer("answer") as server, AiohttpRequest() as request:
        for chat in range(5):
            assert await request.post(server.url, data(chat_id=chat)) is True
    assert server.chats == [0, 1, 2, 3, 4]
    assert server.connections == 1


async def test_concurrent_requests_open_at_most_pool_size_connections():
    async with ScriptedServer("answer") as server, AiohttpRequest(pool_size=3) as request:
        for _ in range(2):
            await asyncio.gather(*(request.post(server.url, data(chat_id=c)) for c in range(20)))
    assert sorted(server.chats) == sorted(list(range(20)) * 2)
    assert server.connections == 3


async def test_chunked_answers_and_connection_close_are_understood(server):
    payload = json.dumps({"ok": True, "result": {"x": "y" * 5000}}).encode()
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(payload[i : i + 1000]), payload[i : i + 1000])
        for i in range(0, len(payload), 1000)
    )

    connections: list[int] = []

    def answer(request: bytes) -> bytes:
        connections.append(len(connections) + 1)
        return (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + chunks
            + b"0\r\n\r\n"
        )

    url = await server(answer)
    async with AiohttpRequest() as request:
        first = await request.post(url, data(chat_id=1))
        second = await request.post(url, data(chat_id=1))  # on a new connection
    assert first == second == {"x": "y" * 5000}
    assert connections == [1, 2]


async def test_a_slow_server_raises_timed_out():
    never = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await never.wait()
        writer.close()

    srv = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        async with AiohttpRequest(read_timeout=0.2) as request:
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
        self._read = asyncio.Event()  # set whenever a request was read
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def requests(self) -> int:
        return len(self.chats)

    async def wait_for_requests(self, count: int) -> None:
        """Until ``count`` requests were read (a test's timeout guards against never)."""
        async with asyncio.timeout(10):
            while self.requests < count:
                self._read.clear()
                await self._read.wait()

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
                self._read.set()
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
    async with ScriptedServer("answer, then close") as server, AiohttpRequest() as request:
        for chat in (1, 2, 3):
            # Each call after the first is written on the idle connection the server closed
            # after answering the previous one, before the client has noticed.
            assert await request.post(server.url, data(chat_id=chat)) is True
            assert server.chats == list(range(1, chat + 1))  # once per call
    assert server.connections == 3


async def test_a_fresh_connection_closed_without_an_answer_is_a_network_error_not_retried():
    async with ScriptedServer("close") as server, AiohttpRequest() as request:
        with pytest.raises(NetworkError, match="Connection to the Bot API failed"):
            await request.post(server.url, data(chat_id=1))
    assert server.chats == [1]
    assert server.connections == 1


async def test_a_reused_connection_closed_without_an_answer_is_retried_only_once():
    # The server reads the request on the reused connection and drops it, then does the
    # same on the new connection: one retry (the request is read twice), then the error.
    async with ScriptedServer("answer", "close") as server, AiohttpRequest() as request:
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
    async with ScriptedServer(*script) as server, AiohttpRequest(read_timeout=0.2) as request:
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
    async with ScriptedServer(*script) as server, AiohttpRequest() as request:
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
    async with AiohttpRequest() as request:
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
        async with AiohttpRequest(pool_size=1, pool_timeout=0.1, read_timeout=5) as request:
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
    async with Bot(fake.token, base_url=fake.base_url, request=AiohttpRequest()) as bot:
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
    request = AiohttpRequest(ssl_context=tls_fake.trusting_context())
    base_url = tls_fake.url("localhost")
    async with Bot(tls_fake.api.token, base_url=base_url, request=request) as bot:
        me = await bot.get_me()
        message = await bot.send_message(7, "<b>over TLS</b> &amp; fine", parse_mode="HTML")
    assert me.username == tls_fake.api.bot_user["username"]
    assert message.text == "over TLS & fine"
    assert tls_fake.api.last_message(7).text == "over TLS & fine"
    # The connection really was TLS, for the URL's host name, which went out as SNI (the
    # two tests below show the certificate and the name are checked).
    assert "localhost" in tls_fake.server_names


async def test_an_untrusted_certificate_fails_verification_and_nothing_is_sent(
    tls_fake: TLSFake,
):
    # The default context (certifi's authorities) does not trust a self-signed certificate.
    bot = Bot(tls_fake.api.token, base_url=tls_fake.url("localhost"), request=AiohttpRequest())
    with pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED"):
        await bot.initialize()  # its getMe
    await bot.shutdown()
    assert tls_fake.api.calls == []


async def test_a_certificate_for_another_host_name_fails_verification(tls_fake: TLSFake):
    # Trusted, but made out to "localhost" only: the same server reached as 127.0.0.1 fails.
    request = AiohttpRequest(ssl_context=tls_fake.trusting_context())
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


def test_the_bot_uses_aiohttp_unless_configured_otherwise(bot_config):
    from bot.telegram.app import build_application

    for transport in ("aiohttp", "lean", None):
        telegram = {} if transport is None else {"transport": transport}
        application = build_application(bot_config(telegram=telegram))
        assert isinstance(application.bot.request, AiohttpRequest)
        assert isinstance(updates_request(application.bot), AiohttpRequest)
        assert updates_request(application.bot).pool_size == 1
    application = build_application(bot_config(telegram={"transport": "httpx"}))
    assert isinstance(application.bot.request, HTTPXRequest)
    assert isinstance(updates_request(application.bot), HTTPXRequest)


def test_an_unknown_transport_is_a_config_error_naming_the_key(tmp_path: Path):
    from bot.config import config_from_dict
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=r'\[telegram\] transport: expected "aiohttp" or "httpx"'):
        config_from_dict({"telegram": {"transport": "curl"}}, base=tmp_path)
    assert config_from_dict({}, base=tmp_path).telegram.transport == "aiohttp"
    # "lean", the hand-written client aiohttp replaced, is read as "aiohttp".
    lean = config_from_dict({"telegram": {"transport": "lean"}}, base=tmp_path)
    assert lean.telegram.transport == "aiohttp"


# -- replies -------------------------------------------------------------------------------


async def test_replies_go_to_the_topic_they_answer_through_the_rate_limiter(
    fake: FakeBotAPI, bot_config
):
    from bot.telegram.app import build_application, running
    from bot.telegram.ratelimit import TelegramRateLimiter

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


# -- per-call timeouts -----------------------------------------------------------------------


async def test_a_read_timeout_passed_with_the_call_replaces_the_default():
    async with (
        ScriptedServer("answer", "hang") as server,
        AiohttpRequest(read_timeout=30) as request,
    ):
        assert request.read_timeout == 30
        assert await request.post(server.url, data(chat_id=1)) is True
        with pytest.raises(TimedOut, match="waiting for the Bot API to answer"):
            # Without the call's 0.2 s, the 30 s default would hold the test (and fail it).
            async with asyncio.timeout(10):
                await request.post(server.url, data(chat_id=2), read_timeout=0.2)
    assert server.chats == [1, 2]


async def test_a_pool_timeout_passed_with_the_call_replaces_the_default():
    async with (
        ScriptedServer("hang") as server,
        AiohttpRequest(pool_size=1, pool_timeout=30, read_timeout=30) as request,
    ):
        busy = asyncio.create_task(request.post(server.url, data(chat_id=1)))
        await server.wait_for_requests(1)
        with pytest.raises(TimedOut, match="not"):
            async with asyncio.timeout(10):
                await request.post(server.url, data(chat_id=2), pool_timeout=0.1)
        busy.cancel()
    assert server.chats == [1]


# -- proxies -----------------------------------------------------------------------------------


class LoopbackProxy:
    """An HTTP proxy on 127.0.0.1 that records each request line it gets. A request in
    absolute form (``POST http://host:port/path HTTP/1.1``) is forwarded to that host and
    its answer relayed; ``CONNECT host:port`` opens a tunnel. Only loopback targets."""

    def __init__(self) -> None:
        self.request_lines: list[str] = []

    async def __aenter__(self) -> LoopbackProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode()
            self.request_lines.append(line)
            verb, target, _ = line.split(" ")
            if verb == "CONNECT":
                host, port = target.rsplit(":", 1)
                assert host in ("localhost", "127.0.0.1"), host
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
                return
            # Forwarding, one request per connection: the origin answers and closes.
            url = target.split("://", 1)[1]
            hostport, path = url.split("/", 1)
            host, port = hostport.rsplit(":", 1)
            assert host == "127.0.0.1", host
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            lines = head.split(b"\r\n")
            lines[0] = f"{verb} /{path} HTTP/1.1".encode()
            lines = [
                h for h in lines if not h.lower().startswith((b"connection:", b"proxy-connection:"))
            ]
            lines.insert(1, b"Connection: close")
            up_writer.write(b"\r\n".join(lines))
            length = 0
            for h in lines:
                if h.lower().startswith(b"content-length:"):
                    length = int(h.split(b":")[1])
            up_writer.write(await reader.readexactly(length))
            await up_writer.drain()
            answer = await up_reader.read()  # until the origin closes
            up_writer.close()
            writer.write(answer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


async def test_an_http_proxy_forwards_bot_api_calls(fake: FakeBotAPI):
    async with LoopbackProxy() as proxy:
        request = AiohttpRequest(proxy=proxy.url)
        async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
            message = await bot.send_message(5, "through the proxy")
    assert message.text == "through the proxy"
    assert fake.last_message(5).text == "through the proxy"
    host = fake.base_url.split("://", 1)[1].split("/", 1)[0]
    assert proxy.request_lines == [
        f"POST http://{host}/bot{fake.token}/getMe HTTP/1.1",
        f"POST http://{host}/bot{fake.token}/sendMessage HTTP/1.1",
    ]


async def test_https_goes_through_a_proxy_tunnel_with_the_certificate_verified(
    tls_fake: TLSFake,
):
    async with LoopbackProxy() as proxy:
        request = AiohttpRequest(proxy=proxy.url, ssl_context=tls_fake.trusting_context())
        base_url = tls_fake.url("localhost")
        async with Bot(tls_fake.api.token, base_url=base_url, request=request) as bot:
            await bot.send_message(7, "tunnelled")
    assert tls_fake.api.last_message(7).text == "tunnelled"
    assert proxy.request_lines[0] == f"CONNECT localhost:{tls_fake.api.port} HTTP/1.1"
    assert "localhost" in tls_fake.server_names


def test_the_environment_names_the_proxy_for_a_url(monkeypatch: pytest.MonkeyPatch):
    for name in ("https_proxy", "http_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    assert proxy_from_environment("https://api.telegram.org/bot") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert proxy_from_environment("https://api.telegram.org/bot") == "http://127.0.0.1:3128"
    assert proxy_from_environment("http://127.0.0.1:8081/bot") is None
    monkeypatch.setenv("NO_PROXY", "api.telegram.org")
    assert proxy_from_environment("https://api.telegram.org/bot") is None


# -- the token stays out of logs and errors ----------------------------------------------------


async def test_the_token_is_in_no_log_record_nor_error_even_when_requests_fail(
    caplog: pytest.LogCaptureFixture,
):
    token = "123456789:SECRET-token_abcdefghijklmnopqrstuvw"
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    refused_port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    errors: list[BaseException] = []
    caplog.set_level(logging.DEBUG)
    async with ScriptedServer("answer", "close", "close", "hang") as server:
        base = server.url.rsplit("/", 2)[0]
        urls = [
            f"{base}/bot{token}/sendMessage",  # answered
            f"{base}/bot{token}/sendMessage",  # closed, retried, closed
            f"http://127.0.0.1:{refused_port}/bot{token}/sendMessage",  # refused
            f"{base}/bot{token}/sendMessage",  # no answer: read timeout
        ]
        async with AiohttpRequest(read_timeout=0.2) as request:
            for url in urls:
                try:
                    await request.post(url, data(chat_id=1))
                except NetworkError as exc:
                    errors.append(exc)
                    logging.getLogger("test").exception("request failed")
    assert [type(e) for e in errors] == [NetworkError, NetworkError, TimedOut]
    assert "request failed" in caplog.text  # the tracebacks were formatted into the log
    assert token not in caplog.text
    for exc in errors:
        chain = [exc, exc.__cause__, exc.__context__]
        assert all(token not in repr(link) for link in chain)
