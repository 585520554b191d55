"""Story grouping: one story once, different stories apart, the 48 h window, the CLI."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import DigestbotError
from bot.stories import (
    DEFAULT_SETTINGS,
    Settings,
    StoryInput,
    StoryWindow,
    clearest,
    group_stories,
    rank,
    similarity_pairs,
    story_input,
    strip_site_names,
    with_settings,
)
from bot.stories.text import name_key, scores

NOON = datetime(2021, 7, 28, 12, tzinfo=UTC)


def _article(ident: str, language: str, title: str, hours: float = 0.0) -> StoryInput:
    return StoryInput(
        id=ident, language=language, title=title, published=NOON + timedelta(hours=hours)
    )


# A day of Olympic headlines: two stories told twice (one in English, one in French),
# the rest once each, some sharing words ("Olympic", "Tokyo", "Osaka") across stories.
_HEADLINES = [
    ("en-biles-1", "en", 0, "Simone Biles withdraws from the Olympic all-around final"),
    ("fr-riner-1", "fr", 1, "Judo : Teddy Riner battu en quart de finale des Jeux olympiques"),
    ("en-osaka-1", "en", 1, "Naomi Osaka knocked out of the Olympics in the third round"),
    ("en-rain", "en", 2, "Heavy rain expected in Tokyo as a typhoon approaches"),
    ("en-biles-2", "en", 3, "Biles withdraws from all-around final to focus on her mental health"),
    ("de-rowing", "de", 4, "Deutsche Ruderer gewinnen Silber im Achter"),
    ("fr-riner-2", "fr", 4, "Teddy Riner éliminé en quarts de finale, fin du rêve olympique"),
    ("pt-andrade", "pt", 5, "Rebeca Andrade conquista a prata na ginástica artística"),
    ("fr-malonga", "fr", 5, "Madeleine Malonga médaillée d'argent en judo"),
    ("en-osaka-2", "en", 7, "Naomi Osaka lights the Olympic cauldron at the opening ceremony"),
    ("en-covid", "en", 8, "Tokyo reports a record number of new COVID cases"),
    ("es-basket", "es", 9, "Argentina vence a Japón en el básquet y pasa a cuartos"),
]
BATCH = [_article(ident, language, title, hours) for ident, language, hours, title in _HEADLINES]


def _partition(articles: list[StoryInput], stories: list[int]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for article, story in zip(articles, stories, strict=True):
        groups.setdefault(story, set()).add(str(article.id))
    return {frozenset(group) for group in groups.values()}


def _together(stories: list[int], first: str, second: str) -> bool:
    ids = [a.id for a in BATCH]
    return stories[ids.index(first)] == stories[ids.index(second)]


def test_same_story_in_other_words_is_one_story_in_english_and_in_french() -> None:
    stories = group_stories(BATCH)
    assert _together(stories, "en-biles-1", "en-biles-2")
    assert _together(stories, "fr-riner-1", "fr-riner-2")


def test_different_stories_sharing_a_word_stay_apart() -> None:
    partition = _partition(BATCH, group_stories(BATCH))
    assert partition == {
        frozenset({"en-biles-1", "en-biles-2"}),
        frozenset({"fr-riner-1", "fr-riner-2"}),
    } | {frozenset({a.id}) for a in BATCH if a.id.split("-")[1] not in ("biles", "riner")}


FERRY_TEXT = (
    "Ferry crews walked out at dawn on Monday in a dispute over pay, halting every"
    " crossing between the mainland port and the three islands. The union said the"
    " strike would last 48 hours unless the operator improved its offer of a 2 per cent"
    " rise; islanders were told to expect no sailings before Wednesday morning."
)
FERRY_TEXT_2 = (
    "Ferry crews walked out at dawn on Monday in a pay dispute, halting every crossing"
    " between the mainland port and the three islands. The union said the strike would"
    " last 48 hours unless the operator improved its offer of a 2 per cent rise;"
    " islanders were told to expect no sailings before Wednesday."
)


def _with_text(ident: str, title: str, text: str, hours: float, source: str) -> StoryInput:
    return StoryInput(
        id=ident,
        language="en",
        title=title,
        text=text,
        published=NOON + timedelta(hours=hours),
        source=source,
    )


def test_two_headlines_over_nearly_the_same_text_are_one_story() -> None:
    pair = [
        _with_text("a", "Ferry strike halts crossings to the islands", FERRY_TEXT, 0, "Coast"),
        _with_text("b", "Islands cut off as ferry crews strike over pay", FERRY_TEXT_2, 1, "Isle"),
    ]
    assert group_stories(pair) == [0, 0]
    assert group_stories([replace(a, text="") for a in pair]) == [0, 1]  # titles alone differ


def test_the_same_text_under_unrelated_headlines_stays_apart() -> None:
    boilerplate = "Sign up to our newsletter for the day's news. " * 8
    pair = [
        _with_text("a", "Ferry strike halts crossings to the islands", boilerplate, 0, "Coast"),
        _with_text("b", "Museum reopens its Roman gallery after repairs", boilerplate, 1, "Coast"),
    ]
    assert group_stories(pair) == [0, 1]


def test_different_stories_with_ledes_in_common_words_stay_apart() -> None:
    pair = [
        _with_text("a", "Ferry strike halts crossings to the islands", FERRY_TEXT, 0, "Coast"),
        _with_text(
            "b",
            "Rail strike halts trains to the coast",
            "Train drivers walked out on Monday in a dispute over pay, halting every train"
            " between the capital and the coast. The union said the strike would last 24"
            " hours.",
            1,
            "Isle",
        ),
    ]
    assert group_stories(pair) == [0, 1]


def test_a_story_is_numbered_by_its_first_article() -> None:
    stories = group_stories(BATCH)
    assert stories[0] == 0  # en-biles-1 leads its story
    assert stories[4] == 0  # en-biles-2 belongs to it
    assert all(stories[k] == k for k in (2, 3, 5, 7, 8, 9, 10, 11))


def test_the_same_title_within_48_hours_is_one_story_and_never_beyond() -> None:
    title = "Latvia wins the first Olympic gold in 3x3 basketball"
    near = [_article("a", "en", title, 0), _article("b", "en", title, 47)]
    far = [_article("a", "en", title, 0), _article("b", "en", title, 49)]
    assert group_stories(near) == [0, 0]
    assert group_stories(far) == [0, 1]


def test_a_story_never_spans_more_than_48_hours() -> None:
    title = "Latvia wins the first Olympic gold in 3x3 basketball"
    chain = [_article(str(k), "en", title, 30 * k) for k in range(3)]  # 0 h, 30 h, 60 h
    stories = group_stories(chain)
    assert stories[0] == stories[1] or stories[1] == stories[2]
    assert stories[0] != stories[2]


def test_articles_without_a_date_group_by_their_words() -> None:
    title = "Latvia wins the first Olympic gold in 3x3 basketball"
    undated = [StoryInput(id=1, language="en", title=title), _article("b", "en", title, 0)]
    assert group_stories(undated) == [0, 0]


def test_grouping_is_deterministic() -> None:
    first = group_stories(BATCH)
    assert group_stories(BATCH) == first
    shuffled = BATCH[:]
    random.Random(7).shuffle(shuffled)
    assert _partition(shuffled, group_stories(shuffled)) == _partition(BATCH, first)


def test_no_articles_no_stories() -> None:
    assert group_stories([]) == []


def test_one_article_is_its_own_story() -> None:
    assert group_stories([BATCH[0]]) == [0]


def test_site_names_repeating_across_headlines_are_stripped() -> None:
    titles = [
        "Portugal estreia surf e skate - SAPO Desporto",
        "Telma Monteiro sonha com novo pódio - SAPO Desporto",
        "Visão | Ítalo Ferreira é o primeiro campeão olímpico de surf",
        "Visão | Jorge Fonseca conquista o bronze",
        "Visão | Pódio do skate feminino é o mais jovem de sempre",
        "Rayssa Leal é prata - SAPO Desporto",
        "Judo - Teddy Riner battu en quart de finale",
    ]
    assert strip_site_names(titles) == [
        "Portugal estreia surf e skate",
        "Telma Monteiro sonha com novo pódio",
        "Ítalo Ferreira é o primeiro campeão olímpico de surf",
        "Jorge Fonseca conquista o bronze",
        "Pódio do skate feminino é o mais jovem de sempre",
        "Rayssa Leal é prata",
        "Judo - Teddy Riner battu en quart de finale",  # "Judo" appears once: kept
    ]


def test_clearest_prefers_the_title_most_like_the_others_over_a_fragment() -> None:
    story = [
        _article("a", "en", "Biles out", 0),
        _article("b", "en", "Simone Biles withdraws from the all-around final", 1),
        _article("c", "en", "Biles withdraws from all-around final to focus on mental health", 2),
        _article("d", "en", "Simone Biles withdraws from the Olympic all-around final", 3),
    ]
    assert clearest(story) in (1, 3)
    assert clearest(story[:1]) == 0


def test_clearest_prefers_an_article_with_a_text() -> None:
    story = [
        _article("a", "en", "Simone Biles withdraws from the all-around final", 0),
        StoryInput(
            id="b",
            language="en",
            title="Biles pulls out of the final",
            text="The American gymnast said she would focus on her mental health.",
            published=NOON,
        ),
    ]
    assert clearest(story) == 1


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([], "not a JSON object"),
        ({"title": "x"}, "'id' must be"),
        ({"id": True, "title": "x"}, "'id' must be"),
        ({"id": 1, "title": 5}, "'title' must be a string"),
        ({"id": 1, "title": " "}, "no 'title' and no 'text'"),
        ({"id": 1, "title": "x", "published": "yesterday"}, "not an ISO 8601 time"),
        ({"id": 1, "title": "x", "published": 5}, "must be an ISO 8601 time"),
    ],
)
def test_a_record_that_cannot_be_used_says_which_field(record: object, message: str) -> None:
    with pytest.raises(DigestbotError, match=message):
        story_input(record, "f.jsonl:3")


def test_a_record_becomes_an_input_with_a_utc_time() -> None:
    article = story_input({"id": 7, "title": "T", "published": "2021-07-25T00:14:00"})
    assert article == StoryInput(
        id=7, language="", title="T", published=datetime(2021, 7, 25, 0, 14, tzinfo=UTC)
    )


# -- the command line -------------------------------------------------------------

LINES: list[dict[str, object]] = [
    {
        "id": "a1",
        "language": "en",
        "title": "Simone Biles withdraws from the Olympic all-around final",
        "text": "",
        "published": "2021-07-28T12:00:00Z",
    },
    {
        "id": "a2",
        "language": "en",
        "title": "Heavy rain expected in Tokyo as a typhoon approaches",
        "text": "",
        "published": "2021-07-28T13:00:00Z",
    },
    {
        "id": 3,
        "language": "en",
        "title": "Biles withdraws from Olympic all-around final - Reuters",
        "text": "",
        "published": "2021-07-28T15:00:00Z",
    },
    {"id": "ü4", "language": "fr", "title": "Teddy Riner éliminé en quarts de finale"},
]


def _write(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "\n", encoding="utf-8")
    return path


def test_group_stories_prints_one_object_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "articles.jsonl", LINES)
    assert main(["group-stories", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == (
        '{"id": "a1", "story": "a1"}\n'
        '{"id": "a2", "story": "a2"}\n'
        '{"id": 3, "story": "a1"}\n'
        '{"id": "ü4", "story": "ü4"}\n'
    )
    assert err == ""


def test_group_stories_reads_gzip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = _write(tmp_path / "articles.jsonl", LINES)
    packed = tmp_path / "articles.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert main(["group-stories", str(plain)]) == 0
    expected = capsys.readouterr().out
    assert main(["group-stories", str(packed)]) == 0
    assert capsys.readouterr().out == expected


def test_group_stories_of_an_empty_file_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    assert main(["group-stories", str(path)]) == 0
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"id": 1, "title": "x"}\n{"id": 1, "tit\n', "articles.jsonl:2: not JSON"),
        (b'{"id": 1, "title": "x"}\n\n{"id": 1, "title": "y"}\n', "3: id 1 is already on line 1"),
        (b'{"id": 1, "title": "x", "published": "soon"}\n', "articles.jsonl:1: 'published' is not"),
        (b"\x1f\x8b\x08\x00broken", "articles.jsonl: a broken gzip file"),
        (b"\xff\xfe\x00t", "articles.jsonl: not UTF-8 text"),
    ],
)  # fmt: skip
def test_group_stories_bad_input_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_bytes(content)
    assert main(["group-stories", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("digestbot: error: ") and message in err
    assert err.count("\n") == 1


def test_group_stories_missing_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["group-stories", str(tmp_path / "nope.jsonl")]) == 1
    assert capsys.readouterr().err == f"digestbot: error: no such file: {tmp_path / 'nope.jsonl'}\n"


def test_grouping_imports_no_telegram_scheduler_or_store() -> None:
    edges = (
        "telegram",
        "apscheduler",
        "bot.store",
        "bot.telegram.app",
        "bot.telegram.jobs",
        "sqlite3",
    )
    code = (
        "import sys, bot.stories; "
        f"print(' '.join(m for m in sys.modules if m.startswith({edges!r})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


# -- ranking ------------------------------------------------------------------------


def _told(ident: str, title: str, source: str, hours: float) -> StoryInput:
    return StoryInput(
        id=ident,
        language="en",
        title=title,
        published=NOON + timedelta(hours=hours),
        source=source,
    )


RANKED_POOL = [
    _told("rain", "Heavy rain expected in Tokyo as a typhoon approaches", "Wire", 9),
    _told("biles-1", "Simone Biles withdraws from the Olympic all-around final", "Wire", 1),
    _told("biles-2", "Biles withdraws from the Olympic all-around final", "Globe", 2),
    _told("biles-3", "Simone Biles withdraws from Olympic all-around final", "Daily", 3),
    _told("osaka-1", "Naomi Osaka knocked out of the Olympics in the third round", "Wire", 4),
    _told("osaka-2", "Naomi Osaka knocked out of Olympics in third round", "Wire", 5),
    _told("osaka-3", "Osaka knocked out of the Olympics in the third round", "", 0),
]


def test_rank_orders_stories_by_distinct_sources_then_recency_each_once() -> None:
    items = rank(RANKED_POOL)
    assert [(item.story, item.sources) for item in items] == [
        ("biles-1", 3),  # three sources
        ("osaka-1", 2),  # three articles, but "Wire" twice: two sources
        ("rain", 1),
    ]
    assert {items[0].id, *items[0].also} == {"biles-1", "biles-2", "biles-3"}
    assert items[0].id not in items[0].also
    assert items[1].latest == NOON + timedelta(hours=5)


def test_rank_breaks_ties_by_the_newest_article() -> None:
    pool = [
        _told("old", "Rowers win silver in the eight", "A", 1),
        _told("new", "Typhoon reaches the coast near Tokyo", "B", 6),
    ]
    assert [item.id for item in rank(pool)] == ["new", "old"]


def test_rank_stops_at_the_limit_and_takes_given_stories() -> None:
    assert [item.story for item in rank(RANKED_POOL, 2)] == ["biles-1", "osaka-1"]
    assert rank(RANKED_POOL, 0) == [] and rank([], 5) == []
    keys = ["x", None, None, None, "x", "x", None]  # given stories: no grouping
    items = rank(RANKED_POOL, 1, stories=keys, settings=with_settings(fold=0.0))
    assert items[0].story == "rain" and set(items[0].also) | {items[0].id} == {
        "rain",
        "osaka-1",
        "osaka-2",
    }


def test_rank_folds_the_pieces_of_one_story_into_one_item() -> None:
    # Stored stories can split one story in pieces: each Biles article a story of its
    # own here. Folding makes them one item (three sources, first), while Osaka's and
    # the rain's stay items of their own; without folding Biles' pieces rank apart.
    keys = ["rain", "b1", "b2", "b3", "osaka", "osaka", "osaka"]
    items = rank(RANKED_POOL, stories=keys)
    assert [(item.story, item.sources) for item in items] == [
        ("biles-1", 3),
        ("osaka-1", 2),
        ("rain", 1),
    ]
    assert {items[0].id, *items[0].also} == {"biles-1", "biles-2", "biles-3"}
    apart = rank(RANKED_POOL, stories=keys, settings=with_settings(fold=0.0))
    assert [item.story for item in apart][:1] == ["osaka-1"] and len(apart) == 5


def test_fold_all_lets_a_story_told_in_small_pieces_rise_into_the_digest() -> None:
    # Two pieces of the Biles story, each smaller than the ferry story, rank below it
    # apart; folded, Biles (four sources) comes first even in a digest of one item.
    pool = [
        _told("f1", "Ferry strike halts crossings to the islands", "A", 1),
        _told("f2", "Ferry strike halts crossings to the islands again", "B", 1),
        _told("f3", "Ferry strike halts all crossings to the islands", "C", 1),
        _told("b1", "Simone Biles withdraws from the all-around final", "D", 2),
        _told("b2", "Simone Biles withdraws from all-around final", "E", 2),
        _told("b3", "Biles withdraws from the all-around final in Tokyo", "F", 3),
        _told("b4", "Biles withdraws from all-around final in Tokyo", "G", 3),
    ]
    keys = ["ferry", "ferry", "ferry", "b-a", "b-a", "b-b", "b-b"]
    [item] = rank(pool, 1, stories=keys)
    assert {item.id, *item.also} == {"b1", "b2", "b3", "b4"}
    only_first = with_settings(fold_all=False)
    [item] = rank(pool, 1, stories=keys, settings=only_first)
    assert item.story == "f1"


def test_fold_needs_two_shared_words() -> None:
    # "Newest alone" and "Older alone" are 0.36 alike here (one rare word of two), enough
    # for the fold's cosine but not the same story: one shared word never folds.
    titles = ["Newest alone", "Told twice by one source", "Told twice by one source again"]
    titles += ["Three sources", "Three sources too", "Three sources as well", "Older alone"]
    titles += ["Two sources", "Two sources here"]
    pool = [_told(str(k), title, "", k) for k, title in enumerate(titles)]
    keys = [0, 1, 1, 3, 3, 3, 6, 7, 7]

    def sizes(settings: Settings) -> list[int]:
        return sorted(len(item.members) for item in rank(pool, stories=keys, settings=settings))

    assert sizes(DEFAULT_SETTINGS) == [1, 1, 2, 2, 3]
    assert sizes(with_settings(fold_words=1)) == [2, 2, 2, 3]  # "alone" folded


def _in(ident: str, language: str, title: str, source: str, hours: float) -> StoryInput:
    return StoryInput(
        ident, language, title, published=NOON + timedelta(hours=hours), source=source
    )


def test_a_series_label_does_not_fold_two_stories() -> None:
    # "Olympics Latest:" starts many different headlines of one wire: a column, not
    # news. Left on, it makes two stories of that column alike enough to fold.
    titles = ["Olympics Latest: US women win 3-on-3 basketball gold"] * 2
    titles += ["Olympics Latest: US women win 3-on-3 gold"]
    titles += ["Olympics Latest: US swimmer Ledecky wins gold"] * 2
    titles += ["Olympics Latest: Ledecky wins gold", "Ferry strike halts crossings to the islands"]
    titles += ["Rain expected in Osaka as typhoon nears", "Rowers win silver in the eight"]
    titles += ["Markets fall on rate fears", "New bridge opens downtown"]
    pool = [_told(str(k), title, f"S{k}", k) for k, title in enumerate(titles)]
    keys = [0, 0, 0, 1, 1, 1, 2, 3, 4, 5, 6]

    def sizes(settings: Settings) -> list[int]:
        return [len(item.members) for item in rank(pool, stories=keys, settings=settings)][:2]

    assert sizes(DEFAULT_SETTINGS) == [3, 3]
    assert sizes(with_settings(series_labels=0.0)) == [6, 1]


NISHIYA = [
    _in("en1", "en", "Japan's Momiji Nishiya, 13, wins first skateboarding gold", "A", 1),
    _in("en2", "en", "Japan's Momiji Nishiya, 13, wins the first skateboarding gold", "B", 1),
    _in("en3", "en", "Japan's Momiji Nishiya, 13, takes first skateboarding gold", "C", 2),
    _in("es1", "es", "La japonesa Momiji Nishiya, de 13 años, gana el oro en skate", "D", 2),
    _in("es2", "es", "La japonesa Momiji Nishiya, 13 años, gana el oro en skate", "E", 3),
    _in("f1", "en", "Ferry strike halts crossings to the islands", "F", 4),
]


def test_a_story_retold_in_another_language_is_shown_once() -> None:
    # The Spanish items share no word with the English ones but the names and the age:
    # too unlike to fold, so without the rule the digest shows Nishiya twice.
    [first, second] = rank(NISHIYA, 2)
    assert (first.story, len(first.members)) == ("en1", 3)
    assert second.story == "f1"
    assert [item.story for item in rank(NISHIYA, 3)] == ["en1", "f1", "es1"]  # kept, last
    twice = rank(NISHIYA, 2, settings=with_settings(once_names=0.0))
    assert [item.story for item in twice] == ["en1", "es1"]


def test_names_alike_in_one_language_never_hide_a_story() -> None:
    # Two stories of one athlete in one language: only folding may join them.
    pool = [
        _in("r1", "en", "Judo: Teddy Riner loses in the quarter-final", "A", 1),
        _in("r2", "en", "Judo: Teddy Riner is beaten in the quarter-final", "B", 1),
        _in("r3", "en", "Judo: Teddy Riner takes bronze for France", "C", 2),
        _in("r4", "en", "Judo: Teddy Riner wins a bronze medal for France", "D", 2),
        _in("f1", "en", "Ferry strike halts crossings to the islands", "F", 4),
    ]
    keys = ["lost", "lost", "bronze", "bronze", "ferry"]
    assert [item.story for item in rank(pool, 2, stories=keys)] == ["r3", "r1"]


def test_a_piece_too_unlike_to_fold_still_adds_weight_to_its_story() -> None:
    # The ferry strike in other words ("Islands cut off as ferry crews strike") is
    # 0.26 alike to the first piece: too little to show as one story, enough to count
    # a quarter of its sources for it. The rowers' story, as big and newer, then
    # comes second; without support it comes first.
    pool = [
        _told("a1", "Ferry strike halts crossings to the islands", "A", 1),
        _told("a2", "Ferry strike halts all crossings to the islands", "B", 1),
        _told("a3", "Ferry strike halts crossings to the islands today", "C", 1),
        _told("a4", "Islands cut off as ferry crews strike over pay", "D", 2),
        _told("a5", "Islands cut off as ferry crews strike over their pay", "E", 2),
        _told("b1", "Rowers win silver in the eight", "F", 3),
        _told("b2", "Rowers win silver in the eight again", "G", 3),
        _told("b3", "Rowers win a silver medal in the eight", "H", 3),
    ]
    keys = ["a", "a", "a", "a-2", "a-2", "b", "b", "b"]
    items = rank(pool, 3, stories=keys)
    assert [(item.story, item.sources) for item in items] == [("a1", 3), ("b1", 3), ("a4", 2)]
    alone = rank(pool, 2, stories=keys, settings=with_settings(support=0.0))
    assert [item.story for item in alone] == ["b1", "a1"]


def test_name_keys_meet_across_scripts_and_spellings() -> None:
    assert name_key("Biles") == name_key("Байлз") == name_key("بايلز") == "bls"
    assert name_key("Dončić") == name_key("Doncic") == name_key("Дончич")
    assert name_key("Tokyo") == name_key("Токио") == name_key("Tóquio")
    assert name_key("Weißhaidinger") == name_key("Вайсхайдингер")
    assert name_key("Djokovic") == name_key("Джокович")
    assert len({name_key(w) for w in ("Biles", "Osaka", "Ledecky", "Riner")}) == 4


def test_scores_are_written_one_way_and_years_are_not_scores() -> None:
    assert scores("US beat Japan 86-69") == scores("Japón 69:86 EE.UU.") == ["86-69"]
    assert scores("a 10 – 7 win, 9,8 points") == ["10-7", "9.8"]
    assert scores("season 2020-21, round 1/8, 1.234.567 fans") == []


def test_name_keys_link_a_story_told_in_two_scripts() -> None:
    pool = [
        StoryInput(1, "en", "Gymnastics: Biles withdraws from the final in Tokyo", published=NOON),
        StoryInput(2, "ru", "Гимнастика: Байлз снялась с финала в Токио", published=NOON),
        StoryInput(3, "en", "Rain expected in Osaka as typhoon nears", published=NOON),
    ]

    def linked(settings: Settings) -> dict[tuple[int, int], float]:
        first, second, sims = similarity_pairs(pool, settings)
        pairs = zip(first.tolist(), second.tolist(), strict=True)
        return dict(zip(pairs, sims.tolist(), strict=True))

    # Without keys the two scripts share nothing; with them, "bls", "tk" and "fnl".
    everything = with_settings(min_similarity=0.0, min_candidate=0.0)
    assert (0, 1) not in linked(everything)
    keyed = linked(replace(everything, key_weight=1.0, key_all_words=True, key_min=2))
    assert keyed[0, 1] > 0.05 and (1, 2) not in keyed


RANK_LINES: list[dict[str, object]] = [
    {"id": "w1", "language": "en", "title": "Ferry strike halts crossings to the islands",
     "text": "", "published": "2021-07-28T08:00:00Z", "source": "Wire"},
    {"id": "r1", "language": "en", "title": "Heavy rain expected in Tokyo as a typhoon approaches",
     "text": "", "published": "2021-07-28T13:00:00Z", "source": ""},
    {"id": 7, "language": "en", "title": "Ferry strike halts crossings to islands - Globe",
     "text": "", "published": "2021-07-28T09:00:00Z", "source": "Globe"},
]  # fmt: skip


def test_rank_cli_prints_the_digest_items_one_object_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "pool.jsonl", RANK_LINES)
    assert main(["rank", str(path)]) == 0
    assert capsys.readouterr() == (
        '{"id": "w1", "story": "w1", "also": [7]}\n{"id": "r1", "story": "r1", "also": []}\n',
        "",
    )
    assert main(["rank", str(path), "--limit", "1"]) == 0
    assert capsys.readouterr().out == '{"id": "w1", "story": "w1", "also": [7]}\n'


def test_rank_cli_bad_limit_or_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pool.jsonl"
    path.write_bytes(b'{"id": 1, "title": "x"}\n{"id": 1, "title": "y"}\n')
    assert main(["rank", str(path)]) == 1
    assert capsys.readouterr().err == f"digestbot: error: {path}:2: id 1 is already on line 1\n"
    with pytest.raises(SystemExit):
        main(["rank", str(path), "--limit", "0"])
    assert "must be at least 1: 0" in capsys.readouterr().err


def _crowded_batch(count: int) -> list[StoryInput]:
    """Headlines from a small vocabulary: many words are in more than 50 of them."""
    rng = random.Random(3)
    words = [f"{a}{b}" for a in ("ka", "lo", "mi", "su", "te") for b in ("ran", "bel", "dox")]
    return [
        _article(str(k), "en", " ".join(rng.sample(words, 6)), hours=rng.uniform(0, 40))
        for k in range(count)
    ]


def test_linear_pairs_have_the_similarity_of_a_full_comparison() -> None:
    batch = _crowded_batch(400)
    full = similarity_pairs(batch, with_settings(pair_df=0))
    fast = similarity_pairs(batch, DEFAULT_SETTINGS)
    everything = {(a, b): s for a, b, s in zip(*(x.tolist() for x in full), strict=True)}
    found = list(zip(*(x.tolist() for x in fast), strict=True))
    assert len(found) > 1000
    assert all(abs(everything[a, b] - s) < 1e-9 for a, b, s in found)


def test_a_window_joins_new_articles_to_their_stories() -> None:
    window = StoryWindow.grouped(BATCH)
    assert window.story_of("en-biles-2") == "en-biles-1"
    later = [
        _article("new-biles", "en", "Simone Biles withdraws from Olympic all-around final", 5),
        _article("new-alone", "en", "Library lends bicycles to students for the summer", 5),
        _article("far-biles", "en", "Simone Biles withdraws from the Olympic all-around final", 60),
    ]
    assert window.add(later) == ["en-biles-1", "new-alone", "far-biles"]  # 60 h: too far
    assert window.members("new-biles") == ["en-biles-1", "en-biles-2", "new-biles"]
    assert "new-alone" in window and len(window) == len(BATCH) + 3
    assert window.add(later[:1]) == ["en-biles-1"]  # known ids are not added twice
