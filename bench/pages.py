"""Article extraction benchmark on real news pages: body P/R/F1, titles, speed, worst pages.

Usage::

    python -m bench.pages ../shared/eval/pages
    python -m bench.pages ../shared/eval/pages --variants     # every trafilatura variant
    python -m bench.pages ../shared/eval/pages --worst 12

The folder holds ``ground-truth.jsonl`` (``id``, ``url``, ``title_candidates``,
``body``), ``html/<id>.html.gz`` (the saved page) and ``text/<id>.txt`` (the same page
as a browser copies it). Pages are read from there and never copied anywhere.

Systems:

* **html: digestbot** -- :func:`bot.extract.extract_html` on the HTML;
* **html: trafilatura extract() defaults** -- ``trafilatura.extract(html, url=url)``
  with no options, for comparison (title from ``extract_metadata``);
* **text: digestbot** -- the scraped-page parser (:func:`bot.articles.load` on the
  ``.txt`` file); its body is every block (sub-headings too), as in the ground truth.

Body metric (the benchmark's, per page normalised): each text is lower-cased and split
into word tokens (``\\w+``: punctuation dropped); its shingles are the set of
consecutive 4-token tuples. Per page, precision = |pred ∩ truth| / |pred| and recall =
|pred ∩ truth| / |truth| (an empty prediction has precision 0 and recall 0); P and R
are the means over all pages, F1 = 2PR / (P + R).

Title: right when its word sequence (lower-cased ``\\w+`` tokens) equals that of one of
the page's ``title_candidates``, or of a candidate with a trailing " - Site",
" | Site", " – Site", " — Site" or " :: Site" part removed.

Speed: pages per CPU second spent inside the extractor only (``time.process_time``,
the process pinned to one core), so other processes on the machine slow it less;
"wall" is pages per wall-clock second of the same calls. The trafilatura rows include
a second parse for ``extract_metadata`` (the title), as a user of ``extract()`` needs.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

from bench.harness import ground_truth
from bot.articles import load
from bot.errors import NotAnArticle
from bot.extract import BALANCED, PRECISE, _extract

_TOKEN = re.compile(r"\w+")
_SITE_SUFFIX = re.compile(r"^(?P<title>.*\S)\s+(?:-|\||–|—|::)\s+[^|]{1,80}$")


@dataclass
class Page:
    id: str
    url: str
    titles: list[str]
    body: str
    html: bytes
    text_path: Path


@dataclass
class Result:
    """One page's outcome for one system."""

    page: Page
    body: str
    title: str | None
    precision: float
    recall: float
    title_ok: bool
    error: str | None = None

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass
class Run:
    name: str
    results: list[Result] = field(default_factory=list)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    def summary(self) -> tuple[float, float, float, float]:
        n = len(self.results)
        precision = sum(r.precision for r in self.results) / n
        recall = sum(r.recall for r in self.results) / n
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1, sum(r.title_ok for r in self.results) / n


