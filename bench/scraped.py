"""Scraped-page benchmark: how well ``parse_page`` cleans text copied from a browser.

Usage::

    python -m bench.scraped /work/shared/eval/pages          # figures, halves, 8 worst pages
    python -m bench.scraped /work/shared/eval/pages --worst 20 --show 300
    python -m bench.scraped /work/shared/eval/pages --titles  # every page's title, right or not
    python -m bench.scraped /work/shared/eval/pages --summaries  # summary sentences from the text

``FOLDER`` holds ``text/<id>.txt`` (a news page as a browser copies it) and
``ground-truth.jsonl`` (one object a line: ``id``, ``url``, ``title_candidates``,
``body``). Each page goes through :func:`bot.articles.parse_page`, as a seed
``.txt`` file would; the pages are read, never copied into the repository.

The metric (:func:`body_scores`, :func:`title_right`, :func:`score`), importable
so another benchmark (``bench/pages.py``, the HTML side) can use the same one:

* **Body.** Words are lower-cased, split on white space and stripped of
  everything that is not a letter or digit; a page's text is the multiset of
  its 4-word shingles (a text under 4 words is one shingle). Per page,
  precision = shared / extracted shingles, recall = shared / ground-truth
  shingles (a page with nothing extracted scores 0 and 0). Precision and
  recall are each averaged over the pages; F1 is the harmonic mean of the two
  averages. The extracted body is every block of the article (sub-headings
  and paragraphs) joined by blank lines.
* **Title.** Right when its words (normalised as above) equal the words of
  one of the ``title_candidates``, or of a candidate without a trailing
  ``" - Site"`` / ``" | Site"`` / ``" — Site"`` part.

``--summaries`` also summarizes each page as the bot would (3 sentences) and
counts the summary sentences that come from the article (:func:`summary_share`):
a menu, banner or footer line that reached the text could end up there.

The figures are also given for two halves of the pages, split by the parity of
the page id (a hex digest: even or odd last digit), to show that a rule helps
on both and is not tuned to a few pages.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import ground_truth

__all__ = [
    "PageScore",
    "Result",
    "body_scores",
    "load_pages",
    "normalise",
    "score",
    "shingles",
    "summary_share",
    "title_right",
]

_NOT_WORD = re.compile(r"[\W_]+")
_SITE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—]{1,60}$")


def normalise(text: str) -> list[str]:
    """Lower-cased words without punctuation (a word that was only punctuation goes)."""
    out = []
    for raw in text.lower().split():
        word = _NOT_WORD.sub("", raw)
        if word:
            out.append(word)
    return out


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of ``n``-word shingles of ``text`` (one shingle if it is shorter)."""
    words = normalise(text)
    if not words:
        return Counter()
    if len(words) < n:
        return Counter([tuple(words)])
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def body_scores(extracted: str, truth: str, n: int = 4) -> tuple[float, float]:
    """(precision, recall) of ``extracted`` against ``truth`` over ``n``-word shingles."""
    got, want = shingles(extracted, n), shingles(truth, n)
    if not got and not want:
        return 1.0, 1.0
    shared = sum((got & want).values())
    precision = shared / sum(got.values()) if got else 0.0
    recall = shared / sum(want.values()) if want else 0.0
    return precision, recall


def title_right(title: str | None, candidates: Iterable[str]) -> bool:
    """Whether ``title`` has the words of one candidate (with or without a site suffix)."""
    if not title:
        return False
    words = normalise(title)
    if not words:
        return False
    for candidate in candidates:
        if words == normalise(candidate):
            return True
        stripped = _SITE_SUFFIX.sub("", candidate.strip())
        if stripped != candidate.strip() and words == normalise(stripped):
            return True
    return False


@dataclass(slots=True)
class PageScore:
    """One page's scores and what the extractor made of it."""

    id: str
    precision: float
    recall: float
    title: str | None
    title_ok: bool
    candidates: list[str]
    extracted: str
    truth: str
    error: str | None = None


@dataclass(slots=True)
class Result:
    """Scores over a set of pages."""

    pages: list[PageScore] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return sum(p.precision for p in self.pages) / len(self.pages) if self.pages else 0.0

    @property
    def recall(self) -> float:
        return sum(p.recall for p in self.pages) / len(self.pages) if self.pages else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def title_accuracy(self) -> float:
        return sum(p.title_ok for p in self.pages) / len(self.pages) if self.pages else 0.0

    def subset(self, keep: Callable[[PageScore], bool]) -> Result:
        return Result([p for p in self.pages if keep(p)])

    def line(self, label: str) -> str:
        return (
            f"{label:<10} pages {len(self.pages):3d}  P {self.precision:.3f}  "
            f"R {self.recall:.3f}  F1 {self.f1:.3f}  title {self.title_accuracy:6.1%}"
        )


def load_pages(folder: Path, kind: str = "text", suffix: str = ".txt") -> list[tuple[dict, Path]]:
    """(ground-truth record, page file) for every record whose page file exists."""
    folder = Path(folder)
    records = []
    for record in ground_truth(folder):
        path = folder / kind / f"{record['id']}{suffix}"
        if path.exists():
            records.append((record, path))
    return records


