"""Grid search of summarizer settings on the *tune* half (even rows) of a dev set.

    python bench/sweep.py ../shared/eval/cnndm-dev.jsonl.gz [--half tune|held-out]

Prints ROUGE-1/2/Lsum F1 (x100) and the differs-from-Lead-3 fraction per setting, best
first by the mean of the three; the chosen setting is then checked on the held-out half
with bench/rouge.py. Uses both cores (one process per setting).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rouge import METRICS, load
from rouge_score import rouge_scorer

from bot.sentences import split_sentences
from bot.summarizer import summarize, with_settings

GRID = {
    "position_power": [0.0, 0.25, 0.5],
    "backward_weight": [-2.0, -1.0, -0.5, 0.0],
    "redundancy": [0.0, 0.3],
    "min_words": [6, 10],
    "centrality_floor": [0.0, 0.5],
}

_ROWS: list[dict] = []


def _score(changes: dict) -> tuple[dict, tuple[float, ...], float]:
    settings = with_settings(**changes)
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    sums = dict.fromkeys(METRICS, 0.0)
    differs = 0
    for row in _ROWS:
        summary = summarize(row["article"], 3, settings=settings)
        differs += summary != split_sentences(row["article"])[:3]
        scores = scorer.score(row["highlights"], "\n".join(summary))
        for m in METRICS:
            sums[m] += scores[m].fmeasure
    n = len(_ROWS)
    return changes, tuple(100 * sums[m] / n for m in METRICS), differs / n


def _init(rows: list[dict]) -> None:
    _ROWS[:] = rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("--half", choices=["tune", "held-out"], default="tune")
    parser.add_argument("--grid", default=None, help="JSON dict overriding GRID")
    args = parser.parse_args()
    grid = GRID
    if args.grid:
        import json

        grid = json.loads(args.grid)
    rows = load(args.data, None)
    rows = rows[0::2] if args.half == "tune" else rows[1::2]
    combos = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    results = []
    with ProcessPoolExecutor(2, initializer=_init, initargs=(rows,)) as pool:
        for changes, means, differs in pool.map(_score, combos):
            results.append((sum(means) / 3, changes, means, differs))
            print(
                f"{means[0]:.2f}/{means[1]:.2f}/{means[2]:.2f} {differs:.0%} {changes}", flush=True
            )
    print("--- best first")
    for _, changes, means, differs in sorted(results, key=lambda r: -r[0])[:15]:
        print(f"{means[0]:.2f}/{means[1]:.2f}/{means[2]:.2f} {differs:.0%} {changes}")


if __name__ == "__main__":
    main()
