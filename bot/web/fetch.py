"""Fetching web pages and feeds over HTTP, safely and politely (aiohttp).

:class:`Fetcher` is the one way digestbot reads a URL, for links users send and for
feeds. One instance holds one aiohttp ``ClientSession``; create it once, ``await
fetcher.close()`` on shutdown (or use ``async with``). ``await fetcher.fetch(url)``
returns a :class:`FetchResult` (decoded text, raw body, final URL, status, headers) or
raises a :class:`~bot.errors.FetchError` whose ``user_message`` is fit for a chat.

Safety (with :mod:`bot.web.fence`):

* the URL is checked before anything happens (scheme, port, user info, address
  literals in every spelling ``inet_aton`` accepts);
* host names are resolved once, by :class:`FencedResolver`, the session's resolver:
  it checks every address DNS returns and hands aiohttp only the allowed ones, so
  the connection goes to exactly what was checked (no second lookup, so DNS
  rebinding cannot swap the address); the Host header and TLS SNI stay the name;
* redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each hop checked
  the same way; no proxy from the environment, no cookies kept between fetches.

Limits and manners: ``max_bytes`` counted on the decompressed body while it streams
(a gzip bomb is cut off, not inflated) and on ``Content-Length`` up front; a connect
timeout and a total timeout for the whole fetch including redirects (time spent
waiting for a free slot does not count); a content-type allow-list (``kind="page"``:
HTML, XHTML, plain text; ``kind="feed"``: XML and JSON types); charset from the
header, a BOM, ``<meta charset>``/http-equiv or the XML declaration, else UTF-8, else
cp1252 with replacement characters. A user agent naming digestbot and its version,
``Accept-Encoding: gzip, deflate``, conditional GET (``etag``/``last_modified`` in,
304 out as ``not_modified`` with no body read), permanent redirects reported in
``moved_to``, ``Retry-After`` (seconds or HTTP-date) in ``HTTPStatus.retry_in``, at
most ``max_concurrent`` fetches at once and ``per_host`` per host. Successful
unconditional fetches are cached by canonical URL for ``cache_minutes``, and
concurrent fetches of the same URL share one request. ``fetcher.quota`` is the
per-chat limiter (:mod:`bot.web.quota`) for callers that serve users.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import sys
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bot.config import FetchConfig
from bot.errors import (
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    HTTPStatus,
    InvalidURL,
    NoSuchHost,
    NotAWebPage,
    RefusedAddress,
    TooBig,
    TooManyRedirects,
)
from bot.locales import N_, Phrase
from bot.web.content import Kind, acceptable, decode, sniff
from bot.web.fence import ALLOW_NETWORK, Fence, Target, parse_host
from bot.web.quota import Quota
from bot.web.urls import canonical_url

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
PERMANENT_CODES = frozenset({301, 308})
CHUNK = 64 * 1024
# The cache never holds more than this many bytes of bodies (plus their text).
CACHE_MAX_BYTES = 32 * 1024 * 1024
# How long aiohttp may reuse a (checked) DNS answer for new connections to a host.
DNS_TTL = 30
GENERIC_TYPE = "application/octet-stream"

ACCEPT = {
    "page": "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8",
    "feed": (
        "application/rss+xml,application/atom+xml,application/feed+json,"
        "application/xml;q=0.9,text/xml;q=0.9,application/json;q=0.8,*/*;q=0.1"
    ),
}

# An async function from (host, port) to the addresses DNS gives, e.g. ["93.184.215.14"].
Lookup = Callable[[str, int], Awaitable[list[str]]]


async def system_lookup(host: str, port: int) -> list[str]:
    """The system resolver (getaddrinfo in the loop's thread pool), addresses in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _Stopped(OSError):
    """Carries a fence refusal out of the resolver through aiohttp's connector."""

    def __init__(self, make: Callable[[str], FetchError]) -> None:
        super().__init__(make("").detail)
        self.make = make


class FencedResolver(AbstractResolver):
    """aiohttp's resolver: one lookup, every address checked, only allowed ones returned."""

    def __init__(self, fence: Fence, lookup: Lookup = system_lookup) -> None:
        self.fence = fence
        self._lookup = lookup
        self.lookups = 0  # DNS lookups made (address literals need none)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            parsed = parse_host(host)
        except ValueError as exc:
            message = str(exc)
            raise _Stopped(lambda url: InvalidURL(url, message)) from None
        if isinstance(parsed, str):
            self.lookups += 1
            try:
                answers = await self._lookup(host, port)
            except OSError:
                raise _Stopped(lambda url: NoSuchHost(url, host)) from None
        else:
            answers = [str(parsed)]
        allowed: list[ResolveResult] = []
        reasons: list[str | Phrase] = []
        refused = False  # the first reason is the fence's (allow_networks can lift it)
        for answer in answers:
            try:
                address = parse_host(answer)
            except ValueError:
                reasons.append(f"{answer} is not a usable address")
                continue
            if isinstance(address, str):
                reasons.append(f"{answer} is not an address")
                continue
            what = self.fence.classify(address)
            if what is not None:
                refused = refused or not reasons  # the reason reported is the first one
                reasons.append(Phrase.of(N_("{address}, {what}"), address=address, what=what))
                continue
            allowed.append(
                ResolveResult(
                    hostname=host,
                    host=str(address),
                    port=port,
                    family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                    proto=0,
                    flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                )
            )
        if not allowed:
            if not reasons:
                raise _Stopped(lambda url: NoSuchHost(url, host))
            reason = Phrase.of(N_("{host} resolves to {reason}"), host=host, reason=reasons[0])
            allow = ALLOW_NETWORK if refused else None
            raise _Stopped(lambda url: RefusedAddress(url, reason, allow))
        return allowed

    async def close(self) -> None:
        """Nothing to release: lookups run in the loop's thread pool."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What a fetch brought back. On 304 (``not_modified``) body and text are empty."""

    url: str  # as asked
    final_url: str  # after redirects
    status: int
    headers: Mapping[str, str]
    content_type: str = ""  # media type, lower-case, no parameters
    charset: str | None = None  # the encoding the text was decoded with
    body: bytes = b""  # decompressed
    text: str = ""
    # SHA-256 of ``body`` (hex): the same digest is the same page, whoever fetched it.
    digest: str = ""
    # Where the permanent redirects (301/308) at the start of the chain lead: a caller
    # that stores the URL (a feed) should store this one instead.
    moved_to: str | None = None
    redirects: tuple[str, ...] = field(default=())

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("Last-Modified")


class Fetcher:
    """Fetches URLs under :class:`~bot.config.FetchConfig`; one ClientSession, reusable."""

    def __init__(
        self,
        config: FetchConfig | None = None,
        *,
        lookup: Lookup = system_lookup,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or FetchConfig()
        self.fence = Fence(self.config.allow_networks, self.config.allow_ports)
        self.resolver = FencedResolver(self.fence, lookup)
        self.quota = Quota(self.config.per_chat_per_hour, clock=clock)
        self._wall_clock = wall_clock
        self._cache = _Cache(self.config.cache_minutes * 60, CACHE_MAX_BYTES, clock)
        self._slots = asyncio.Semaphore(self.config.max_concurrent)
        self._hosts: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}
        self._inflight: dict[tuple[Any, ...], asyncio.Task[FetchResult]] = {}
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0  # HTTP requests sent (each redirect hop counts)
        # Called with each fetch's outcome: "ok", "not_modified" or the FetchError's class
        # name ("RefusedAddress", "FetchTimeout", ...), for metrics.
        self.on_outcome: Callable[[str], object] | None = None

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Cancel fetches in flight and close the session."""
        for task in list(self._inflight.values()):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def check(self, url: str) -> Target:
        """The checks that need no network; raises InvalidURL or RefusedAddress."""
        return self.fence.check_url(url)

    async def fetch(
        self,
        url: str,
        *,
        kind: Kind = "page",
        etag: str | None = None,
        last_modified: str | None = None,
        cache: bool = True,
    ) -> FetchResult:
        """Fetch ``url``; raise a FetchError subclass saying why not.

        With ``etag``/``last_modified`` (a feed poll) the request is conditional and not
        served from the cache; a 304 comes back as a result with ``not_modified``.
        ``cache=False`` neither reads nor fills the cache (pages fetched once, like a
        feed entry's full text); concurrent fetches of one URL are still shared.
        """
        try:
            result = await self._fetch(url, kind, etag, last_modified, cache)
        except FetchError as exc:
            if self.on_outcome is not None:
                self.on_outcome(type(exc).__name__)
            raise
        if self.on_outcome is not None:
            self.on_outcome("not_modified" if result.not_modified else "ok")
        return result

    async def _fetch(
        self, url: str, kind: Kind, etag: str | None, last_modified: str | None, cache: bool
    ) -> FetchResult:
        target = self.fence.check_url(url)
        key = (kind, canonical_url(str(target.url)), etag, last_modified)
        use_cache = cache and etag is None and last_modified is None
        result = self._cache.get(key) if use_cache else None
        if result is None:
            task = self._inflight.get(key)
            if task is None:
                task = asyncio.ensure_future(self._run(url, target, kind, etag, last_modified))
                self._inflight[key] = task
                task.add_done_callback(lambda done: self._finished(key, done, store=use_cache))
            result = await asyncio.shield(task)
        # Shared with other callers (cache, coalescing): the same page, under this URL.
        return result if result.url == url else replace(result, url=url)

    def _finished(self, key: tuple[Any, ...], task: asyncio.Task[FetchResult], store: bool) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if task.cancelled() or task.exception() is not None:  # marks the exception retrieved
            return
        result = task.result()
        if store and not result.not_modified:
            self._cache.put(key, result)

    async def _run(
        self, url: str, target: Target, kind: Kind, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        headers = {"Accept": ACCEPT[kind]}
        if etag is not None:
            headers["If-None-Match"] = etag
        if last_modified is not None:
            headers["If-Modified-Since"] = last_modified
        total = self.config.total_timeout
        async with self._slots:
            start = time.perf_counter()
            try:
                async with asyncio.timeout(total):
                    result = await self._follow(url, target, kind, headers)
            except TimeoutError:
                log.debug("fetch %s: total timeout after %g s", url, total)
                raise FetchTimeout(url, "total", total) from None
            except FetchError as exc:
                log.debug("fetch %s: %s", url, exc.detail)
                raise
        log.debug(
            "fetch %s: %d, %d bytes, %d redirects, %.0f ms",
            url,
            result.status,
            len(result.body),
            len(result.redirects),
            (time.perf_counter() - start) * 1000,
        )
        return result

    async def _follow(
        self, url: str, target: Target, kind: Kind, headers: dict[str, str]
    ) -> FetchResult:
        hops: list[str] = []
        moved_to: str | None = None
        permanent = True
        while True:
            try:
                async with self._host_slot(target.host):
                    outcome = await self._request(url, target, kind, headers)
            except RefusedAddress as exc:  # a redirect to a name that resolves to a refused address
                if not hops:
                    raise
                reason = Phrase.of(
                    N_("it redirects to {url}, and {reason}"),
                    url=target.url,
                    reason=exc.reason_phrase,
                )
                raise RefusedAddress(url, reason, exc.allow_phrase) from None
            if isinstance(outcome, FetchResult):
                return replace(
                    outcome, final_url=str(target.url), moved_to=moved_to, redirects=tuple(hops)
                )
            status, location = outcome
            if len(hops) >= MAX_REDIRECTS:
                raise TooManyRedirects(url, MAX_REDIRECTS)
            try:
                following = target.url.join(URL(location))
            except (ValueError, TypeError):
                raise ConnectionFailed(
                    url, Phrase.of(N_("a redirect to an invalid link: {link}"), link=location)
                ) from None
            try:
                target = self.fence.check_url(following)
            except RefusedAddress as exc:
                reason = Phrase.of(
                    N_("it redirects to {url}, and {reason}"),
                    url=following,
                    reason=exc.reason_phrase,
                )
                raise RefusedAddress(url, reason, exc.allow_phrase) from None
            except InvalidURL as exc:
                reason = Phrase.of(
                    N_("it redirects to an invalid link ({detail})"), detail=exc.phrase
                )
                raise InvalidURL(url, reason) from None
            hops.append(str(target.url))
            permanent = permanent and status in PERMANENT_CODES
            if permanent:
                moved_to = str(target.url)

    @asynccontextmanager
    async def _host_slot(self, host: str) -> AsyncIterator[None]:
        semaphore, users = self._hosts.setdefault(
            host, (asyncio.Semaphore(self.config.per_host), [0])
        )
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._hosts[host]

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=self.resolver,
                use_dns_cache=True,
                ttl_dns_cache=DNS_TTL,
                limit=self.config.max_concurrent,
                limit_per_host=self.config.per_host,
            )
            timeout = aiohttp.ClientTimeout(
                total=None,
                connect=self.config.connect_timeout,
                sock_connect=self.config.connect_timeout,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                auto_decompress=True,
                headers={"User-Agent": self.config.user_agent, "Accept-Encoding": "gzip, deflate"},
            )
        return self._session

    async def _request(
        self, url: str, target: Target, kind: Kind, headers: dict[str, str]
    ) -> FetchResult | tuple[int, str]:
        """One hop: a final result, or (status, Location) for a redirect."""
        session = self._session_now()
        self.requests += 1
        try:
            async with session.get(
                target.url, headers=headers, allow_redirects=False, max_redirects=0
            ) as response:
                try:
                    return await self._answer(url, response, kind)
                except BaseException:
                    response.close()  # do not drain or reuse a connection we gave up on
                    raise
        except FetchError:
            raise
        except (aiohttp.ClientError, OSError) as exc:
            raise self._translate(exc, url, target) from None

    def _translate(self, exc: BaseException, url: str, target: Target) -> FetchError:
        """The FetchError for an aiohttp (or socket) error."""
        match exc:
            case aiohttp.ClientConnectorDNSError() if isinstance(exc.os_error, _Stopped):
                return exc.os_error.make(url)
            case aiohttp.ClientConnectorDNSError():
                return NoSuchHost(url, target.host)
            case aiohttp.ConnectionTimeoutError():
                return FetchTimeout(url, "connect", self.config.connect_timeout)
            case aiohttp.ClientConnectorError():
                return ConnectionFailed(
                    url,
                    Phrase.of(N_("could not connect ({error})"), error=exc.os_error.strerror),
                )
            case aiohttp.ServerDisconnectedError():
                return ConnectionFailed(
                    url, Phrase.of(N_("the site closed the connection without answering"))
                )
            case aiohttp.ClientPayloadError():
                return ConnectionFailed(
                    url, Phrase.of(N_("the site stopped before the page was complete"))
                )
            case aiohttp.ClientResponseError():
                return ConnectionFailed(
                    url, Phrase.of(N_("the answer is not valid HTTP ({error})"), error=exc.message)
                )
            case aiohttp.InvalidURL():
                return InvalidURL(url, str(exc))
        return ConnectionFailed(
            url, Phrase.of(N_("connection failed ({error})"), error=exc or type(exc).__name__)
        )

    async def _answer(
        self, url: str, response: aiohttp.ClientResponse, kind: Kind
    ) -> FetchResult | tuple[int, str]:
        status = response.status
        headers = CIMultiDictProxy(CIMultiDict(response.headers))
        if status in REDIRECT_CODES:
            location = headers.get("Location")
            if not location:
                raise ConnectionFailed(
                    url, Phrase.of(N_("HTTP {status} redirect without a Location"), status=status)
                )
            return status, location
        if status == 304:
            return FetchResult(url=url, final_url=url, status=304, headers=headers)
        if not 200 <= status < 300:
            retry_in = None
            if status in (429, 503):
                retry_in = parse_retry_after(headers.get("Retry-After"), self._wall_clock())
            raise HTTPStatus(url, status, response.reason or "", retry_in)
        # No type, or the generic "some bytes": decide from the body once it is read.
        media_type = response.content_type.lower() if headers.get("Content-Type") else ""
        if media_type == GENERIC_TYPE:
            media_type = ""
        if media_type and not acceptable(media_type, kind):
            raise NotAWebPage(url, media_type)
        limit = self.config.max_bytes
        length = response.content_length
        if length is not None and length > limit:
            raise TooBig(url, limit)
        body = bytearray()
        digest = hashlib.sha256()  # a chunk at a time: never one long step on the loop
        async for chunk in response.content.iter_chunked(CHUNK):
            if len(body) + len(chunk) > limit:
                raise TooBig(url, limit)
            body += chunk
            digest.update(chunk)
        data = bytes(body)
        del body  # the page once, not twice, while it is decoded
        if not media_type:
            media_type = sniff(data, kind)
            if not acceptable(media_type, kind):
                raise NotAWebPage(url, media_type)
        text, charset = decode(data, response.charset, media_type)
        return FetchResult(
            url=url,
            final_url=url,
            status=status,
            headers=headers,
            content_type=media_type,
            charset=charset,
            body=data,
            text=text,
            digest=digest.hexdigest(),
        )


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


class _Cache:
    """Results by key for ``ttl`` seconds, oldest evicted beyond ``max_bytes``."""

    def __init__(self, ttl: float, max_bytes: int, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._clock = clock
        self._items: OrderedDict[tuple[Any, ...], tuple[float, int, FetchResult]] = OrderedDict()
        self._bytes = 0

    def get(self, key: tuple[Any, ...]) -> FetchResult | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= self._clock():
            self._drop(key)
            return None
        return item[2]

    def put(self, key: tuple[Any, ...], result: FetchResult) -> None:
        size = sys.getsizeof(result.body) + sys.getsizeof(result.text)
        if self.ttl <= 0 or size > self.max_bytes:
            return
        if key in self._items:
            self._drop(key)
        self._items[key] = (self._clock() + self.ttl, size, result)
        self._bytes += size
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._items)))

    def _drop(self, key: tuple[Any, ...]) -> None:
        _, size, _ = self._items.pop(key)
        self._bytes -= size
