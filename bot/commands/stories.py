"""``digestbot group-stories`` and ``digestbot rank``: stories made from a JSON-lines file of
articles (may be gzipped), without a database: the grouping, and what a digest of N items
would show."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.errors import DigestbotError

if TYPE_CHECKING:
    from bot.stories import StoryInput


def group_stories_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.stories import group_stories

    articles = _story_inputs(args.file)
    stories = group_stories(articles)
    for article, story in zip(articles, stories, strict=True):
        record = {"id": article.id, "story": articles[story].id}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def rank_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.stories import rank

    for item in rank(_story_inputs(args.file), args.limit):
        record = {"id": item.id, "story": item.story, "also": list(item.also)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def _story_inputs(path: Path) -> list[StoryInput]:
    """The articles of a JSON-lines file as story inputs; ids must be unique."""
    from bot.stories import story_input

    articles = []
    lines: dict[object, int] = {}
    for number, record in _json_lines(path):
        article = story_input(record, f"{path}:{number}")
        if article.id in lines:
            raise DigestbotError(
                f"{path}:{number}: id {article.id!r} is already on line {lines[article.id]}"
            )
        lines[article.id] = number
        articles.append(article)
    return articles


def _json_lines(path: Path) -> list[tuple[int, object]]:
    """The JSON value on each non-blank line of a (possibly gzipped) file, numbered."""
    import gzip
    import zlib

    try:
        with path.open("rb") as handle:
            data = handle.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        text = data.decode("utf-8-sig")
    except FileNotFoundError:
        raise DigestbotError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DigestbotError(f"is a directory, not a JSON-lines file: {path}") from None
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise DigestbotError(f"{path}: a broken gzip file") from None
    except UnicodeDecodeError:
        raise DigestbotError(f"{path}: not UTF-8 text") from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DigestbotError(f"{path}:{number}: not JSON ({exc.msg})") from None
    return records
