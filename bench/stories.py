"""Story grouping benchmark: B-cubed precision / recall / F1 and speed of every variant.

Usage::

    python -m bench.stories ../shared/eval/stories/stories-dev.jsonl.gz
    python -m bench.stories DATA --variant digestbot --variant tfidf-average-0.5
    python -m bench.stories DATA --variant digestbot --set threshold=0.4 --set linkage=average
    python -m bench.stories DATA --markdown          # every variant, as the NOTES table
    python -m bench.stories DATA --markdown --tune-to 0.965   # each at its tuned threshold

DATA is a JSON-lines file (optionally gzipped) of articles with ``id``, ``story`` (the
label), ``language``, ``title``, ``text`` and ``published``. Columns, B-cubed over
articles:

* all: the whole file grouped at once (the figure the issue asks for);
* tune / held-out: the same grouping, scored over the articles of half the stories
  each (stories split by a hash of their label; settings were chosen on "tune");
* held-out alone: the held-out articles grouped by themselves (a sparser batch);
* batches of 100: the file in publication order cut into batches of 100 articles (a
  digest's worth), each grouped and scored alone (against the labels within the batch),
  precision and recall averaged over articles;
* threshold: the variant's (with ``--tune-to P``: the lowest of 0.20, 0.22, ... 0.70
  at which the whole-file grouping reaches precision P over the tune half);
* articles/s: grouping the whole file, best of ``--repeat`` runs, CPU time of this
  process on one core (numpy pinned to one thread), and wall-clock time in brackets.
"""

from __future__ import annotations

import os

# One core: keep numpy's BLAS single-threaded (must happen before numpy is imported).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import fields, replace  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.harness import read_jsonl  # noqa: E402
from bot.stories import (  # noqa: E402
    DEFAULT_SETTINGS,
    Settings,
    StoryInput,
    group_pairs,
    group_stories,
    similarity_pairs,
    with_settings,
)

Grouper = Callable[[Sequence[StoryInput]], list]


def _alone(articles: Sequence[StoryInput]) -> list:
    return list(range(len(articles)))


def _same_title(articles: Sequence[StoryInput]) -> list:
    first: dict[str, int] = {}
    return [first.setdefault(a.title.strip().casefold(), k) for k, a in enumerate(articles)]


# Plain tf-idf of lower-cased words: no stemming, site stripping, n-grams, pairs, boost.
_PLAIN = {
    "stem": False,
    "fold_accents": False,
    "strip_sites": False,
    "char_n": 0,
    "pair_weight": 0.0,
    "entity_boost": 1.0,
    "sublinear_tf": False,
    "max_df": 1.0,
    "char_max_df": 1.0,
    "min_similarity": 0.0,
    "linear_decay": 0.0,
}

