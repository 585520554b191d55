"""Digest ranking benchmark: does a 10-item digest hold the day's biggest stories, once?

Usage::

    python -m bench.rank ../shared/eval/stories/stories-dev.jsonl.gz
    python -m bench.rank DATA --variant digestbot --limit 10

DATA is a JSON-lines file (optionally gzipped) of labelled articles (``id``, ``story``,
``language``, ``title``, ``text``, ``published``, ``source``). For every day (UTC) with
at least ``--min-day`` articles, the day's articles are the pool of one digest of
``--limit`` items. Printed per day and variant:

* share: how many of the day's ``limit`` biggest stories (by articles; stories tied
  with the last one all count as big) the items show, divided by ``limit``; an item
  shows the story of its article (its label);
* twice: items that show a story an earlier item already showed;
* P: B-cubed precision of the grouping the variant ranks (over the day's articles);
* item P: B-cubed precision of the grouping as the digest shows it: each item's
  articles together, every other article in its story (folding joins groups into one
  item: it says they are one story, and must be as precise).

Each figure is given on three pools: the whole file ("all"), and the articles of half
the stories each ("tune" / "held-out", split by a hash of the label as in
``bench.stories``; choices were made on "tune").
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.stories import bcubed, half, load, to_input  # noqa: E402
from bot.stories import StoryInput, group_stories, rank, with_settings  # noqa: E402

# A variant: pool -> (items as indexes of the articles shown, story key of each article
# in the grouping, and as the digest shows it: an item's articles together (folding may
# join groups into one item), every other article in its story).
Result = tuple[list[int], list[object], list[object]]
Variant = Callable[[Sequence[StoryInput], int], Result]


def _newest_first(pool: Sequence[StoryInput], limit: int) -> Result:
    order = sorted(range(len(pool)), key=lambda k: pool[k].published, reverse=True)
    alone: list[object] = list(range(len(pool)))
    return order[:limit], alone, alone


def _groups_by_size(pool: Sequence[StoryInput], limit: int) -> Result:
    """The grouping's stories, biggest (articles) first, each as its first article."""
    stories = group_stories(pool)
    sizes = Counter(stories)
    leaders = sorted(sizes, key=lambda s: (-sizes[s], s))
    return leaders[:limit], list(stories), list(stories)


def _ranked(**changes: object) -> Variant:
    settings = with_settings(**changes)

    def run(pool: Sequence[StoryInput], limit: int) -> Result:
        stories = group_stories(pool, settings)
        items = rank(pool, limit, stories=stories, settings=settings)
        shown: list[object] = [("story", story) for story in stories]
        for number, item in enumerate(items):
            for k in item.members:
                shown[k] = ("item", number)
        return [item.lead for item in items], list(stories), shown

    return run


# The ranking's rules added after folding, all off: the variants measured before them.
BEFORE: dict[str, object] = {"series_labels": 0.0, "once_names": 0.0, "support": 0.0}

