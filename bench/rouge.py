"""ROUGE benchmark of digestbot's summarizer against Lead-k (and other variants).

Usage::

    python -m bench.rouge ../shared/eval/cnndm-dev.jsonl.gz
    python -m bench.rouge ../shared/eval/orangesum-dev.jsonl.gz --dataset orangesum
    python -m bench.rouge DATA --variant lexrank --variant digestbot
    python -m bench.rouge DATA --variant all --limit 200 --markdown

DATA is a JSON-lines file (optionally gzipped). ``--dataset`` says how to read and score
it (default: guessed from the file name):

* ``cnndm`` -- CNN/DailyMail: ``id``, ``article``, ``highlights`` (newline-separated
  reference sentences), English. Scored with ``rouge-score``'s own tokenizer and Porter
  stemmer, as published CNN/DM figures are; three sentences by default.
* ``orangesum`` -- OrangeSum (French): ``id``, ``language``, ``title``, ``text``,
  ``highlights``. rouge-score's default tokenizer keeps only ``[a-z0-9]`` and so throws
  away accented letters ("ministère" becomes "minist re"); here words are Unicode
  ``\\w+`` runs, lower-cased, and words over three letters go through the language's
  Snowball stemmer (NLTK's, no data download). Three sentences by default, like the
  bot: the abstracts are shorter (1.5 sentences, 33 words on average), but of Lead-1,
  Lead-2 and Lead-3, Lead-3 scores best, so it is the baseline to beat.

Each system gets ``--sentences`` sentences; the baseline, Lead-k, is the first k
sentences from the same splitter and is always scored in the same run. Summary
sentences are joined by newlines (ROUGE-Lsum splits on them); ROUGE-1, ROUGE-2 and
ROUGE-Lsum F1.

The table shows, per system: the three F1 scores overall, per source (CNN articles have
ids below 001093, the rest are Daily Mail), and for the two halves of the set (even
rows: "tune", the half the settings were chosen on; odd rows: "held-out"); articles/s
(time spent in the summarizer only, pinned to one core); the mean summary length in
words; and "differs", the fraction of articles whose summary is not Lead-k. Below it,
the paired per-article gain over Lead-k, mean ± standard error, overall and per half.
"""

from __future__ import annotations

import os

# One core: keep numpy's BLAS single-threaded (must happen before numpy is imported).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from functools import cache  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy  # noqa: E402
from nltk.stem.snowball import SnowballStemmer  # noqa: E402
from rouge_score import rouge_scorer  # noqa: E402
from sumy.summarizers.lex_rank import LexRankSummarizer  # noqa: E402

from bench.harness import read_jsonl  # noqa: E402
from bot.sentences import Tokenizer, build_document, split_sentences  # noqa: E402
from bot.summarizer import (  # noqa: E402
    DEFAULT_SETTINGS,
    PositionCentralitySummarizer,
    Settings,
    _language_tools,
    _same,
    independent_words,
    summarize,
    with_settings,
)

CNN_BELOW = "001093"  # CNN/DM ids below this are CNN articles, the rest Daily Mail
METRICS = ("rouge1", "rouge2", "rougeLsum")


@dataclass(frozen=True)
class Article:
    """One benchmark row, read the same way for every dataset."""

    id: str
    text: str
    reference: str
    language: str = "english"
    title: str = ""
    source: str = ""  # a slice name ("cnn", "dm"), or "" when the set has one source


# (article, sentence count) -> summary sentences, verbatim from article.text.
Summarize = Callable[[Article, int], list[str]]


class UnicodeTokenizer:
    """rouge-score tokenizer for any alphabet: lower-cased ``\\w+`` runs, stemmed.

    Mirrors rouge-score's default (which keeps only ``[a-z0-9]``): words of more than
    three characters go through the stemmer, shorter ones are kept as they are.
    """

    _WORD = re.compile(r"\w+")

    def __init__(self, language: str) -> None:
        stemmer = SnowballStemmer(language)
        self._stem = cache(stemmer.stem)

    def tokenize(self, text: str) -> list[str]:
        words = self._WORD.findall(text.lower())
        return [self._stem(w) if len(w) > 3 else w for w in words]


@dataclass(frozen=True)
class Dataset:
    """How to read one kind of JSON-lines file and score summaries against it."""

    name: str
    read: Callable[[dict], Article]
    scorer: Callable[[], rouge_scorer.RougeScorer]
    sentences: int
    sources: tuple[str, ...] = ()


