"""bot.web.fetch against loopback servers: the fence on every hop, limits, manners, caching.

Pages are served on 127.0.0.1 (the only exempt address); a trap on 127.0.0.2 counts
connections and must stay at zero. Host names resolve through a stub, never the
system resolver, so nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import calendar
import socket
from collections.abc import AsyncIterator

import pytest

from bot import __version__
from bot.errors import (
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    HTTPStatus,
    NoSuchHost,
    NotAWebPage,
    RefusedAddress,
    TooBig,
    TooManyRedirects,
)
from bot.web.fetch import Fetcher, parse_retry_after
from tests.loopsite import LoopSite


class StubDNS:
    """A lookup function: each host answers its lists in turn (the last one repeats)."""

    def __init__(self, **answers: list[list[str]]) -> None:
        self.answers = {host.replace("_", "."): list(lists) for host, lists in answers.items()}
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        lists = self.answers.get(host)
        if not lists:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return lists.pop(0) if len(lists) > 1 else lists[0]


@pytest.fixture
async def site() -> AsyncIterator[LoopSite]:
    async with LoopSite() as server:
        yield server
    assert server.trap.connections == 0, "the refused address was contacted"


async def test_fetches_a_page_with_its_text_status_and_headers(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        result = await fetcher.fetch(site.url("/page"))
    assert result.status == 200
    assert result.final_url == site.url("/page")
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert "Grüße aus der Küche — a page." in result.text
    assert result.headers["Content-Type"].startswith("text/html")
    assert result.redirects == () and result.moved_to is None


async def test_requests_name_digestbot_and_its_version_and_accept_gzip(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        await fetcher.fetch(site.url("/page"))
    sent = site.headers[-1]
    assert sent["User-Agent"].startswith(f"digestbot/{__version__}")
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert "text/html" in sent["Accept"]
    assert "Cookie" not in sent


async def test_a_gzipped_page_is_decompressed(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        result = await fetcher.fetch(site.url("/gzipped"))
    assert "Grüße" in result.text


# -- the fence -----------------------------------------------------------------

REFUSED_SPELLINGS = [
    "127.0.0.2",
    "2130706434",
    "0x7f.2",
    "0x7f000002",
    "0177.0.0.2",
    "127.2",
    "127.0.0.2.",
    "[::ffff:127.0.0.2]",
    "[::ffff:7f00:2]",
    "[::127.0.0.2]",
    "[64:ff9b::7f00:2]",
    "[2002:7f00:2::]",
]


@pytest.mark.parametrize("host", REFUSED_SPELLINGS)
async def test_every_spelling_of_a_refused_address_is_refused_before_connecting(
    site: LoopSite, host: str
) -> None:
    async with Fetcher(site.config()) as fetcher:
        with pytest.raises(RefusedAddress) as caught:
            await fetcher.fetch(site.trap_url("/", host=host))
        assert fetcher.requests == 0
    assert "127.0.0.2" in caught.value.reason
    assert "loopback" in caught.value.user_message
    assert site.trap.connections == 0


@pytest.mark.parametrize("host", ["0x7f.1", "2130706433", "127.1", "0177.0.0.1", "[::ffff:7f00:1]"])
async def test_odd_spellings_of_the_exempt_address_reach_it(site: LoopSite, host: str) -> None:
    async with Fetcher(site.config()) as fetcher:
        result = await fetcher.fetch(site.url("/page", host=host))
    assert result.status == 200
    assert result.final_url == site.url("/page")


async def test_without_the_exemption_the_test_site_itself_is_refused(site: LoopSite) -> None:
    async with Fetcher(site.config(allow_networks=())) as fetcher:
        with pytest.raises(RefusedAddress, match="loopback"):
            await fetcher.fetch(site.url("/page"))
    assert site.hits["/page"] == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://user:secret@127.0.0.1:{port}/page", "user name or password"),
        ("http://127.0.0.1:22/", "port 22 is not allowed"),
        ("http://[::1]:{port}/", "::1 is a loopback address"),
        ("http://0:{port}/", "0.0.0.0 is an unspecified address"),
    ],
)
async def test_refused_links_say_why(site: LoopSite, url: str, reason: str) -> None:
    # Addresses outside 127.0.0.0/8 (metadata, private, CGNAT) are refused in test_fence,
    # without a Fetcher: no test could ever send a packet there, even with a broken fence.
    async with Fetcher(site.config()) as fetcher:
        with pytest.raises(RefusedAddress, match=reason):
            await fetcher.fetch(url.format(port=site.port))
        assert fetcher.requests == 0
    assert sum(site.hits.values()) == 0


async def test_a_host_name_resolving_to_a_refused_address_is_refused(site: LoopSite) -> None:
    dns = StubDNS(evil_test=[["127.0.0.2"]])
    async with Fetcher(site.config(), lookup=dns) as fetcher:
        with pytest.raises(RefusedAddress) as caught:
            await fetcher.fetch(site.trap_url("/", host="evil.test"))
    assert caught.value.reason == "evil.test resolves to 127.0.0.2, a loopback address"
    assert caught.value.detail == (
        "evil.test resolves to 127.0.0.2, a loopback address"
        " (to allow it, add its network to [fetch] allow_networks)"
    )
    assert dns.calls == ["evil.test"]


async def test_a_host_name_keeps_its_host_header(site: LoopSite) -> None:
    dns = StubDNS(news_test=[["127.0.0.1"]])
    async with Fetcher(site.config(), lookup=dns) as fetcher:
        result = await fetcher.fetch(site.url("/page", host="news.test"))
    assert result.status == 200
    assert site.headers[-1]["Host"] == f"news.test:{site.port}"


async def test_only_the_allowed_addresses_of_a_mixed_answer_are_contacted(site: LoopSite) -> None:
    dns = StubDNS(mixed_test=[["127.0.0.2", "127.0.0.1"]])
    async with Fetcher(site.config(), lookup=dns) as fetcher:
        # The trap listens on 127.0.0.2 at the site's port: a slip would land there.
        result = await fetcher.fetch(site.url("/page", host="mixed.test"))
    assert result.status == 200


async def test_an_unknown_host_is_no_such_host(site: LoopSite) -> None:
    async with Fetcher(site.config(), lookup=StubDNS()) as fetcher:
        with pytest.raises(NoSuchHost) as caught:
            await fetcher.fetch(site.url("/", host="nowhere.test"))
    assert caught.value.user_message == "I could not find the site nowhere.test (no such host)."


async def test_dns_rebinding_cannot_reach_the_refused_address(site: LoopSite) -> None:
    # First answer allowed, every later one refused. /chain/3 is three redirects back to
    # the same host, each on a new connection (the site closes them): still one lookup.
    dns = StubDNS(rebind_test=[["127.0.0.1"], ["127.0.0.2"]])
    async with Fetcher(site.config(), lookup=dns) as fetcher:
        result = await fetcher.fetch(site.url("/chain/3", host="rebind.test"))
        assert result.status == 200 and len(result.redirects) == 3
        assert dns.calls == ["rebind.test"]
        assert site.hits["/chain/0"] == 1
        # Once the checked answer expires, the next lookup is checked again: refused.
        assert fetcher._session is not None
        fetcher._session.connector.clear_dns_cache()  # type: ignore[union-attr]
        with pytest.raises(RefusedAddress, match=r"rebind\.test resolves to 127\.0\.0\.2"):
            await fetcher.fetch(site.url("/page", host="rebind.test"))
        assert dns.calls == ["rebind.test", "rebind.test"]
    assert site.trap.connections == 0


# -- redirects -----------------------------------------------------------------


def redirect_to(site: LoopSite, target: str, code: int = 302) -> str:
    from urllib.parse import quote

    return site.url(f"/to?code={code}&url={quote(target, safe='')}")


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{trap}/",  # absolute
        "//127.0.0.2:{trap}/",  # relative (network-path reference)
        "http://0x7f.2:{trap}/",
        "http://[::ffff:127.0.0.2]:{trap}/",
        "http://2130706434:{trap}/",
        "http://evil.test:{trap}/",
    ],
)
async def test_a_redirect_to_a_refused_address_is_refused(site: LoopSite, target: str) -> None:
    dns = StubDNS(evil_test=[["127.0.0.2"]])
    async with Fetcher(site.config(), lookup=dns) as fetcher:
        with pytest.raises(RefusedAddress, match=r"it redirects to .*127\.0\.0\.2"):
            await fetcher.fetch(redirect_to(site, target.format(trap=site.trap.port)))
    assert site.trap.connections == 0


async def test_a_redirect_to_another_scheme_is_refused(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        with pytest.raises(RefusedAddress, match="only http and https"):
            await fetcher.fetch(redirect_to(site, "file:///etc/passwd"))


async def test_five_redirects_are_followed_and_a_sixth_is_refused(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        result = await fetcher.fetch(site.url("/chain/5"))
        assert result.final_url == site.url("/chain/0")
        assert len(result.redirects) == 5
        with pytest.raises(TooManyRedirects):
            await fetcher.fetch(site.url("/chain/6"))
    assert site.hits["/chain/6"] == 1 and site.hits["/chain/0"] == 1  # never reached twice


async def test_permanent_redirects_at_the_start_are_reported(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        result = await fetcher.fetch(site.url("/moved/a"))
        assert result.final_url == site.url("/page")
        assert result.moved_to == site.url("/moved/c")  # 301, 308, then a temporary 302
        temporary = await fetcher.fetch(redirect_to(site, site.url("/text"), code=302))
        assert temporary.moved_to is None


# -- limits ----------------------------------------------------------------------


async def test_a_body_declared_too_big_is_refused_unread(site: LoopSite) -> None:
    async with Fetcher(site.config(max_bytes=10_000)) as fetcher:
        with pytest.raises(TooBig) as caught:
            await fetcher.fetch(site.url("/big/10001"))
        assert (await fetcher.fetch(site.url("/big/10000"))).body == b"a" * 10_000
    assert "too big" in caught.value.user_message


async def test_a_streamed_body_is_cut_off_at_the_limit(site: LoopSite) -> None:
    async with Fetcher(site.config(max_bytes=100_000)) as fetcher:
        with pytest.raises(TooBig):
            await fetcher.fetch(site.url("/stream/1000000"))
        assert len((await fetcher.fetch(site.url("/stream/100000"))).body) == 100_000


async def test_a_gzip_bomb_is_cut_off_not_inflated(site: LoopSite) -> None:
    async with Fetcher(site.config(max_bytes=1_000_000)) as fetcher:
        with pytest.raises(TooBig):
            await fetcher.fetch(site.url("/bomb"))


async def test_a_server_that_never_answers_times_out(site: LoopSite) -> None:
    async with Fetcher(site.config(total_timeout=0.3)) as fetcher:
        with pytest.raises(FetchTimeout) as caught:
            await fetcher.fetch(site.raw_url("/hang"))
    assert caught.value.phase == "total"
    assert "took too long" in caught.value.user_message


async def test_a_connection_never_accepted_is_a_connect_timeout(site: LoopSite) -> None:
    # A listening socket with a full backlog: the kernel drops further SYNs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
    try:
        config = site.config(connect_timeout=0.3, total_timeout=5, allow_ports=(port,))
        async with Fetcher(config) as fetcher:
            with pytest.raises(FetchTimeout) as caught:
                await fetcher.fetch(f"http://127.0.0.1:{port}/")
    finally:
        for sock in (*fillers, listener):
            sock.close()
    assert caught.value.phase == "connect"
    assert "did not accept a connection within 0.3 seconds" in caught.value.user_message


async def test_a_body_that_stalls_times_out(site: LoopSite) -> None:
    async with Fetcher(site.config(total_timeout=0.3)) as fetcher:
        with pytest.raises(FetchTimeout) as caught:
            await fetcher.fetch(site.url("/stall"))
    assert caught.value.phase == "total"


async def test_a_body_cut_short_is_a_connection_failure(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        with pytest.raises(ConnectionFailed, match="before the page was complete"):
            await fetcher.fetch(site.raw_url("/cut-short"))


async def test_a_connection_closed_without_an_answer_is_a_connection_failure(
    site: LoopSite,
) -> None:
    async with Fetcher(site.config()) as fetcher:
        with pytest.raises(ConnectionFailed, match="closed the connection"):
            await fetcher.fetch(site.raw_url("/slam"))


async def test_a_closed_port_is_a_connection_failure(site: LoopSite) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    async with Fetcher(site.config(allow_ports=(port,))) as fetcher:
        with pytest.raises(ConnectionFailed, match="could not connect"):
            await fetcher.fetch(f"http://127.0.0.1:{port}/")


# -- statuses and types ----------------------------------------------------------


@pytest.mark.parametrize("code", [404, 410, 500, 502])
async def test_http_errors_carry_the_code(site: LoopSite, code: int) -> None:
    async with Fetcher(site.config()) as fetcher:
        with pytest.raises(HTTPStatus) as caught:
            await fetcher.fetch(site.url(f"/status/{code}"))
    assert caught.value.code == code
    assert f"HTTP {code}" in caught.value.user_message
    assert caught.value.retry_in is None


async def test_retry_after_in_seconds_on_429(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        with pytest.raises(HTTPStatus) as caught:
            await fetcher.fetch(site.url("/busy/429/120"))
    assert (caught.value.code, caught.value.retry_in) == (429, 120.0)
    assert "try again in 2 minutes" in caught.value.user_message


async def test_retry_after_as_an_http_date_on_503(site: LoopSite) -> None:
    now = calendar.timegm((2026, 11, 29, 10, 0, 0))
    date = "Sun, 29 Nov 2026 10:05:00 GMT"
    async with Fetcher(site.config(), wall_clock=lambda: now) as fetcher:
        with pytest.raises(HTTPStatus) as caught:
            await fetcher.fetch(site.url(f"/busy/503/{date}"))
    assert (caught.value.code, caught.value.retry_in) == (503, 300.0)


def test_retry_after_values() -> None:
    assert parse_retry_after("0", 0.0) == 0.0
    assert parse_retry_after(" 30 ", 0.0) == 30.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", 0.0) == 60.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", 120.0) == 0.0  # past: now
    assert parse_retry_after("soon", 0.0) is None
    assert parse_retry_after(None, 0.0) is None


async def test_conditional_get_returns_not_modified_without_a_body(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        first = await fetcher.fetch(site.url("/etag"), kind="page")
        assert first.etag == '"v1"' and first.last_modified is not None
        again = await fetcher.fetch(site.url("/etag"), etag=first.etag)
        by_date = await fetcher.fetch(site.url("/etag"), last_modified=first.last_modified)
    assert again.not_modified and by_date.not_modified
    assert (again.body, again.text) == (b"", "")
    assert site.headers[1]["If-None-Match"] == '"v1"'
    assert site.hits["/etag"] == 3  # conditional fetches bypass the cache


async def test_a_pdf_is_not_a_web_page(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        with pytest.raises(NotAWebPage) as caught:
            await fetcher.fetch(site.url("/pdf"))
    assert caught.value.content_type == "application/pdf"
    assert caught.value.user_message == "Not a web page I can read: application/pdf."


async def test_feeds_and_pages_accept_different_types(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        feed = await fetcher.fetch(site.url("/feed"), kind="feed")
        with pytest.raises(NotAWebPage, match="application/rss"):
            await fetcher.fetch(site.url("/feed"), kind="page")
        text = await fetcher.fetch(site.url("/text"))
    assert feed.charset == "cp1252"  # ISO-8859-1 from the XML declaration, read as browsers do
    assert "<title>Café</title>" in feed.text
    assert feed.body.startswith(b"<?xml")
    assert text.content_type == "text/plain"


async def test_a_body_served_as_octet_stream_is_judged_by_its_content(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        page = await fetcher.fetch(site.url("/untyped/html"))
        feed = await fetcher.fetch(site.url("/untyped/feed"), kind="feed")
        with pytest.raises(NotAWebPage, match="application/octet-stream"):
            await fetcher.fetch(site.url("/untyped/pdf"))
    assert (page.content_type, feed.content_type) == ("text/html", "application/xml")


@pytest.mark.parametrize(
    ("path", "charset"),
    [
        ("/latin1-header", "cp1252"),
        ("/latin1-meta", "cp1252"),
        ("/http-equiv", "cp1252"),
        ("/undeclared", "cp1252"),
    ],
)
async def test_pages_not_in_utf8_are_decoded(site: LoopSite, path: str, charset: str) -> None:
    async with Fetcher(site.config()) as fetcher:
        result = await fetcher.fetch(site.url(path))
    assert result.charset == charset
    assert "Grüße aus der Küche" in result.text


# -- sharing ---------------------------------------------------------------------


async def test_a_link_is_fetched_once_and_cached_by_canonical_url(site: LoopSite) -> None:
    now = [0.0]
    async with Fetcher(site.config(cache_minutes=60), clock=lambda: now[0]) as fetcher:
        first = await fetcher.fetch(site.url("/page"))
        assert await fetcher.fetch(site.url("/page")) is first
        tracked = await fetcher.fetch(site.url("/page?utm_source=chat#top"))
        assert tracked.body is first.body and tracked.url == site.url("/page?utm_source=chat#top")
        shouted = await fetcher.fetch(site.url("/page").upper().replace("/PAGE", "/page"))
        assert shouted.body is first.body
        now[0] += 3601
        await fetcher.fetch(site.url("/page"))
    assert site.hits["/page"] == 2


async def test_concurrent_fetches_of_one_link_share_one_request(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        tasks = [asyncio.ensure_future(fetcher.fetch(site.url("/gated/one"))) for _ in range(10)]
        await asyncio.wait_for(site.entered.wait(), 5)
        site.gate.set()
        results = await asyncio.gather(*tasks)
    assert site.hits["/gated/one"] == 1
    assert all(r is results[0] for r in results)


async def test_a_cancelled_caller_does_not_cancel_the_others(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        first = asyncio.ensure_future(fetcher.fetch(site.url("/gated/one")))
        second = asyncio.ensure_future(fetcher.fetch(site.url("/gated/one")))
        await asyncio.wait_for(site.entered.wait(), 5)
        first.cancel()
        site.gate.set()
        assert (await second).status == 200
    assert first.cancelled()


async def test_at_most_per_host_fetches_reach_one_host_at_once(site: LoopSite) -> None:
    async with Fetcher(site.config(per_host=1, max_concurrent=4)) as fetcher:
        tasks = [asyncio.ensure_future(fetcher.fetch(site.url(f"/gated/{i}"))) for i in range(3)]
        await asyncio.wait_for(site.entered.wait(), 5)
        site.entered.clear()
        # While the first is held, no second request arrives (it would set `entered`).
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(site.entered.wait(), 0.3)
        site.gate.set()
        await asyncio.gather(*tasks)
    assert site.most_active == 1
    assert sum(site.hits[f"/gated/{i}"] for i in range(3)) == 3


async def test_at_most_max_concurrent_fetches_at_once(site: LoopSite) -> None:
    dns = StubDNS(a_test=[["127.0.0.1"]], b_test=[["127.0.0.1"]], c_test=[["127.0.0.1"]])
    async with Fetcher(site.config(per_host=2, max_concurrent=1), lookup=dns) as fetcher:
        urls = [site.url(f"/gated/{host}", host=f"{host}.test") for host in "abc"]
        tasks = [asyncio.ensure_future(fetcher.fetch(url)) for url in urls]
        await asyncio.wait_for(site.entered.wait(), 5)
        site.entered.clear()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(site.entered.wait(), 0.3)
        site.gate.set()
        await asyncio.gather(*tasks)
    assert site.most_active == 1


async def test_cache_false_neither_reads_nor_fills_the_cache(site: LoopSite) -> None:
    async with Fetcher(site.config()) as fetcher:
        await fetcher.fetch(site.url("/page"), cache=False)
        await fetcher.fetch(site.url("/page"))
        await fetcher.fetch(site.url("/page"), cache=False)
        await fetcher.fetch(site.url("/page"))
    assert site.hits["/page"] == 3


async def test_every_fetch_error_has_a_user_message(site: LoopSite) -> None:
    async with Fetcher(site.config(max_bytes=10)) as fetcher:
        for url in (site.trap_url(), site.url("/pdf"), site.url("/status/404"), site.url("/page")):
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(url)
            message = caught.value.user_message
            assert message.endswith(".") and "Traceback" not in message


async def test_close_closes_the_session(site: LoopSite) -> None:
    fetcher = Fetcher(site.config())
    await fetcher.fetch(site.url("/page"))
    session = fetcher._session
    await fetcher.close()
    assert session is not None and session.closed
