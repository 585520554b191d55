"""What one ``/metrics`` scrape costs as the database grows.

    python -m bench.metrics                      # 1,000, 10,000 and 100,000
    python -m bench.metrics --sizes 5000 50000

For each size N: a database with N subscribers and N messages waiting in the outbox
(the worst moment: a whole digest run queued and not yet sent). Printed per size: the
time of :meth:`bot.telegram.metrics.Metrics.read_store` (the database part, run in a
worker thread by the server, so it is time a scrape waits, not time the event loop is
blocked), of :meth:`~bot.telegram.metrics.Metrics.exposition` (the text, built on the
loop) and the body's size; the median of ``--repeat`` scrapes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bot.store import Store
from bot.telegram.metrics import Metrics


def build(path: Path, size: int) -> None:
    with Store(path) as store:
        store.subscribe_many((1000 + i, "08:00", None) for i in range(size))
        store.queue_digests(
            "2026-12-07", ((1000 + i, [(f"digest {i % 50}", [])]) for i in range(size))
        )


def measure(size: int, repeat: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as folder:
        path = Path(folder) / "db.sqlite3"
        build(path, size)
        metrics = Metrics()
        reads, texts = [], []
        body = b""
        with Store(path) as store:
            metrics.read_store(store)  # warm the page cache, as a running bot's would be
            for _ in range(repeat):
                started = time.perf_counter()
                metrics.read_store(store)
                reads.append(time.perf_counter() - started)
                started = time.perf_counter()
                body = metrics.exposition()
                texts.append(time.perf_counter() - started)
        assert f"digestbot_outbox_depth {float(size)}\n".encode() in body
        return statistics.median(reads), statistics.median(texts), len(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"{'subscribers=outbox':>18}  {'read_store':>10}  {'exposition':>10}  body")
    for size in args.sizes:
        read, text, size_bytes = measure(size, args.repeat)
        print(f"{size:>18,}  {read * 1000:>8.2f}ms  {text * 1000:>8.2f}ms  {size_bytes:,} B")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
