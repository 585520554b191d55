"""What the benchmarks share: the fake Bot API in its own process, the bot's side of it,
seed files, loopback web sites, percentiles, CPU and event-loop figures, and the eval
pages and JSON-lines files of ../shared.

A benchmark that drives the whole bot runs three kinds of process: the fake Bot API
(:func:`serve_fake` in the child, :class:`FakeProcess` in the parent; one JSON command
a line on its stdin, one JSON answer a line on its stdout), a web site when pages are
fetched (:func:`start_site`), and the bot itself in the benchmark's own process
(:func:`bot_config` points it at the fake). Nothing here starts anything on import.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import gzip
import json
import multiprocessing
import multiprocessing.connection
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# The paragraph every seed article repeats (after one sentence naming it).
SEED_SENTENCES = (
    "Officials said the work would continue next week in the capital. "
    "Critics argued that the plan was too expensive and far too slow."
)


# -- ../shared ------------------------------------------------------------------------


def shared_eval(name: str) -> Path:
    """``../shared/eval/NAME`` beside the checkout, else /work/shared/eval/NAME (read in
    place, never copied)."""
    beside = ROOT.parent / "shared" / "eval" / name
    return beside if beside.exists() else Path("/work/shared/eval") / name


def real_pages(low: int, high: int, folder: Path | None = None) -> list[bytes]:
    """The eval set's saved news pages (``html/*.html.gz``) of ``low``..``high`` bytes of
    HTML, in file name order."""
    folder = shared_eval("pages") / "html" if folder is None else folder
    pages = []
    for path in sorted(folder.glob("*.html.gz")):
        body = gzip.decompress(path.read_bytes())
        if low <= len(body) <= high:
            pages.append(body)
    return pages


def ground_truth(folder: Path) -> Iterator[dict[str, Any]]:
    """The records of an eval folder's ``ground-truth.jsonl``, in order."""
    with open(Path(folder) / "ground-truth.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def read_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The records of a JSON-lines file, gzipped or not (by its first bytes), at most
    ``limit`` of them."""
    with open(path, "rb") as probe:
        zipped = probe.read(2) == b"\x1f\x8b"
    opener: Callable[..., Any] = gzip.open if zipped else open
    rows: list[dict[str, Any]] = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and len(rows) >= limit:
                break
            if line.strip():
                rows.append(json.loads(line))
    return rows


# -- seeds ----------------------------------------------------------------------------


def write_seeds(
    folder: Path,
    count: int,
    *,
    title: str = "the harbour, the council & the valley",
    paragraphs: int = 4,
    url: bool = True,
) -> None:
    """``count`` Markdown seed files ``article-NNN.md`` titled "Article N: ``title``", dated
    in November 2026, with ``paragraphs`` paragraphs (0: the one-paragraph council
    story) and, with ``url``, a news.example.com address."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        front = f'title = "Article {number}: {title}"\ndate = "2026-11-{1 + number % 27:02d}"\n'
        if url:
            front += f'url = "https://news.example.com/{number}"\n'
        if paragraphs:
            body = "\n\n".join(
                f"Paragraph {p} of article {number} tells what happened in the town today. "
                + SEED_SENTENCES
                for p in range(paragraphs)
            )
        else:
            body = (
                f"The council met in the town hall of the harbour town {number} today. "
                + SEED_SENTENCES
            )
        (folder / f"article-{number:03d}.md").write_text(f"+++\n{front}+++\n\n{body}\n")


# -- pages ----------------------------------------------------------------------------

# The vocabulary of generated pages (word for word the sample the benchmarks always used).
SAMPLE = (
    "the government said on monday that new rules would apply to energy markets across"
    " the region while critics warned prices could rise before winter"
)
WORDS = tuple(SAMPLE.split())


def synthetic_page(n: int, size: int, *, article: bool = False) -> bytes:
    """Page ``n``: about ``size`` bytes of HTML, paragraphs of random sentences over a
    small vocabulary (seeded by ``n``: the same page every time). ``article``: inside an
    ``<article>`` with a heading and a site name, as a news page has them."""
    rng = random.Random(n)
    if article:
        head = (
            f"<!doctype html><html lang=en><head><title>Story {n}</title>"
            '<meta property="og:site_name" content="Bench News"></head><body><article>'
            f"<h1>Story {n}</h1>"
        )
        tail = "</article></body></html>"
    else:
        head = f"<!doctype html><html><head><title>Story {n}</title></head><body>"
        tail = "</body></html>"
    parts = [head]
    length = len(head)
    while length < size:
        sentence = " ".join(rng.choice(WORDS) for _ in range(18)).capitalize() + ". "
        paragraph = "<p>" + sentence * 3 + "</p>\n"
        parts.append(paragraph)
        length += len(paragraph)
    parts.append(tail)
    return "".join(parts).encode()


# -- figures --------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def figures(values: list[float], width: int = 6) -> str:
    """p50, p95, p99 (nearest rank) and max of milliseconds, one line."""
    return (
        f"p50 {percentile(values, 0.50):{width}.1f} ms  p95 {percentile(values, 0.95):{width}.1f}"
        f" ms  p99 {percentile(values, 0.99):{width}.1f} ms  max {max(values):{width}.1f} ms"
    )


def quantiles_ms(values: list[float], points: tuple[int, ...] = (50, 95, 99)) -> str:
    """Interpolated percentiles (``statistics.quantiles``, inclusive) and max of seconds,
    printed in whole milliseconds; "n/a" below two values."""
    if len(values) < 2:
        return "n/a"
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    parts = [f"p{p} {q[p - 1] * 1000:.0f} ms" for p in points]
    return ", ".join([*parts, f"max {ordered[-1] * 1000:.0f} ms"])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def ticker(
    lags: list[float], stop: asyncio.Event, period: float = 0.005, scale: float = 1.0
) -> None:
    """Until ``stop``: sleep ``period`` s again and again, appending how late each wake-up
    was (the event loop's lag) times ``scale`` (1000: milliseconds)."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(period)
        lags.append(scale * (loop.time() - start - period))


# -- loopback web sites ---------------------------------------------------------------


async def loopback(host: str, port: int) -> list[str]:
    """A resolver for the fetcher: every host name is 127.0.0.1."""
    return ["127.0.0.1"]


async def serve_app(
    app: Any,
    port_out: multiprocessing.connection.Connection,
    extra: Any = None,
    backlog: int = 1024,
) -> None:
    """Serve the aiohttp ``app`` on a free port of 127.0.0.1 for ever; send the port (and
    ``extra``, if any) through ``port_out`` once listening."""
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=backlog)
    await site.start()
    port = runner.addresses[0][1]
    port_out.send(port if extra is None else (port, extra))
    await asyncio.Event().wait()


def start_site(target: Callable[..., None], *args: Any) -> tuple[multiprocessing.Process, Any]:
    """Run ``target(port_out, *args)`` in a daemon process; returns it and what it sent
    through ``port_out`` (its port, as :func:`serve_app` sends it)."""
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(target=target, args=(send, *args), daemon=True)
    process.start()
    return process, receive.recv()


def stop_site(process: multiprocessing.Process) -> None:
    process.terminate()
    process.join()


# -- the database: SQLite or a PostgreSQL server ------------------------------------------


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    """``--database URL``: a PostgreSQL server to run on (a new database is made on it for
    the run and dropped after); without it the benchmark runs on a SQLite file."""
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL server (postgresql://postgres@127.0.0.1:5432/postgres): run on"
        " PostgreSQL, in a new database made for the run, instead of a SQLite file",
    )


def engine(target: Path | str) -> str:
    """The engine a store target names, for printing."""
    return "PostgreSQL" if str(target).startswith("postgresql") else "SQLite"


def admin(server: str, sql: str) -> None:
    """Run one statement (outside a transaction: CREATE/DROP DATABASE) on ``server``."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as raw:
        raw.execute(sql.encode())


def database_url(server: str, name: str) -> str:
    """``server``'s URL naming the database ``name`` instead."""
    base, _, query = server.partition("?")
    return base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


@contextlib.contextmanager
def store_target(server: str | None, name: str, folder: Path) -> Iterator[str]:
    """Where a benchmark's store lives: a new PostgreSQL database ``name`` on ``server``
    (dropped at the end), or without a server ``folder/bench.sqlite3``."""
    if not server:
        yield str(folder / "bench.sqlite3")
        return
    admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server, name)
    finally:
        admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def store_size_mb(target: Path | str) -> float:
    """The store's size on disk: the SQLite file (and its WAL), or the PostgreSQL database."""
    if engine(target) == "SQLite":
        path = Path(target)
        wal = path.with_name(path.name + "-wal")
        return (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6
    import psycopg

    with psycopg.connect(str(target), autocommit=True) as raw:
        row = raw.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) / 1e6 if row else 0.0


