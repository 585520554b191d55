"""Loopback web servers for the fetch tests: a site on 127.0.0.1 and a trap on 127.0.0.2.

:class:`LoopSite` starts three servers a test can point a :class:`~bot.web.fetch.Fetcher` at:

* an aiohttp.web site on 127.0.0.1 with pages in several encodings, redirects, errors,
  a gzip bomb, a conditional-GET page and gated pages (the handler waits until the
  test opens the gate), counting every request per path;
* a raw asyncio server on 127.0.0.1 for answers aiohttp.web will not give: no answer
  at all (hangs before headers), a body cut short, a connection closed at once;
* a trap on 127.0.0.2, on the site's port, that counts every connection it accepts. The fetcher's
  ``allow_networks`` names 127.0.0.1/32 only, so every test asserts ``trap.connections
  == 0``: the refused address was never contacted.

Nothing here talks to any address outside 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import gzip
from dataclasses import replace
from typing import Any

from aiohttp import web

from bot.config import FetchConfig

BOMB_SIZE = 50_000_000  # bytes after decompression; about 50 kB on the wire

PAGE = (
    "<!doctype html><html><head><title>Hello</title></head>"
    "<body><p>Grüße aus der Küche — a page.</p></body></html>"
)


@functools.cache
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * BOMB_SIZE, compresslevel=9)


class Trap:
    """A TCP server that must never be contacted: counts connections, answers nothing."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.host = host
        self.port = 0
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


class RawServer:
    """Misbehaving HTTP on 127.0.0.1: /hang, /cut-short, /slam (close without answering)."""

    def __init__(self, release: asyncio.Event) -> None:
        self.port = 0
        self.release = release
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            if path == "/hang":
                await self.release.wait()
            elif path == "/cut-short":
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                    b"Content-Length: 1000\r\n\r\n<html><body>only the begin"
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()


