"""``digestbot summarize`` and ``digestbot extract``: article files and web pages, one at
a time, as the summarizer sees them and as it summarizes them."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.commands.common import error, load
from bot.errors import DigestbotError

if TYPE_CHECKING:
    from bot.web.links import PageSummary


def summarize_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.articles import load as load_article
    from bot.articles.files import source_name
    from bot.languages import language_name
    from bot.summarizer import SUPPORTED_LANGUAGES, summarize

    if args.language is not None and language_name(args.language) is None:
        raise DigestbotError(
            f"unsupported language {args.language!r} (supported: "
            f"{', '.join(SUPPORTED_LANGUAGES)}, with stemming; any other by name or code, "
            "e.g. japanese, ru)"
        )
    failed = False
    first = True
    fetched = _fetch_pages(args, [name for name in args.files if _is_url(name)])
    for name in args.files:
        if _is_url(name):
            page = fetched[name]
            if isinstance(page, str):
                error(page)
                failed = True
                continue
            if not first and not args.json:
                out.write("\n")
            first = False
            _print_page(out, page, args.json)
            continue
        path = Path(name)
        try:
            article = load_article(path)
            language = args.language or article.language
            summary = summarize(article.text, args.sentences, language, title=article.title)
        except (OSError, DigestbotError) as exc:
            error(_unreadable(path, exc))
            failed = True
            continue
        if args.json:
            record = {
                "file": source_name(path),
                "title": article.title,
                "url": article.url,
                "date": article.date,
                "summary": summary,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        if not first:
            out.write("\n")
        first = False
        out.write(article.title + "\n")
        meta = " · ".join(x for x in (article.date, article.url) if x)
        if meta:
            out.write(meta + "\n")
        for sentence in summary:
            out.write(f"  {sentence}\n")
    return 1 if failed else 0


def extract_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.articles import load as load_article
    from bot.articles.files import source_name

    failed = False
    for number, path in enumerate(args.files):
        try:
            article = load_article(path)
        except (OSError, DigestbotError) as exc:
            error(_unreadable(path, exc))
            failed = True
            continue
        fields = {
            "file": source_name(path),
            "title": article.title,
            "date": article.date,
            "url": article.url,
            "language": article.language,
            "text": article.text,
        }
        if args.json:
            out.write(json.dumps(fields, ensure_ascii=False) + "\n")
        else:
            head = [f"{key}: {fields[key]}" for key in ("file", "title", "date", "url")]
            head.append(f"language: {article.language}")
            out.write(("\n" if number else "") + "\n".join(head) + "\n\n")
            out.write(article.text + "\n")
    return 1 if failed else 0


def _unreadable(path: Path, exc: OSError | DigestbotError) -> str:
    """Why an article file could not be read, in one line."""
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {path}"
    if isinstance(exc, IsADirectoryError):
        return f"is a directory, not an article file: {path}"
    return f"{path}: {getattr(exc, 'reason', None) or exc}"


def _is_url(name: str) -> bool:
    return name.lower().startswith(("http://", "https://"))


def _fetch_pages(args: argparse.Namespace, urls: list[str]) -> dict[str, PageSummary | str]:
    """Each URL fetched (the bot's fetcher: fence, limits) and summarized, in order:
    a :class:`bot.web.links.PageSummary`, or the one-line reason it failed."""
    if not urls:
        return {}
    from bot.web.fetch import Fetcher
    from bot.web.links import summarize_page

    config = load(args)
    language = args.language or config.summary.language

    async def fetch_all() -> dict[str, PageSummary | str]:
        done: dict[str, PageSummary | str] = {}
        async with Fetcher(config.fetch) as fetcher:
            for url in urls:
                try:
                    page = await fetcher.fetch(url)
                    done[url] = summarize_page(
                        page.text,
                        page.final_url,
                        sentences=args.sentences,
                        language=language,
                        plain=page.content_type == "text/plain",
                    )
                except DigestbotError as exc:
                    message = getattr(exc, "user_message", None) or getattr(exc, "reason", exc)
                    done[url] = f"{url}: {message}"
        return done

    return asyncio.run(fetch_all())


def _print_page(out: TextIO, page: PageSummary, as_json: bool) -> None:
    if as_json:
        record = {
            "url": page.url,
            "title": page.title,
            "site": page.site_name,
            "date": page.date,
            "summary": list(page.sentences),
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    out.write(page.title + "\n")
    out.write(" · ".join(x for x in (page.date, page.site_name, page.url) if x) + "\n")
    for sentence in page.sentences:
        out.write(f"  {sentence}\n")
