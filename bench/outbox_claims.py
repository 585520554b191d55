"""Claiming the outbox from several processes on one PostgreSQL database: the claim
with FOR UPDATE SKIP LOCKED and no global write lock (``Store.due_outbox(...,
lease_seconds=)``) against the same claim under the store's global write lock (every
claim one ``pg_advisory_xact_lock``, as before).

    python -m bench.outbox_claims                      # 127.0.0.1:5432, 1 2 4 processes
    python -m bench.outbox_claims --url postgresql://postgres@127.0.0.1:5432/postgres \\
        --sizes 1000 2000 4000 --processes 1 2 4 --limit 20 --parts 2

For each size (outbox items, ``--parts`` per chat, each chat's parts queued together
as ``queue_digests`` does) and each number of processes, the outbox is filled (plain
SQL), then the processes start at one signal and each claims ``--limit`` items at a
time with a 60 s lease until a claim returns nothing:

* **claim**: claims only (each chat's first item; the rest stay behind it);
* **claim+send**: each claimed item is then ``mark_sent`` (deleted, deliveries
  recorded: a write under the global lock in both versions), until the outbox is empty.

Printed: items claimed per second of wall time (from the signal to the last process
done), the CPU seconds of the claiming processes per 1,000 items, and a check that no
item was claimed twice. The server's CPU is not in the figures; on a 2-core machine
shared with other work the wall times move: say the load with them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store import Store

ROOT = Path(__file__).resolve().parents[1]
MODES = ("skip-locked", "advisory")


def _claim_advisory(store: Store, moment: float, limit: int, lease: float) -> list[int]:
    """The claim as it was: the same statement, in a write transaction (global lock)."""
    from bot.store.records import OUTBOX_COLUMNS

    sql = (
        f"SELECT {OUTBOX_COLUMNS} FROM outbox o WHERE next_attempt_at <= ? AND NOT EXISTS"
        " (SELECT 1 FROM outbox p WHERE p.chat_id = o.chat_id AND p.id < o.id)"
        " ORDER BY id LIMIT ?"
    )
    with store.transaction() as db:
        ids = [row["id"] for row in db.execute(sql, (moment, limit))]
        db.executemany(
            "UPDATE outbox SET next_attempt_at = ? WHERE id = ?",
            [(moment + lease, item) for item in ids],
        )
    return ids


def worker(url: str, mode: str, limit: int, send: bool) -> None:
    from bot.store import Store

    with Store(url) as store:
        print("ready", flush=True)
        sys.stdin.readline()  # the start signal
        cpu = time.process_time()
        claimed: list[int] = []
        moment = time.time()
        while True:
            if mode == "skip-locked":
                ids = [i.id for i in store.due_outbox(moment, limit, lease_seconds=60)]
            else:
                ids = _claim_advisory(store, moment, limit, 60)
            if not ids:
                break
            claimed.extend(ids)
            if send:
                store.mark_sent_many(ids)
        print(json.dumps({"ids": claimed, "cpu": time.process_time() - cpu}), flush=True)


def fill(url: str, items: int, parts: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("TRUNCATE outbox, outbox_bodies, deliveries, pruned_deliveries")
        db.execute("INSERT INTO outbox_bodies (hash, text) VALUES ('\\x00'::bytea, 'digest')")
        db.execute(
            "INSERT INTO outbox (chat_id, topic, run_key, body, article_numbers,"
            " next_attempt_at, created_at) SELECT g / %s, 0, 'k', '\\x00'::bytea, '[]', 0,"
            " '2026-01-01T00:00:00Z' FROM generate_series(0, %s - 1) g ORDER BY g",
            (parts, items),
        )
        db.execute("ANALYZE outbox")


def run(url: str, mode: str, processes: int, limit: int, send: bool) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "bench.outbox_claims", "--worker", url, mode, str(limit)]
    procs = [
        subprocess.Popen(
            [*args, "send" if send else "claim"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(processes)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        assert proc.stdout is not None
        results.append(json.loads(proc.stdout.readline()))
    wall = time.perf_counter() - started  # the last one done (not its exit)
    for proc in procs:
        proc.wait()
    ids = [i for r in results for i in r["ids"]]
    return {
        "claimed": len(ids),
        "twice": len(ids) - len(set(ids)),
        "per_second": len(ids) / wall,
        "cpu_per_1000": 1e6 * sum(r["cpu"] for r in results) / max(len(ids), 1),
        "shares": min(len(r["ids"]) for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--limit", type=int, default=20, help="items per claim")
    parser.add_argument("--parts", type=int, default=2, help="items per chat")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        url, mode, limit, what = options.worker
        worker(url, mode, int(limit), what == "send")
        return
    import psycopg

    from bot.store import Store

    name = f"digestbot_bench_claims_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(options.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    url = options.url.rsplit("/", 1)[0] + "/" + name
    try:
        Store(url).close()  # the schema
        print(f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
        print("phase       size  procs  mode         items/s  cpu ms/1000  twice  least share")
        for send in (False, True):
            for size in options.sizes:
                for processes in options.processes:
                    for mode in MODES:
                        fill(url, size, options.parts)
                        r = run(url, mode, processes, options.limit, send)
                        expected = size if send else -(-size // options.parts)
                        assert r["claimed"] == expected, (r, expected)
                        phase = "claim+send" if send else "claim"
                        print(
                            f"{phase:<10} {size:>5}  {processes:>5}  {mode:<11}"
                            f"  {r['per_second']:>7.0f}  {r['cpu_per_1000']:>11.0f}"
                            f"  {r['twice']:>5}  {r['shares']:>11}",
                            flush=True,
                        )
    finally:
        with psycopg.connect(options.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)'.encode())


if __name__ == "__main__":
    main()