class LoopSite:
    """The test site, the raw server and the trap; see the module docstring."""

    def __init__(self) -> None:
        self.hits: collections.Counter[str] = collections.Counter()
        self.headers: list[dict[str, str]] = []  # request headers, in order
        self.release = asyncio.Event()  # set at stop: hanging handlers finish
        self.gate = asyncio.Event()  # /gated/* answer once it is set
        self.entered = asyncio.Event()  # set by every /gated/* request on arrival
        self.active = 0  # /gated/* requests being handled now
        self.most_active = 0
        self.trap = Trap()
        self.raw = RawServer(self.release)
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> LoopSite:
        await self.raw.start()
        app = web.Application()
        app.router.add_route("GET", "/{path:.*}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        for _attempt in range(20):
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = self._runner.addresses[-1][1]
            # The trap takes the same port on 127.0.0.2: a connection to the right port
            # at the wrong address lands in the trap instead of failing unnoticed.
            try:
                await self.trap.start(self.port)
            except OSError:
                await site.stop()
                continue
            return self
        raise RuntimeError("no port free on both 127.0.0.1 and 127.0.0.2")

    async def __aexit__(self, *exc_info: object) -> None:
        self.release.set()
        self.gate.set()
        assert self._runner is not None
        await self._runner.cleanup()
        await self.raw.stop()
        await self.trap.stop()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def raw_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.raw.port}{path}"

    def trap_url(self, path: str = "/", host: str = "127.0.0.2") -> str:
        return f"http://{host}:{self.trap.port}{path}"

    def config(self, **changes: Any) -> FetchConfig:
        """A FetchConfig exempting only 127.0.0.1, all three ports allowed, short timeouts."""
        base = FetchConfig(
            connect_timeout=2.0,
            total_timeout=5.0,
            max_bytes=1_000_000,
            allow_ports=(self.port, self.raw.port),
            allow_networks=("127.0.0.1/32",),
        )
        return replace(base, **changes)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        self.hits[path] += 1
        self.headers.append(dict(request.headers))
        name, _, rest = path[1:].partition("/")
        handler = getattr(self, "_" + name.replace("-", "_"), None)
        if handler is None:
            raise web.HTTPNotFound()
        return await handler(request, rest)

    # -- pages ---------------------------------------------------------------

    async def _page(self, request: web.Request, rest: str) -> web.StreamResponse:
        return web.Response(text=PAGE, content_type="text/html", charset="utf-8")

    async def _text(self, request: web.Request, rest: str) -> web.StreamResponse:
        return web.Response(text="Just words.", content_type="text/plain")

    async def _latin1_header(self, request: web.Request, rest: str) -> web.StreamResponse:
        body = PAGE.replace("—", "-").encode("latin-1")
        return web.Response(body=body, headers={"Content-Type": "text/html; charset=ISO-8859-1"})

    async def _latin1_meta(self, request: web.Request, rest: str) -> web.StreamResponse:
        page = PAGE.replace("—", "-").replace("<head>", '<head><meta charset="iso-8859-1">')
        return web.Response(body=page.encode("latin-1"), headers={"Content-Type": "text/html"})

    async def _http_equiv(self, request: web.Request, rest: str) -> web.StreamResponse:
        meta = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        page = PAGE.replace("<head>", "<head>" + meta)
        return web.Response(body=page.encode("cp1252"), headers={"Content-Type": "text/html"})

    async def _undeclared(self, request: web.Request, rest: str) -> web.StreamResponse:
        body = PAGE.replace("—", "-").encode("latin-1")
        return web.Response(body=body, headers={"Content-Type": "text/html"})

    async def _feed(self, request: web.Request, rest: str) -> web.StreamResponse:
        xml = '<?xml version="1.0" encoding="ISO-8859-1"?><rss><channel><title>Café</title>'
        xml += "</channel></rss>"
        return web.Response(
            body=xml.encode("latin-1"), headers={"Content-Type": "application/rss+xml"}
        )

    async def _untyped(self, request: web.Request, rest: str) -> web.StreamResponse:
        """/untyped/{html,feed,pdf}: a body served as application/octet-stream."""
        body = {
            "html": PAGE.encode(),
            "feed": b'<?xml version="1.0"?><rss><channel><title>T</title></channel></rss>',
            "pdf": b"%PDF-1.4\n\x00\x01\x02",
        }[rest]
        return web.Response(body=body, headers={"Content-Type": "application/octet-stream"})

    async def _pdf(self, request: web.Request, rest: str) -> web.StreamResponse:
        return web.Response(body=b"%PDF-1.4\n" + b"x" * 100, content_type="application/pdf")

    async def _big(self, request: web.Request, rest: str) -> web.StreamResponse:
        return web.Response(body=b"a" * int(rest), content_type="text/plain")

    async def _stream(self, request: web.Request, rest: str) -> web.StreamResponse:
        """``rest`` bytes of text in 64 kB chunks, chunked (no Content-Length)."""
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        left = int(rest)
        while left > 0:
            n = min(left, 65536)
            await response.write(b"b" * n)
            left -= n
        await response.write_eof()
        return response

    async def _bomb(self, request: web.Request, rest: str) -> web.StreamResponse:
        return web.Response(
            body=gzip_bomb(),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
        )

    async def _gzipped(self, request: web.Request, rest: str) -> web.StreamResponse:
        return web.Response(
            body=gzip.compress(PAGE.encode()),
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
        )

    async def _stall(self, request: web.Request, rest: str) -> web.StreamResponse:
        """Headers and the start of a body, then nothing until the site stops."""
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = 10_000
        await response.prepare(request)
        await response.write(b"<html><body>")
        await self.release.wait()
        return response

    async def _status(self, request: web.Request, rest: str) -> web.StreamResponse:
        return web.Response(status=int(rest), text="error page")

    async def _busy(self, request: web.Request, rest: str) -> web.StreamResponse:
        status, _, retry_after = rest.partition("/")
        return web.Response(status=int(status), headers={"Retry-After": retry_after})

    async def _etag(self, request: web.Request, rest: str) -> web.StreamResponse:
        validators = {"ETag": '"v1"', "Last-Modified": "Sun, 29 Nov 2026 10:00:00 GMT"}
        if request.headers.get("If-None-Match") == '"v1"' or (
            request.headers.get("If-Modified-Since") == validators["Last-Modified"]
        ):
            return web.Response(status=304, headers=validators)
        return web.Response(text=PAGE, content_type="text/html", headers=validators)

    # -- redirects -----------------------------------------------------------

    async def _to(self, request: web.Request, rest: str) -> web.StreamResponse:
        """Redirect to ``?url=`` with ``?code=`` (default 302)."""
        code = int(request.query.get("code", "302"))
        return web.Response(status=code, headers={"Location": request.query["url"]})

    async def _chain(self, request: web.Request, rest: str) -> web.StreamResponse:
        """/chain/N redirects to /chain/N-1 (relative), /chain/0 is a page; no keep-alive."""
        n = int(rest)
        close = {"Connection": "close"}
        if n == 0:
            return web.Response(text=PAGE, content_type="text/html", headers=close)
        return web.Response(
            status=302, headers={"Location": f"/chain/{n - 1}", "Connection": "close"}
        )

    async def _moved(self, request: web.Request, rest: str) -> web.StreamResponse:
        """/moved/a -301-> /moved/b -308-> /moved/c -302-> /page."""
        step = {"a": (301, "/moved/b"), "b": (308, "/moved/c"), "c": (302, "/page")}
        code, location = step[rest]
        return web.Response(status=code, headers={"Location": location})

    # -- gated (concurrency) -------------------------------------------------

    async def _gated(self, request: web.Request, rest: str) -> web.StreamResponse:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        self.entered.set()
        try:
            await self.gate.wait()
        finally:
            self.active -= 1
        return web.Response(text=PAGE, content_type="text/html")
