"""Article extraction on ../shared/eval/pages2 (176 real pages, 20 languages): body F1 of
digestbot against trafilatura's defaults on the same pages in the same run, by half.

    python -m bench.pages2 ../shared/eval/pages2             # digestbot vs trafilatura
    python -m bench.pages2 ../shared/eval/pages2 --choose    # also the FULLER_SHARE sweep

The folder (read its README) holds ``ground-truth.jsonl`` (``id``, ``language``,
``source``, ``text``, ``url``) and ``html/<id>.html.gz``; pages are read from there and
never copied.

Score, as the README's: per page, bag-of-words precision, recall and F1 (lower-cased
``\\w+`` runs, each Han or kana character a token, counted as multisets); an empty
extraction scores 0; means over the pages. digestbot's body is every block of
:func:`bot.extract.extract_html` (sub-headings too: the ground truth keeps section
headlines); trafilatura's is ``trafilatura.extract(html, url=url)`` with no options.

Halves: pages by their line in ``ground-truth.jsonl``, even lines and odd lines.
``--choose`` extracts each page with the precise pass alone and the balanced pass alone
and replays the rule of :func:`bot.extract.extract_html` (:func:`bot.extract.takes_fuller`:
the balanced text when the precise one has less than ``share`` of its paragraph
characters, :func:`bot.extract.kept_chars`, or less than trafilatura's minimum size) for
each share: the share is chosen on the even half
(best mean F1; ties to the smaller share, the one that changes fewer pages) and
reported on both.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from bench.harness import ground_truth
from bot.errors import NotAnArticle
from bot.extract import (
    BALANCED,
    FULLER_SHARE,
    Extracted,
    _extract,
    extract_html,
    kept_chars,
    takes_fuller,
)

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\w+")
_HAN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SHARES = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass
class Page:
    index: int
    id: str
    language: str
    url: str | None
    truth: str
    html: bytes


def tokens(text: str) -> collections.Counter[str]:
    found = []
    for run in _TOKEN.findall(text.lower()):
        found.extend(_HAN.findall(run) if _HAN.search(run) else [run])
    return collections.Counter(found)


def f1(predicted: str, truth: str) -> float:
    pred, true = tokens(predicted), tokens(truth)
    common = sum((pred & true).values())
    if not common:
        return 0.0
    precision, recall = common / sum(pred.values()), common / sum(true.values())
    return 2 * precision * recall / (precision + recall)


def load(folder: Path) -> list[Page]:
    pages = []
    for index, row in enumerate(ground_truth(folder)):
        with gzip.open(folder / "html" / f"{row['id']}.html.gz") as html:
            pages.append(
                Page(index, row["id"], row["language"], row.get("url"), row["text"], html.read())
            )
    return pages


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def halves(scores: list[float]) -> tuple[float, float, float]:
    return mean(scores[0::2]), mean(scores[1::2]), mean(scores)


def _try(run: object) -> Extracted | None:
    try:
        return run()  # type: ignore[operator]
    except NotAnArticle:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--choose", action="store_true", help="sweep FULLER_SHARE too")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    pages = load(args.folder)
    ours, theirs, cpu_ours, cpu_theirs = [], [], 0.0, 0.0
    precise: list[Extracted | None] = []
    fuller: list[Extracted | None] = []
    for page in pages:
        started = time.process_time()
        extracted = _try(lambda page=page: extract_html(page.html, page.url))
        cpu_ours += time.process_time() - started
        ours.append(f1(extracted.text if extracted else "", page.truth))
        started = time.process_time()
        text = trafilatura.extract(page.html, url=page.url) or ""
        cpu_theirs += time.process_time() - started
        theirs.append(f1(text, page.truth))
        if args.choose:
            precise.append(_try(lambda page=page: _extract(page.html, page.url, balanced=None)))
            fuller.append(
                _try(
                    lambda page=page: _extract(page.html, page.url, precise=BALANCED, balanced=None)
                )
            )
    n = len(pages)
    print(f"{n} pages; mean body F1 (even half / odd half / all), CPU ms a page")
    for name, scores, cpu in (
        (f"digestbot extract_html (FULLER_SHARE {FULLER_SHARE})", ours, cpu_ours),
        ("trafilatura.extract() defaults", theirs, cpu_theirs),
    ):
        even, odd, both = halves(scores)
        print(f"  {name:48} {even:.4f} / {odd:.4f} / {both:.4f}   {1000 * cpu / n:5.1f} ms")
    by_language: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    for page, a, b in zip(pages, ours, theirs, strict=True):
        by_language[page.language].append((a, b))
    print("  by language (pages: digestbot, trafilatura):")
    print(
        "   ",
        "; ".join(
            f"{lang} {len(v)}: {mean([a for a, _ in v]):.3f}, {mean([b for _, b in v]):.3f}"
            for lang, v in sorted(by_language.items())
        ),
    )
    if not args.choose:
        return
    print("\nFULLER_SHARE sweep (precise text kept unless under share x balanced):")
    best: tuple[float, float] | None = None
    for share in SHARES:
        scores, switched = [], 0
        for page, p, b in zip(pages, precise, fuller, strict=True):
            p_chars = kept_chars(p.blocks) if p else 0
            b_chars = kept_chars(b.blocks) if b else 0
            take = (
                b if (b is not None and takes_fuller(p_chars, b_chars, share)) or p is None else p
            )
            switched += take is not p
            scores.append(f1(take.text if take else "", page.truth))
        even, odd, both = halves(scores)
        print(f"  share {share:.1f}: {even:.4f} / {odd:.4f} / {both:.4f}   balanced on {switched}")
        if best is None or even > best[1] + 1e-9:
            best = (share, even)
    assert best is not None
    print(f"chosen on the even half: {best[0]:.1f}")


if __name__ == "__main__":
    main()
