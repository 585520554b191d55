"""Tests for bot.articles.pages: scraped news pages in, clean articles out."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.articles import (
    Article,
    Block,
    load,
    parse_page,
)
from bot.errors import NotAnArticle

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "seeds" / "000_4ebf0534fdb740ea.txt"
DATA = Path(__file__).resolve().parent / "data" / "articles"


def all_text(article: Article) -> str:
    """Everything a reader or the summarizer could see."""
    return "\n".join([article.title, *(block.text for block in article.blocks)])


def headings(article: Article) -> list[str]:
    return [block.text for block in article.blocks if block.kind == "heading"]


def paragraphs(article: Article) -> list[str]:
    return [block.text for block in article.blocks if block.kind == "paragraph"]


# --------------------------------------------------------------------------- the example page


@pytest.fixture(scope="module")
def example() -> Article:
    return load(EXAMPLE, EXAMPLE.parent)


def test_example_has_title_date_and_link(example: Article) -> None:
    assert example.title == "S. Korea, Japan, US sign intel-sharing pact"
    assert example.date == "2014-12-26"
    assert example.url == "https://p.dw.com/p/1EACv"
    assert example.language == "english"
    assert example.source == "000_4ebf0534fdb740ea.txt"


@pytest.mark.parametrize(
    "boilerplate",
    [
        "Skip to content",
        "Skip to main menu",
        "Skip to more DW sites",
        "Image: picture-alliance/dpa/R. Sinmun",
        "picture-alliance",
        "North Korea missile test",
        "ksb/tj",
        "(AP, AFP)",
        "December 26, 2014",
        "https://p.dw.com/p/1EACv",
    ],
)
def test_example_body_has_no_boilerplate_line(example: Article, boilerplate: str) -> None:
    for block in example.blocks:
        assert boilerplate not in block.text
    assert boilerplate not in example.text


def test_example_lede_is_the_first_paragraph(example: Article) -> None:
    first = paragraphs(example)[0]
    assert first.startswith(
        "South Korea, the US and Japan have agreed to sign a rare trilateral "
        "intelligence-sharing pact."
    )
    assert first.endswith("North Korea's increasing nuclear and missile threats.")
    assert example.blocks[0] == Block("paragraph", first)


def test_example_subheadings_are_headings_never_paragraphs(example: Article) -> None:
    assert headings(example) == ["Historic distrust", "Growing fears"]
    for heading in ("Historic distrust", "Growing fears"):
        assert heading not in paragraphs(example)
        assert heading not in example.text.split("\n\n")
    # Each heading sits where it was, between two paragraphs.
    kinds = [block.kind for block in example.blocks]
    for i, kind in enumerate(kinds):
        if kind == "heading":
            assert kinds[i - 1] == "paragraph"
            assert kinds[i + 1] == "paragraph"


def test_example_keeps_every_body_paragraph(example: Article) -> None:
    body = paragraphs(example)
    assert len(body) == 10
    assert body[1].startswith("According to South Korea's defense ministry")
    assert body[-1].startswith("Hundreds of American cinemas")
    assert body[-1].endswith("carried out by North Korea.")


def test_text_is_paragraphs_only_joined_by_blank_lines(example: Article) -> None:
    assert example.text == "\n\n".join(paragraphs(example))
    assert "Historic distrust" not in example.text


# --------------------------------------------------------------------------- other page shapes


def test_german_page_drops_menu_kicker_byline_photo_and_agency_credit() -> None:
    article = load(DATA / "german_page.txt", DATA)
    assert article.title == "Bundestag beschließt neues Klimaschutzgesetz"
    assert article.date == "2014-12-26"  # "Freitag, 26. Dezember 2014, 14:30 Uhr"
    assert article.language == "german"
    assert headings(article) == ["Kritik der Verbände"]
    assert paragraphs(article)[0].startswith("Der Bundestag hat am Freitag")
    seen = all_text(article)
    for gone in [
        "Startseite",
        "Wirtschaft",
        "Politik\n",
        "Von Max Mustermann",
        "Abgeordnete im Plenarsaal",
        "Bild:",
        "ksb/tj",
        "(dpa, Reuters)",
        "14:30",
    ]:
        assert gone not in seen + "\n"


def test_french_page_drops_byline_photo_share_and_copyright() -> None:
    article = load(DATA / "french_page.txt", DATA)
    assert article.title == "Le Parlement européen adopte la réforme du droit d'auteur"
    assert article.date == "2014-12-26"  # "26 décembre 2014"
    assert article.language == "french"
    assert headings(article) == ["Un vote serré"]
    seen = all_text(article)
    for gone in ["Aller au contenu", "Par Jean Dupont", "Photo :", "Strasbourg", "Partager", "©"]:
        assert gone not in seen


def test_wire_story_unwraps_lines_and_drops_dateline_credits_and_links() -> None:
    article = load(DATA / "wire_story.txt", DATA)
    assert article.title == "Fed holds rates steady as inflation cools"
    assert article.date == "2014-12-26"  # "Updated: Friday, December 26, 2014 10:30 AM EST"
    assert article.url is None  # a "Read more:" link is not the page's own address
    assert headings(article) == ["Markets react"]
    body = paragraphs(article)
    assert body[0] == (
        "The Federal Reserve kept interest rates unchanged on Friday, saying inflation had "
        "cooled enough to allow policymakers to wait before making any further moves."
    )
    assert (
        body[-1] == "Analysts said the central bank was likely to remain cautious until the spring."
    )
    seen = all_text(article)
    for gone in [
        "Home",
        "Advertisement",
        "By Jane Doe",
        "WASHINGTON",
        "(Reuters)",
        "Getty Images",
        "Fed Chair Janet Yellen speaks",
        "Read more",
        "Related topics",
        "Reporting by",
    ]:
        assert gone not in seen


def between_paragraphs(line: str) -> Article:
    return parse_page(f"Headline\n\nFirst paragraph.\n\n{line}\n\nSecond paragraph.\n", "x.txt")


@pytest.mark.parametrize(
    "line",
    [
        "Skip to main content",
        "Home | World | Business | Tech",
        "Photo: Jane Doe/Reuters",
        "Credit: AFP",
        "Image: picture-alliance/dpa",
        "AFP via Getty Images",
        "By Jane Doe",
        "By JANE DOE and John van der Berg",
        "Von Max Mustermann",
        "Par Jean Dupont",
        "Por Ana García",
        "Reporting by Jane Doe; Editing by John Roe",
        "(Reuters)",
        "dh/rc (AFP, dpa)",
        "Advertisement",
        "Read more: https://example.com/other-story",
        "© 2014 Example Media",
        "Copyright 2014 Example Media. All rights reserved.",
        "Keywords North Korea, South Korea, Japan",
        "Feedback: Send us your feedback.",
    ],
)
def test_boilerplate_line_between_paragraphs_is_dropped(line: str) -> None:
    # Each of these is short and unpunctuated, so it would otherwise be kept as a heading.
    assert between_paragraphs(line).blocks == (
        Block("paragraph", "First paragraph."),
        Block("paragraph", "Second paragraph."),
    )


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Published: 26.12.2014 | 10:30", "2014-12-26"),
        ("Updated 10:30 AM EST, Fri December 26, 2014", "2014-12-26"),
        ("26. Dezember 2014", "2014-12-26"),  # not item 26 of a numbered menu
        ("Publié le 26 décembre 2014 à 10h30", "2014-12-26"),
        ("2014-12-26T10:30:00Z", "2014-12-26"),
    ],
)
def test_date_line_gives_the_date_and_leaves_the_body(line: str, iso: str) -> None:
    article = between_paragraphs(line)
    assert article.date == iso
    assert paragraphs(article) == ["First paragraph.", "Second paragraph."]
    assert headings(article) == []


def test_permalink_line_gives_the_url_and_leaves_the_body() -> None:
    article = between_paragraphs("Permalink https://p.dw.com/p/1EACv")
    assert article.url == "https://p.dw.com/p/1EACv"
    assert len(article.blocks) == 2


def test_photo_caption_goes_with_its_credit_line() -> None:
    article = between_paragraphs("Rescue workers search the rubble\nPhoto: Jane Doe/AP")
    assert "Rescue workers" not in all_text(article)


@pytest.mark.parametrize(
    "sentence",
    [
        "By the end of the year, prices had risen by a third.",
        "Since March 3, 2014 the city has grown quickly.",
        "Apple (AAPL) shares rose sharply after the results were published.",
        "Share prices fell on Monday as investors fled to safety.",
        "Photographs of the scene were shared widely on social media.",
    ],
)
def test_prose_that_looks_like_boilerplate_is_kept(sentence: str) -> None:
    article = parse_page(f"A headline\n\n{sentence}\n", "x.txt")
    assert paragraphs(article) == [sentence]


def test_short_line_without_paragraph_after_it_is_not_a_heading() -> None:
    article = parse_page(
        "Headline\n\nFirst paragraph here.\n\nSecond paragraph here.\n\nMore on this topic\n",
        "x.txt",
    )
    assert article.blocks == (
        Block("paragraph", "First paragraph here."),
        Block("paragraph", "Second paragraph here."),
    )


def test_short_lines_before_the_first_paragraph_leave_only_the_longest_as_title() -> None:
    article = parse_page("Asia\n\nQuake shakes northern Japan\n\nA strong quake hit.\n", "x.txt")
    assert article.title == "Quake shakes northern Japan"
    assert article.blocks == (Block("paragraph", "A strong quake hit."),)


def test_title_may_end_with_a_question_mark() -> None:
    article = parse_page("Is the euro doomed?\n\nThe euro fell.\n\nTraders sold.\n", "x.txt")
    assert article.title == "Is the euro doomed?"
    assert paragraphs(article) == ["The euro fell.", "Traders sold."]


def test_page_without_title_line_takes_the_first_sentence() -> None:
    article = parse_page("The euro fell on Friday. Traders sold.\n\nMore later.\n", "x.txt")
    assert article.title == "The euro fell on Friday."
    assert paragraphs(article)[0] == "The euro fell on Friday. Traders sold."


def test_title_with_site_suffix_gives_title_and_date() -> None:
    article = parse_page("Seoul and Tokyo sign pact | News | DW | 26.12.2014\n\nThey did.\n", "x")
    assert article.title == "Seoul and Tokyo sign pact"
    assert article.date == "2014-12-26"


def test_labelled_permalink_is_the_url_and_url_path_gives_the_date() -> None:
    article = parse_page(
        "Pact signed\n\nThey signed it.\n\nPermalink: https://example.com/2014/12/26/pact\n",
        "x.txt",
    )
    assert article.url == "https://example.com/2014/12/26/pact"
    assert article.date == "2014-12-26"


def test_long_list_items_are_paragraphs_and_markdown_headings_are_headings() -> None:
    article = parse_page(
        "Headline\n\nThe plan has two parts.\n\n## The parts\n\n"
        "- The first part raises taxes on large companies.\n"
        "- The second part cuts them for small ones.\n",
        "x.txt",
    )
    assert article.blocks == (
        Block("paragraph", "The plan has two parts."),
        Block("heading", "The parts"),
        Block("paragraph", "The first part raises taxes on large companies."),
        Block("paragraph", "The second part cuts them for small ones."),
    )


def test_page_of_only_navigation_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle) as caught:
        load(DATA / "nav_only.txt", DATA)
    assert caught.value.source == "nav_only.txt"
    assert caught.value.reason == "no article text"


# --------------------------------------------------------------------------- browser copies
# A browser copy puts every menu entry, headline and paragraph on a line of its
# own, with the site's navigation, banners, forms, lists of other stories and
# footer around the article. These pages are written in that shape here.

ARTICLE_PARAGRAPHS = [
    "The harbour of Kirkwall reopened on Tuesday after a week of repairs to the breakwater, "
    "which the January storms had breached in two places, the port authority said.",
    "Fishing boats left at dawn, and the first ferry of the season is due on Friday, "
    "harbour officials said, although the timetable will be thinner than usual until March.",
    "The storms in January damaged the pier and two warehouses; the repairs cost about two "
    "million pounds, most of it paid from the council's emergency fund.",
    "Engineers will inspect the breakwater again in May, the port authority said in a "
    "statement on Tuesday, and a report on the damage will be published in the summer.",
]
ARTICLE = "\n\n".join(ARTICLE_PARAGRAPHS) + "\n"
MENU = "Home\nNews\nWorld\nBusiness\nTech\nSport\nCulture\nTravel\n\n"


BROWSER_PAGE = "\n".join(
    [
        "Skip to main content\nHome\nNews\nWorld\nBusiness\nTech\nSport\nSubscribe\nSign In",
        "",
        "We use cookies to improve your experience on our site. "
        "By continuing to browse you agree to our use of cookies.",
        "",
        "Accept all",
        "",
        "World\nHarbour town reopens its port after the winter storms",
        "",
        "By Jane Doe\nNovember 19, 2019 8:03 am ET",
        "",
        ARTICLE_PARAGRAPHS[0],
        "",
        ARTICLE_PARAGRAPHS[1],
        "",
        "Continue reading the main story",
        "",
        ARTICLE_PARAGRAPHS[2],
        "",
        "Advertisement",
        "",
        ARTICLE_PARAGRAPHS[3],
        "",
        "Most Popular\nTown council approves new budget for the coming year",
        "Local school wins national science prize\nWeather warning issued for the weekend",
        "",
        "Sign up for our newsletter\nEnter your email address\nSubscribe",
        "",
        "Storm damage closes the coastal road",
        "Residents cleared debris for three days after the storm, "
        "and hundreds of volunteers helped …",
        "",
        "About Us\nContact\nTerms of Use\nPrivacy Policy",
        "© 2019 Example News. All rights reserved.",
    ]
)


def test_browser_copy_keeps_the_article_between_menus_banners_forms_and_footer() -> None:
    article = parse_page(BROWSER_PAGE, "page.txt")
    assert article.title == "Harbour town reopens its port after the winter storms"
    assert article.date == "2019-11-19"
    assert paragraphs(article) == ARTICLE_PARAGRAPHS
    assert headings(article) == []


@pytest.mark.parametrize(
    "furniture",
    [
        "Home",  # a menu
        "Subscribe",
        "We use cookies",  # a consent banner
        "Accept all",
        "Continue reading",
        "Most Popular",  # a run of link labels
        "Town council approves",
        "Weather warning",
        "newsletter",  # a form
        "Enter your email",
        "Storm damage closes",  # a teaser of another story
        "Residents cleared debris",
        "About Us",  # the footer
        "Privacy Policy",
        "All rights reserved",
    ],
)
def test_furniture_is_never_the_title_or_a_summary_sentence(furniture: str) -> None:
    article = parse_page(BROWSER_PAGE, "page.txt")
    assert furniture not in article.title
    assert furniture not in article.text  # the summarizer reads nothing else


def test_the_summary_of_a_browser_copy_is_made_of_article_sentences() -> None:
    from bot.summarizer import summarize

    article = parse_page(BROWSER_PAGE, "page.txt")
    for sentence in summarize(article.text, 3, article.language):
        assert any(sentence in paragraph for paragraph in ARTICLE_PARAGRAPHS)


def test_a_browser_copy_is_not_rejoined_into_lines_of_menu_entries() -> None:
    # Menu entries and headlines each have a line; none of them is joined to
    # the next one as if the page were hard-wrapped text.
    page = (
        "News\nLocal\nPolice Reports\nRegional\nEducation\nNational\nWorld\nPolitics\n\n"
        "Headline of the day\n\n"
        + "A paragraph that runs well past the width of any hard-wrapped text file, "
        "as every paragraph copied from a browser does, and ends with a full stop.\n\n"
        "Another paragraph, shorter.\n"
    )
    article = parse_page(page, "page.txt")
    assert all("Police Reports" not in block.text for block in article.blocks)
    assert article.title == "Headline of the day"


def test_a_line_ending_in_a_comma_goes_on_in_the_next_line() -> None:
    article = parse_page("Title here\n\nThe first part,\nand the second part.\n", "x.txt")
    assert paragraphs(article) == ["The first part, and the second part."]


def test_a_long_line_that_never_ends_a_sentence_is_not_article_text() -> None:
    # A tag cloud or a menu copied as one line: many words, no full stop anywhere.
    cloud = " ".join(f"tag{n} label{n}" for n in range(40))
    page = f"Headline of the day\n\n{cloud}\n\n" + ARTICLE
    article = parse_page(page, "page.txt")
    assert paragraphs(article) == ARTICLE_PARAGRAPHS


def test_a_button_with_an_exclamation_mark_is_not_text() -> None:
    page = "Headline of the day\n\n" + "\n\nCopy Link URLCopied!\n\n".join(ARTICLE_PARAGRAPHS)
    article = parse_page(page, "page.txt")
    assert paragraphs(article) == ARTICLE_PARAGRAPHS


def test_teasers_of_other_stories_after_the_article_are_left_out() -> None:
    # Headline, teaser, headline, teaser: paragraphs standing alone between
    # headlines, some cut short with "…", after the article's own paragraphs.
    teasers = "\n\n".join(
        f"Other story number {n} makes the news today\n\n"
        f"A council official said on Monday that story {n} had been a long time in the making."
        for n in range(4)
    )
    page = (
        "Harbour town reopens its port\n\n"
        + "\n\n".join(ARTICLE_PARAGRAPHS)
        + "\n\n"
        + teasers
        + "\n\nOne more story\n\nThe mayor said that the bridge would be …\n"
    )
    article = parse_page(page, "page.txt")
    assert paragraphs(article) == ARTICLE_PARAGRAPHS


def test_the_headline_is_the_line_the_article_is_about_not_a_nearby_label() -> None:
    # Section labels and a byline sit near the text too; the headline shares its words.
    page = (
        MENU + "Opinion\n\nHarbour town reopens its port after the winter storms\n\n"
        "Jane Doe\n\nColumnists\n\n" + ARTICLE
    )
    assert parse_page(page, "page.txt").title == (
        "Harbour town reopens its port after the winter storms"
    )


def test_a_headline_in_a_block_of_its_own_beats_a_list_of_related_headlines() -> None:
    page = (
        MENU + "Harbour of Kirkwall reopens after storm repairs\n\n"
        "Related\nHarbour repairs begin after storms hit the port\n"
        "Port authority plans new breakwater for the harbour\n"
        "Ferries return to the harbour\n\n" + ARTICLE
    )
    assert parse_page(page, "page.txt").title == "Harbour of Kirkwall reopens after storm repairs"


def test_a_standfirst_of_two_sentences_is_not_the_title() -> None:
    page = (
        MENU + "Harbour town reopens its port\n\n"
        "The harbour reopened after repairs to the breakwater. It is up to the port "
        "authority to keep ferries running\n\n"
        "By Jane Doe\n\n" + ARTICLE
    )
    assert parse_page(page, "page.txt").title == "Harbour town reopens its port"


def test_a_teaser_cut_short_after_the_article_is_left_out() -> None:
    teaser = (
        "The mayor said on Monday that the new bridge over the estuary would open to traffic "
        "in the spring, a year later than planned, and that the council would …"
    )
    page = MENU + "Harbour town reopens its port\n\n" + ARTICLE + "\n" + teaser + "\n"
    assert paragraphs(parse_page(page, "page.txt")) == ARTICLE_PARAGRAPHS


def test_a_headline_repeated_in_a_share_line_is_the_title() -> None:
    # Two short lines above the text; the one the page repeats is the headline.
    page = (
        MENU + "Harbour town reopens its port\n\nKirkwall harbour and port news\n\n"
        "Share this: Harbour town reopens its port\n\n" + ARTICLE
    )
    assert parse_page(page, "page.txt").title == "Harbour town reopens its port"


def test_a_date_line_is_not_the_title() -> None:
    page = (
        MENU + "Harbour town reopens its port\n\n"
        "Tuesday's harbour news 19 November 2019 at the port\n\n"
        + "\n\n".join(ARTICLE_PARAGRAPHS)
        + "\n"
    )
    assert parse_page(page, "page.txt").title == "Harbour town reopens its port"


def test_a_japanese_page_is_an_article_with_its_title() -> None:
    page = (
        "ホーム >\nブログ >\n\n商品の改造が商標法違反に！？\n\n"
        "by 事務所 ／ 2016.12.01\n\n"
        "先日、不正に改造した商品を販売したとして、商標法違反の疑いで男性が逮捕されたというニュースを耳にしました。\n\n"
        "通常、正規のルートで販売された商品をそのまま転売する場合は、商標権侵害にはなりません。\n\n"
        "関連記事\n\n「あずきバー」事件\n"
    )
    article = parse_page(page, "page.txt")
    assert article.title == "商品の改造が商標法違反に！？"
    assert len(paragraphs(article)) == 2
    assert paragraphs(article)[0].startswith("先日、")


def test_prose_the_page_repeats_word_for_word_is_not_article_text() -> None:
    # A gallery shows the same caption with every photo; an article never
    # repeats its own paragraph.
    caption = "The defence secretaries shake hands in Hanoi on Wednesday before their talks."
    page = (
        MENU
        + "Harbour town reopens its port\n\n"
        + f"{caption}\n\nImage 1 of 8\n\n{caption}\n\n{caption}\n\n"
        + ARTICLE
    )
    article = parse_page(page, "page.txt")
    assert paragraphs(article) == ARTICLE_PARAGRAPHS
    assert article.title == "Harbour town reopens its port"


def test_a_label_ending_in_a_colon_is_not_text() -> None:
    page = MENU + "Harbour town reopens its port\n\nPublish date:\n\n" + ARTICLE
    article = parse_page(page, "page.txt")
    assert article.title == "Harbour town reopens its port"
    assert paragraphs(article) == ARTICLE_PARAGRAPHS
