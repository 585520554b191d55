"""What story grouping takes: articles (``StoryInput``, also from JSON records) and ``Settings``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.errors import DigestbotError


@dataclass(frozen=True)
class StoryInput:
    """What grouping needs to know of one article."""

    id: str | int
    language: str
    title: str
    text: str = ""
    published: datetime | None = None
    source: str = ""


@dataclass(frozen=True)
class Settings:
    """The knobs of the grouping; ``DEFAULT_SETTINGS`` are the tuned ones."""

    threshold: float = 0.44
    linkage: str = "centroid"  # "average", "centroid", "single" or "complete"
    window_hours: float = 48.0
    strip_sites: bool = True
    site_min_titles: int = 3  # a segment recurring before this many headlines is a site
    stem: bool = True
    fold_accents: bool = True
    word_weight: float = 1.0
    char_n: int = 4  # 0: no character n-grams
    char_weight: float = 0.5
    entity_boost: float = 2.0  # weight of capitalised words and numbers (1: no boost)
    stop_words: bool = False  # drop sumy's stop words where it has a list
    idf_batch: int = 0  # compute idf as if the batch held at least this many articles
    df_distinct: bool = False  # document frequency over distinct texts only
    pair_weight: float = 0.5  # weight of pairs of neighbouring stems (0: none)
    entity_weight: float = 0.0  # weight of an extra unstemmed feature per entity (0: none)
    key_weight: float = 0.0  # weight of a name's consonant skeleton, any script (0: none)
    key_all_words: bool = False  # ... of every word, not names and numbers only
    key_min: int = 3  # ... when it has at least so many letters
    score_weight: float = 0.0  # weight of a score or decimal ("86-69", "9.8"; 0: none)
    lede_words: int = 0  # words of the text added to the title (0: title only)
    same_text: float = 0.5  # texts sharing this share of 3-word runs are one story (0: off)
    same_text_words: int = 60  # ... comparing their first so many words
    same_text_min_words: int = 20  # ... when both have at least so many
    same_text_max_df: int = 20  # ... ignoring runs found in more articles (boilerplate)
    same_text_title: float = 0.1  # ... and the titles are at least this similar
    sublinear_tf: bool = True
    max_df: float = 0.1  # features in more than this share of the batch are ignored
    char_max_df: float = 0.1  # the same for character n-grams
    max_df_min: int = 10  # ... but only features in more than this many articles
    max_df_count: int = 0  # and never features in more than this many (0: no cap)
    min_similarity: float = 0.08  # smaller pair similarities count as 0
    top_pairs: int = 0  # keep a pair only among either article's so many best (0: all)
    pair_df: int = 50  # candidate pairs share a feature of at most this many articles (0: any)
    pair_neighbours: int = 150  # ... or a common one, among the next so many in time
    near_df: int = 300  # ... in at most this many articles (0: any kept feature)
    near_chars: bool = False  # ... character n-grams included
    min_candidate: float = 0.04  # ... whose products on such features reach this
    min_average: float = 0.0  # "centroid": merge only groups with this mean pair similarity
    half_life_hours: float = 0.0  # similarity halves per this many hours apart (0: no decay)
    fold: float = 0.35  # ranking: a group this similar to an item's story joins it (0: never)
    fold_all: bool = True  # ... every group, not only the first items, takes pieces
    fold_words: int = 2  # ... when their titles share at least so many words
    series_labels: float = 0.01  # ranking: leading labels on this share of titles dropped
    once_names: float = 0.4  # ranking: an item whose names are this alike to one shown in
    # other languages (cosine of names, numbers, scores) is put last (0: never)
    support: float = 0.25  # ranking: an item adds weight to the earlier one most alike, if
    support_weight: float = 0.25  # ... at least this alike (cosine): this share of its own
    fold_passes: int = 1  # ranking: fold the folded items again, so many times in all
    group_idf: float = 0.0  # ranking: features weigh also by their idf over groups, ^this
    language_weight: float = 0.0  # ranking: importance added per language past the first
    linear_decay: float = 0.5  # or: similarity falls by this share from 0 h to the window


DEFAULT_SETTINGS = Settings()


def story_input(record: object, where: str = "article") -> StoryInput:
    """One JSON object (``id``, ``language``, ``title``, ``text``, ``published``) as input.

    ``published`` is an ISO 8601 time ("2021-07-25T00:14:00Z"; without a zone, UTC) or
    null; ``text`` and ``language`` may be missing. Raises ``DigestbotError`` naming
    ``where`` and the field when the record cannot be used.
    """
    if not isinstance(record, dict):
        raise DigestbotError(f"{where}: not a JSON object")
    ident = record.get("id")
    if isinstance(ident, bool) or not isinstance(ident, str | int) or ident == "":
        raise DigestbotError(f"{where}: 'id' must be a non-empty string or a number")
    fields = {}
    for name in ("language", "title", "text", "source"):
        value = record.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise DigestbotError(f"{where}: {name!r} must be a string")
        fields[name] = value
    if not fields["title"].strip() and not fields["text"].strip():
        raise DigestbotError(f"{where}: no 'title' and no 'text'")
    published = record.get("published")
    when = None
    if published not in (None, ""):
        if not isinstance(published, str):
            raise DigestbotError(f"{where}: 'published' must be an ISO 8601 time")
        try:
            when = datetime.fromisoformat(published.strip().replace("Z", "+00:00"))
        except ValueError:
            raise DigestbotError(
                f"{where}: 'published' is not an ISO 8601 time: {published!r}"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return StoryInput(id=ident, published=when, **fields)


def with_settings(**changes: object) -> Settings:
    """The default settings with some changed (for benchmarks and tests)."""
    return replace(DEFAULT_SETTINGS, **changes)  # type: ignore[arg-type]
