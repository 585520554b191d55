"""ROUGE benchmark of digestbot's summarizer against Lead-3 (and other variants).

Usage::

    python bench/rouge.py ../shared/eval/cnndm-dev.jsonl.gz
    python bench/rouge.py DATA --variant lead3 --variant lexrank --variant digestbot
    python bench/rouge.py DATA --variant all --limit 200

DATA is a JSON-lines file (optionally gzipped) with ``id``, ``article`` and
``highlights`` (newline-separated reference sentences), like the CNN/DailyMail dev set.
Each system gets ``--sentences`` sentences (default 3); summary sentences are joined
by newlines and scored with the ``rouge-score`` package (ROUGE-1, ROUGE-2, ROUGE-Lsum
F1, stemming on). Lead-3 (the first three sentences from the same splitter) is always
scored in the same run as the reference.

The table shows, per system: the three F1 scores overall, for the CNN articles (ids
below 001093), the Daily Mail ones, and the two halves of the set (even rows: "tune",
the half the settings were chosen on; odd rows: "held-out"); articles/s (time spent in
the summarizer only, pinned to one core); and "differs", the fraction of articles
whose chosen sentences are not the first three.
"""

from __future__ import annotations

import os

# One core: keep numpy's BLAS single-threaded (must happen before numpy is imported).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy  # noqa: E402
from rouge_score import rouge_scorer  # noqa: E402
from sumy.summarizers.lex_rank import LexRankSummarizer  # noqa: E402

from bot.sentences import Tokenizer, build_document, split_sentences  # noqa: E402
from bot.summarizer import (  # noqa: E402
    DEFAULT_SETTINGS,
    Settings,
    _language_tools,
    summarize,
    with_settings,
)

CNN_BELOW = "001093"  # ids below this are CNN articles, the rest Daily Mail
METRICS = ("rouge1", "rouge2", "rougeLsum")

Summarize = Callable[[str, int], list[str]]


def _lead(text: str, count: int) -> list[str]:
    return split_sentences(text)[:count]


def _lexrank(text: str, count: int) -> list[str]:
    """sumy's LexRank out of the box (our tokenizer, sumy's stemmer and stop words)."""
    stem, stop_words = _language_tools("english")
    summarizer = LexRankSummarizer(stem)
    summarizer.stop_words = stop_words
    document = build_document(text, Tokenizer("english"))
    # sumy's power method divides by zero on articles whose sentences share no words.
    with numpy.errstate(invalid="ignore", divide="ignore"):
        return [str(s) for s in summarizer(document, count)]


def _ours(settings: Settings) -> Summarize:
    def run(text: str, count: int) -> list[str]:
        return summarize(text, count, settings=settings)

    return run


# Every variant tried, so the README table can be regenerated. Each changes one or two
# things relative to the defaults (bot.summarizer.DEFAULT_SETTINGS).
VARIANTS: dict[str, Summarize] = {
    "lead3": _lead,
    "lexrank": _lexrank,
    "digestbot": _ours(DEFAULT_SETTINGS),
    # The first version: strong 1/(i+1) prior, centrality floor, heavy MMR.
    "first-try": _ours(
        with_settings(position_power=1.0, centrality_floor=0.5, redundancy=0.5, length_penalty=0.0)
    ),
    # Boilerplate/short-fragment filter and position prior only: Lead-3 minus junk.
    "prior-only": _ours(with_settings(centrality="none", redundancy=0.0, length_penalty=0.0)),
    "no-filter": _ours(with_settings(min_words=0, drop_boilerplate=False)),
    "drop-captions": _ours(with_settings(drop_captions=True)),
    "min-words-10": _ours(with_settings(min_words=10)),
    "degree-centrality": _ours(with_settings(centrality="degree")),
    "forward-only": _ours(with_settings(backward_weight=0.0)),
    "backward-2": _ours(with_settings(backward_weight=-2.0)),
    "edge-threshold-0.1": _ours(with_settings(edge_threshold=0.1)),
    "no-prior": _ours(with_settings(position_power=0.0)),
    "prior-0.5": _ours(with_settings(position_power=0.5)),
    "no-mmr": _ours(with_settings(redundancy=0.0)),
    "no-length-penalty": _ours(with_settings(length_penalty=0.0)),
    "length-penalty-0.5": _ours(with_settings(length_penalty=0.5)),
}


