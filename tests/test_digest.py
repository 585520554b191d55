"""Digest composition, article views and message splitting (pure functions)."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from bot.digest import (
    ALSO_SHOWN,
    MESSAGE_LIMIT,
    TITLE_LIMIT,
    Also,
    DigestEntry,
    Part,
    also_line,
    article_detail_messages,
    article_list_html,
    article_list_line,
    article_part,
    compose_html,
    compose_text,
    day_text,
    digest_header,
    digest_messages,
    link_title,
    pack_messages,
    split_messages,
    utf16_len,
    visible_len,
)
from bot.messages import ENTITY_LIMIT, ENTITY_TEXT_LIMIT, measure

KOREA = DigestEntry(
    number=1,
    title="S. Korea, Japan, US sign intel-sharing pact",
    url="https://p.dw.com/p/1EACv",
    date="2014-12-26",
    summary=[
        "South Korea, the US and Japan have agreed to sign a rare trilateral pact.",
        "The aim is to better cope with North Korea's threats.",
    ],
)
ATT = DigestEntry(
    number=7,
    title='<b>"AT&T" & Co</b>',
    url='https://example.com/a?x=1&y="2"',
    date=None,
    summary=["Profits < costs & more."],
)
FIRST_OF_DECEMBER = date(2026, 12, 1)  # a Tuesday


class SourcedEntry(DigestEntry):
    """An entry with the source's name, as the feeds' ArticleRecord has it."""

    @property
    def source_name(self) -> str:
        return 'Deutsche Welle <DW> & "Co"'


def assert_balanced(message: str) -> None:
    """Every tag opened in the message is closed in it, in order; no broken entity."""
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)(\w+)[^>]*>", message):
        if closing:
            assert stack and stack.pop() == name, message
        else:
            stack.append(name)
    assert not stack, message
    # Every & starts a complete entity.
    assert all(re.match(r"&(#\d+|\w+);", message[m.start() :]) for m in re.finditer("&", message))


# -- the digest ----------------------------------------------------------------------


def test_digest_html_is_exact() -> None:
    assert compose_html([KOREA], today=FIRST_OF_DECEMBER) == (
        "<b>Your digest</b> · Tue 1 Dec 2026 · 1 story\n"
        "\n"
        '<a href="https://p.dw.com/p/1EACv">'
        "<b>S. Korea, Japan, US sign intel-sharing pact</b></a>\n"
        "<i>26 Dec 2014</i> · /article 1\n"
        "<blockquote expandable>"
        "South Korea, the US and Japan have agreed to sign a rare trilateral pact."
        " The aim is to better cope with North Korea&#x27;s threats."
        "</blockquote>"
    )


def test_title_url_and_summary_are_escaped() -> None:
    text = compose_html([ATT], title=None)
    assert text == (
        '<a href="https://example.com/a?x=1&amp;y=&quot;2&quot;">'
        "<b>&lt;b&gt;&quot;AT&amp;T&quot; &amp; Co&lt;/b&gt;</b></a>\n"
        "/article 7\n"
        "<blockquote expandable>Profits &lt; costs &amp; more.</blockquote>"
    )
    assert html.escape(ATT.title) in text


def test_an_item_shows_the_source_name_escaped_then_the_date_and_number() -> None:
    entry = SourcedEntry(*KOREA)
    assert article_part(entry).segments[1] == (
        "\n<i>Deutsche Welle &lt;DW&gt; &amp; &quot;Co&quot; · 26 Dec 2014</i> · /article 1"
    )
    from tests.fakebotapi import parse_html

    visible, entities = parse_html(compose_html([entry], today=FIRST_OF_DECEMBER))
    assert visible.splitlines()[3] == 'Deutsche Welle <DW> & "Co" · 26 Dec 2014 · /article 1'
    types = sorted(e["type"] for e in entities)
    assert types == ["bold", "bold", "expandable_blockquote", "italic", "text_link"]


def test_an_item_without_source_date_or_summary_is_its_title_and_number() -> None:
    entry = DigestEntry(5, "Bare", None, None, None)
    assert article_part(entry).segments == ("<b>Bare</b>", "\n/article 5")


def test_dates_read_well_and_odd_ones_are_shown_as_given() -> None:
    assert day_text(FIRST_OF_DECEMBER) == "Tue 1 Dec 2026"
    assert day_text(date(2024, 5, 31), weekday=False) == "31 May 2024"
    odd = DigestEntry(1, "T", None, "2024-13-45", None)
    assert article_part(odd).segments[1] == "\n<i>2024-13-45</i> · /article 1"
    words = DigestEntry(1, "T", None, "Spring & summer " * 10, None)
    shown = html.unescape(article_part(words).segments[1])
    assert shown.startswith("\n<i>Spring & summer") and "…</i>" in shown


def test_the_header_has_the_day_and_counts_stories() -> None:
    assert digest_header(1, today=FIRST_OF_DECEMBER) == (
        "<b>Your digest</b> · Tue 1 Dec 2026 · 1 story"
    )
    assert digest_header(3) == "<b>Your digest</b> · 3 stories"
    assert digest_header(2, "A & B") == "<b>A &amp; B</b> · 2 stories"


def test_title_without_url_or_with_unsafe_url_is_bold_not_linked() -> None:
    assert link_title("Plain", None) == "<b>Plain</b>"
    assert link_title("Sneaky", "javascript:alert(1)") == "<b>Sneaky</b>"
    assert link_title("Relative", "/p/1") == "<b>Relative</b>"
    assert link_title("Spaces", "https://a.example/x y") == "<b>Spaces</b>"


def test_a_huge_url_is_not_linked_so_the_title_line_always_fits() -> None:
    assert link_title("T", "https://example.com/?" + "&" * 1000) == "<b>T</b>"
    line = link_title('"' * 1000, "https://example.com/?" + "a&" * 300)
    assert line.startswith('<a href="') and utf16_len(line) < MESSAGE_LIMIT


def test_very_long_titles_are_shortened() -> None:
    line = link_title("word " * 200, None)
    assert line.endswith("…</b>")
    assert TITLE_LIMIT - 5 <= len(html.unescape(line[3:-4])) <= TITLE_LIMIT


def test_digest_messages_carry_their_article_numbers() -> None:
    assert digest_messages([KOREA, ATT]) == [(compose_html([KOREA, ATT]), [1, 7])]


def test_no_entries_no_messages() -> None:
    assert digest_messages([]) == []


def test_header_counts_articles() -> None:
    assert compose_html([KOREA, ATT]).startswith("<b>Your digest</b> · 2 stories\n\n")
    assert not compose_html([KOREA], title=None).startswith("<b>Your")


def test_many_articles_split_at_article_boundaries_within_4096_units() -> None:
    entries = [
        DigestEntry(
            n, f"Title {n} 🎉", f"https://example.com/{n}", "2024-01-01", ["Word 🎉. " * 60]
        )
        for n in range(1, 21)
    ]
    messages = digest_messages(entries)
    assert len(messages) > 1
    assert all(visible_len(text) <= MESSAGE_LIMIT for text, _ in messages)
    # Every article exactly once, in order, each whole inside one message.
    assert [n for _, numbers in messages for n in numbers] == list(range(1, 21))
    for text, numbers in messages:
        assert_balanced(text)
        for n in numbers:
            assert f"<b>Title {n} 🎉</b>" in text and f"<i>1 Jan 2024</i> · /article {n}\n" in text


def test_an_article_longer_than_a_message_is_split_at_sentence_boundaries() -> None:
    sentences = [
        f"Sentence number {i} is here and rather long to fill the space." for i in range(200)
    ]
    entry = DigestEntry(3, "Huge & long", "https://example.com/h", "2024-01-01", sentences)
    messages = digest_messages([entry], title=None)
    assert len(messages) >= 3
    assert all(visible_len(text) <= MESSAGE_LIMIT for text, _ in messages)
    # The article counts as delivered with its last piece.
    assert [numbers for _, numbers in messages] == [[]] * (len(messages) - 1) + [[3]]
    assert messages[0][0].startswith(
        '<a href="https://example.com/h"><b>Huge &amp; long</b></a>\n'
        "<i>1 Jan 2024</i> · /article 3\n<blockquote expandable>Sentence number 0 "
    )
    from tests.fakebotapi import parse_html

    for text, _ in messages:
        assert_balanced(text)
        # Every piece of the summary is a quote of its own, ending at a sentence end.
        assert text.endswith(("here.</blockquote>", "space.</blockquote>"))
        assert text.count("<blockquote expandable>") == 1
        _, entities = parse_html(text)  # valid Telegram HTML, as the fake checks
        assert [e["type"] for e in entities].count("expandable_blockquote") == 1
    joined = " ".join(text for text, _ in messages)
    assert all(s in joined for s in sentences)


def test_a_huge_article_starts_right_after_the_header() -> None:
    entry = DigestEntry(3, "Huge", None, None, ["Words and more words here. " * 10] * 40)
    messages = digest_messages([entry])
    assert messages[0][0].startswith(
        "<b>Your digest</b> · 1 story\n\n<b>Huge</b>\n/article 3\n<blockquote expandable>Words"
    )
    assert all(visible_len(text) <= MESSAGE_LIMIT for text, _ in messages)
    assert [numbers for _, numbers in messages][-1] == [3]


def test_a_sentence_longer_than_a_message_is_split_at_spaces() -> None:
    sentence = " ".join(["AT&T"] * 2000)  # one sentence, 9,999 characters, 17,999 escaped
    entry = DigestEntry(4, "T", None, None, [sentence])
    messages = digest_messages([entry], title=None)
    assert len(messages) == 3  # the visible 9,999 characters count, not the escaped source
    for text, _ in messages:
        assert visible_len(text) <= MESSAGE_LIMIT
        assert_balanced(text)
    body = " ".join(text for text, _ in messages).removeprefix("<b>T</b>\n/article 4")
    body = re.sub("</?blockquote[^>]*>", " ", body)
    assert html.unescape(body).split() == ["AT&T"] * 2000


def test_every_digest_message_is_valid_telegram_html_showing_the_raw_title() -> None:
    # The fake Bot API parses HTML by Telegram's rules (and refuses a bare "&").
    from tests.fakebotapi import parse_html

    entries = [ATT, KOREA] * 40
    messages = digest_messages(entries)
    assert len(messages) > 1
    for text, numbers in messages:
        visible, entities = parse_html(text)
        assert utf16_len(visible) <= MESSAGE_LIMIT
        links = [e["url"] for e in entities if e["type"] == "text_link"]
        if ATT.number in numbers:
            assert ATT.title in visible and ATT.url in links


# -- split_messages ------------------------------------------------------------------


def test_split_counts_utf16_units_emoji_as_two() -> None:
    assert utf16_len("🎉") == 2 and utf16_len("é") == 1 and utf16_len("a🎉b") == 4
    emoji = "🎉" * 2048  # 2,048 characters, 4,096 units: exactly one message
    assert split_messages([emoji]) == [emoji]
    parts = split_messages([emoji, "x"])
    assert parts == [emoji, "x"]


def test_split_packs_parts_up_to_the_limit_exactly() -> None:
    a, b = "a" * 2047, "b" * 2047  # 2047 + 2 (separator) + 2047 = 4096
    assert split_messages([a, b]) == [f"{a}\n\n{b}"]
    assert split_messages([a, b + "b"]) == [a, b + "b"]


def test_split_never_breaks_a_part_that_fits_in_a_message() -> None:
    assert split_messages(["a" * 10, "b" * 10, "c" * 20], limit=24) == [
        "a" * 10 + "\n\n" + "b" * 10,
        "c" * 20,
    ]


def test_split_long_plain_part_prefers_sentence_ends_then_spaces() -> None:
    text = "First sentence here. Second sentence here. Third one."
    assert split_messages([text], limit=25) == [
        "First sentence here.",
        "Second sentence here.",
        "Third one.",
    ]
    assert split_messages(["alpha beta gamma delta"], limit=12) == ["alpha beta", "gamma delta"]


def test_split_last_resort_never_cuts_an_entity_or_a_surrogate_pair() -> None:
    text = "&amp;🎉" * 30
    chunks = split_messages([text], limit=9)
    assert "".join(chunks) == text
    assert all(visible_len(c) <= 9 for c in chunks)
    for chunk in chunks:
        assert_balanced(chunk)


def test_split_keeps_tags_whole_and_counts_only_visible_text() -> None:
    chunks = split_messages(["<b>bold text here</b> and then more words here"], limit=16)
    assert chunks == ["<b>bold text here</b>", "and then more", "words here"]
    # 18 visible characters fit in 18 units, tags and all.
    assert split_messages(["<b>bold text here</b> and"], limit=18) == ["<b>bold text here</b> and"]


def test_split_inside_a_long_element_closes_and_reopens_its_tags() -> None:
    text = '<a href="https://e.com/?a&amp;b"><b>' + "word " * 30 + "</b></a> tail"
    chunks = split_messages([text], limit=70)
    assert len(chunks) > 2 and all(visible_len(c) <= 70 for c in chunks)
    for chunk in chunks:
        assert_balanced(chunk)
    assert chunks[0].startswith('<a href="https://e.com/?a&amp;b"><b>word word')
    assert chunks[1].startswith('<a href="https://e.com/?a&amp;b"><b>word')
    assert chunks[-1].endswith("</b></a> tail") or chunks[-1] == "tail"
    words = " ".join(re.sub("<[^>]*>", " ", c) for c in chunks).split()
    assert words == ["word"] * 30 + ["tail"]


def test_split_refuses_a_limit_smaller_than_one_character() -> None:
    with pytest.raises(ValueError, match="cannot split"):
        split_messages(["<b>🎉🎉</b>"], limit=1)  # an emoji is two units


def test_pack_messages_attributes_numbers_to_the_last_piece_of_a_part() -> None:
    parts = [Part(("one", " two", " three"), (5,)), Part(("four",), (6,))]
    assert pack_messages(parts, limit=9) == [("one two", []), ("three", [5]), ("four", [6])]


@pytest.mark.parametrize("seed", range(20))
def test_random_digests_always_fit_and_lose_nothing(seed: int) -> None:
    import random

    from tests.fakebotapi import parse_html

    rng = random.Random(seed)
    words = ["news", "AT&T", "<tag>", '"quoted"', "🎉", "Ünïcode", "x" * 50, "a.", "Mr.", "ok!"]

    def sentence() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 400))) + "."

    entries = [
        DigestEntry(
            number,
            " ".join(rng.choice(words) for _ in range(rng.randint(1, 80))),
            rng.choice([None, f"https://example.com/{number}?a=1&b=2"]),
            rng.choice([None, "2024-01-01"]),
            [sentence() for _ in range(rng.randint(0, 12))],
        )
        for number in range(1, rng.randint(1, 25))
    ]
    limit = rng.choice([200, 1000, MESSAGE_LIMIT])
    messages = digest_messages(entries, limit=limit)
    if not entries:
        assert messages == []
        return
    carried = [n for _, numbers in messages for n in numbers]
    assert carried == [e.number for e in entries]  # each article once, in order
    visible_words: list[str] = []
    for text, _ in messages:
        assert visible_len(text) <= limit
        visible, _entities = parse_html(text)  # valid Telegram HTML, every tag closed
        visible_words.extend(visible.split())
    expected_words: list[str] = ["Your", "digest", "·", str(len(entries))]
    expected_words.append("story" if len(entries) == 1 else "stories")
    for entry in entries:
        expected_words.extend(html.unescape(link_title(entry.title, None)[3:-4]).split())
        if entry.date:
            expected_words.extend(["1", "Jan", "2024", "·"])
        expected_words.extend(["/article", str(entry.number)])
        for s in entry.summary or ():
            expected_words.extend(s.split())
    # Nothing lost or repeated, except that a word longer than a message may be cut.
    if limit >= 1000:
        assert visible_words == expected_words
    else:
        assert "".join(visible_words) == "".join(expected_words)


def test_split_rejects_a_nonpositive_limit() -> None:
    with pytest.raises(ValueError):
        split_messages(["x"], limit=0)


# -- plain text and article views ----------------------------------------------------


def test_compose_text_is_exact_and_unescaped() -> None:
    assert compose_text([SourcedEntry(*KOREA), ATT], today=FIRST_OF_DECEMBER) == (
        "Your digest · Tue 1 Dec 2026 · 2 stories\n"
        "\n"
        "1. S. Korea, Japan, US sign intel-sharing pact\n"
        'Deutsche Welle <DW> & "Co" · 26 Dec 2014 · https://p.dw.com/p/1EACv\n'
        "  South Korea, the US and Japan have agreed to sign a rare trilateral pact.\n"
        "  The aim is to better cope with North Korea's threats.\n"
        "\n"
        '7. <b>"AT&T" & Co</b>\n'
        'https://example.com/a?x=1&y="2"\n'
        "  Profits < costs & more.\n"
    )


def test_compose_text_with_nothing_new() -> None:
    assert compose_text([]) == "Nothing new.\n"


def test_article_detail_is_exact() -> None:
    assert article_detail_messages(KOREA) == [
        '<a href="https://p.dw.com/p/1EACv">'
        "<b>S. Korea, Japan, US sign intel-sharing pact</b></a>\n"
        "<i>26 Dec 2014</i>\n"
        "\n"
        "South Korea, the US and Japan have agreed to sign a rare trilateral pact."
        " The aim is to better cope with North Korea&#x27;s threats."
    ]


def test_article_detail_without_summary_says_so() -> None:
    entry = DigestEntry(2, "New", None, None, None)
    assert article_detail_messages(entry) == ["<b>New</b>\n\n<i>The summary is not ready yet.</i>"]


def test_article_detail_of_a_huge_summary_is_split() -> None:
    entry = DigestEntry(2, "Big", None, None, ["A fairly long sentence of words. " * 3] * 100)
    messages = article_detail_messages(entry)
    assert len(messages) >= 2 and all(visible_len(m) <= MESSAGE_LIMIT for m in messages)


def test_article_list_lines_are_numbered_and_escaped() -> None:
    assert article_list_line(7, ATT.title) == "7. &lt;b&gt;&quot;AT&amp;T&quot; &amp; Co&lt;/b&gt;"
    assert article_list_html([KOREA, ATT], header="Articles 1-2 of 2") == (
        "<b>Articles 1-2 of 2</b>\n"
        "1. S. Korea, Japan, US sign intel-sharing pact\n"
        "7. &lt;b&gt;&quot;AT&amp;T&quot; &amp; Co&lt;/b&gt;"
    )


def test_a_page_of_ten_longest_titles_fits_in_one_message() -> None:
    entries = [DigestEntry(99999, '"&' * 500, None, None, None)] * 10
    assert utf16_len(article_list_html(entries, header="Articles")) <= MESSAGE_LIMIT


def test_store_records_work_as_entries() -> None:
    from bot.store import ArticleRecord

    record = ArticleRecord(
        1,
        "a.txt",
        "h",
        KOREA.title,
        KOREA.date,
        KOREA.url,
        "english",
        "text",
        tuple(KOREA.summary or ()),
        "2024",
    )
    assert compose_html([record]) == compose_html([KOREA])


# -- one story once: a story's other articles as "Also:" links ----------------

DW_ALSO = Also(3, "Reuters", "https://reuters.example/pact")
AP_ALSO = Also(4, "AP & Co", "https://ap.example/pact?a=1&b=2")


def test_a_story_is_one_item_with_also_links_and_counts_once() -> None:
    text = compose_html([KOREA, ATT], today=FIRST_OF_DECEMBER, also={1: [DW_ALSO, AP_ALSO]})
    assert text.splitlines()[0] == "<b>Your digest</b> · Tue 1 Dec 2026 · 2 stories"
    assert (
        '\nAlso: <a href="https://reuters.example/pact">Reuters</a>,'
        ' <a href="https://ap.example/pact?a=1&amp;b=2">AP &amp; Co</a>\n'
        "<blockquote expandable>South Korea" in text
    )
    assert text.count("Also:") == 1  # ATT has no other articles


def test_a_story_message_carries_every_members_number() -> None:
    [(text, numbers)] = digest_messages([KOREA, ATT], also={1: [DW_ALSO, AP_ALSO]})
    assert numbers == [1, 3, 4, 7] and text.count("/article") == 2
    assert article_part(KOREA, [DW_ALSO]).numbers == (1, 3)


def test_also_names_the_host_or_the_article_when_there_is_no_source() -> None:
    members = [Also(5, None, "https://www.example.org/x"), Also(6, "  ", None)]
    assert also_line(members) == (
        'Also: <a href="https://www.example.org/x">example.org</a>, article 6 (/article 6)'
    )
    assert also_line([Also(8, "Feed", "javascript:alert(1)")]) == "Also: Feed (/article 8)"
    assert also_line([]) is None


def test_a_long_also_list_is_cut_with_a_count() -> None:
    members = [Also(n, f"Source {n}", f"https://s{n}.example/") for n in range(10)]
    line = also_line(members) or ""
    assert line.count("<a href=") == ALSO_SHOWN and line.endswith(f" + {10 - ALSO_SHOWN} more")


def test_the_plain_text_digest_lists_the_story_members() -> None:
    text = compose_text([KOREA], title=None, also={1: [DW_ALSO, Also(9, "Seeds", None)]})
    assert text.splitlines()[2] == (
        "Also: Reuters (https://reuters.example/pact), Seeds (/article 9)"
    )


def test_the_article_view_shows_its_story() -> None:
    [message] = article_detail_messages(KOREA, also=[DW_ALSO])
    lines = message.splitlines()
    assert lines[1:3] == [
        "<i>26 Dec 2014</i>",
        'Also: <a href="https://reuters.example/pact">Reuters</a>',
    ]


def test_a_digest_of_stories_with_long_also_lines_still_splits_within_the_limit() -> None:
    long_url = "https://example.com/" + "a" * 1500
    also = {1: [Also(n, "Source " * 12, long_url + str(n)) for n in range(2, 9)]}
    lead = KOREA._replace(summary=["A pact was signed."])  # no &#x27; (the check wants &name;)
    entries = [lead] + [ATT._replace(number=n) for n in range(20, 40)]
    messages = digest_messages(entries, limit=4096, also=also)
    assert all(visible_len(text) <= 4096 for text, _ in messages)
    for text, _ in messages:
        assert_balanced(text)
    assert sorted(n for _, numbers in messages for n in numbers) == sorted(
        [1, *range(2, 9), *range(20, 40)]
    )


# -- visible text, Telegram's other limits -------------------------------------------


def _ten_long_linked_items() -> list[DigestEntry]:
    """Ten items of ~330 visible characters each whose HTML source is far longer (long
    URLs, escaped quotes and ampersands), as feed articles are."""
    return [
        DigestEntry(
            n,
            f'Council & "harbour" vote {n}',
            f"https://news.example.com/2026/12/07/council-harbour-vote-{n}?utm_source=feed&amp=1"
            + "&x="
            + "y" * 120,
            "2026-12-07",
            [f'The council & the "harbour board" agreed on plan {n}. ' * 5],
        )
        for n in range(1, 11)
    ]


def test_a_digest_is_split_by_its_visible_text_not_its_html_source() -> None:
    from tests.fakebotapi import parse_html

    entries = _ten_long_linked_items()
    html_text = compose_html(entries)
    visible, _ = parse_html(html_text)
    assert utf16_len(html_text) > MESSAGE_LIMIT >= utf16_len(visible) > 3000
    assert visible_len(html_text) == utf16_len(visible)
    messages = digest_messages(entries)
    assert len(messages) == 1  # counting the source made it two
    assert messages[0][1] == list(range(1, 11))


def test_visible_len_counts_entities_as_one_character_and_tags_as_none() -> None:
    assert visible_len('<a href="https://e.com/?a&amp;b"><b>AT&amp;T</b></a> 🎉') == 7
    assert measure('<a href="https://e.com/?a&amp;b"><b>x</b></a>') == (1, 2, 18)


def test_a_message_holds_at_most_100_formatting_entities() -> None:
    from tests.fakebotapi import parse_html

    # Short items of five entities each (link, bold, italic, also-link, quote): 60 of
    # them fit in 4,096 visible units but not in 100 entities.
    entries = [DigestEntry(n, "T", f"https://e.com/{n}", "2026-12-07", ["S."]) for n in range(60)]
    also = {n: [Also(1000 + n, "B", f"https://b.com/{n}")] for n in range(60)}
    messages = digest_messages(entries, also=also)
    assert len(messages) > 1
    for text, _ in messages:
        visible, entities = parse_html(text)
        assert len(entities) <= ENTITY_LIMIT and utf16_len(visible) <= MESSAGE_LIMIT
    assert [n for _, numbers in messages for n in numbers][::2] == list(range(60))


def test_link_urls_count_towards_the_entities_text_limit() -> None:
    url = "https://e.com/" + "u" * 1000
    parts = [Part((f'<a href="{url}">x</a>',), (n,)) for n in range(20)]
    messages = pack_messages(parts)
    assert len(messages) > 2
    for text, _ in messages:
        size = measure(text)
        assert size.units + size.links <= ENTITY_TEXT_LIMIT


def test_one_date_format_everywhere() -> None:
    entry = DigestEntry(7, "T", None, "2026-12-07T09:30:00+00:00", ["S."])
    assert "<i>7 Dec 2026</i> · /article 7" in compose_html([entry])
    assert "<i>7 Dec 2026</i>" in article_detail_messages(entry)[0]
    assert "7 Dec 2026" in compose_text([entry])
