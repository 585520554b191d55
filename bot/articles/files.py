"""Seed files on disk: reading, decoding, dispatching and scanning a folder.

This module owns everything between a file and the parsers:

* :func:`load` reads one file's bytes, rejects empty, binary and oversized
  files, decodes them (:func:`decode`: UTF-8, UTF-16 with a BOM; anything else
  falls back to cp1252, then Latin-1) and dispatches on the suffix:
  ``.md``/``.markdown`` go to :func:`bot.articles.markdown.parse_markdown`,
  ``.html``/``.htm`` to :func:`bot.articles.html.parse_html` (trafilatura, which reads
  the page's own charset), everything else to :func:`bot.articles.pages.parse_page`.
* :func:`scan` walks a folder (recursively, sorted by path, hidden files and
  folders left out) and never raises for a bad file: each skipped file is one
  WARNING line on the ``bot.articles`` logger and one :class:`Skipped` entry; a
  file with the same content as an earlier one is skipped too. A caller that
  scans again and again (the running bot) passes a ``reported`` set, and a
  file skipped for the same reason as last time is logged at DEBUG instead,
  so the journal hears about it once.
* File names that are not valid UTF-8 (a Latin-1 ``caf\\xe9.txt`` on Linux) are
  read all the same: the article's ``source`` is the name with each undecodable
  byte written as ``\\xNN`` (:func:`source_name`), which SQLite and Telegram can
  hold, and the scan logs one WARNING line asking for a rename; the file is
  still read through its real bytes path.
* A symlink whose target lies outside the seeds folder is not followed: one
  :class:`Skipped` entry and one WARNING line. A link that stays inside the
  folder is read like any file (usually then skipped as the same content).

The only module of the package that touches the file system.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from bot.articles import markdown, pages
from bot.articles.article import Article
from bot.articles.html import HTML_SUFFIXES, parse_html
from bot.articles.text import clean_text
from bot.errors import NotAnArticle

__all__ = [
    "MARKDOWN_SUFFIXES",
    "MAX_FILE_BYTES",
    "Scan",
    "Skipped",
    "decode",
    "load",
    "scan",
    "source_name",
]

# The package's one logger: operators filter on "bot.articles", whichever module logs.
log = logging.getLogger("bot.articles")

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
# Seed files are articles, a few kilobytes each; anything this big is not one,
# and reading it whole would only cost memory.
MAX_FILE_BYTES = 10 * 1024 * 1024
OUTSIDE_LINK = "symlink to a file outside the seeds folder: not followed"
NOT_UTF8_NAME = "file name is not valid UTF-8 (read under this name; rename the file to UTF-8)"
# C0/C1 control characters other than whitespace, which text files do not
# contain but binary files do.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


@dataclass
class Skipped:
    """A file :func:`scan` did not turn into an article, and why."""

    source: str
    reason: str


@dataclass
class Scan:
    """What :func:`scan` found: the articles in file order and the files it skipped."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


# --------------------------------------------------------------------------- files


def load(path: Path, root: Path | None = None) -> Article:
    """Read one seed file into an :class:`Article`; raise :class:`NotAnArticle` if it is none.

    ``source`` is ``path`` relative to ``root`` when given, else ``path`` as given.
    """
    path = Path(path)
    source = source_name(path, root)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise NotAnArticle(source, f"file too large ({size} bytes; limit {MAX_FILE_BYTES})")
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise  # the caller named a wrong path: its own message, not "not an article"
    except OSError as exc:
        raise NotAnArticle(source, f"cannot read: {exc.strerror or exc}") from exc
    if path.suffix.lower() in HTML_SUFFIXES:
        if not data.strip():
            raise NotAnArticle(source, "empty file")
        return parse_html(data, source)
    text = decode(data, source)
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        return markdown.parse_markdown(text, source)
    return pages.parse_page(text, source)