VARIANTS: dict[str, Variant] = {
    "newest-first": _newest_first,
    "groups-by-size": _groups_by_size,
    "digestbot": _ranked(),
    # The ranking before series labels, names across languages and support.
    "fold-only": _ranked(**BEFORE),
    # Without support (series labels, names across languages).
    "no-support": _ranked(support=0.0),
    "support-0.25-half": _ranked(support_weight=0.5),
    "support-0.25-whole": _ranked(support_weight=1.0),
    "support-0.15": _ranked(support=0.15),
    "support-0.2": _ranked(support=0.2),
    "support-0.2-half": _ranked(support=0.2, support_weight=0.5),
    "support-0.2-whole": _ranked(support=0.2, support_weight=1.0),
    "support-0.3": _ranked(support=0.3),
    # The ranking before folding was on: the grouping's stories as they are.
    "no-fold": _ranked(fold=0.0, **BEFORE),
    "threshold-0.40": _ranked(threshold=0.40, fold=0.0, **BEFORE),
    "threshold-0.36": _ranked(threshold=0.36, fold=0.0, **BEFORE),
    # Only the first items take pieces of later groups.
    "fold-0.4": _ranked(fold=0.4, fold_all=False, **BEFORE),
    "fold-0.3": _ranked(fold=0.3, fold_all=False, **BEFORE),
    "fold-0.2": _ranked(fold=0.2, fold_all=False, **BEFORE),
    "max-df-min-300": _ranked(max_df_min=300, fold=0.0, **BEFORE),
    "threshold-0.36-fold-0.3": _ranked(threshold=0.36, fold=0.3, fold_all=False, **BEFORE),
    # Names in any script ("Байлз" / "Biles": consonant skeletons) and scores ("86-69"),
    # without folding.
    "name-keys": _ranked(key_weight=1.0, fold=0.0, **BEFORE),
    "name-keys-2-letters": _ranked(key_weight=1.0, key_min=2, fold=0.0, **BEFORE),
    "name-keys-all-words": _ranked(key_weight=1.0, key_all_words=True, fold=0.0, **BEFORE),
    "scores": _ranked(score_weight=1.0, fold=0.0, **BEFORE),
    # Every group takes the pieces of later ones (the default at 0.35).
    "fold-all-0.3": _ranked(fold=0.3, **BEFORE),
    "fold-all-0.4": _ranked(fold=0.4, **BEFORE),
    "fold-all-0.45": _ranked(fold=0.45, **BEFORE),
    # ... groups whose titles share one word (the default asks two), or three.
    "fold-all-one-word": _ranked(fold_words=1, **BEFORE),
    "fold-all-three-words": _ranked(fold_words=3, **BEFORE),
    # ... with names in any script and scores in the grouping and the fold.
    "fold-all-name-keys": _ranked(key_weight=1.0, **BEFORE),
    "fold-all-name-keys-all-words": _ranked(
        key_weight=1.0,
        key_all_words=True,
        key_min=2,
        **BEFORE,
    ),
    "fold-all-scores": _ranked(score_weight=1.0, **BEFORE),
    # Importance: each language telling the story past the first adds so many sources.
    "languages-1": _ranked(language_weight=1.0, **BEFORE),
    "languages-3": _ranked(language_weight=3.0, **BEFORE),
    # Series labels ("Olympics Latest: ...") off the titles the fold compares, alone.
    "series-labels": _ranked(once_names=0.0, support=0.0),
    "series-labels-2%": _ranked(series_labels=0.02, once_names=0.0, support=0.0),
    "series-labels-fold-0.3": _ranked(fold=0.3, once_names=0.0, support=0.0),
    # An item retelling a shown one in other languages (names alike) put last, alone.
    "once-names-0.3": _ranked(series_labels=0.0, once_names=0.3, support=0.0),
    "once-names-0.4": _ranked(series_labels=0.0, once_names=0.4, support=0.0),
    "once-names-0.5": _ranked(series_labels=0.0, once_names=0.5, support=0.0),
    "once-names-0.7": _ranked(series_labels=0.0, once_names=0.7, support=0.0),
    # Both, with a lower fold and features weighed by their idf over groups too.
    "once-0.3-fold-0.32-group-idf-0.25": _ranked(
        once_names=0.3, fold=0.32, group_idf=0.25, support=0.0
    ),
    "once-0.4-fold-0.32-group-idf-0.25": _ranked(fold=0.32, group_idf=0.25, support=0.0),
    "fold-0.32": _ranked(fold=0.32, support=0.0),
    "support-fold-0.32-group-idf-0.25": _ranked(support=0.2, fold=0.32, group_idf=0.25),
    # The folded items folded again (pieces alike only once an item has grown).
    "fold-passes-2": _ranked(fold_passes=2, support=0.2),
    "fold-passes-2-fold-0.4": _ranked(fold_passes=2, fold=0.4, support=0.2),
    # Features weighed also by their idf over the groups (a word in most groups counts
    # little), the fold at several thresholds (no series labels, no names).
    "group-idf-1": _ranked(group_idf=1.0, **BEFORE),
    "group-idf-2": _ranked(group_idf=2.0, **BEFORE),
    "group-idf-1-fold-0.3": _ranked(group_idf=1.0, fold=0.3, **BEFORE),
    "group-idf-1-fold-0.25": _ranked(group_idf=1.0, fold=0.25, **BEFORE),
    "group-idf-2-fold-0.3": _ranked(group_idf=2.0, fold=0.3, **BEFORE),
    "group-idf-2-fold-0.25": _ranked(group_idf=2.0, fold=0.25, **BEFORE),
}


