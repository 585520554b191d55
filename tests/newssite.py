"""A news site on 127.0.0.1 for the feed tests: feeds, article pages and misbehaviour.

:class:`NewsSite` serves what a test puts in its dicts, by path:

* ``feeds[path] = (body, content_type)`` -- answered with an ``ETag`` (a hash of the
  body) and 304 to a matching ``If-None-Match``;
* ``pages[path] = html`` -- article pages;
* ``statuses[path] = (code, headers)`` -- an error answer (500, 503 with Retry-After);
* ``redirects[path] = (code, location)``;
* ``bombs`` -- paths answering a gzip bomb; ``gzipped`` -- feeds sent gzip-encoded.

``raw_url("/hang" | "/cut-short" | "/slam")`` reach the raw misbehaving server of
:mod:`tests.loopsite`. ``hits`` counts requests per path. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import asyncio
import collections
import gzip
import hashlib
from dataclasses import replace
from typing import Any

from aiohttp import web

from bot.config import FetchConfig
from tests.loopsite import RawServer, gzip_bomb


class NewsSite:
    def __init__(self) -> None:
        self.feeds: dict[str, tuple[bytes, str]] = {}
        self.pages: dict[str, str | bytes] = {}
        self.statuses: dict[str, tuple[int, dict[str, str]]] = {}
        self.redirects: dict[str, tuple[int, str]] = {}
        self.bombs: set[str] = set()
        self.gzipped: set[str] = set()  # feeds sent with Content-Encoding: gzip
        self.hits: collections.Counter[str] = collections.Counter()
        self.not_modified: collections.Counter[str] = collections.Counter()
        self.release = asyncio.Event()
        self.raw = RawServer(self.release)
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> NewsSite:
        await self.raw.start()
        app = web.Application()
        app.router.add_route("GET", "/{path:.*}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[-1][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.release.set()
        assert self._runner is not None
        await self._runner.cleanup()
        await self.raw.stop()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def raw_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.raw.port}{path}"

    def config(self, **changes: Any) -> FetchConfig:
        base = FetchConfig(
            connect_timeout=2.0,
            total_timeout=3.0,
            max_bytes=1_000_000,
            allow_ports=(self.port, self.raw.port),
            allow_networks=("127.0.0.1/32",),
            cache_minutes=0,
            max_concurrent=16,
            per_host=8,
        )
        return replace(base, **changes)

    def fetch_keys(self, **changes: Any) -> dict[str, Any]:
        """The ``[fetch]`` keys (a ``bot_config`` override) that let the bot reach this
        site, with short timeouts: total 3 s, connect 2 s, unless ``changes`` say."""
        fetch = self.config()
        keys = {
            "allow_networks": list(fetch.allow_networks),
            "allow_ports": list(fetch.allow_ports),
            "total_timeout": 3,
            "connect_timeout": 2,
        }
        return keys | changes

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] += 1
        if path in self.statuses:
            code, headers = self.statuses[path]
            return web.Response(status=code, headers=headers, text="no")
        if path in self.redirects:
            code, location = self.redirects[path]
            return web.Response(status=code, headers={"Location": location})
        if path in self.bombs:
            return web.Response(
                body=gzip_bomb(),
                headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
            )
        if path in self.feeds:
            body, content_type = self.feeds[path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if request.headers.get("If-None-Match") == etag:
                self.not_modified[path] += 1
                return web.Response(status=304, headers={"ETag": etag})
            headers = {"Content-Type": content_type, "ETag": etag}
            if path in self.gzipped:
                headers["Content-Encoding"] = "gzip"
                body = gzip.compress(body)
            return web.Response(body=body, headers=headers)
        if path in self.pages:
            page = self.pages[path]
            body = page.encode("utf-8") if isinstance(page, str) else page
            return web.Response(body=body, headers={"Content-Type": "text/html; charset=utf-8"})
        return web.Response(status=404, text="not found")