# --------------------------------------------------------------------------- metric


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = tokens(text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def precision_recall(predicted: str, truth: str) -> tuple[float, float]:
    pred, true = shingles(predicted), shingles(truth)
    common = len(pred & true)
    return (common / len(pred) if pred else 0.0), (common / len(true) if true else 0.0)


def title_right(title: str | None, candidates: list[str]) -> bool:
    if not title:
        return False
    words = tokens(title)
    for candidate in candidates:
        if words == tokens(candidate):
            return True
        match = _SITE_SUFFIX.match(candidate.strip())
        if match and words == tokens(match.group("title")):
            return True
    return False


# --------------------------------------------------------------------------- systems

Extractor = Callable[[Page], tuple[str, str | None]]


def digestbot_html(**options: object) -> Extractor:
    def run(page: Page) -> tuple[str, str | None]:
        extracted = _extract(page.html, page.url, **options)  # type: ignore[arg-type]
        return extracted.text, extracted.title

    return run


def trafilatura_extract(**options: object) -> Extractor:
    """trafilatura's ``extract()`` as a user calls it (txt output), title from its metadata."""

    def run(page: Page) -> tuple[str, str | None]:
        text = trafilatura.extract(page.html, url=page.url, **options) or ""  # type: ignore[arg-type]
        metadata = trafilatura.extract_metadata(trafilatura.load_html(page.html), page.url)
        return text, metadata.title

    return run


def digestbot_text(page: Page) -> tuple[str, str | None]:
    article = load(page.text_path)
    return "\n\n".join(block.text for block in article.blocks), article.title


def evaluate(name: str, extractor: Extractor, pages: list[Page]) -> Run:
    run = Run(name)
    for page in pages:
        error = None
        started, wall = time.process_time(), time.perf_counter()
        try:
            body, title = extractor(page)
        except NotAnArticle as exc:
            body, title, error = "", None, exc.reason
        run.cpu_seconds += time.process_time() - started
        run.wall_seconds += time.perf_counter() - wall
        precision, recall = precision_recall(body, page.body)
        run.results.append(
            Result(page, body, title, precision, recall, title_right(title, page.titles), error)
        )
    return run


# --------------------------------------------------------------------------- report


def excerpt(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def worst_block(source: str, other: str) -> str | None:
    """The longest paragraph of ``source`` whose shingles are mostly missing in ``other``."""
    other_shingles = shingles(other)
    best, best_missing = None, 0
    for paragraph in re.split(r"\n\s*\n|\n", source):
        own = shingles(paragraph)
        missing = len(own - other_shingles)
        if own and missing / len(own) > 0.5 and missing > best_missing:
            best, best_missing = paragraph, missing
    return best


def report_worst(run: Run, count: int) -> None:
    if count <= 0:
        return
    print(f"\nWorst {count} pages, {run.name} (F1 P R, host; what was kept but is not in")
    print("the article, what the article has that was lost; short excerpts):")
    for result in sorted(run.results, key=lambda r: r.f1)[:count]:
        host = result.page.url.split("/")[2] if "//" in result.page.url else result.page.url
        print(
            f"  {result.f1:.2f} {result.precision:.2f} {result.recall:.2f}  "
            f"{result.page.id[:8]} {host}"
        )
        if result.error:
            print(f"      error: {result.error}")
        kept = worst_block(result.body, result.page.body)
        lost = worst_block(result.page.body, result.body)
        if kept:
            print(f"      kept: {excerpt(kept)!r}")
        if lost:
            print(f"      lost: {excerpt(lost)!r}")
        if not result.title_ok:
            print(f"      title: {excerpt(result.title or '(none)', 70)!r}")


def print_table(runs: list[Run], pages: int) -> None:
    print(f"\n{'system':58} {'P':>6} {'R':>6} {'F1':>6} {'titles':>7} {'pages/s':>8} {'wall':>6}")
    for run in runs:
        precision, recall, f1, titles = run.summary()
        speed = pages / run.cpu_seconds if run.cpu_seconds else float("inf")
        wall = pages / run.wall_seconds if run.wall_seconds else float("inf")
        print(
            f"{run.name:58} {precision:6.4f} {recall:6.4f} {f1:6.4f} "
            f"{titles * 100:6.1f}% {speed:8.1f} {wall:6.1f}"
        )


def load_pages(folder: Path) -> list[Page]:
    pages = []
    for row in ground_truth(folder):
        with gzip.open(folder / "html" / f"{row['id']}.html.gz") as html:
            data = html.read()
        pages.append(
            Page(
                row["id"],
                row["url"],
                row["title_candidates"],
                row["body"],
                data,
                folder / "text" / f"{row['id']}.txt",
            )
        )
    return pages


VARIANTS: list[tuple[str, Extractor]] = [
    ("html: trafilatura extract() defaults", trafilatura_extract()),
    ("html: extract(include_comments=False)", trafilatura_extract(include_comments=False)),
    (
        "html: extract(favor_precision, no comments)",
        trafilatura_extract(favor_precision=True, include_comments=False),
    ),
    (
        "html: extract(favor_recall, no comments)",
        trafilatura_extract(favor_recall=True, include_comments=False),
    ),
    (
        "html: extract(no tables, no comments)",
        trafilatura_extract(include_tables=False, include_comments=False),
    ),
    ("html: extract(fast, no comments)", trafilatura_extract(fast=True, include_comments=False)),
    ("html: digestbot balanced only", digestbot_html(precise=BALANCED, balanced=None)),
    (
        "html: digestbot precise with readability/jusText check",
        digestbot_html(precise={**PRECISE, "fast": False}),
    ),
    ("html: digestbot, nav/aside/footer left to trafilatura", digestbot_html(drop_furniture=False)),
    (
        "html: digestbot as before both (check, furniture kept)",
        digestbot_html(precise={**PRECISE, "fast": False}, drop_furniture=False),
    ),
    ("html: digestbot precise only (no balanced pass)", digestbot_html(balanced=None)),
    ("html: digestbot, balanced when precise < 0.3 of it", digestbot_html(fuller_share=0.3)),
    ("html: digestbot, balanced when precise < 0.7 of it", digestbot_html(fuller_share=0.7)),
    ("html: digestbot, keep a headline first line", digestbot_html(drop_title=False)),
    (
        "html: digestbot precise, no tables",
        digestbot_html(precise={**PRECISE, "include_tables": False}),
    ),
    (
        "html: digestbot precise + deduplicate",
        digestbot_html(precise={**PRECISE, "deduplicate": True}),
    ),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="e.g. ../shared/eval/pages")
    parser.add_argument("--worst", type=int, default=8, help="worst pages to show per system")
    parser.add_argument("--variants", action="store_true", help="also every option variant")
    args = parser.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    pages = load_pages(args.folder)
    print(f"{len(pages)} pages from {args.folder}")
    digestbot_html(drop_title=True)(pages[0])  # load the language model before timing

    runs = [
        evaluate("html: digestbot (bot.extract.extract_html)", digestbot_html(), pages),
        evaluate("html: trafilatura extract() defaults", trafilatura_extract(), pages),
        evaluate("text: digestbot (bot.articles.load)", digestbot_text, pages),
    ]
    if args.variants:
        runs += [evaluate(name, extractor, pages) for name, extractor in VARIANTS[1:]]
    print_table(runs, len(pages))
    for run in runs[:1] + runs[2:3]:
        report_worst(run, args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
