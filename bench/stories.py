"""Story grouping benchmark: B-cubed precision / recall / F1 and speed of every variant.

Usage::

    python bench/stories.py ../shared/eval/stories/stories-dev.jsonl.gz
    python bench/stories.py DATA --variant digestbot --variant tfidf-average-0.5
    python bench/stories.py DATA --variant all --markdown

DATA is a JSON-lines file (optionally gzipped) of articles with ``id``, ``story``
(the label), ``language``, ``title``, ``text`` and ``published``. Each variant groups
the whole file, the "tune" half and the "held-out" half (stories split by a hash of
their label, so a story is wholly in one half; the settings were chosen on "tune"), and
is scored with B-cubed over articles. Speed is articles per second for grouping the
whole file, pinned to one BLAS thread, best of ``--repeat`` runs.
"""

from __future__ import annotations

import os

# One core: keep numpy's BLAS single-threaded (must happen before numpy is imported).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from bot.stories import StoryInput, group_stories, with_settings  # noqa: E402

Grouper = Callable[[Sequence[StoryInput]], list]


def _ours(**changes: object) -> Grouper:
    settings = with_settings(**changes)

    def run(articles: Sequence[StoryInput]) -> list:
        return group_stories(articles, settings)

    return run


def _alone(articles: Sequence[StoryInput]) -> list:
    return list(range(len(articles)))


def _same_title(articles: Sequence[StoryInput]) -> list:
    first: dict[str, int] = {}
    return [first.setdefault(a.title.strip().casefold(), k) for k, a in enumerate(articles)]


# Plain tf-idf of lower-cased words, no stemming, no site stripping, no n-grams.
_PLAIN = {
    "stem": False,
    "fold_accents": False,
    "strip_sites": False,
    "char_n": 0,
    "sublinear_tf": False,
    "max_df": 1.0,
    "min_similarity": 0.0,
}

# Every variant tried, so the README table can be regenerated.
VARIANTS: dict[str, Grouper] = {
    "alone": _alone,
    "same-title": _same_title,
    "tfidf-average-0.5": _ours(**_PLAIN, threshold=0.5),
    "tfidf-single-0.4": _ours(**_PLAIN, threshold=0.4, linkage="single"),
    "digestbot": _ours(),
}


def load(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def to_input(row: dict) -> StoryInput:
    published = row.get("published")
    return StoryInput(
        id=row["id"],
        language=row.get("language") or "",
        title=row.get("title") or "",
        text=row.get("text") or "",
        published=datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None,
        source=row.get("source") or "",
    )


def bcubed(labels: Sequence[str], groups: Sequence) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 over articles."""
    pair = Counter(zip(labels, groups, strict=True))
    by_label = Counter(labels)
    by_group = Counter(groups)
    n = len(labels)
    precision = sum(c * c / by_group[g] for (_, g), c in pair.items()) / n
    recall = sum(c * c / by_label[lab] for (lab, _), c in pair.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def bcubed_subset(
    labels: Sequence[str], groups: Sequence, items: Sequence[int]
) -> tuple[float, float, float]:
    """B-cubed over some articles only, each scored against everything grouped with it."""
    pair = Counter(zip(labels, groups, strict=True))
    by_label = Counter(labels)
    by_group = Counter(groups)
    precision = sum(pair[labels[k], groups[k]] / by_group[groups[k]] for k in items) / len(items)
    recall = sum(pair[labels[k], groups[k]] / by_label[labels[k]] for k in items) / len(items)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def half(story: str) -> str:
    return "tune" if hashlib.sha1(story.encode()).digest()[0] % 2 == 0 else "held-out"


def run(rows: list[dict], names: list[str], repeat: int, markdown: bool) -> None:
    slices = {
        "all": rows,
        "tune": [r for r in rows if half(r["story"]) == "tune"],
        "held-out": [r for r in rows if half(r["story"]) == "held-out"],
    }
    inputs = {name: [to_input(r) for r in part] for name, part in slices.items()}
    labels = {name: [r["story"] for r in part] for name, part in slices.items()}
    print(
        f"{len(rows)} articles, {len(set(labels['all']))} stories "
        f"(tune {len(slices['tune'])} articles, held-out {len(slices['held-out'])}); "
        "B-cubed P / R / F1"
    )
    if markdown:
        print("| variant | all P / R / F1 | tune P / R / F1 | held-out P / R / F1 | articles/s |")
        print("|---|---|---|---|---|")
    else:
        print(f"{'variant':<28}" + "".join(f"{s:>22}" for s in slices) + f"{'articles/s':>12}")
    for name in names:
        grouper = VARIANTS[name]
        cells = []
        best = float("inf")
        for part in slices:
            started = time.perf_counter()
            groups = grouper(inputs[part])
            elapsed = time.perf_counter() - started
            if part == "all":
                best = elapsed
                for _ in range(repeat - 1):
                    started = time.perf_counter()
                    grouper(inputs[part])
                    best = min(best, time.perf_counter() - started)
            cells.append(bcubed(labels[part], groups))
        speed = len(rows) / best if best else float("inf")
        if markdown:
            text = " | ".join(" / ".join(f"{x:.3f}" for x in c) for c in cells)
            print(f"| {name} | {text} | {speed:.0f} |")
        else:
            text = "".join(f"{'/'.join(f'{x:.3f}' for x in c):>22}" for c in cells)
            print(f"{name:<28}{text}{speed:>12.0f}")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="JSON lines (.jsonl or .jsonl.gz)")
    parser.add_argument(
        "--variant",
        action="append",
        choices=[*VARIANTS, "all"],
        help="variant to score (repeatable; default: every one)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timing runs, best kept (3)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: no such file: {args.data}", file=sys.stderr)
        return 2
    names = args.variant or ["all"]
    if "all" in names:
        names = list(VARIANTS)
    run(load(args.data), names, args.repeat, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
