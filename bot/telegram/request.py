"""python-telegram-bot's HTTP requests over aiohttp: :class:`AiohttpRequest`.

PTB talks to the Bot API through a ``telegram.request.BaseRequest``; its default one is
HTTPX, which costs about 3 ms of CPU per call on this machine -- too much for delivering
at 1,000 msg/s. This one runs on aiohttp, the HTTP library the project uses elsewhere:
one ``ClientSession`` with a ``TCPConnector`` pool of keep-alive connections.

What it keeps, and how:

* **Bodies** are JSON (``RequestData.json_payload``), which the Bot API accepts for
  every method; uploads (``multipart_data``) go as ``multipart/form-data``. Session
  extras a bot does not need are off: cookies (a dummy jar), redirects, the environment.
* **TLS** is verified: certifi's CA bundle (what HTTPX uses), else the system store, with
  host-name checking and SNI. ``ssl_context`` replaces it (tests trust their own
  certificate).
* **Connections** are reused: at most ``pool_size`` at once; a request waits at most
  ``pool_timeout`` for one, else ``TimedOut`` says it was not sent (a semaphore decides
  this, so a pool wait is never mistaken for a connect timeout). Idle connections are
  dropped after aiohttp's 15 s keep-alive timeout.
* **Timeouts** follow PTB's per-call arguments (a ``DefaultValue`` means "the one given to
  the constructor"): ``connect_timeout`` bounds connecting (DNS, TCP, TLS, proxy),
  ``read_timeout`` the wait for each piece of the answer (aiohttp's ``sock_read``, as
  HTTPX's read timeout). aiohttp has no timeout per write: when all three are finite,
  their sum bounds the whole exchange (``total``), so a stalled upload cannot hang.
* **One retry**, as urllib3 and httpcore do: a request written on a *reused* keep-alive
  connection that the server or a proxy closed or reset before the head of an answer
  arrived is sent again, once, on a new connection. aiohttp does this itself only for
  idempotent methods, never for the POSTs the Bot API gets, so it is done here; nothing
  else is retried (not a fresh connection's failure, a partial answer, a timeout).
* **Proxies**: ``proxy="http://host:port"`` sends every request through that HTTP proxy
  (``CONNECT`` for ``https`` URLs, absolute-form requests for ``http`` ones).
  :func:`proxy_from_environment` reads ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` once
  for a URL (aiohttp's ``trust_env`` would read them in a thread for every request).
* **The token never leaves**: the URL (``.../bot<token>/method``) is in no log record
  (aiohttp logs no URLs) and no error this class raises; an aiohttp error whose text
  would carry the URL is re-raised with the URL's path redacted and without the chain.

Errors follow PTB's contract: timeouts raise ``telegram.error.TimedOut``, connection and
protocol failures ``telegram.error.NetworkError``; HTTP error statuses are returned and
PTB maps them to its exceptions.

Use::

    app = (Application.builder().token(token)
           .request(AiohttpRequest(pool_size=256))
           .get_updates_request(AiohttpRequest(pool_size=1)).build())
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

from bot.telegram.ptb import is_default_value

__all__ = ["AiohttpRequest", "default_ssl_context", "proxy_from_environment"]

_KEEPALIVE_SECONDS = 15.0  # idle connections older than this are dropped (servers close)
_MAX_CACHED_TIMEOUTS = 64


def default_ssl_context() -> ssl.SSLContext:
    """A client context that verifies certificates and host names: certifi's CA bundle
    (as HTTPX, PTB's default transport, uses), else the system's store."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx, a PTB dependency
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def proxy_from_environment(url: str) -> str | None:
    """The proxy the standard environment variables (``HTTPS_PROXY``, ``HTTP_PROXY``,
    ``ALL_PROXY``, ``NO_PROXY``) name for ``url``, or None; read once, by the caller."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or not parts.hostname:
        return None
    if urllib.request.proxy_bypass(parts.hostname):  # NO_PROXY (on Linux: the environment)
        return None
    return proxy


class _ReuseTracker(aiohttp.TraceConfig):
    """Marks a request's trace context when aiohttp hands it a reused connection."""

    def __init__(self) -> None:
        super().__init__()
        self.on_connection_reuseconn.append(self._reused)

    @staticmethod
    async def _reused(session: Any, context: SimpleNamespace, params: Any) -> None:
        context.trace_request_ctx.reused = True


def _redacted(text: str, url: str) -> str:
    """``text`` with the secret part of ``url``'s path (``bot<token>``) replaced."""
    path = url.split("/", 3)[-1] if url.count("/") >= 3 else ""
    secret = path.rsplit("/", 1)[0] if "/" in path else ""
    return text.replace(secret, "<redacted>") if secret else text


class AiohttpRequest(BaseRequest):
    """``BaseRequest`` on one aiohttp ``ClientSession`` (see the module docstring)."""

    def __init__(
        self,
        pool_size: int = 256,
        *,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Defaults as PTB's ``HTTPXRequest``. ``read_timeout`` is the default for every
        call; for getUpdates PTB adds the long poll's ``timeout`` to it. ``proxy``: an
        ``http://`` proxy URL for every request. ``ssl_context``: for ``https`` URLs
        (default: :func:`default_ssl_context`)."""
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._ssl = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(pool_size)
        self._timeouts: dict[tuple[float | None, float | None, float | None], Any] = {}
        self._json_headers = CIMultiDict({"Content-Type": "application/json"})
        self._urls: dict[str, URL] = {}  # parsed once: a bot calls a few dozen URLs

    @property
    def read_timeout(self) -> float | None:
        """See ``BaseRequest.read_timeout``: the default read timeout, in seconds."""
        return self._read_timeout

    @property
    def pool_size(self) -> int:
        """How many connections may be open at once."""
        return self._pool_size

    async def initialize(self) -> None:
        """Open the session (its connections open on demand)."""
        if self._session is not None and not self._session.closed:
            return
        if self._ssl is None:
            self._ssl = default_ssl_context()
        connector = aiohttp.TCPConnector(
            limit=self._pool_size,
            limit_per_host=0,
            ssl=self._ssl,
            ttl_dns_cache=300,
            keepalive_timeout=_KEEPALIVE_SECONDS,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout(self._connect_timeout, self._write_timeout, self._read_timeout),
            headers={"User-Agent": self.USER_AGENT},
            cookie_jar=aiohttp.DummyCookieJar(),
            trace_configs=[_ReuseTracker()],
            proxy=self._proxy,
            trust_env=False,
        )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _timeout(
        self, connect: float | None, write: float | None, read: float | None
    ) -> aiohttp.ClientTimeout:
        """The ClientTimeout for a call's timeouts; a handful of combinations, cached."""
        key = (connect, write, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            total = (
                connect + write + read
                if connect is not None and write is not None and read is not None
                else None
            )
            timeout = aiohttp.ClientTimeout(
                total=total, connect=connect, sock_connect=connect, sock_read=read
            )
            if len(self._timeouts) < _MAX_CACHED_TIMEOUTS:
                self._timeouts[key] = timeout
        return timeout

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
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        if is_default_value(read_timeout):
            read_timeout = self._read_timeout
        if is_default_value(connect_timeout):
            connect_timeout = self._connect_timeout
        if is_default_value(pool_timeout):
            pool_timeout = self._pool_timeout
        if is_default_value(write_timeout):
            write_timeout = self._media_write_timeout if files else self._write_timeout

        body: bytes | aiohttp.FormData | None = None
        headers = None
        if files and request_data is not None:
            body = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mimetype) in files.items():
                body.add_field(name, content, filename=filename, content_type=mimetype)
        elif request_data is not None and request_data.parameters:
            # The C JSON encoder is far cheaper than percent-encoding a 4 KB text.
            body = request_data.json_payload
            headers = self._json_headers
        timeout = self._timeout(connect_timeout, write_timeout, read_timeout)
        target = self._urls.get(url)
        if target is None:
            target = URL(url, encoded=False)
            if len(self._urls) < 256:
                self._urls[url] = target

        slots = self._slots
        if slots.locked():
            try:
                async with asyncio.timeout(pool_timeout):
                    await slots.acquire()
            except TimeoutError:
                raise TimedOut(
                    "Pool timeout: all connections are busy. The request was *not* sent to "
                    "Telegram. Consider a larger pool_size."
                ) from None
        else:
            await slots.acquire()
        try:
            retried = False
            while True:
                attempt = SimpleNamespace(reused=False, answered=False)
                try:
                    async with session.request(
                        method,
                        target,
                        data=body,
                        headers=headers,
                        timeout=timeout,
                        allow_redirects=False,
                        trace_request_ctx=attempt,
                    ) as response:
                        attempt.answered = True
                        return response.status, await response.read()
                except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                    if (
                        retried
                        or not attempt.reused
                        or attempt.answered
                        or isinstance(exc, aiohttp.ClientConnectorError)
                    ):
                        raise self._error(exc, url) from self._cause(exc, url)
                    # The server or a proxy dropped the idle connection before it answered
                    # (before it read the request, as far as we can tell): once more.
                    retried = True
                except (TimeoutError, aiohttp.ClientError) as exc:
                    raise self._error(exc, url) from self._cause(exc, url)
        finally:
            slots.release()

    @staticmethod
    def _error(exc: BaseException, url: str) -> NetworkError:
        """PTB's exception for an aiohttp error, its text free of the token."""
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return TimedOut("Timed out connecting to the Bot API")
        if isinstance(exc, TimeoutError):
            return TimedOut("Timed out waiting for the Bot API to answer")
        text = _redacted(f"{type(exc).__name__}: {exc}", url)
        if isinstance(exc, aiohttp.ClientConnectorError):
            return NetworkError(f"Cannot connect to the Bot API: {text}")
        return NetworkError(f"Connection to the Bot API failed: {text}")

    @staticmethod
    def _cause(exc: BaseException, url: str) -> BaseException | None:
        """``exc`` as the cause to chain, or None where its text carries the URL."""
        if _redacted(str(exc), url) != str(exc) or isinstance(exc, aiohttp.ConnectionTimeoutError):
            return None
        return exc