@dataclass
class Tally:
    """Running sums of F1 scores for one system over one slice of the data."""

    count: int = 0
    sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(METRICS, 0.0))

    def add(self, scores: dict) -> None:
        self.count += 1
        for metric in METRICS:
            self.sums[metric] += scores[metric].fmeasure

    def cell(self, separator: str = "/") -> str:
        """The three mean F1 scores x100, or "n/a" for an empty slice."""
        if not self.count:
            return "n/a"
        return separator.join(f"{100 * self.sums[m] / self.count:.2f}" for m in METRICS)


def load(path: Path, limit: int | None) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def run(rows: list[dict], names: list[str], sentences: int, markdown: bool = False) -> None:
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    slices = ("all", "cnn", "dm", "tune", "held-out")
    tallies = {name: {s: Tally() for s in slices} for name in names}
    seconds = dict.fromkeys(names, 0.0)
    differs = dict.fromkeys(names, 0)
    for number, row in enumerate(rows):
        text, reference = row["article"], row["highlights"]
        lead = split_sentences(text)[:sentences]
        row_slices = (
            "all",
            "cnn" if row["id"] < CNN_BELOW else "dm",
            "tune" if number % 2 == 0 else "held-out",
        )
        for name in names:
            started = time.perf_counter()
            summary = VARIANTS[name](text, sentences)
            seconds[name] += time.perf_counter() - started
            differs[name] += summary != lead
            scores = scorer.score(reference, "\n".join(summary))
            for s in row_slices:
                tallies[name][s].add(scores)
        if (number + 1) % 100 == 0:
            print(f"  {number + 1}/{len(rows)} articles", file=sys.stderr)

    counts = {s: tallies[names[0]][s].count for s in slices}
    print(
        f"{len(rows)} articles ({counts['cnn']} CNN, {counts['dm']} Daily Mail; "
        f"tune {counts['tune']}, held-out {counts['held-out']}), {sentences} sentences, "
        "ROUGE-1 / ROUGE-2 / ROUGE-Lsum F1 x100"
    )
    speeds = {n: len(rows) / seconds[n] if seconds[n] else float("inf") for n in names}
    if markdown:
        print("| system | " + " | ".join(slices) + " | articles/s | differs |")
        print("|---" * (len(slices) + 3) + "|")
        for name in names:
            cells = " | ".join(tallies[name][s].cell(" / ") for s in slices)
            print(f"| {name} | {cells} | {speeds[name]:.0f} | {differs[name] / len(rows):.0%} |")
        return
    header = f"{'system':<22}" + "".join(f"{s:>20}" for s in slices)
    print(header + f"{'articles/s':>12}{'differs':>9}")
    for name in names:
        cells = "".join(f"{tallies[name][s].cell():>20}" for s in slices)
        print(f"{name:<22}{cells}{speeds[name]:>12.0f}{differs[name] / len(rows):>9.0%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="JSON lines (.jsonl or .jsonl.gz)")
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--sentences", type=int, default=3, help="summary length (3)")
    parser.add_argument(
        "--variant",
        action="append",
        choices=[*VARIANTS, "all"],
        help="system to score (repeatable; default: lead3 and digestbot; 'all': every one)",
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: no such file: {args.data}", file=sys.stderr)
        return 2
    names = args.variant or ["digestbot"]
    if "all" in names:
        names = list(VARIANTS)
    names = ["lead3", *[n for n in names if n != "lead3"]]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    run(load(args.data, args.limit), names, args.sentences, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
