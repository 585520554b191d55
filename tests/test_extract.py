"""HTML pages to article fields (bot.extract): main text, title, date, URL, language."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.errors import NotAnArticle
from bot.extract import Extracted, detect_language, extract_html

PARAGRAPHS = [
    "The city council voted on Tuesday to rebuild the old harbour bridge, which has been "
    "closed to traffic since a storm damaged two of its piers last winter.",
    "Engineers said the new bridge would carry a tram line as well as cars and bicycles, "
    "and that the work should take about three years once the contracts are signed.",
    "Residents of the northern districts, who now drive a long detour to reach the centre, "
    "welcomed the decision but asked the council to publish a timetable for the works.",
    "The mayor said the first contracts would be awarded in the spring and that the city "
    "would seek money from the national transport fund to cover part of the cost.",
]
FRENCH = [
    "Le conseil municipal a voté mardi la reconstruction du vieux pont du port, fermé à la "
    "circulation depuis qu'une tempête a endommagé deux de ses piles l'hiver dernier.",
    "Les ingénieurs ont indiqué que le nouveau pont accueillerait une ligne de tramway, "
    "ainsi que les voitures et les vélos, et que les travaux dureraient environ trois ans.",
    "Les habitants des quartiers nord, qui font aujourd'hui un long détour pour rejoindre "
    "le centre, ont salué la décision mais demandent un calendrier des travaux.",
]


def page(
    *,
    head: str = "",
    paragraphs: list[str] = PARAGRAPHS,
    html_attributes: str = 'lang="en"',
    extra_body: str = "",
    headline: str = "Council votes to rebuild the harbour bridge",
) -> str:
    body = "\n".join(f"<p>{text}</p>" for text in paragraphs)
    return f"""<!DOCTYPE html>
<html {html_attributes}>
<head>
  <meta charset="utf-8">
  <title>{headline} | The Harbour Times</title>
  {head}
</head>
<body>
  <header>
    <nav><ul>
      <li><a href="/">Home</a></li><li><a href="/news">News</a></li>
      <li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li>
    </ul></nav>
    <div class="cookie-banner">We use cookies to improve your experience. Accept all</div>
  </header>
  <main>
    <article>
      <h1>{headline}</h1>
      {body}
      {extra_body}
    </article>
    <section class="comments" id="comments">
      <h3>Comments</h3>
      <div class="comment"><p>First! This bridge was a disgrace for years, typical.</p></div>
    </section>
    <aside class="related"><h3>Related stories</h3><ul>
      <li><a href="/a">Ferry prices rise again</a></li>
      <li><a href="/b">Storm damage: what the insurers say</a></li>
    </ul></aside>
  </main>
  <footer><p>© 2024 The Harbour Times. All rights reserved. Privacy policy.</p></footer>