def _cnndm(row: dict) -> Article:
    source = "cnn" if row["id"] < CNN_BELOW else "dm"
    return Article(row["id"], row["article"], row["highlights"], source=source)


def _orangesum(row: dict) -> Article:
    return Article(
        row["id"], row["text"], row["highlights"], row.get("language", "french"), row["title"]
    )


DATASETS = {
    "cnndm": Dataset(
        "cnndm",
        _cnndm,
        lambda: rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True),
        3,
        ("cnn", "dm"),
    ),
    "orangesum": Dataset(
        "orangesum",
        _orangesum,
        lambda: rouge_scorer.RougeScorer(list(METRICS), tokenizer=UnicodeTokenizer("french")),
        3,
    ),
}


def _lead(article: Article, count: int) -> list[str]:
    return split_sentences(article.text)[:count]


def _lexrank(article: Article, count: int) -> list[str]:
    """sumy's LexRank out of the box (our tokenizer, sumy's stemmer and stop words)."""
    stem, stop_words = _language_tools(article.language)
    summarizer = LexRankSummarizer(stem)
    summarizer.stop_words = stop_words
    document = build_document(article.text, Tokenizer(article.language))
    # sumy's power method divides by zero on articles whose sentences share no words.
    with numpy.errstate(invalid="ignore", divide="ignore"):
        return [str(s) for s in summarizer(document, count)]


def _independent(article: Article, count: int) -> list[str]:
    """digestbot with language-independent scoring (as for Japanese or Russian): letter
    runs as words, no stemming, no stop words."""
    summarizer = PositionCentralitySummarizer(
        _same, frozenset(), DEFAULT_SETTINGS, article.title, independent_words
    )
    document = build_document(article.text, Tokenizer(article.language))
    return [str(s) for s in summarizer(document, count)]


def _ours(settings: Settings | None = None, title: bool = True) -> Summarize:
    def run(article: Article, count: int) -> list[str]:
        return summarize(
            article.text,
            count,
            article.language,
            settings=settings,
            title=article.title if title else "",
        )

    return run


# Every variant tried, so the table in docs/benchmarks.md can be regenerated. Each
# changes one or two things relative to the defaults (bot.summarizer.DEFAULT_SETTINGS).
VARIANTS: dict[str, Summarize] = {
    "lead": _lead,
    "lexrank": _lexrank,
    "digestbot": _ours(),
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
    # Added with OrangeSum (French; the only set with titles, so on CNN/DM these equal
    # digestbot or, for no-title, the digestbot of before).
    "no-title": _ours(title=False),
    "title-1": _ours(with_settings(title_weight=1.0)),
    "title-2": _ours(with_settings(title_weight=2.0)),
    "title-8": _ours(with_settings(title_weight=8.0)),
    "title-without-prior": _ours(with_settings(title_weight=2.0, title_with_prior=False)),
    "no-quote-penalty": _ours(with_settings(quote_penalty=0.0)),
    "quote-start-0.3": _ours(with_settings(quote_penalty=0.3, quote_rule="start")),
    "quote-penalty-1": _ours(with_settings(quote_penalty=1.0)),
    "backward-1-mmr-0.3": _ours(with_settings(backward_weight=-1.0, redundancy=0.3)),
    "language-independent": _independent,
}


@dataclass
class Tally:
    """F1 scores of one system over one slice of the data, article by article."""

    scores: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})

    @property
    def count(self) -> int:
        return len(self.scores[METRICS[0]])

    def add(self, scores: dict) -> None:
        for metric in METRICS:
            self.scores[metric].append(scores[metric].fmeasure)

    def cell(self, separator: str = "/") -> str:
        """The three mean F1 scores x100, or "n/a" for an empty slice."""
        if not self.count:
            return "n/a"
        return separator.join(f"{100 * _mean(self.scores[m]):.2f}" for m in METRICS)

    def gain(self, baseline: Tally, separator: str = " / ") -> str:
        """Paired per-article gain over ``baseline``: mean ± standard error, x100."""
        cells = []
        for metric in METRICS:
            mean, error = _paired(self.scores[metric], baseline.scores[metric])
            cells.append(f"{100 * mean:+.2f} ± {100 * error:.2f}")
        return separator.join(cells)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _paired(values: list[float], baseline: list[float]) -> tuple[float, float]:
    """Mean and standard error of the per-article differences."""
    differences = [a - b for a, b in zip(values, baseline, strict=True)]
    n = len(differences)
    mean = sum(differences) / n
    if n < 2:
        return mean, math.nan
    variance = sum((d - mean) ** 2 for d in differences) / (n - 1)
    return mean, math.sqrt(variance / n)


