"""Story grouping at size: CPU seconds and peak memory of ``digestbot group-stories``,
and of one feed tick (new articles joined to a stored window), on synthetic articles.

Usage::

    python -m bench.grouping_scale                 # 2,000 5,000 10,000 20,000 articles
    python -m bench.grouping_scale --sizes 2000 20000 --tick 200

The articles are made up but shaped like a news window: 48 hours, stories of many
sizes (a few large, most alone: sizes drawn from a Zipf law), headlines of 8-14 words
mixing the story's own words (names capitalised) with everyday words drawn from a Zipf
law over a 3,000-word vocabulary (the long posting lists a real batch has), in English,
Spanish and German word shapes. Seeded: every run makes the same articles.

Each size runs in a fresh process (``digestbot group-stories FILE``); CPU is user+system
seconds of that process, peak memory its maximum resident set. The tick: the same
articles but the last ``--tick`` go into a SQLite store (times shifted to end now), the
bot's regroup runs once (the whole window: "full"), then the last articles are added
and it runs again (they join the kept stories: "tick"); CPU seconds of the regrouping
thread, store reads and writes included.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

_SYLLABLES = [c + v for c in "bcdfgklmnprstvz" for v in "aeiou"]
_LANGUAGES = ["en", "es", "de"]


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables))


def articles(count: int, seed: int = 7, hours: float = 48.0) -> list[dict]:
    """``count`` synthetic articles of one window, as JSON-lines records."""
    rng = random.Random(seed)
    vocabulary = [_word(rng, rng.randint(1, 4)) for _ in range(3000)]
    zipf = [1.0 / (rank + 1) for rank in range(len(vocabulary))]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    records: list[dict] = []
    story = 0
    while len(records) < count:
        size = min(int(rng.paretovariate(1.3)), 200, count - len(records))
        story += 1
        own = [_word(rng, rng.randint(2, 4)) for _ in range(6)]
        names = [w.capitalize() for w in own[:2]]
        language = rng.choice(_LANGUAGES)
        middle = rng.uniform(0, hours)
        for _ in range(size):
            words = rng.sample(names + own[2:], rng.randint(3, 5))
            words += rng.choices(vocabulary, weights=zipf, k=rng.randint(5, 9))
            rng.shuffle(words)
            when = start + timedelta(hours=min(hours, max(0.0, rng.gauss(middle, 3.0))))
            records.append(
                {
                    "id": len(records) + 1,
                    "language": language,
                    "title": " ".join(words).capitalize(),
                    "text": "",
                    "published": when.isoformat().replace("+00:00", "Z"),
                    "source": f"site{rng.randint(1, 300)}",
                    "story": story,
                }
            )
    rng.shuffle(records)
    records.sort(key=lambda r: r["published"])
    return records


def tick(path: Path, count: int) -> tuple[float, float, int]:
    """CPU seconds of the full regroup of a store holding the file but its last
    ``count`` articles, and of the tick that adds them; articles in the window."""
    from bot.compose import regroup_recent
    from bot.store import Store

    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    now = datetime.now(UTC)
    shift = now - max(
        datetime.fromisoformat(r["published"].replace("Z", "+00:00")) for r in records
    )
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.sqlite3")

        def insert(part: list[dict]) -> None:
            with store.transaction() as db:
                for record in part:
                    moment = datetime.fromisoformat(record["published"].replace("Z", "+00:00"))
                    published = (moment + shift).isoformat()
                    db.execute(
                        "INSERT INTO articles (source, content_hash, title, date, url, language,"
                        " text, summary, added_at, published_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (f"bench:{record['id']}", str(record["id"]), record["title"],
                         published[:10], f"https://example.com/{record['id']}",
                         record["language"], record["text"], "[]", published, published),
                    )  # fmt: skip

        insert(records[: len(records) - count])
        full = regroup_recent(store, now)
        insert(records[len(records) - count :])
        joined = regroup_recent(store, now)
        store.close()
    return full.seconds, joined.seconds, full.articles + joined.articles


def _measure(command: list[str]) -> tuple[float, float]:
    """CPU seconds and peak resident MB of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, after.ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 10000, 20000])
    parser.add_argument("--tick", type=int, default=200, help="new articles in a feed tick")
    parser.add_argument("--tick-file", type=Path, help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args(argv)
    if args.tick_file:
        full, joined, window = tick(args.tick_file, args.tick)
        print(f"{full:.3f} {joined:.3f} {window}")
        return 0
    root = Path(__file__).resolve().parent.parent
    print(
        f"{'articles':>9} {'CPU s':>8} {'peak MB':>8} {'full regroup CPU s':>19} {'tick CPU s':>11}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"articles-{size}.jsonl"
            with path.open("w", encoding="utf-8") as handle:
                for record in articles(size):
                    handle.write(json.dumps(record) + "\n")
            cpu, peak = _measure([sys.executable, "-m", "bot", "group-stories", str(path)])
            child = subprocess.run(
                [sys.executable, "-m", "bench.grouping_scale", "--tick-file", str(path),
                 "--tick", str(args.tick)],
                check=True, capture_output=True, text=True, cwd=root,
            )  # fmt: skip
            full, joined, _ = child.stdout.split()
            print(f"{size:>9} {cpu:>8.2f} {peak:>8.0f} {float(full):>19.2f} {float(joined):>11.3f}")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