</body>
</html>"""


def test_main_text_keeps_paragraphs_and_drops_navigation_comments_and_footer():
    extracted = extract_html(page(), "https://news.example/harbour-bridge")
    assert extracted.paragraphs == PARAGRAPHS
    assert extracted.text == "\n\n".join(PARAGRAPHS)
    for furniture in ("Weather", "cookies", "First!", "Ferry prices", "All rights reserved"):
        assert furniture not in extracted.text


def test_title_is_the_headline_without_the_site_name_and_not_repeated_in_the_text():
    extracted = extract_html(page(), "https://news.example/harbour-bridge")
    assert extracted.title == "Council votes to rebuild the harbour bridge"
    assert all("Council votes" not in block.text for block in extracted.blocks)


def test_sub_headings_and_list_items_are_blocks_of_their_own():
    extra = (
        "<h2>What happens next</h2>"
        "<ul><li>Contracts are awarded in the spring of next year.</li>"
        "<li>Demolition of the damaged piers starts in the summer.</li></ul>"
    )
    extracted = extract_html(page(extra_body=extra), "https://news.example/a")
    kinds = [(block.kind, block.text) for block in extracted.blocks[-3:]]
    assert kinds == [
        ("heading", "What happens next"),
        ("paragraph", "Contracts are awarded in the spring of next year."),
        ("paragraph", "Demolition of the damaged piers starts in the summer."),
    ]
    assert "What happens next" not in extracted.paragraphs


def test_canonical_link_is_the_url_resolved_against_the_page_address():
    head = '<link rel="canonical" href="/2024/05/harbour-bridge"><meta property="og:url" content="https://og.example/x">'
    extracted = extract_html(page(head=head), "https://news.example/amp/harbour-bridge?ref=rss")
    assert extracted.url == "https://news.example/2024/05/harbour-bridge"


def test_og_url_then_the_given_url_when_there_is_no_canonical_link():
    head = '<meta property="og:url" content="https://news.example/og-address">'
    assert extract_html(page(head=head), "https://x.example/p").url == (
        "https://news.example/og-address"
    )
    assert extract_html(page(), "https://x.example/p").url == "https://x.example/p"


def test_published_time_with_an_offset_is_an_aware_datetime():
    head = '<meta property="article:published_time" content="2024-05-14T09:30:00+02:00">'
    extracted = extract_html(page(head=head))
    assert extracted.date == dt.datetime(2024, 5, 14, 7, 30, tzinfo=dt.UTC)
    assert extracted.date.utcoffset() == dt.timedelta(hours=2)


def test_published_time_without_an_offset_is_only_a_date():
    head = '<meta name="date" content="2024-05-14 09:30">'
    assert extract_html(page(head=head)).date == dt.date(2024, 5, 14)


def test_json_ld_date_published_is_read_inside_a_graph():
    head = """<script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "name": "The Harbour Times"},
      {"@type": "NewsArticle", "headline": "x", "datePublished": "2024-05-14T07:30:00Z"}]}
    </script>"""
    assert extract_html(page(head=head)).date == dt.datetime(2024, 5, 14, 7, 30, tzinfo=dt.UTC)


def test_language_comes_from_the_html_lang_attribute_as_an_iso_code():
    french = page(paragraphs=FRENCH, html_attributes='lang="fr-FR"', headline="Le pont")
    assert extract_html(french).language == "fr"


def test_language_from_og_locale_when_the_text_is_too_short_to_detect():
    short = ["Kort notis: bron byggs om i vår och stängs under sommaren för arbetet."]
    head = '<meta property="og:locale" content="sv_SE">'
    extracted = extract_html(page(head=head, paragraphs=short, html_attributes=""))
    assert extracted.language == "sv"


def test_detected_language_overrules_a_site_template_that_declares_another():
    # An English article on a site whose template says lang="de".
    assert extract_html(page(html_attributes='lang="de"')).language == "en"


def test_language_is_detected_when_the_page_declares_none():
    french = page(paragraphs=FRENCH, html_attributes="", headline="Le pont")
    assert extract_html(french).language == "fr"


def test_japanese_page_is_read_and_detected():
    japanese = [
        "市議会は火曜日、昨年の冬の嵐で橋脚が損傷して以来通行止めとなっている港の古い橋の"
        "建て替えを決めた。新しい橋には路面電車も通る予定だ。",
        "技術者によると、工事は契約の締結後およそ三年かかる見込みで、北部の住民は決定を歓迎した。",
    ]
    extracted = extract_html(page(paragraphs=japanese, html_attributes="", headline="港の橋"))
    assert extracted.language == "ja"
    assert extracted.paragraphs == japanese


def test_site_name_from_og_site_name():
    head = '<meta property="og:site_name" content="The Harbour Times">'
    assert extract_html(page(head=head)).site_name == "The Harbour Times"


def test_bytes_are_decoded_with_the_declared_charset():
    html = page(paragraphs=FRENCH, headline="Le pont").replace(
        'charset="utf-8"', 'charset="cp1252"'
    )
    extracted = extract_html(html.encode("cp1252"))
    assert extracted.paragraphs[0] == FRENCH[0]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("", "empty page"),
        ("   \n ", "empty page"),
        (b"", "empty page"),
        (
            "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
            "<p>Page not found.</p></body></html>",
            "no article text found",
        ),
    ],
)
def test_a_page_without_article_text_is_not_an_article(html, reason):
    with pytest.raises(NotAnArticle) as raised:
        extract_html(html, "https://news.example/missing")
    assert raised.value.reason == reason
    assert raised.value.source == "https://news.example/missing"


def test_not_an_article_names_the_source_given():
    with pytest.raises(NotAnArticle, match=r"^seeds/page\.html: empty page$"):
        extract_html("", source="seeds/page.html")


def test_extracted_is_a_frozen_value():
    extracted = extract_html(page())
    assert isinstance(extracted, Extracted)
    with pytest.raises(AttributeError):
        extracted.title = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (" ".join(PARAGRAPHS), "en"),
        (" ".join(FRENCH), "fr"),
        ("Президент заявил во вторник, что правительство выделит деньги на новый мост.", "ru"),
        ("short", None),
    ],
)
def test_detect_language_gives_iso_codes_or_none_when_unsure(text, code):
    assert detect_language(text) == code


def test_a_copyright_year_in_the_footer_is_not_a_publication_date():
    assert extract_html(page()).date is None  # the footer says "© 2024"


def test_placeholder_dates_are_ignored_and_the_next_source_is_used():
    head = (
        '<meta property="article:published_time" content="0001-01-01T00:00:00Z">'
        '<meta name="pubdate" content="2024-05-14">'
    )
    assert extract_html(page(head=head)).date == dt.date(2024, 5, 14)


def test_a_nested_list_is_read_once_inside_its_item():
    extra = (
        "<ul><li>Phase one rebuilds the two damaged piers of the bridge."
        "<ul><li>Divers inspect the foundations first.</li></ul></li>"
        "<li>Phase two lays the tram tracks across the new deck.</li></ul>"
    )
    extracted = extract_html(page(extra_body=extra))
    assert extracted.text.count("Divers inspect the foundations first.") == 1
    assert extracted.paragraphs[-1] == "Phase two lays the tram tracks across the new deck."


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (bytes(range(256)) * 50, "not an HTML page"),
        ("hello world, this is plain text and not a web page", "not an HTML page"),
        ('<?xml version="1.0"?><rss><channel><item>x</item></channel></rss>', "not an HTML page"),
    ],
)
def test_binary_plain_text_and_feeds_are_not_articles(html, reason):
    with pytest.raises(NotAnArticle) as raised:
        extract_html(html, source="seed")
    assert raised.value.reason == reason


def test_a_json_ld_date_inside_the_footer_is_still_read():
    footer = """<footer><script type="application/ld+json">
      {"@type": "NewsArticle", "datePublished": "2026-11-28T09:15:00+01:00"}
    </script><p>© The Harbour Times</p></footer>"""
    extracted = extract_html(page(extra_body="").replace("</body>", footer + "</body>"))
    assert extracted.date == dt.datetime(
        2026, 11, 28, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )


def test_text_after_a_nav_inside_the_article_is_kept():
    nav = '<nav><a href="/prev">Previous story</a></nav>The works start in May, officials said.'
    extracted = extract_html(page(extra_body=f"<p>{nav}</p>"))
    assert "Previous story" not in extracted.text
    assert "The works start in May, officials said." in extracted.text


def test_an_article_whose_only_paragraphs_sit_in_an_aside_is_still_read():
    # Furniture is removed early only when paragraphs remain outside it; otherwise the
    # page is left whole to trafilatura's own rules.
    body = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    html = (
        '<html lang="en"><head><title>Harbour bridge</title></head><body>'
        f"<h1>Harbour bridge</h1><aside><div>{body}</div></aside></body></html>"
    )
    extracted = extract_html(html)
    assert extracted.paragraphs


@pytest.mark.parametrize(
    "html",
    [
        page(),
        page(head='<meta property="og:site_name" content="@harbourtimes">'),
        page(head='<link rel="canonical" href="https://news.example/a/harbour-bridge">'),
        page(
            head='<script type="application/ld+json">{"@type": "NewsArticle", "headline":'
            ' "Bridge to be rebuilt", "datePublished": "2026-11-28", "publisher":'
            ' {"@type": "Organization", "name": "Harbour Times"}}</script>'
        ),
        page(headline="Short"),
    ],
)
def test_title_site_and_url_are_those_trafilatura_extract_metadata_finds(html: str) -> None:
    # bot.extract reads only the metadata fields it shows, in trafilatura's own way; a
    # trafilatura release that finds them differently fails here.
    import trafilatura

    from bot.extract import _DATE_SEARCH, _library_meta

    url = "https://news.example/harbour-bridge"
    tree = trafilatura.load_html(html)
    ours = _library_meta(tree, url, need_date=True)
    theirs = trafilatura.extract_metadata(trafilatura.load_html(html), url, _DATE_SEARCH)
    assert (ours.title, ours.sitename, ours.url, ours.date) == (
        theirs.title,
        theirs.sitename,
        theirs.url,
        theirs.date,
    )


def test_an_article_the_precise_pass_cuts_short_comes_in_whole():
    from tests.feedkit import WORDS

    # Paragraphs written as <div> blocks: the precise pass keeps only the first <p>
    # (about a tenth of the article); the balanced pass keeps it all.
    body = f"<p>{WORDS} Lead.</p>" + "".join(
        f"<div><span>{WORDS} Part {i}.</span></div>" for i in range(1, 10)
    )
    page = (
        "<html><head><title>Budget</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>Budget</h1>{body}</article></body></html>"
    )
    extracted = extract_html(page)
    assert all(f"Part {i}." in extracted.text for i in range(1, 10))


def test_the_fuller_text_wins_when_the_precise_is_cut_short_or_under_trafilaturas_minimum():
    from bot.extract import FULLER_SHARE, MIN_PRECISE_CHARS, takes_fuller

    assert takes_fuller(495, 4851)  # a tenth: cut short
    assert not takes_fuller(2356, 4712)  # half: the precise one is kept
    assert takes_fuller(int(FULLER_SHARE * 10_000) - 1, 10_000)
    assert not takes_fuller(int(FULLER_SHARE * 10_000) + 1, 10_000)
    assert takes_fuller(MIN_PRECISE_CHARS - 1, MIN_PRECISE_CHARS + 10)  # a notice, not text
    assert not takes_fuller(MIN_PRECISE_CHARS - 1, MIN_PRECISE_CHARS - 1)
