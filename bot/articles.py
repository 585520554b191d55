"""Seed files to clean articles: decoding, boilerplate removal, identity.

This module owns everything between a file on disk and an :class:`Article`:

* :func:`load` reads one file's bytes, rejects empty and binary files, decodes
  UTF-8 (UTF-16 with a BOM; anything else falls back to cp1252, then Latin-1)
  and dispatches on the suffix: ``.md``/``.markdown`` go to
  :func:`parse_markdown`, everything else to :func:`parse_page`.
* :func:`parse_page` cleans a scraped news page (plain text; blank lines
  separate blocks, hard-wrapped lines are joined again): it drops navigation,
  image lines and their captions, bylines, agency credits and site furniture;
  finds the title, the date and the source link; keeps sub-headings (short
  lines without terminal punctuation between paragraphs) as heading blocks.
  The rules are general, not per site; each is a named regex or small
  function below, so a new site's furniture is one entry away.
* :func:`parse_markdown` reads Markdown with TOML front matter between
  ``+++`` lines (keys ``title``, ``url``, ``date``, ``language``).
* :func:`scan` walks a folder and never raises for a bad file: each skipped
  file is one WARNING line on the ``bot.articles`` logger and one
  :class:`Skipped` entry. A caller that scans again and again (the running
  bot) passes a ``reported`` set, and a file skipped for the same reason as
  last time is logged at DEBUG instead, so the journal hears about it once.

An article's identity is :attr:`Article.content_hash`, a sha256 over what the
reader sees (title, date, url, language, blocks) but not over the file name or
the bytes, so a rescan or a re-encoded file is the same article and any edit
to the text is a new one.

Everything here is pure over strings except :func:`load` and :func:`scan`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import logging
import os
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Literal

from bot.errors import NotAnArticle

__all__ = [
    "Article",
    "Block",
    "Scan",
    "Skipped",
    "detect_language",
    "load",
    "parse_date",
    "parse_markdown",
    "parse_page",
    "scan",
]

log = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
# Seed files are articles, a few kilobytes each; anything this big is not one,
# and reading it whole would only cost memory.
MAX_FILE_BYTES = 10 * 1024 * 1024


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of an article body: a sub-heading or a paragraph."""

    kind: Literal["heading", "paragraph"]
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    """A clean article, ready for the summarizer.

    ``source`` is the file's path relative to the scanned folder (POSIX), or
    the path as given when loaded on its own. It is not part of the identity.
    """

    source: str
    title: str
    date: str | None
    url: str | None
    language: str
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        """The paragraphs (no headings) joined by blank lines: what the summarizer reads."""
        return "\n\n".join(block.text for block in self.blocks if block.kind == "paragraph")

    @property
    def content_hash(self) -> str:
        """A stable sha256 hex digest of the content (not of the file name)."""
        content = [
            "digestbot-article-1",
            self.title,
            self.date,
            self.url,
            self.language,
            [[block.kind, block.text] for block in self.blocks],
        ]
        encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


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
    source = _source_name(path, root)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise NotAnArticle(source, f"file too large ({size} bytes; limit {MAX_FILE_BYTES})")
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise  # the caller named a wrong path: its own message, not "not an article"
    except OSError as exc:
        raise NotAnArticle(source, f"cannot read: {exc.strerror or exc}") from exc
    text = decode(data, source)
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        return parse_markdown(text, source)
    return parse_page(text, source)


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
    the set is then replaced, in place, by this scan's skips: a file warns again
    when its reason changes, or when it is skipped after a scan that read it.
    """
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"seeds folder does not exist: {folder}")
    if not folder.is_dir():
        raise NotADirectoryError(f"seeds folder is not a folder: {folder}")
    files = sorted(_walk(folder), key=lambda p: p.relative_to(folder).as_posix())
    result = Scan()
    first_source: dict[str, str] = {}
    already: AbstractSet[tuple[str, str]] = reported if reported is not None else frozenset()
    total = len(files)
    for done, path in enumerate(files, 1):
        source = _source_name(path, folder)
        try:
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
    log.info(
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


def _source_name(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return PurePath(path).as_posix()


# --------------------------------------------------------------------------- text helpers

# Characters that scrapes carry but readers never see (zero-width, soft hyphen, BOM).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\u00ad\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
# Combining marks (accents) as NFKD leaves them, and C0/C1 control characters
# other than whitespace, which text files do not contain but binary files do.
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_WORD = re.compile(r"\w+", re.UNICODE)
# Closing quotes/brackets that may follow a sentence's final punctuation.
_CLOSERS = "\"'”’»)]"
_SENTENCE_END = ".!?…:;"
# "## Heading" (Markdown ATX), in Markdown seeds and in pages scraped to Markdown.
_ATX = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_ENDS_CLAUSE = re.compile(rf"[,–—-][{re.escape(_CLOSERS)}]*$")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrase_set(text: str) -> frozenset[str]:
    """The "|"-separated phrases of ``text`` (line breaks are not part of a phrase)."""
    return frozenset(" ".join(item.split()) for item in text.split("|"))


def _clean(line: str) -> str:
    """Normalize one line: NFC, no invisible characters, single spaces, stripped."""
    if not line.isascii():
        line = _INVISIBLE.sub("", unicodedata.normalize("NFC", line))
    return _SPACES.sub(" ", line).strip()


def _lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [_clean(line) for line in text.split("\n")]


def _fold(text: str) -> str:
    """Lower-case without accents, for matching month names and stock phrases."""
    text = text.casefold()
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def _words(text: str) -> int:
    return len(text.split())


def _ends_sentence(text: str) -> bool:
    """Does ``text`` end in sentence punctuation, maybe followed by closing quotes/brackets?

    The same test as ``re.search(r"[.!?…:;][closers]*$", text)``, but a regex
    search for an end-anchored pattern tries every start position, so it costs
    the whole text; this looks at the tail only (a unit can be a whole file).
    """
    tail = text.removesuffix("\n").rstrip(_CLOSERS)  # "$" also matches before a final "\n"
    return tail[-1:] != "" and tail[-1] in _SENTENCE_END


def _is_paragraph(text: str) -> bool:
    """Prose: ends like a sentence, or is too long to be a heading."""
    return _ends_sentence(text) or _words(text) > 12


def _is_heading_like(text: str) -> bool:
    """A short line without terminal punctuation that does not continue a sentence."""
    return (
        not _is_paragraph(text)
        and not _ENDS_CLAUSE.search(text)
        and len(text) <= 100
        and not text[:1].islower()
    )


def _first_sentence(text: str, limit: int = 120) -> str:
    match = re.search(rf"^.+?[.!?…][{re.escape(_CLOSERS)}]*(?=\s|$)", text)
    sentence = match.group(0) if match else text
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# --------------------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar janner janvier janv enero ene gennaio genn janeiro januari",
        "february feb februar fevrier fevr fev febrero febbraio fevereiro februari",
        "march mar marz maerz mars marzo marco mars",
        "april apr avril avr abril abr aprile",
        "may mai mayo maggio maio maj",
        "june jun juni juin junio giugno junho",
        "july jul juli juillet juil julio luglio julho",
        "august aug aout agosto ago augusti",
        "september sep sept septembre septiembre setiembre settembre setembro",
        "october oct oktober octobre octubre ottobre outubro okt",
        "november nov novembre noviembre novembro",
        "december dec dezember decembre diciembre dic dicembre dezembro",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH_WORD = r"(?P<month>[a-z]{3,10})\.?"
_DATE_PATTERNS = [
    # 2014-12-26, 2014/12/26 (also the date part of 2014-12-26T10:00:00Z)
    re.compile(r"(?<!\d)(?P<year>\d{4})[-/](?P<mon>\d{1,2})[-/](?P<day>\d{1,2})(?!\d)"),
    # 26.12.2014 (day first, as everywhere dots are used)
    re.compile(r"(?<![\d.])(?P<day>\d{1,2})\.\s?(?P<mon>\d{1,2})\.\s?(?P<year>\d{4})(?!\d)"),
    # 12/26/2014 or 26/12/2014: only read when the day is unambiguous (> 12)
    re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<year>\d{4})(?!\d)"),
    # December 26, 2014 / Dec. 26 2014
    re.compile(
        rf"\b{_MONTH_WORD}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})(?!\d)"
    ),
    # 26 December 2014 / 26. Dezember 2014 / 1er janvier 2015 / 26 de diciembre de 2014
    re.compile(
        rf"(?<!\d)(?P<day>\d{{1,2}})(?:st|nd|rd|th|er|º|\.)?\s+(?:de\s+)?{_MONTH_WORD},?"
        rf"\s+(?:de\s+|del\s+)?(?P<year>\d{{4}})(?!\d)"
    ),
]
_TIME = re.compile(
    r"(?<!\d)\d{1,2}[:h.]\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:a\.?m\.?|p\.?m\.?)?"
    r"|t\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:z|[+-]\d{2}:?\d{2})?"
    r"|(?<!\d)\d{1,2}\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z])"
    r"|[+-]\d{2}:?\d{2}\b"
)
# Words that may surround a date on a line that is nothing but a date.
_DATE_NOISE = _word_set(
    """
    published updated posted last modified on at date dated am pm a m p time
    utc gmt cet cest est edt cst cdt mst mdt pst pdt et pt bst ist msk jst kst z
    stand veroffentlicht aktualisiert zuletzt datum uhr um vom
    publie le mis a jour maj modifie
    publicado actualizado el de del la fecha hora
    pubblicato aggiornato il alle ore
    monday tuesday wednesday thursday friday saturday sunday
    mon tue tues wed thu thur thurs fri sat sun
    montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag
    mo di mi do fr sa so
    lundi mardi mercredi jeudi vendredi samedi dimanche
    lunes martes miercoles jueves viernes sabado domingo
    lunedi martedi mercoledi giovedi venerdi sabato domenica
    """
)


def parse_date(text: str) -> str | None:
    """The first calendar date written in ``text``, as ISO ``YYYY-MM-DD``, or None.

    Reads 2014-12-26, 2014/12/26, 26.12.2014, December 26, 2014, Dec. 26 2014,
    26 December 2014, and the same with German, French, Spanish, Italian or
    Portuguese month names. Slashed day/month dates are read only when the
    order is unambiguous.
    """
    found = _find_date(_fold(text))
    return found[0] if found else None


def _find_date(folded: str) -> tuple[str, int, int] | None:
    best: tuple[str, int, int] | None = None
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(folded):
            iso = _match_to_iso(match)
            if iso is not None:
                if best is None or match.start() < best[1]:
                    best = (iso, match.start(), match.end())
                break
    return best


def _match_to_iso(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    year = int(groups["year"])
    if "month" in groups:
        month = _MONTHS.get(groups["month"])
        if month is None:
            return None
        day = int(groups["day"])
    elif "a" in groups:
        a, b = int(groups["a"]), int(groups["b"])
        if a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a:
            day, month = b, a
        else:
            return None  # 03/04/2014: April 3rd or March 4th? Do not guess.
    else:
        day, month = int(groups["day"]), int(groups["mon"])
    if not 1900 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _date_line(line: str) -> str | None:
    """The date if ``line`` is nothing but a date (with weekday, time, "Published:" …)."""
    if len(line) > 80 or not re.search(r"\d{4}", line):
        return None
    folded = _fold(line)
    found = _find_date(folded)
    if found is None:
        return None
    iso, start, end = found
    rest = _TIME.sub(" ", folded[:start] + " " + folded[end:])
    if re.search(r"\d", rest):
        return None
    if all(word in _DATE_NOISE for word in re.findall(r"[a-z]+", rest)):
        return iso
    return None


# --------------------------------------------------------------------------- languages

# The most frequent function words per language. A word in k lists ("la" is
# French, Spanish and Italian) is 1/k of a vote for each of them.
_STOP_WORDS_SOURCE = {
    "english": "the and of to is that it was for on are with as his they be at have this from "
    "by had not but were has which would their been said will its who an or after",
    "german": "der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch "
    "es an als nach wie aus bei sind wird hat oder wurde werden einer über noch sie",
    "french": "le la les et des est une du que qui dans pour pas sur au avec par ce il sont "
    "plus elle ont aux mais été cette nous ses leur entre selon de un en",
    "spanish": "el la los las y que en del se por un una con para es su al lo como más pero "
    "sus ha fue este esta cuando muy sin sobre también según de",
    "italian": "il di che è la per un una non sono con del della gli le nel nella nelle alla "
    "dei anche più ha come ma questo delle stato dalla sul sarà essere",
    "portuguese": "o a os as de que do da em um uma para com não por mais dos das no na foi "
    "ao se como mas ele ela são também pelo pela",
    "swedish": "och att det som en på är av för med till den har de inte om ett han var "
    "men sig från vid kan efter också eller",
}
_VOTES: dict[str, dict[str, float]] = {}
for _language, _text in _STOP_WORDS_SOURCE.items():
    for _word in set(_text.split()):
        _VOTES.setdefault(_word, {})[_language] = 1.0
for _shares in _VOTES.values():
    for _language in _shares:
        _shares[_language] = 1.0 / len(_shares)


def detect_language(text: str, default: str = "english") -> str:
    """Guess the sumy language name of ``text`` from its function words.

    Knows english, german, french, spanish, italian, portuguese and swedish;
    returns ``default`` when the evidence is thin (under 3 votes) or unclear
    (the runner-up has at least two thirds of the winner's votes).
    """
    scores = dict.fromkeys(_STOP_WORDS_SOURCE, 0.0)
    for word, count in Counter(_WORD.findall(text[:5000].casefold())).items():
        for language, share in _VOTES.get(word, {}).items():
            scores[language] += share * count
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, best_score), (_, second_score) = ranked[0], ranked[1]
    if best_score < 3 or best_score < 1.5 * second_score:
        return default
    return best


_LANGUAGE_ALIASES = {
    "en": "english",
    "de": "german",
    "deutsch": "german",
    "fr": "french",
    "francais": "french",
    "es": "spanish",
    "espanol": "spanish",
    "it": "italian",
    "italiano": "italian",
    "pt": "portuguese",
    "portugues": "portuguese",
    "sv": "swedish",
    "svenska": "swedish",
}


def _language_name(value: str) -> str | None:
    """A sumy language name from "de", "de-DE", "German", "Deutsch"…; None if unreadable."""
    folded = _fold(value.strip())
    if re.fullmatch(r"[a-z]{2}(?:[-_][a-z0-9]{2,4})?", folded):
        folded = folded[:2]
    folded = _LANGUAGE_ALIASES.get(folded, folded)
    return folded if re.fullmatch(r"[a-z]{3,20}", folded) else None


# --------------------------------------------------------------------------- page lines

_MENU_SEPARATOR = re.compile(r"\s+[|•·»/]\s+")
_LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[-*•·▪►‣◦])\s+(?P<rest>.+)$")
_NAVIGATION = re.compile(
    r"^(?:skip|jump|go|back)\s+to\b|^(?:zum|zur)\s+\w+\s+springen$|^aller au\b|^ir al\b"
)
_URL_LINE = re.compile(r"^(?:(?P<label>[^:/]{1,30}?)\s*[:–—-]?\s+)?<?(?P<url>https?://[^\s<>]+)>?$")
# Labels under which a page shows its own address (the article's source link).
_URL_LABELS = frozenset(
    {"permalink", "link", "url", "source", "canonical", "original", "short link", "shortlink"}
    | {"source link", "article link", "original article", "quelle", "lien", "fuente", "enlace"}
)
_IMAGE_LINE = re.compile(
    r"^[\[(]?\s*(?:image|images|photo|photos|photograph|picture|pictures|pic|"
    r"photo credit|image credit|image source|image caption|caption|credit|credits|"
    r"video|graphic|illustration|bild|bildquelle|bildunterschrift|foto|fotos|"
    r"legende|credit photo|credits photo|imagen|fotografia|ilustracion)\s*:"
)
_IMAGE_CREDIT = re.compile(
    r"getty images|shutterstock|istockphoto|picture[- ]alliance|imago images|"
    r"\bap photo\b|\bafp photo\b|\bepa-efe\b|\bvia reuters\b"
)
_BYLINE_PREFIX = re.compile(
    r"^(?:by|von|par|por|di|door|written by|words by|reporting by|additional reporting by|"
    r"editing by|edited by|text|author|authors|autor|autorin|auteur|autora|reporter|editor)"
    r"\s*:?\s+(?P<names>.+)$",
    re.IGNORECASE,
)
_NAME_JOINERS = _word_set(
    "and und et y e & with in for de van von der den la le du da di del bin al"
)
_AGENCIES = _word_set(
    """ap afp reuters dpa kna epd efe ansa kyodo yonhap xinhua tass interfax upi pa aa sid
    apa sda ats ips ians pti bloomberg cnn bbc kcna ria lusa anp belga ctk mti pap ntb tt
    ritzau stt ana mena irna sana jiji ddp nhk dw"""
)
_AGENCY_ALT = "|".join(sorted(_AGENCIES, key=len, reverse=True))
_CREDIT_LINE = re.compile(
    r"^(?P<initials>[\w/ ,.&-]{0,30}?)\s*\((?P<list>[^()]{1,60})\)\s*\.?$", re.UNICODE
)
_INITIALS = re.compile(r"^[a-z]{1,5}(?:\s*/\s*[a-z]{1,5})+$")
# "WASHINGTON (Reuters) - " opening a paragraph, "... on Friday. (AP)" closing one.
_DATELINE = re.compile(
    rf"^(?:[A-Z][\w .,'/-]{{0,40}}?\s*)?\((?:{_AGENCY_ALT})\)\s*(?:--|[-–—])\s*(?=\S)",
    re.IGNORECASE,
)
_TRAILING_CREDIT = re.compile(
    rf"(?<=[.!?\"”’])\s+(?:[a-z]{{1,5}}(?:/[a-z]{{1,5}})+\s*)?"
    rf"\((?:{_AGENCY_ALT})(?:\s*[,/;]\s*(?:{_AGENCY_ALT}))*\)$",
    re.IGNORECASE,
)
# Whole lines that are site furniture (matched folded: lower-case, no accents).
_FURNITURE = _phrase_set(
    """advertisement|anzeige|werbung|publicite|publicidad|pubblicita|sponsored|
    advertising|share|share this|share this article|share this story|share this page|print|
    email|e-mail|tweet|whatsapp|facebook|twitter|linkedin|pinterest|reddit|copy link|menu|
    search|close|home|log in|login|sign in|sign up|subscribe|newsletter|related|
    related topics|related content|related articles|related stories|more on this topic|
    read more|also read|see also|recommended|recommended stories|top stories|most read|
    comments|back to top|next article|previous article|send us your feedback|show more|
    load more|skip advertisement|continue reading|audio|listen|watch|play video|teilen|
    drucken|mehr zum thema|lesen sie auch|partager|imprimer|lire aussi|a lire aussi|compartir|
    imprimir|ver tambien|lea tambien"""
)
_FURNITURE_PREFIX = re.compile(
    r"^(?:read more|also read|see also|related|keywords|tags|topics|more|watch|listen|"
    r"follow us|follow|share|source|sources|mehr zum thema|lesen sie auch|schlagworte|"
    r"lire aussi|a lire aussi|mots-cles|lea tambien|ver tambien|etiquetas|feedback)\s*:"
    r"|^(?:follow us on|click here|sign up for|subscribe to|download our app)\b"
    r"|^(?:keywords|related subjects|related topics|schlagworte|print this page|mobile version)\b"
    r"|^(?:©|\(c\)\s|copyright\b)|all rights reserved"
)


def _classify(line: str) -> tuple[str, str]:
    """What one non-empty page line is: (kind, payload).

    Kinds: "nav", "url" (payload: the URL, or "" for a link that is not the
    page's own), "date" (payload: ISO date), "image", "byline", "credit",
    "furniture", "heading" (Markdown-style "## x", payload: its text) and
    "text" (payload: the line without a list marker).
    """
    folded = _fold(line)
    if _NAVIGATION.search(folded):
        return "nav", ""
    # Before list items: "26. Dezember 2014" is a date, not item 26 of a menu.
    iso = _date_line(line)
    if iso is not None:
        return "date", iso
    segments = _MENU_SEPARATOR.split(line)
    if (
        len(segments) >= 3
        and all(_words(segment) <= 3 for segment in segments)
        and not any(parse_date(segment) for segment in segments)
    ):
        return "nav", ""  # "Home | World | Business | Tech", but not "Title | Site | 26.12.2014"
    item = _LIST_ITEM.match(line)
    if item:
        rest = item.group("rest")
        # Menus are lists of short labels; a list item that reads like prose is content.
        if _words(rest) <= 6 and not _ends_sentence(rest):
            return "nav", ""
        line, folded = rest, _fold(rest)
    atx = _ATX.match(line)
    if atx and atx.group(2):
        return "heading", atx.group(2)
    url = _URL_LINE.match(line)
    if url:
        label = _fold(url.group("label") or "").strip(" :-–—")
        is_own = label == "" or label in _URL_LABELS
        return "url", url.group("url").rstrip(".,;") if is_own else ""
    if _IMAGE_LINE.match(folded) or (_words(line) <= 8 and _IMAGE_CREDIT.search(folded)):
        return "image", ""
    if _is_byline(line):
        return "byline", ""
    if _is_credit(line):
        return "credit", ""
    if folded.rstrip(" :.!") in _FURNITURE or (
        _words(line) <= 25 and _FURNITURE_PREFIX.search(folded)
    ):
        return "furniture", ""
    return "text", line


def _is_byline(line: str) -> bool:
    if len(line) > 100 or _ends_sentence(line.rstrip(".")):
        return False
    # "Reporting by Jane Doe; Editing by John Roe" is two bylines on one line.
    for part in line.split(";"):
        match = _BYLINE_PREFIX.match(part.strip())
        if not match:
            return False
        names = match.group("names").replace(",", " ").split()
        if not names or len(names) > 10:
            return False
        for name in names:
            if name.lower() in _NAME_JOINERS:
                continue
            if not name[:1].isupper():
                return False
    return True


def _is_credit(line: str) -> bool:
    """An agency credit such as "ksb/tj (AP, AFP)", "(Reuters)", "dh/rc (dpa)"."""
    if len(line) > 80:
        return False
    match = _CREDIT_LINE.match(line)
    if not match:
        return False
    names = [n.strip() for n in re.split(r"[,/;]", match.group("list"))]
    if not all(n and " " not in n and len(n) <= 15 for n in names):
        return False
    initials = match.group("initials").strip(" -–—")
    known = any(_fold(n).rstrip(".") in _AGENCIES for n in names)
    return known or bool(_INITIALS.match(initials))


# --------------------------------------------------------------------------- pages


@dataclass(slots=True)
class _Unit:
    """A run of text lines that form one paragraph, heading or title candidate."""

    text: str
    chunk: int
    marked_heading: bool = False


def parse_page(text: str, source: str) -> Article:
    """Clean a scraped news page (plain text) into an :class:`Article`.

    Raises :class:`NotAnArticle` when nothing that reads like article text is
    left after removing the page furniture.
    """
    lines = _lines(text)
    # (chunk number, kind, payload) for every non-empty line; chunks are
    # separated by blank lines.
    classified: list[tuple[int, str, str]] = []
    chunk = 0
    for line in lines:
        if not line:
            chunk += 1
            continue
        kind, payload = _classify(line)
        if kind == "image" and classified:
            # The photo caption is the line right above its credit, same chunk.
            prev_chunk, prev_kind, prev_payload = classified[-1]
            if prev_chunk == chunk and prev_kind == "text" and _words(prev_payload) <= 40:
                classified[-1] = (prev_chunk, "caption", "")
        classified.append((chunk, kind, payload))

    url = next((p for _, k, p in classified if k == "url" and p), None)
    date = next((p for _, k, p in classified if k == "date"), None)
    units = _units(classified)

    title, body = _split_title(units)
    if title is not None and " | " in title:
        # "Title | Section | Site | 26.12.2014": keep the title, use a date segment.
        segments = [s.strip() for s in title.split(" | ") if s.strip()]
        title = segments[0]
        for segment in segments[1:]:
            date = date or _date_line(segment)
    if date is None and url is not None:
        path_date = re.search(r"/(\d{4})/(\d{1,2})/(\d{1,2})/", url)
        if path_date:
            date = parse_date("-".join(path_date.groups()))

    return _article(source, title, date, url, _body_blocks(body))


def _units(classified: list[tuple[int, str, str]]) -> list[_Unit]:
    """Join the text lines of each chunk into units, undoing hard line wraps.

    Linear in the number of lines: a unit's lines are collected in a list and
    joined once, and whether the next line continues it is decided from the
    unit's first and last lines only (a file without blank lines or sentence
    ends is one unit, so anything that re-read the joined text per line would
    be quadratic).
    """
    pieces: list[tuple[list[str], int, bool]] = []  # (lines, chunk, marked heading)
    current: list[str] | None = None
    current_chunk = -1
    for chunk, kind, payload in classified:
        if kind == "heading":
            pieces.append(([payload], chunk, True))
            current = None
            continue
        if kind != "text":
            continue  # furniture between two lines still separates them
        if current is not None and current_chunk == chunk and _continues(current, payload):
            current.append(payload)
        else:
            current, current_chunk = [payload], chunk
            pieces.append((current, chunk, False))
    return [_Unit(" ".join(lines), chunk, marked) for lines, chunk, marked in pieces]


def _continues(unit_lines: list[str], line: str) -> bool:
    """Is ``line`` the hard-wrapped continuation of the unit made of ``unit_lines`` (same chunk)?"""
    # Lines are stripped and non-empty, so the joined unit ends like its last line.
    if _ends_sentence(unit_lines[-1]):
        return False
    # A short heading line directly above a longer line is a heading, not the
    # first line of a wrapped paragraph (wrapped lines have similar widths).
    first = unit_lines[0]
    return not (len(unit_lines) == 1 and _is_heading_like(first) and len(first) < 0.6 * len(line))


def _split_title(units: list[_Unit]) -> tuple[str | None, list[_Unit]]:
    """Pick the title among the units before the first prose, and return the body units.

    The title is the longest short line before the first sentence-like text;
    other short lines there are kickers, section names or site names and go.
    """
    first_prose = next(
        (i for i, u in enumerate(units) if _ends_sentence(u.text) or _words(u.text) > 25),
        len(units),
    )
    header = [u for u in units[:first_prose] if _words(u.text) <= 30]
    if header:
        title = max(header, key=lambda u: _words(u.text))  # max keeps the first of equals
        return title.text, units[first_prose:]
    if first_prose < len(units) - 1:
        # A title may end in "?" or "!": take a short first line standing on its own.
        first = units[0]
        alone = all(u.chunk != first.chunk for u in units[1:])
        if first_prose == 0 and alone and _words(first.text) <= 20 and first.text[-1:] in "?!":
            return first.text, units[1:]
    return None, units[first_prose:]


def _body_blocks(units: list[_Unit]) -> list[Block]:
    """Paragraphs, plus headings that stand between two paragraphs."""
    kinds = []
    for unit in units:
        if unit.marked_heading:
            kinds.append("heading")
        elif _is_paragraph(unit.text):
            kinds.append("paragraph")
        elif _is_heading_like(unit.text):
            kinds.append("heading")
        else:
            kinds.append("drop")
    # The kind of the next unit that is not dropped, for each unit: one pass
    # from the end, so a file of many short lines is not scanned once per line.
    next_kinds: list[str | None] = []
    following: str | None = None
    for kind in reversed(kinds):
        next_kinds.append(following)
        if kind != "drop":
            following = kind
    next_kinds.reverse()
    blocks: list[Block] = []
    has_paragraph = False
    for unit, kind, next_kind in zip(units, kinds, next_kinds, strict=True):
        if kind == "paragraph":
            text = _strip_credits(unit.text)
            if text:
                blocks.append(Block("paragraph", text))
                has_paragraph = True
        elif kind == "heading" and has_paragraph and next_kind == "paragraph":
            # A short line with no paragraph after it is page furniture
            # ("Related topics"), not a sub-heading; so is one before the text.
            blocks.append(Block("heading", unit.text))
    return blocks


def _strip_credits(text: str) -> str:
    text = _DATELINE.sub("", text, count=1)
    return _TRAILING_CREDIT.sub("", text).strip()


# --------------------------------------------------------------------------- markdown

_FENCE = re.compile(r"^(```|~~~)")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_RULE = re.compile(r"^(?:[-*_]\s*){3,}$")
# Inline spans are bounded (500 characters of text, 2,000 of URL): with open-ended
# repeats, a paragraph full of unclosed "*" or "[" made every match attempt scan to
# its end, quadratic in its length; no real emphasis or link text is that long.
_MD_LIST = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+")
_MD_IMAGE = re.compile(r"!\[[^\]]{0,500}\]\([^)]{0,2000}\)|!\[[^\]]{0,500}\]\[[^\]]{0,500}\]")
_MD_LINK = re.compile(r"\[([^\]]{1,500})\]\([^)]{0,2000}\)|\[([^\]]{1,500})\]\[[^\]]{0,500}\]")
_MD_LINK_DEF = re.compile(r"^\[[^\]]+\]:\s+\S+")
_MD_AUTOLINK = re.compile(r"<(https?://[^>\s]{1,2000})>")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.{1,500}?)(?<=\S)\1")
_MD_EM = re.compile(r"(?<![\w*])([*_])(?=\S)(.{1,500}?)(?<=\S)\1(?![\w*])")
_MD_CODE = re.compile(r"`([^`]{1,500})`")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]{0,500}>")


def _article(
    source: str,
    title: str | None,
    date: str | None,
    url: str | None,
    blocks: list[Block],
    language: str | None = None,
) -> Article:
    """The Article both parsers end with: it needs a paragraph; a missing title is the
    first sentence and a missing language is detected from the paragraphs."""
    paragraphs = [b.text for b in blocks if b.kind == "paragraph"]
    if not paragraphs:
        raise NotAnArticle(source, "no article text")
    return Article(
        source=source,
        title=title if title is not None else _first_sentence(paragraphs[0]),
        date=date,
        url=url,
        language=language or detect_language(" ".join(paragraphs)),
        blocks=tuple(blocks),
    )


def parse_markdown(text: str, source: str) -> Article:
    """Read a Markdown seed with optional TOML front matter between ``+++`` lines.

    Front matter keys: ``title``, ``url``, ``date`` (a TOML date or a date
    string), ``language`` (a sumy name or a code like "de"); other keys are
    ignored, so front matter written for a static site generator works. Without
    a ``title`` the first ``#`` heading is the title; without a ``language`` it
    is guessed from the text. Every other heading becomes a heading block.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    meta, body = _front_matter(text, source)
    title = _meta_string(meta, "title", source)
    url = _meta_string(meta, "url", source)
    date = _meta_date(meta, source)
    language = None
    if "language" in meta:
        raw = _meta_string(meta, "language", source) or ""
        language = _language_name(raw)
        if language is None:
            raise NotAnArticle(source, f"front matter language: cannot read {raw!r}")

    blocks = _markdown_blocks(body)
    if title is None:
        first_heading = next((b for b in blocks if b.kind == "heading"), None)
        if first_heading is not None:
            title = first_heading.text
            blocks.remove(first_heading)
    elif blocks and blocks[0].kind == "heading" and blocks[0].text == title:
        blocks.pop(0)  # the body repeats the front-matter title as "# Title"
    return _article(source, title, date, url, blocks, language)


def _front_matter(text: str, source: str) -> tuple[dict[str, object], str]:
    lines = text.split("\n")
    if lines and lines[0].strip() == "+++":
        for end in range(1, len(lines)):
            if lines[end].strip() == "+++":
                try:
                    meta = tomllib.loads("\n".join(lines[1:end]))
                except tomllib.TOMLDecodeError as exc:
                    raise NotAnArticle(source, f"front matter is not valid TOML: {exc}") from exc
                return meta, "\n".join(lines[end + 1 :])
        raise NotAnArticle(source, "front matter opened with +++ is never closed")
    if (
        lines
        and lines[0].strip() == "---"
        and len(lines) > 2
        and re.match(r"^\w+\s*:", lines[1])
        and any(line.strip() == "---" for line in lines[2:])
    ):
        raise NotAnArticle(
            source, "YAML front matter (---) is not supported; use TOML between +++ lines"
        )
    return {}, text


def _meta_string(meta: dict[str, object], key: str, source: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise NotAnArticle(
            source, f"front matter {key}: expected a string, got {type(value).__name__}"
        )
    value = _clean(value)
    return value or None


def _meta_date(meta: dict[str, object], source: str) -> str | None:
    value = meta.get("date")
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        iso = parse_date(value)
        if iso is None:
            raise NotAnArticle(source, f"front matter date: cannot read {value!r} as a date")
        return iso
    raise NotAnArticle(source, f"front matter date: expected a date, got {type(value).__name__}")


def _markdown_blocks(body: str) -> list[Block]:
    body = _HTML_COMMENT.sub("", body)
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            text = _inline_markdown(" ".join(paragraph))
            if text:
                blocks.append(Block("paragraph", text))
            paragraph.clear()

    in_fence = False
    for raw in body.split("\n"):
        if _FENCE.match(raw.strip()):
            # Code is not prose the summarizer could quote; leave it out.
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        line = _clean(raw)
        while line.startswith(">"):
            line = line[1:].strip()
        if not line or _MD_LINK_DEF.match(line):
            flush()
            continue
        atx = _ATX.match(line)
        if atx:
            flush()
            heading = _inline_markdown(atx.group(2))
            if heading:
                blocks.append(Block("heading", heading))
            continue
        setext = _SETEXT.match(line)
        if setext and len(paragraph) == 1 and (setext.group(1)[0] == "=" or len(line) >= 2):
            heading = _inline_markdown(paragraph.pop())
            if heading:
                blocks.append(Block("heading", heading))
            continue
        if _RULE.match(line):
            flush()
            continue
        if _MD_LIST.match(line):
            flush()  # each list item is its own paragraph
            line = _MD_LIST.sub("", line, count=1)
        paragraph.append(line)
    flush()
    return blocks


def _inline_markdown(text: str) -> str:
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = _MD_AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _MD_CODE.sub(r"\1", text)
    text = _MD_STRONG.sub(r"\2", text)
    text = _MD_EM.sub(r"\2", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    return _clean(text)