def load(path: Path, limit: int | None) -> list[dict]:
    return read_jsonl(path, limit)


def guess_dataset(path: Path) -> str:
    """The dataset a file holds, from its name (``orangesum-dev.jsonl.gz``...)."""
    for name in DATASETS:
        if path.name.lower().startswith(name):
            return name
    return "cnndm"


def run(
    articles: list[Article],
    dataset: Dataset,
    names: list[str],
    sentences: int,
    markdown: bool = False,
) -> None:
    scorer = dataset.scorer()
    slices = ("all", *dataset.sources, "tune", "held-out")
    tallies = {name: {s: Tally() for s in slices} for name in names}
    seconds = dict.fromkeys(names, 0.0)
    differs = dict.fromkeys(names, 0)
    words = dict.fromkeys(names, 0)
    for number, article in enumerate(articles):
        lead = _lead(article, sentences)
        row_slices = ["all", "tune" if number % 2 == 0 else "held-out"]
        if article.source:
            row_slices.append(article.source)
        for name in names:
            started = time.perf_counter()
            summary = VARIANTS[name](article, sentences)
            seconds[name] += time.perf_counter() - started
            differs[name] += summary != lead
            words[name] += sum(len(s.split()) for s in summary)
            scores = scorer.score(article.reference, "\n".join(summary))
            for s in row_slices:
                tallies[name][s].add(scores)
        if (number + 1) % 100 == 0:
            print(f"  {number + 1}/{len(articles)} articles", file=sys.stderr)

    n = len(articles)
    counts = {s: tallies[names[0]][s].count for s in slices}
    described = ", ".join(f"{s} {counts[s]}" for s in slices[1:])
    print(
        f"{dataset.name}: {n} articles ({described}), {sentences} sentences, "
        f"Lead-{sentences} as the baseline, ROUGE-1 / ROUGE-2 / ROUGE-Lsum F1 x100"
    )
    speeds = {name: n / seconds[name] if seconds[name] else float("inf") for name in names}
    if markdown:
        print("| system | " + " | ".join(slices) + " | articles/s | words | differs |")
        print("|---" * (len(slices) + 4) + "|")
        for name in names:
            cells = " | ".join(tallies[name][s].cell(" / ") for s in slices)
            print(
                f"| {name} | {cells} | {speeds[name]:.0f} | {words[name] / n:.1f} "
                f"| {differs[name] / n:.0%} |"
            )
    else:
        header = f"{'system':<22}" + "".join(f"{s:>20}" for s in slices)
        print(header + f"{'articles/s':>12}{'words':>7}{'differs':>9}")
        for name in names:
            cells = "".join(f"{tallies[name][s].cell():>20}" for s in slices)
            print(
                f"{name:<22}{cells}{speeds[name]:>12.0f}{words[name] / n:>7.1f}"
                f"{differs[name] / n:>9.0%}"
            )
    print(f"\nPer-article gain over Lead-{sentences} (mean ± standard error, x100):")
    for name in names[1:]:
        for s in ("all", "tune", "held-out"):
            gain = tallies[name][s].gain(tallies["lead"][s])
            print(f"  {name:<22}{s:<10}{gain}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="JSON lines (.jsonl or .jsonl.gz)")
    parser.add_argument(
        "--dataset",
        choices=list(DATASETS),
        default=None,
        help="how to read and score DATA (default: from the file name, else cnndm)",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--sentences", type=int, default=None, help="summary length (3)")
    parser.add_argument(
        "--variant",
        action="append",
        choices=[*VARIANTS, "all"],
        help="system to score (repeatable; default: lead and digestbot; 'all': every one)",
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: no such file: {args.data}", file=sys.stderr)
        return 2
    dataset = DATASETS[args.dataset or guess_dataset(args.data)]
    names = args.variant or ["digestbot"]
    if "all" in names:
        names = list(VARIANTS)
    names = ["lead", *[n for n in names if n != "lead"]]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    articles = [dataset.read(row) for row in load(args.data, args.limit)]
    run(articles, dataset, names, args.sentences or dataset.sentences, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