# Every variant tried, so the NOTES table can be regenerated. Past the baselines, each
# changes one or two things relative to the defaults (bot.stories.DEFAULT_SETTINGS).
VARIANTS: dict[str, dict | Grouper] = {
    "alone": _alone,
    "same-title": _same_title,
    "tfidf-average-0.5": {**_PLAIN, "linkage": "average", "threshold": 0.5},
    "tfidf-single-0.4": {**_PLAIN, "linkage": "single", "threshold": 0.4},
    "digestbot": {},
    # The first version: average link, no boost, no decay, no pairs.
    "first-try": {
        "linkage": "average",
        "threshold": 0.3,
        "entity_boost": 1.0,
        "max_df": 0.05,
        "char_max_df": 0.05,
        "linear_decay": 0.0,
        "pair_weight": 0.0,
    },
    "threshold-0.40": {"threshold": 0.40},
    "threshold-0.48": {"threshold": 0.48},
    "threshold-0.52": {"threshold": 0.52},
    "average-link-0.30": {"linkage": "average", "threshold": 0.30},
    "average-link-0.35": {"linkage": "average", "threshold": 0.35},
    "single-link-0.6": {"linkage": "single", "threshold": 0.6},
    "complete-link-0.3": {"linkage": "complete", "threshold": 0.3},
    "centroid-min-average-0.2": {"min_average": 0.2},
    "no-site-strip": {"strip_sites": False},
    "no-stemming": {"stem": False},
    "no-accent-folding": {"fold_accents": False},
    "no-char-ngrams": {"char_n": 0},
    "char-3grams": {"char_n": 3},
    "char-5grams": {"char_n": 5},
    "char-weight-1.0": {"char_weight": 1.0},
    "char-max-df-0.02": {"char_max_df": 0.02},
    "no-stem-pairs-0.48": {"pair_weight": 0.0, "threshold": 0.48},
    "stem-pairs-1.0-0.48": {"pair_weight": 1.0, "threshold": 0.48},
    "no-entity-boost": {"entity_boost": 1.0},
    "entity-boost-3": {"entity_boost": 3.0},
    "entity-feature-1.0": {"entity_weight": 1.0},
    "stop-words": {"stop_words": True},
    "idf-batch-500": {"idf_batch": 500},
    "df-distinct-texts": {"df_distinct": True},
    "max-df-0.05": {"max_df": 0.05, "char_max_df": 0.05},
    "max-df-0.2": {"max_df": 0.2, "char_max_df": 0.2},
    "min-similarity-0.1": {"min_similarity": 0.1},
    "no-time-decay": {"linear_decay": 0.0},
    "decay-half-life-24h": {"linear_decay": 0.0, "half_life_hours": 24.0},
    "window-24h": {"window_hours": 24.0},
    "linear-tf": {"sublinear_tf": False},
    # Finding the pairs: every pair sharing a feature (the quadratic way) against the
    # linear candidates with fewer neighbours per common word.
    "all-pairs": {"pair_df": 0, "min_similarity": 0.05},
    "neighbours-60": {"pair_neighbours": 60},
    "neighbours-20": {"pair_neighbours": 20},
    "no-same-text": {"same_text": 0.0},
}


THRESHOLDS = [round(0.2 + 0.02 * k, 2) for k in range(26)]  # 0.20 ... 0.70


def tuned_threshold(
    articles: list[StoryInput],
    labels: list[str],
    tune: list[int],
    settings: Settings,
    target: float,
) -> float | None:
    """The lowest threshold whose grouping of all articles is ``target`` precise on "tune"."""
    pairs = similarity_pairs(articles, settings)
    for threshold in THRESHOLDS:
        groups = group_pairs(articles, pairs, replace(settings, threshold=threshold))
        if bcubed_subset(labels, groups, tune)[0] >= target:
            return threshold
    return None


def grouper(name: str, overrides: dict[str, object]) -> Grouper:
    variant = VARIANTS[name]
    if callable(variant):
        return variant
    settings = with_settings(**{**variant, **overrides})

    def run(articles: Sequence[StoryInput]) -> list:
        return group_stories(articles, settings)

    return run


def load(path: Path) -> list[dict]:
    return read_jsonl(path)


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


def _score(labels: list[str], groups: list, items: list[int] | None = None) -> str:
    scores = bcubed(labels, groups) if items is None else bcubed_subset(labels, groups, items)
    return " / ".join(f"{x:.3f}" for x in scores)


