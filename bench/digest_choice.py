"""What the bot's digests choose, through the bot's own path, on real news days.

Usage::

    python -m bench.digest_choice ../shared/eval/stories/stories-dev.jsonl.gz [--limit 10]

``bench.rank`` measures :func:`bot.stories.rank` on a pool of articles. This one runs a
day's articles the way a chat's digest sees them: story ids as ``regroup_recent``
stores them (:func:`bot.compose.group_members`: the smallest number of a story of
several, None for an article alone), the articles as the store gives them (newest
first, the date a day, as feeds store it), then :func:`bot.compose.collapse` -- the
ranking the slot run, ``/digest`` and ``digestbot digest`` use. Printed per day (UTC)
with at least ``--min-day`` articles, on the whole file and on the "tune" and
"held-out" halves of ``bench.stories``: the share of the day's ``--limit`` biggest
stories (by articles; ties at the last place all count as big) that the digest shows,
items showing a story twice, and the header's count of new stories; the same figures
for the old digest (the newest articles first, each story once) for comparison.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.rank import big_share, day_table, news_days  # noqa: E402
from bot.compose import collapse, group_members  # noqa: E402
from bot.store.stories import RecentArticle  # noqa: E402


@dataclass(frozen=True)
class Entry:
    """An article as a digest reads it from the store."""

    number: int
    title: str
    url: str | None
    date: str | None
    summary: tuple[str, ...] | None
    language: str
    source_name: str | None
    added_at: str


def digest_of(rows: list[dict], limit: int) -> tuple[list[str], int, list[str]]:
    """(labels the ranked digest shows, new stories it counted, labels the newest-first
    digest shows) for one pool of labelled rows."""
    order = sorted(range(len(rows)), key=lambda k: rows[k].get("published") or "", reverse=True)
    numbers = {k: n + 1 for n, k in enumerate(sorted(range(len(rows)), key=lambda k: k))}
    recent = [
        RecentArticle(
            number=numbers[k],
            title=rows[k].get("title") or "",
            text=rows[k].get("text") or "",
            language=rows[k].get("language") or "",
            published=rows[k].get("published"),
            added_at=rows[k].get("published") or "",
            source_name=rows[k].get("source") or None,
            story_id=None,
        )
        for k in range(len(rows))
    ]
    ids = group_members(recent)
    story_of = {n: s for n, s in ids.items() if s is not None}
    entries = [
        Entry(
            number=numbers[k],
            title=rows[k].get("title") or "",
            url=None,
            date=(rows[k].get("published") or "")[:10] or None,
            summary=(rows[k].get("text"),) if rows[k].get("text") else None,
            language=rows[k].get("language") or "",
            source_name=rows[k].get("source") or None,
            added_at=rows[k].get("published") or "",
        )
        for k in order
    ]
    label = {numbers[k]: rows[k]["story"] for k in range(len(rows))}
    shown = collapse(entries, story_of, limit=limit)
    newest = collapse_newest_first(entries, story_of, limit)
    return [label[e.number] for e in shown.entries], shown.new, [label[n] for n in newest]


def collapse_newest_first(entries: list[Entry], story_of: dict[int, int], limit: int) -> list[int]:
    """The digest before ranking: each story once, in the place of its newest article."""
    seen: set[object] = set()
    shown: list[int] = []
    for entry in entries:
        key = story_of.get(entry.number, ("alone", entry.number))
        if key not in seen and len(shown) < limit:
            seen.add(key)
            shown.append(entry.number)
    return shown


def share(rows: list[dict], shown: list[str], limit: int) -> float:
    return big_share([r["story"] for r in rows], shown, limit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="JSON lines (.jsonl or .jsonl.gz)")
    parser.add_argument("--limit", type=int, default=10, help="stories in a digest (10)")
    parser.add_argument("--min-day", type=int, default=100, help="articles in a day (100)")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: no such file: {args.data}", file=sys.stderr)
        return 2
    days, chosen = news_days(args.data, args.min_day)
    print(
        f"{len(chosen)} days of at least {args.min_day} articles; a digest of {args.limit};"
        " per part: ranked share / twice / new stories counted | newest-first share"
    )

    def cell(rows: list[dict]) -> tuple[tuple[float, ...], int, str]:
        ranked, new, newest = digest_of(rows, args.limit)
        twice = len(ranked) - len(set(ranked))
        a, b = share(rows, ranked, args.limit), share(rows, newest, args.limit)
        return (a, b), twice, f"{a:.2f} / {twice} / {new:>4} | {b:.2f}"

    day_table(days, chosen, 34, cell, lambda f, twice: f"{f[0]:.2f} / {twice} /    - | {f[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