# -- the fake Bot API, in its own process ---------------------------------------------

Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]


async def serve_fake(handle: Handler, *, collect: bool = False, **fake_options: Any) -> None:
    """The child's side: a recording FakeBotAPI; print its address as the first line,
    then answer each JSON command read from stdin with ``await handle(fake, command)``
    printed as one JSON line, until stdin closes.

    Unless ``collect``, the fake runs without its garbage collector: it stands in for
    Telegram's servers, and its pauses (it keeps every call) would be counted against
    the bot."""
    from tests.fakebotapi import FakeBotAPI

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with FakeBotAPI(record=True, **fake_options) as fake:
        if not collect:
            gc.collect()
            gc.disable()
        print(json.dumps({"token": fake.token, "base_url": fake.base_url}), flush=True)
        while line := (await reader.readline()).decode().strip():
            print(json.dumps(await handle(fake, json.loads(line))), flush=True)


def stamp_handed_out() -> dict[int, float]:
    """When each chat's first update was handed to the bot (the getUpdates answer that
    carried it, ``time.monotonic``): the fake's getUpdates is wrapped to note it. Call in
    the fake's process before it serves."""
    from tests import fakebotapi

    handed_out: dict[int, float] = {}
    get_updates = fakebotapi._HANDLERS["getupdates"]

    async def stamped_get_updates(fake: Any, params: dict[str, Any]) -> list[Any]:
        updates = await get_updates(fake, params)
        now = time.monotonic()
        for update in updates:
            message = update.get("message")
            if message is not None:
                handed_out.setdefault(message["chat"]["id"], now)
        return updates

    fakebotapi._HANDLERS["getupdates"] = stamped_get_updates
    return handed_out


