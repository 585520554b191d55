"""Grid search of summarizer settings on the *tune* half (even rows) of a dev set.

    python -m bench.sweep ../shared/eval/cnndm-dev.jsonl.gz [--half tune|held-out]
    python -m bench.sweep ../shared/eval/orangesum-dev.jsonl.gz --grid '{"title_weight": [0, 1]}'

Prints ROUGE-1/2/Lsum F1 (x100) and the differs-from-Lead-k fraction per setting, best
first by the mean of the three; the chosen setting is then checked on the held-out half
with bench/rouge.py. Datasets, scoring and sentence count as in bench/rouge.py. Uses
both cores (one process per setting).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


from bench.rouge import DATASETS, METRICS, Article, guess_dataset, load
from bot.sentences import split_sentences
from bot.summarizer import summarize, with_settings

GRID = {
    "position_power": [0.0, 0.25, 0.5],
    "backward_weight": [-2.0, -1.0, -0.5, 0.0],
    "redundancy": [0.0, 0.3],
    "min_words": [6, 10],
    "centrality_floor": [0.0, 0.5],
}

_STATE: dict = {}


def _score(changes: dict) -> tuple[dict, tuple[float, ...], float]:
    articles: list[Article] = _STATE["articles"]
    count: int = _STATE["sentences"]
    scorer = DATASETS[_STATE["dataset"]].scorer()
    sums = dict.fromkeys(METRICS, 0.0)
    differs = 0
    for article in articles:
        settings = with_settings(**changes)
        summary = summarize(article.text, count, article.language, settings, title=article.title)
        differs += summary != split_sentences(article.text)[:count]
        scores = scorer.score(article.reference, "\n".join(summary))
        for m in METRICS:
            sums[m] += scores[m].fmeasure
    n = len(articles)
    return changes, tuple(100 * sums[m] / n for m in METRICS), differs / n


def _init(articles: list[Article], dataset: str, sentences: int) -> None:
    _STATE.update(articles=articles, dataset=dataset, sentences=sentences)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("--dataset", choices=list(DATASETS), default=None)
    parser.add_argument("--sentences", type=int, default=None)
    parser.add_argument("--half", choices=["tune", "held-out"], default="tune")
    parser.add_argument("--grid", default=None, help="JSON dict overriding GRID")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    grid = json.loads(args.grid) if args.grid else GRID
    dataset = DATASETS[args.dataset or guess_dataset(args.data)]
    articles = [dataset.read(row) for row in load(args.data, None)]
    articles = articles[0::2] if args.half == "tune" else articles[1::2]
    sentences = args.sentences or dataset.sentences
    combos = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    results = []
    with ProcessPoolExecutor(
        args.workers, initializer=_init, initargs=(articles, dataset.name, sentences)
    ) as pool:
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
