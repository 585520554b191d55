"""Copy benchmark: ``digestbot migrate`` (bot.store.copy.copy_database) at several sizes.

Usage::

    python -m bench.migrate                                # 10,000 50,000 200,000 articles
    python -m bench.migrate --sizes 2000 --deliveries-per-article 1
    python -m bench.migrate --server postgresql://postgres@127.0.0.1:5432/postgres

For each size it fills a SQLite file in a temporary folder (``bench.day.prefill``: feeds,
subscribers, summarized articles; then ``--deliveries-per-article`` deliveries per
article, every tenth held back, spread over the subscribers), in a child process so
the filling's memory does not count, then copies it into a new PostgreSQL database
on ``--server`` (created, and dropped afterwards) and prints: the rows copied, wall
seconds, rows a second, this process's CPU seconds (the server's work is not in them)
and its peak RSS, before and after the copy. Memory that stays flat from the smallest
size to the largest is what the chunked ``COPY`` promises.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import resource
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def fill(path: Path, articles: int, subscribers: int, per_article: int) -> None:
    """The SQLite database of one size (run in a child process)."""
    from bench.day import prefill

    args = argparse.Namespace(
        feeds=20, prefill_days=10, per_day=articles // 10, subscribers=subscribers
    )
    prefill(path, args, random.Random(7))
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    rows = []
    for number in range(1, articles + 1):
        for k in range(per_article):
            chat = 1 + (number * 7 + k * 13) % subscribers
            rows.append((chat, number, 1_772_000_000 + number, int(k == 0 and number % 10 == 0)))
        if len(rows) >= 20_000 or number == articles:
            db.executemany(
                "INSERT OR IGNORE INTO deliveries (chat_id, topic, number, delivered_at,"
                " held_back) VALUES (?, 0, ?, ?, ?)",
                rows,
            )
            rows = []
    db.execute("COMMIT")
    db.close()


def with_database(url: str, name: str) -> str:
    """``url`` naming the database ``name`` instead."""
    base, _, query = url.partition("?")
    base = re.sub(r"(://[^/]*)(/[^/]*)?$", rf"\1/{name}", base)
    return base + (f"?{query}" if query else "")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(size: int, server: str, subscribers: int, per_article: int, folder: Path) -> str:
    import psycopg

    from bot.store.copy import copy_database

    path = folder / f"copy-{size}.sqlite3"
    child = multiprocessing.get_context("fork").Process(
        target=fill, args=(path, size, subscribers, per_article)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"filling the {size} database failed")
    name = f"bench_migrate_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        before = peak_mb()
        cpu, wall = time.process_time(), time.perf_counter()
        report = copy_database(path, with_database(server, name))
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        after = peak_mb()
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        path.unlink()
    tables = dict(report.tables)
    return (
        f"| {size:,} | {tables['deliveries']:,} | {report.total:,} | {wall:.1f} |"
        f" {report.total / wall:,.0f} | {cpu:.1f} | {before:.0f} | {after:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL to create on")
    parser.add_argument("--subscribers", type=int, default=1_000)
    parser.add_argument("--deliveries-per-article", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        "| articles | deliveries | rows copied | seconds | rows/s | CPU s (this process)"
        " | peak RSS MB before | peak RSS MB after |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            line = run(
                size, args.server, args.subscribers, args.deliveries_per_article, Path(folder)
            )
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
