"""Fetcher benchmark: a burst of links to different sites, served from loopback.

    python -m bench.fetch                                   # 100 links of ~100 kB at once
    python -m bench.fetch --links 300 --size 200000 --gzip --max-concurrent 16

A site in its own process serves ``--links`` different pages of about ``--size`` bytes
of HTML on 127.0.0.1 (gzip-compressed with ``--gzip``). Each link has its own host name
(``site-N.test``, resolved by a stub to 127.0.0.1, so ``per_host`` applies per site as
it would on the internet). The bot side is one :class:`bot.web.fetch.Fetcher` with the
default limits unless overridden. Printed, one line each:

* the burst: every link fetched at the same moment; latency from ``fetch()`` called to
  result (p50/p95/p99/max, includes waiting for one of ``max_concurrent`` slots), the
  burst's wall time and throughput;
* the event loop's lag during the burst (a 5 ms ticker; p99 and max late);
* the same links again: served from the cache (p99, requests the site saw);
* ``--links`` callers of one new link at once: requests the site saw (coalescing);
* first of all, a gzip bomb (``--bomb-mb`` MB of zeros, about 1 kB on the wire per MB):
  time to refuse it and the growth of the process's peak RSS meanwhile.

Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import statistics
import time
import zlib

from aiohttp import web

from bench.harness import (
    loopback,
    quantiles_ms,
    serve_app,
    start_site,
    stop_site,
    synthetic_page,
    ticker,
)
from bot.config import FetchConfig
from bot.errors import TooBig
from bot.web.fetch import CACHE_MAX_BYTES, Fetcher


def gzip_bomb(megabytes: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    zeros = b"\0" * (1 << 20)
    return b"".join([*(compressor.compress(zeros) for _ in range(megabytes)), compressor.flush()])


def serve(
    port_out: multiprocessing.connection.Connection, size: int, gzip: bool, bomb_mb: int
) -> None:
    pages: dict[int, bytes] = {}
    count = [0]
    bomb = gzip_bomb(bomb_mb)

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/count":
            return web.Response(text=str(count[0]))
        if request.path == "/bomb":
            headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
            return web.Response(body=bomb, headers=headers)
        count[0] += 1
        n = int(request.match_info["n"])
        body = pages.get(n) or pages.setdefault(n, synthetic_page(n, size))
        response = web.Response(body=body, content_type="text/html", charset="utf-8")
        if gzip:
            response.enable_compression(web.ContentCoding.gzip)
        return response

    app = web.Application()
    app.router.add_get("/count", handle)
    app.router.add_get("/bomb", handle)
    app.router.add_get("/p/{n}", handle)
    asyncio.run(serve_app(app, port_out))


async def timed(fetcher: Fetcher, url: str) -> float:
    start = time.perf_counter()
    await fetcher.fetch(url)
    return time.perf_counter() - start


async def run(args: argparse.Namespace, port: int) -> None:
    config = FetchConfig(
        allow_ports=(port,),
        allow_networks=("127.0.0.1/32",),
        max_concurrent=args.max_concurrent,
        per_host=args.per_host,
    )
    urls = [f"http://site-{n}.test:{port}/p/{n}" for n in range(args.links)]
    async with Fetcher(config, lookup=loopback) as fetcher:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        try:
            await fetcher.fetch(f"http://bomb.test:{port}/bomb")
        except TooBig:
            took = time.perf_counter() - start
            grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            print(
                f"gzip bomb of {args.bomb_mb} MB: refused (TooBig at {config.max_bytes} bytes) "
                f"in {took * 1000:.0f} ms; peak RSS grew {grew:.1f} MB"
            )
        lags: list[float] = []
        stop = asyncio.Event()
        tick = asyncio.create_task(ticker(lags, stop))
        start = time.perf_counter()
        latencies = await asyncio.gather(*(timed(fetcher, url) for url in urls))
        wall = time.perf_counter() - start
        stop.set()
        await tick
        size = statistics.mean([len((await fetcher.fetch(url)).body) for url in urls[:5]])
        print(
            f"burst: {args.links} links of {size / 1000:.0f} kB"
            f"{' (gzip)' if args.gzip else ''}, max_concurrent {args.max_concurrent}: "
            f"{quantiles_ms(latencies)}; wall {wall:.2f} s, "
            f"{args.links * size / wall / 1e6:.1f} MB/s"
        )
        print(f"event loop lag during the burst: {quantiles_ms(lags)} late")
        served = await requests_seen(fetcher, port)
        again = await asyncio.gather(*(timed(fetcher, url) for url in urls))
        refetched = await requests_seen(fetcher, port) - served
        print(
            f"same links again: {quantiles_ms(again)}; {refetched} refetched "
            f"(the cache keeps at most {CACHE_MAX_BYTES >> 20} MB)"
        )
        served = await requests_seen(fetcher, port)
        one = f"http://site-x.test:{port}/p/{args.links}"
        await asyncio.gather(*(fetcher.fetch(one) for _ in range(args.links)))
        print(
            f"{args.links} callers of one new link at once: the site saw "
            f"{await requests_seen(fetcher, port) - served} request(s)"
        )


async def requests_seen(fetcher: Fetcher, port: int) -> int:
    """Page requests the site has answered so far (the count itself is not cached)."""
    result = await fetcher.fetch(f"http://127.0.0.1:{port}/count", cache=False)
    return int(result.text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=100)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--bomb-mb", type=int, default=1000)
    parser.add_argument("--max-concurrent", type=int, default=FetchConfig().max_concurrent)
    parser.add_argument("--per-host", type=int, default=FetchConfig().per_host)
    args = parser.parse_args(argv)
    server, port = start_site(serve, args.size, args.gzip, args.bomb_mb)
    try:
        asyncio.run(run(args, port))
    finally:
        stop_site(server)


if __name__ == "__main__":
    main()
