"""How long storing story ids takes on a real-sized database.

Loads a JSON-lines file of articles (``id``, ``language``, ``title``, ``text``,
``published``; e.g. ``../shared/eval/stories/stories-dev.jsonl.gz``) into a temporary
SQLite store, its times shifted so the newest article is "now", then times
:func:`bot.compose.regroup_recent` (the last 72 h: what runs after a feed poll), a
second regroup with nothing new, and :func:`bot.compose.story_digest` for a chat
with ``--unseen`` unseen articles (what each chat's digest costs on top). Prints the
figures; wall-clock times, so run it on a quiet machine and say when it was not.

    python -m bench.storydigest ../shared/eval/stories/stories-dev.jsonl.gz
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import read_jsonl
from bot.compose import REGROUP_HOURS, regroup_recent, story_digest
from bot.store import Store


def load(path: Path) -> list[dict[str, object]]:
    return read_jsonl(path)


def fill(store: Store, records: list[dict[str, object]], now: datetime) -> None:
    times = [datetime.fromisoformat(str(r["published"]).replace("Z", "+00:00")) for r in records]
    shift = now - max(times)
    added = now.isoformat()
    with store.transaction() as db:
        for n, (record, moment) in enumerate(zip(records, times, strict=True)):
            published = (moment + shift).isoformat()
            db.execute(
                "INSERT INTO articles (source, content_hash, title, date, url, language, text,"
                " summary, added_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    f"bench:{n}",
                    str(n),
                    record["title"],
                    published[:10],
                    f"https://example.com/{n}",
                    record.get("language") or "en",
                    record.get("text") or "",
                    json.dumps([str(record["title"])]),
                    added,
                    published,
                ),
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--unseen", type=int, default=90, help="a chat's unseen articles")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    records = load(args.file)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.sqlite3")
        fill(store, records, now)
        first = []
        again = []
        for _ in range(args.repeat):
            with store.transaction() as db:
                db.execute("UPDATE articles SET story_id = NULL")
            started = time.perf_counter()
            report = regroup_recent(store, now)
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            regroup_recent(store, now)
            again.append(time.perf_counter() - started)
        print(
            f"articles in the store: {len(records)}; in the last {REGROUP_HOURS:.0f} h:"
            f" {report.articles}; stories of several: {report.stories};"
            f" story ids set: {report.changed}"
        )
        print(
            f"regroup_recent: median {statistics.median(first):.3f} s, best {min(first):.3f} s"
            f" ({report.articles / min(first):.0f} articles/s, wall)"
        )
        print(f"regroup_recent with nothing changed: median {statistics.median(again):.3f} s")
        entries = store.unseen_articles(1, args.unseen)
        started = time.perf_counter()
        story_digest(store, 1, entries, 30)
        cold = time.perf_counter() - started
        costs = []
        for _ in range(args.repeat * 4):
            started = time.perf_counter()
            shown = story_digest(store, 1, entries, 30)
            costs.append(time.perf_counter() - started)
        print(
            f"story_digest of {len(entries)} unseen articles -> {len(shown.entries)} stories"
            f" ({sum(len(a) for a in shown.also.values())} as Also):"
            f" first (choosing the leads) {cold * 1000:.1f} ms, then (leads remembered)"
            f" median {statistics.median(costs) * 1000:.1f} ms"
        )
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