def decode(data: bytes, source: str) -> str:
    """Bytes to text: UTF-8 (or UTF-16 with a BOM), else cp1252, else Latin-1.

    Raises :class:`NotAnArticle` for an empty or binary file.
    """
    if not data.strip():
        raise NotAnArticle(source, "empty file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise NotAnArticle(source, "binary file (broken UTF-16)") from exc
    elif b"\x00" in data[:8192]:
        raise NotAnArticle(source, "binary file (contains NUL bytes)")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Not UTF-8: a legacy single-byte file. cp1252 is a superset of
            # Latin-1's printable range (and what "Latin-1" files from Windows
            # really are); Latin-1 decodes the five bytes cp1252 leaves undefined.
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    sample = text[:4096]
    controls = len(_CONTROL.findall(sample))
    if controls > len(sample) * 0.02:
        raise NotAnArticle(source, "binary file (control characters)")
    text = clean_text(text)  # outside text, cleaned once on the way in
    if not text.strip():
        raise NotAnArticle(source, "empty file")
    return text


def scan(
    folder: Path,
    progress: Callable[[int, int], None] | None = None,
    reported: set[tuple[str, str]] | None = None,
) -> Scan:
    """Load every regular, non-hidden file under ``folder`` (recursively, sorted by path).

    A file that is not an article, or has the same content as an earlier file,
    is skipped with one WARNING line on the ``bot.articles`` logger; scanning
    never raises for a bad file. ``progress(done, total)`` is called after each
    file. A missing folder raises :class:`FileNotFoundError` (or
    :class:`NotADirectoryError`): that is a configuration problem, not a bad file.

    ``reported`` is for callers that rescan the same folder: the ``(source,
    reason)`` pairs already warned about. Those are logged at DEBUG instead, and
    the set is then replaced, in place, by this scan's skips (and notices, such as
    a file name that is not UTF-8): a file warns again when its reason changes, or
    when it is skipped after a scan that read it.
    """
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"seeds folder does not exist: {folder}")
    if not folder.is_dir():
        raise NotADirectoryError(f"seeds folder is not a folder: {folder}")
    files = sorted(_walk(folder), key=lambda p: p.relative_to(folder).as_posix())
    result = Scan()
    first_source: dict[str, str] = {}
    names: set[str] = set()
    notices: list[tuple[str, str]] = []
    already: AbstractSet[tuple[str, str]] = reported if reported is not None else frozenset()
    real_folder = folder.resolve()
    total = len(files)
    for done, path in enumerate(files, 1):
        source = source_name(path, folder)
        try:
            if source in names:
                # Two undecodable names can only meet here if one is literally
                # spelt with a backslash escape; keep the first, never mix them up.
                raise NotAnArticle(source, "another file has the same name once decoded")
            names.add(source)
            if not _inside(path, real_folder):
                raise NotAnArticle(source, OUTSIDE_LINK)
            if source != path.relative_to(folder).as_posix():
                notice = (source, NOT_UTF8_NAME)
                notices.append(notice)
                _note(notice, already)
            article = load(path, folder)
        except NotAnArticle as exc:
            _skip(result, exc.source, exc.reason, already)
        except OSError as exc:  # vanished or became a folder between listing and reading
            _skip(result, source, f"cannot read: {exc.strerror or exc}", already)
        except Exception as exc:
            # A parser bug must cost one file, not the whole scan (the bot
            # rescans unattended); the reason names the error so it gets fixed.
            _skip(result, source, f"unexpected error: {type(exc).__name__}: {exc}", already)
        else:
            digest = article.content_hash
            if digest in first_source:
                _skip(result, source, f"same content as {first_source[digest]}", already)
            else:
                first_source[digest] = source
                result.articles.append(article)
        if progress is not None:
            progress(done, total)
    if reported is not None:
        # Exactly this scan's skips: a file that was read in between drops out,
        # so being skipped again later is news again.
        reported.clear()
        reported.update((skipped.source, skipped.reason) for skipped in result.skipped)
        reported.update(notices)
    # At debug: the bot rescans every few minutes, and what changed is logged by the
    # caller (bot.catalog); a skipped file is logged above, once.
    log.debug(
        "scanned %s: %d files, %d articles, %d skipped",
        folder,
        total,
        len(result.articles),
        len(result.skipped),
    )
    return result


def _skip(result: Scan, source: str, reason: str, already: AbstractSet[tuple[str, str]]) -> None:
    result.skipped.append(Skipped(source, reason))
    level = logging.DEBUG if (source, reason) in already else logging.WARNING
    log.log(level, "skipped %s: %s", source, reason)


def _note(notice: tuple[str, str], already: AbstractSet[tuple[str, str]]) -> None:
    level = logging.DEBUG if notice in already else logging.WARNING
    log.log(level, "%s: %s", notice[0], notice[1])


def _inside(path: Path, real_folder: Path) -> bool:
    """Whether ``path``, its symlink resolved, is still inside the (resolved) seeds folder.

    os.walk does not descend into symlinked folders, so only the file itself can be a link.
    """
    if not path.is_symlink():
        return True
    try:
        path.resolve(strict=True).relative_to(real_folder)
    except (OSError, RuntimeError, ValueError):
        return False
    return True


def _walk(folder: Path) -> Iterator[Path]:
    # os.walk does not follow symlinked folders, so a link loop cannot hang a scan.
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath, name)
            if path.is_file():
                yield path


def source_name(path: Path, root: Path | None = None) -> str:
    """The name an article is known by: ``path`` relative to ``root`` (POSIX), or as given.

    Always valid UTF-8: bytes of a file name that do not decode (Python keeps
    them as lone surrogates) are written ``\\xNN``, so ``caf\\xe9.txt`` can be
    stored in SQLite, logged and sent, and two such names stay distinct.
    """
    name = PurePath(path).as_posix()
    if root is not None:
        with contextlib.suppress(ValueError):
            name = path.relative_to(root).as_posix()
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
