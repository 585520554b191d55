"""Where a writer's long waits come from: SQLite's automatic WAL checkpoint in a commit.

Usage::

    python -m bench.checkpoint                 # 3,000 transactions of ~50 pages each
    python -m bench.checkpoint --transactions 1000 --rows 200

Writes the same stream of transactions (``--rows`` rows of ~1 kB, random keys, so each
touches pages all over a growing table; ``--pause-ms`` between them) twice on a fresh
file: once with SQLite's automatic checkpoint (``wal_autocheckpoint`` 1,000 pages, the
default: the commit that crosses it copies the WAL back and syncs the file while
holding the write lock), once as the store now runs (``wal_autocheckpoint = 0`` and
``bot.store.base.Checkpointer`` on its own thread). Prints each commit's time (p50,
p99, max) and the WAL's largest size.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bot.store.base import WAL_KEEP_BYTES, Checkpointer


def run(path: Path, transactions: int, rows: int, pause: float, background: bool) -> str:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)")
    checkpointer = None
    if background:
        db.execute("PRAGMA wal_autocheckpoint = 0")
        db.execute(f"PRAGMA journal_size_limit = {WAL_KEEP_BYTES}")
        checkpointer = Checkpointer(str(path))
    rng = random.Random(3)
    times: list[float] = []
    wal = Path(str(path) + "-wal")
    largest = 0
    for _ in range(transactions):
        batch = [(rng.getrandbits(40), os.urandom(1000)) for _ in range(rows)]
        started = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT OR REPLACE INTO t VALUES (?, ?)", batch)
        db.execute("COMMIT")
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(pause)
        largest = max(largest, wal.stat().st_size)
    if checkpointer is not None:
        checkpointer.close()
    db.close()
    ordered = sorted(times)
    p99 = ordered[int(len(ordered) * 0.99)]
    return (
        f"p50 {statistics.median(ordered):6.2f}  p99 {p99:7.2f}  max {ordered[-1]:7.1f} ms;"
        f" WAL at most {largest / 2**20:,.0f} MB, file {path.stat().st_size / 2**20:,.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--pause-ms", type=float, default=2.0, help="between transactions")
    args = parser.parse_args(argv)
    for background, name in ((False, "checkpoint in the commit"), (True, "checkpoint thread")):
        with tempfile.TemporaryDirectory() as folder:
            figures = run(
                Path(folder) / "c.sqlite3",
                args.transactions,
                args.rows,
                args.pause_ms / 1000,
                background,
            )
        print(f"{name:26} {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