def news_days(data: Path, min_day: int) -> tuple[dict[str, list[dict]], list[str]]:
    """The file's rows by day (UTC, from ``published``), and the days, in order, with at
    least ``min_day`` rows."""
    days: dict[str, list[dict]] = defaultdict(list)
    for row in load(data):
        days[(row.get("published") or "")[:10]].append(row)
    return days, [d for d in sorted(days) if d and len(days[d]) >= min_day]


def big_share(labels: Sequence[object], shown: Sequence[object], limit: int) -> float:
    """How many of the ``limit`` biggest stories among ``labels`` (by articles; stories
    tied with the last one all count as big) ``shown`` holds, divided by ``limit``."""
    sizes = Counter(labels)
    ordered = sorted(sizes.values(), reverse=True)
    last = ordered[min(limit, len(ordered)) - 1]
    big = {label for label, size in sizes.items() if size >= last}
    return len(set(shown) & big) / limit


# The pools each day is measured on: all its articles, and those of each half of the
# stories (split as in bench.stories).
PARTS = ("all", "tune", "held-out")


def day_table(
    days: dict[str, list[dict]],
    chosen: list[str],
    width: int,
    cell: Callable[[list[dict]], tuple[tuple[float, ...], int, str]],
    mean: Callable[[tuple[float, ...], int], str],
) -> None:
    """Print a line per chosen day: the day, its articles, and ``cell`` of its rows on
    each of :data:`PARTS` (``cell`` returns figures to average, a count to sum and the
    cell's text); then a line of the means, as ``mean`` says them (given the averaged
    figures and the summed count)."""
    print(f"{'day':<12}{'articles':>9}" + "".join(f"{p:>{width}}" for p in PARTS))
    sums: dict[str, list[float]] = {p: [] for p in PARTS}
    counts = dict.fromkeys(PARTS, 0)
    days_seen = dict.fromkeys(PARTS, 0)
    for day in chosen:
        cells = []
        for part in PARTS:
            rows = [r for r in days[day] if part == "all" or half(r["story"]) == part]
            figures, count, text = cell(rows)
            total = sums[part] or [0.0] * len(figures)
            sums[part] = [t + f for t, f in zip(total, figures, strict=True)]
            counts[part] += count
            days_seen[part] += 1
            cells.append(text)
        print(f"{day:<12}{len(days[day]):>9}" + "".join(f"{c:>{width}}" for c in cells))
    means = [
        mean(tuple(t / days_seen[p] for t in sums[p]), counts[p]) if days_seen[p] else "-"
        for p in PARTS
    ]
    print(f"{'mean':<21}" + "".join(f"{m:>{width}}" for m in means))


def score(rows: list[dict], variant: Variant, limit: int) -> tuple[float, int, float, float]:
    """(share of the big stories shown, items showing a story twice, B-cubed P of the
    grouping, B-cubed P of the items)."""
    labels = [r["story"] for r in rows]
    pool = [to_input(r) for r in rows]
    items, stories, shown_items = variant(pool, limit)
    shown = [labels[k] for k in items]
    share = big_share(labels, shown, limit)
    twice = len(shown) - len(set(shown))
    return share, twice, bcubed(labels, stories)[0], bcubed(labels, shown_items)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="JSON lines (.jsonl or .jsonl.gz)")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS))
    parser.add_argument("--limit", type=int, default=10, help="items in a digest (10)")
    parser.add_argument("--min-day", type=int, default=100, help="articles in a day (100)")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: no such file: {args.data}", file=sys.stderr)
        return 2
    days, chosen = news_days(args.data, args.min_day)
    print(
        f"{len(chosen)} days of at least {args.min_day} articles; a digest of {args.limit};"
        " per day: share of the big stories shown / items showing a story twice /"
        " B-cubed P of the grouping / of the items"
    )
    for name in args.variant or list(VARIANTS):
        print(f"\n{name}")

        def cell(
            rows: list[dict], variant: Variant = VARIANTS[name]
        ) -> tuple[tuple[float, ...], int, str]:
            share, twice, precision, items = score(rows, variant, args.limit)
            text = f"{share:.2f} / {twice} / {precision:.3f} / {items:.3f}"
            return (share, precision, items), twice, text

        day_table(
            days,
            chosen,
            30,
            cell,
            lambda f, twice: f"{f[0]:.2f} / {twice} / {f[1]:.3f} / {f[2]:.3f}",
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