def score(
    pages: Iterable[tuple[dict, Path]],
    extract: Callable[[Path], tuple[str | None, str]],
) -> Result:
    """Score ``extract(path) -> (title, body)`` over ``pages``; an exception scores 0."""
    result = Result()
    for record, path in pages:
        error = None
        try:
            title, body = extract(path)
        except Exception as exc:  # a page the extractor rejects counts as nothing found
            title, body, error = None, "", f"{type(exc).__name__}: {exc}"
        precision, recall = body_scores(body, record["body"])
        result.pages.append(
            PageScore(
                id=record["id"],
                precision=precision,
                recall=recall,
                title=title,
                title_ok=title_right(title, record["title_candidates"]),
                candidates=list(record["title_candidates"]),
                extracted=body,
                truth=record["body"],
                error=error,
            )
        )
    return result


def extract_scraped(path: Path) -> tuple[str | None, str]:
    """What digestbot makes of a scraped ``.txt`` page: (title, body blocks joined)."""
    from bot.articles import decode, parse_page

    article = parse_page(decode(path.read_bytes(), path.name), path.name)
    return article.title, "\n\n".join(block.text for block in article.blocks)


def summary_share(pages: Iterable[tuple[dict, Path]], sentences: int = 3) -> tuple[int, int]:
    """(sentences from the article, summary sentences) over ``pages``: each page is parsed,
    summarized as the bot would, and a summary sentence counts as the article's when half
    its shingles are in the ground-truth body (a short one: when its words are in it)."""
    from bot.articles import decode, parse_page
    from bot.errors import DigestbotError
    from bot.summarizer import summarize

    inside = total = 0
    for record, path in pages:
        try:
            article = parse_page(decode(path.read_bytes(), path.name), path.name)
        except DigestbotError:
            continue
        try:
            summary = summarize(article.text, sentences, article.language)
        except DigestbotError:
            summary = summarize(article.text, sentences, "english")
        truth = shingles(record["body"])
        truth_words = " ".join(normalise(record["body"]))
        for sentence in summary:
            own = shingles(sentence)
            size = sum(own.values())
            if size > 1:
                inside += sum((own & truth).values()) >= 0.5 * size
            else:
                inside += " ".join(normalise(sentence)) in truth_words
            total += 1
    return inside, total


def even_id(page: PageScore) -> bool:
    return int(page.id[-1], 16) % 2 == 0


def _kept_and_lost(page: PageScore, limit: int) -> tuple[str, str]:
    """Extracted paragraphs that are not in the truth, and truth paragraphs not extracted."""
    truth_shingles = shingles(page.truth)
    got_shingles = shingles(page.extracted)

    def foreign(paragraphs: list[str], other: Counter) -> str:
        out = []
        for paragraph in paragraphs:
            own = shingles(paragraph)
            if own and sum((own & other).values()) < 0.5 * sum(own.values()):
                out.append(paragraph.replace("\n", " ")[:120])
        return " ¶ ".join(out)[:limit]

    kept = foreign([p for p in page.extracted.split("\n\n") if p.strip()], truth_shingles)
    lost = foreign([p for p in page.truth.split("\n") if p.strip()], got_shingles)
    return kept, lost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="the eval folder (text/ and ground-truth.jsonl)")
    parser.add_argument("--worst", type=int, default=8, help="how many worst pages to show")
    parser.add_argument("--show", type=int, default=240, help="characters of kept/lost text")
    parser.add_argument("--titles", action="store_true", help="list every page's title")
    parser.add_argument(
        "--summaries",
        action="store_true",
        help="also summarize each page and count summary sentences taken from the article",
    )
    args = parser.parse_args(argv)

    pages = load_pages(args.folder)
    if not pages:
        print(f"no pages under {args.folder / 'text'}", file=sys.stderr)
        return 1
    result = score(pages, extract_scraped)
    print("scraped text (bot.articles.parse_page), 4-word shingles:")
    print(result.line("all"))
    print(result.subset(even_id).line("even ids"))
    print(result.subset(lambda p: not even_id(p)).line("odd ids"))
    if args.summaries:
        for label, keep in (("all", None), ("even ids", True), ("odd ids", False)):
            chosen = [
                (r, p) for r, p in pages if keep is None or (int(r["id"][-1], 16) % 2 == 0) == keep
            ]
            inside, total = summary_share(chosen)
            share = inside / total if total else 0.0
            print(f"{label:<10} summary sentences from the article: {inside}/{total} = {share:.1%}")
    if args.titles:
        print("\ntitles:")
        for page in sorted(result.pages, key=lambda p: p.id):
            mark = "ok " if page.title_ok else "BAD"
            print(f"{mark} {page.id[:8]} {page.title!r}  want {page.candidates[0]!r}")
    if args.worst:
        print(f"\nworst {args.worst} pages by body F1:")
        worst = sorted(
            result.pages,
            key=lambda p: 2 * p.precision * p.recall / (p.precision + p.recall or 1),
        )
        for page in worst[: args.worst]:
            kept, lost = _kept_and_lost(page, args.show)
            print(
                f"- {page.id[:12]} P {page.precision:.2f} R {page.recall:.2f} title {page.title!r}"
            )
            if page.error:
                print(f"    error: {page.error}")
            if kept:
                print(f"    kept, not in the article: {kept}")
            if lost:
                print(f"    lost: {lost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
