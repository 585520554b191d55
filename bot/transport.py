"""A lean HTTP/1.1 transport for python-telegram-bot: :class:`LeanRequest`.

PTB's default transport (HTTPX) spends about 3 ms of CPU per request on this machine; the
Bot API needs none of its generality: one host, small POSTs, small JSON answers.
``LeanRequest`` implements PTB's ``BaseRequest.do_request`` on a plain asyncio protocol
with a pool of keep-alive connections (TLS via the standard ``ssl`` module), which costs a
fraction of that (figures: ``bench/fanout.py --transport``).

Bodies are sent as JSON, which the Bot API accepts for every method but file uploads.
Scope, on purpose: HTTP/1.1, ``http``/``https`` URLs, ``Content-Length`` or chunked
answers, no proxies, no redirects (``[telegram] transport = "httpx"`` is the way back to
PTB's HTTPX transport, e.g. behind an HTTP proxy). One retry, as urllib3 and httpcore do:
a request written on a reused keep-alive connection that closes or resets before any byte
of an answer arrived (the server or a proxy dropped the idle connection) is sent again,
once, on a new connection. Nothing else is retried: not a fresh connection's failure, not
a partial answer, not a timeout or a cancellation (the server may be processing the
request; sending it again could post a message twice).

TLS: certificates are verified against certifi's CA bundle (what HTTPX uses; the system
store if certifi is missing), with hostname checking and SNI for the URL's host.
``ssl_context`` replaces that context (tests trust their own self-signed certificate).

Requests that upload files (multipart) are handed to a regular ``HTTPXRequest`` created
on first use.

Errors follow PTB's contract: timeouts raise ``telegram.error.TimedOut`` (a pool timeout
says the request was not sent), connection failures raise ``telegram.error.NetworkError``;
HTTP error statuses are returned and PTB maps them to its exceptions.

Use::

    request = LeanRequest(pool_size=64)
    app = Application.builder().token(token).request(request).build()

(getUpdates long-polls for a long time: give the updater its own instance via
``get_updates_request(LeanRequest(pool_size=1))``, as PTB does with HTTPX.)
``bot.telegram.build_application`` does both unless ``[telegram] transport = "httpx"``.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

_IDLE_EXPIRY = 15.0  # drop keep-alive connections idle longer than this (server may close)


def default_ssl_context() -> ssl.SSLContext:
    """A client context that verifies certificates and host names: certifi's CA bundle
    (as HTTPX, PTB's default transport, uses), else the system's store."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx, a PTB dependency
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class _HTTPError(Exception):
    """A malformed answer from the server."""


class _ClosedBeforeAnswer(ConnectionResetError):
    """The connection closed or was reset before any byte of the answer arrived."""


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 keep-alive connection; one request at a time."""

    __slots__ = (
        "_body_start",
        "_buffer",
        "_chunked",
        "_close_after",
        "_length",
        "_status",
        "_waiter",
        "closed",
        "idle_since",
        "transport",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._reset()

    def _reset(self) -> None:
        self._buffer.clear()
        self._status = 0
        self._body_start = -1
        self._length: int | None = None
        self._chunked = False
        self._close_after = False

    # -- asyncio.Protocol --
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        try:
            answer = self._parse()
        except _HTTPError as exc:
            self.close()
            waiter.set_exception(exc)
            return
        if answer is not None:
            waiter.set_result(answer)

    def eof_received(self) -> bool:
        waiter = self._waiter
        delimited_by_eof = self._body_start >= 0 and self._length is None and not self._chunked
        if waiter is not None and not waiter.done() and delimited_by_eof:
            waiter.set_result((self._status, bytes(self._buffer[self._body_start :])))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            reason = str(exc) if exc else "connection closed"
            # _status stays set once a head (even an interim 1xx one) was parsed.
            if self._buffer or self._status:
                waiter.set_exception(ConnectionResetError(reason))
            else:
                waiter.set_exception(_ClosedBeforeAnswer(f"{reason} before any answer"))

    # -- parsing --
    def _parse(self) -> tuple[int, bytes] | None:
        buffer = self._buffer
        if self._body_start < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > 65536:
                    raise _HTTPError("response headers too long")
                return None
            head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            parts = head[0].split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
                raise _HTTPError(f"bad status line {head[0]!r}")
            self._status = int(parts[1])
            self._close_after = parts[0] == "HTTP/1.0"
            for line in head[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                value = value.strip()
                if name == "content-length":
                    self._length = int(value)
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    self._chunked = True
                elif name == "connection":
                    self._close_after = value.lower() == "close"
            self._body_start = end + 4
            if 100 <= self._status < 200:  # interim answer (100 Continue): skip it
                del buffer[: self._body_start]
                self._reset_head()
                return self._parse()
        if self._chunked:
            return self._parse_chunked()
        if self._length is not None:
            stop = self._body_start + self._length
            if len(buffer) >= stop:
                return self._status, bytes(buffer[self._body_start : stop])
        return None

    def _reset_head(self) -> None:
        # _status keeps the interim status: it says that an answer has begun.
        self._body_start = -1
        self._length = None
        self._chunked = False

    def _parse_chunked(self) -> tuple[int, bytes] | None:
        buffer = self._buffer
        position = self._body_start
        body = bytearray()
        while True:
            line_end = buffer.find(b"\r\n", position)
            if line_end < 0:
                return None
            size_text = bytes(buffer[position:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError as exc:
                raise _HTTPError(f"bad chunk size {size_text!r}") from exc
            if size == 0:
                # The last chunk, then optional trailers, then an empty line.
                if buffer.find(b"\r\n\r\n", line_end) < 0:
                    return None
                return self._status, bytes(body)
            start = line_end + 2
            if len(buffer) < start + size + 2:
                return None
            body += buffer[start : start + size]
            position = start + size + 2

    # -- use --
    async def exchange(self, raw: bytes, timeout: float | None) -> tuple[int, bytes]:
        assert self.transport is not None
        self._reset()
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        self.transport.write(raw)
        try:
            if timeout is None:
                return await waiter
            async with asyncio.timeout(timeout):
                return await waiter
        except BaseException:
            # Timed out or cancelled mid-request: the answer may still come; never reuse.
            self.close()
            raise
        finally:
            self._waiter = None

    @property
    def reusable(self) -> bool:
        return not self.closed and not self._close_after and self.transport is not None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class LeanRequest(BaseRequest):
    """``BaseRequest`` over raw asyncio HTTP/1.1 with keep-alive (see module docstring)."""

    def __init__(
        self,
        pool_size: int = 64,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``read_timeout`` is the default for every call; getUpdates adds its long-poll
        ``timeout`` to it (PTB reads it from :attr:`read_timeout`). ``ssl_context``: for
        ``https`` URLs (default: :func:`default_ssl_context`)."""
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._slots = asyncio.Semaphore(pool_size)
        self._idle: dict[tuple[str, str, int], deque[_Connection]] = {}
        self._ssl = ssl_context
        self._fallback: HTTPXRequest | None = None
        self._targets: dict[str, tuple[tuple[str, str, int], bytes, bytes]] = {}
        self._open = False

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        self._open = True

    async def shutdown(self) -> None:
        self._open = False
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        if self._fallback is not None:
            await self._fallback.shutdown()
            self._fallback = None

    def _target(self, url: str, method: str) -> tuple[tuple[str, str, int], bytes, bytes]:
        """(pool key, request line, Host header) for a URL, cached: a bot uses few URLs."""
        cache_key = method + " " + url
        cached = self._targets.get(cache_key)
        if cached is not None:
            return cached
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NetworkError(f"LeanRequest supports http(s) URLs only, not {parts.scheme!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        request_line = f"{method} {path} HTTP/1.1\r\n".encode("latin-1")
        headers = (
            f"Host: {host_header}\r\nUser-Agent: {self.USER_AGENT}\r\nAccept: */*\r\n"
        ).encode("latin-1")
        cached = ((parts.scheme, parts.hostname, port), request_line, headers)
        if len(self._targets) < 256:
            self._targets[cache_key] = cached
        return cached

    async def _connect(self, key: tuple[str, str, int], timeout: float | None) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        ssl_context = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = default_ssl_context()
            ssl_context = self._ssl
        try:
            async with asyncio.timeout(timeout):
                # With ssl set, asyncio sends SNI for ``host`` and the context checks the
                # certificate's chain and that it names ``host`` (server_hostname=host).
                _, protocol = await loop.create_connection(
                    _Connection,
                    host,
                    port,
                    ssl=ssl_context,
                    server_hostname=host if ssl_context is not None else None,
                )
        except TimeoutError as exc:
            raise TimedOut("Timed out connecting to the Bot API") from exc
        except OSError as exc:
            raise NetworkError(f"Cannot connect to {host}:{port}: {exc}") from exc
        return protocol

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.reusable and now - connection.idle_since < _IDLE_EXPIRY:
                return connection
            connection.close()
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See ``telegram.request.BaseRequest.do_request``."""
        if not self._open:
            raise RuntimeError("This LeanRequest is not initialized!")
        if request_data is not None and request_data.multipart_data:
            return await self._upload(
                url, method, request_data, read_timeout, write_timeout, connect_timeout
            )
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(pool_timeout, DefaultValue):
            pool_timeout = self._pool_timeout
        # Writes go to the kernel buffer at once; a stalled write shows up as a read timeout.
        if not isinstance(write_timeout, DefaultValue) and write_timeout is not None:
            read_timeout = None if read_timeout is None else read_timeout + write_timeout

        key, request_line, headers = self._target(url, method)
        body = b""
        if request_data is not None and request_data.parameters:
            # A JSON body (the Bot API accepts it for everything but uploads): the C JSON
            # encoder is far cheaper than percent-encoding a 4 KB text in Python.
            body = request_data.json_payload
        raw = b"".join(
            (
                request_line,
                headers,
                b"Content-Type: application/json\r\n" if body else b"",
                b"Content-Length: %d\r\n\r\n" % len(body),
                body,
            )
        )

        slots = self._slots
        if slots.locked():
            try:
                async with asyncio.timeout(pool_timeout):
                    await slots.acquire()
            except TimeoutError as exc:
                raise TimedOut(
                    "Pool timeout: all connections are busy. The request was *not* sent to "
                    "Telegram. Consider a larger pool_size."
                ) from exc
        else:
            await slots.acquire()
        try:
            connection = self._take_idle(key)
            reused = connection is not None
            if connection is None:
                connection = await self._connect(key, connect_timeout)
            while True:
                try:
                    status, payload = await connection.exchange(raw, read_timeout)
                except _ClosedBeforeAnswer as exc:
                    if not reused:
                        raise NetworkError(f"Connection to the Bot API failed: {exc}") from exc
                    # No byte of an answer on a reused idle connection: the server or a proxy
                    # dropped it before reading the request; send once more, as urllib3 does.
                    reused = False
                    connection = await self._connect(key, connect_timeout)
                    continue
                except TimeoutError as exc:
                    raise TimedOut("Timed out waiting for the Bot API to answer") from exc
                except (ConnectionError, _HTTPError) as exc:
                    raise NetworkError(f"Connection to the Bot API failed: {exc}") from exc
                break
            if connection.reusable and self._open:
                connection.idle_since = time.monotonic()
                self._idle.setdefault(key, deque()).append(connection)
            else:
                connection.close()
            return status, payload
        finally:
            slots.release()

    async def _upload(
        self,
        url: str,
        method: str,
        request_data: RequestData,
        read_timeout: Any,
        write_timeout: Any,
        connect_timeout: Any,
    ) -> tuple[int, bytes]:
        if self._fallback is None:
            self._fallback = HTTPXRequest(connection_pool_size=4)
            await self._fallback.initialize()
        return await self._fallback.do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
        )