def stamp_each_update() -> tuple[dict[int, float], dict[str, float]]:
    """When each update was handed to the bot (the getUpdates answer that carried it,
    ``time.monotonic``): by ``update_id``, and callback queries also by their query id
    (what ``FakeBotAPI.press`` returns). Call in the fake's process before it serves."""
    from tests import fakebotapi

    by_update: dict[int, float] = {}
    by_query: dict[str, float] = {}
    get_updates = fakebotapi._HANDLERS["getupdates"]

    async def stamped_get_updates(fake: Any, params: dict[str, Any]) -> list[Any]:
        updates = await get_updates(fake, params)
        now = time.monotonic()
        for update in updates:
            by_update.setdefault(update["update_id"], now)
            query = update.get("callback_query")
            if query is not None:
                by_query.setdefault(query["id"], now)
        return updates

    fakebotapi._HANDLERS["getupdates"] = stamped_get_updates
    return by_update, by_query


async def wait_each_chat_answered(fake: Any, chats: set[int], start: int, timeout: float) -> None:
    """Wait until the fake has accepted a sendMessage to every chat of ``chats`` among the
    calls from index ``start`` on (each call looked at once)."""
    missing = set(chats)
    seen = [start]

    def done() -> bool:
        calls = fake.calls
        for call in calls[seen[0] :]:
            if call.method.lower() == "sendmessage" and call.status == 200:
                missing.discard(call.params.get("chat_id"))
        seen[0] = len(calls)
        return not missing

    await fake.wait_until(done, timeout=timeout)


def first_replies(fake: Any, start: int) -> dict[int, Any]:
    """Each chat's first accepted sendMessage among the calls from index ``start`` on."""
    first: dict[int, Any] = {}
    for call in fake.calls[start:]:
        if call.method.lower() == "sendmessage" and call.status == 200:
            first.setdefault(call.params.get("chat_id"), call)
    return first


class FakeProcess:
    """The parent's side: ``python -m MODULE --fake ARGS`` started from the checkout,
    its address read from its first line; :meth:`ask` sends a command and returns the
    answer (blocking: call it through ``asyncio.to_thread`` from the bot's loop)."""

    def __init__(self, module: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, "--fake", *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin, self._stdout = self.process.stdin, self.process.stdout
        self.hello: dict[str, str] = json.loads(self._stdout.readline())

    @property
    def pid(self) -> int:
        return self.process.pid

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        self._stdin.write(json.dumps(command) + "\n")
        self._stdin.flush()
        return json.loads(self._stdout.readline())

    def close(self, timeout: float = 10) -> None:
        """Close its stdin (it stops serving) and wait for it to end."""
        self._stdin.close()
        self.process.wait(timeout=timeout)


def start_fake_server(cap: float) -> tuple[subprocess.Popen[str], str]:
    """The fake's own command line (``python -m tests.fakebotapi``) with a global ``cap``
    of messages per second; returns the process and its base URL."""
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.fakebotapi", "--port", "0", "--cap", str(cap)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdout is not None
    line = fake.stdout.readline()
    if "listening on" not in line:
        fake.kill()
        raise SystemExit(f"fake Bot API did not start: {line!r}")
    return fake, line.split("listening on", 1)[1].strip()


# -- the bot's side -------------------------------------------------------------------


def bot_config(
    hello: dict[str, str], tmp: Path, telegram: dict[str, Any] | None = None, **sections: Any
) -> Any:
    """The bot's Config for the fake that said ``hello``: seeds in ``tmp/seeds`` (no
    rescan during a run), the database in ``tmp/bot.sqlite3``; ``telegram`` adds to its
    [telegram] section and ``sections`` are further sections."""
    from bot.config import config_from_dict

    raw: dict[str, Any] = {
        "telegram": {"token": hello["token"], "base_url": hello["base_url"], **(telegram or {})},
        "seeds": {"dir": str(tmp / "seeds"), "rescan_seconds": 3600},
        "storage": {"path": str(tmp / "bot.sqlite3")},
        **sections,
    }
    return config_from_dict(raw, base=tmp, env={})