def run(
    rows: list[dict],
    names: list[str],
    overrides: dict[str, object],
    repeat: int,
    markdown: bool,
    tune_to: float | None,
) -> None:
    inputs = [to_input(r) for r in rows]
    labels = [r["story"] for r in rows]
    tune = [k for k, lab in enumerate(labels) if half(lab) == "tune"]
    held = [k for k, lab in enumerate(labels) if half(lab) == "held-out"]
    held_inputs = [inputs[k] for k in held]
    held_labels = [labels[k] for k in held]
    print(
        f"{len(rows)} articles, {len(set(labels))} stories (tune: {len(tune)} articles of "
        f"{len({labels[k] for k in tune})} stories; held-out: {len(held)} of "
        f"{len({labels[k] for k in held})}); B-cubed P / R / F1"
        + (f"; overrides {overrides}" if overrides else "")
    )
    columns = ["threshold", "all", "tune", "held-out", "held-out alone", "batches of 100"]
    columns.append("articles/s")
    if markdown:
        print("| variant | " + " | ".join(columns) + " |")
        print("|---" * (len(columns) + 1) + "|")
    else:
        print(f"{'variant':<26}" + "".join(f"{c:>22}" for c in columns))
    for name in names:
        changes = dict(overrides)
        variant = VARIANTS[name]
        threshold = "–"
        if not callable(variant):
            if tune_to is not None:
                settings = with_settings(**{**variant, **overrides})
                chosen = tuned_threshold(inputs, labels, tune, settings, tune_to)
                if chosen is None:
                    print(f"{name}: no threshold up to 0.70 reaches {tune_to} on tune")
                    continue
                changes["threshold"] = chosen
            threshold = f"{with_settings(**{**variant, **changes}).threshold:.2f}"
        group = grouper(name, changes)
        cpu = wall = float("inf")
        for _ in range(max(1, repeat)):
            started, started_cpu = time.perf_counter(), time.process_time()
            groups = group(inputs)
            cpu = min(cpu, time.process_time() - started_cpu)
            wall = min(wall, time.perf_counter() - started)
        batched = [0.0, 0.0]
        for start in range(0, len(inputs), 100):
            part = labels[start : start + 100]
            precision, recall, _ = bcubed(part, group(inputs[start : start + 100]))
            batched[0] += precision * len(part) / len(rows)
            batched[1] += recall * len(part) / len(rows)
        f1 = 2 * batched[0] * batched[1] / (batched[0] + batched[1])
        cells = [
            threshold,
            _score(labels, groups),
            _score(labels, groups, tune),
            _score(labels, groups, held),
            _score(held_labels, group(held_inputs)),
            " / ".join(f"{x:.3f}" for x in (*batched, f1)),
            f"{len(rows) / cpu:.0f} ({len(rows) / wall:.0f})" if cpu and wall else "inf",
        ]
        if markdown:
            print(f"| {name} | " + " | ".join(cells) + " |")
        else:
            print(f"{name:<26}" + "".join(f"{c:>22}" for c in cells))
        sys.stdout.flush()


def _override(text: str) -> tuple[str, object]:
    key, _, value = text.partition("=")
    known = {f.name: f.type for f in fields(Settings)}
    if key not in known or not value:
        raise argparse.ArgumentTypeError(f"not KEY=VALUE with a Settings field: {text!r}")
    current = getattr(DEFAULT_SETTINGS, key)
    if isinstance(current, bool):
        return key, value.lower() in ("1", "true", "yes")
    return key, type(current)(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="JSON lines (.jsonl or .jsonl.gz)")
    parser.add_argument(
        "--variant",
        action="append",
        choices=[*VARIANTS, "all"],
        help="variant to score (repeatable; default: every one)",
    )
    parser.add_argument(
        "--set",
        type=_override,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a bot.stories.Settings field in every variant (repeatable)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timing runs, best kept (1)")
    parser.add_argument(
        "--tune-to",
        type=float,
        default=None,
        metavar="P",
        help="give each variant the lowest threshold (0.20-0.70) reaching B-cubed "
        "precision P on the tune half (the defaults were chosen with 0.965)",
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: no such file: {args.data}", file=sys.stderr)
        return 2
    names = args.variant or ["all"]
    if "all" in names:
        names = list(VARIANTS)
    run(load(args.data), names, dict(args.set), args.repeat, args.markdown, args.tune_to)
    return 0


if __name__ == "__main__":
    sys.exit(main())
