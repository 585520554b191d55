"""Tests for bot.articles.lines: what one line of a page copied from a browser is.

Each rule has its own test; the lines are shaped like the ones seen on real
news pages copied from a browser (menus, banners, forms, bylines, captions),
written out here, not taken from any page. Prose that merely looks like the
furniture stays text.
"""

from __future__ import annotations

import pytest

from bot.articles.lines import classify, classify_lines
from bot.articles.text import ends_sentence, words

# --------------------------------------------------------------------------- section breaks


@pytest.mark.parametrize(
    "line",
    [
        "Most Popular",
        "Related articles",
        "Related Stories:",
        "Leave a Reply",
        "You may also like",
        "More from Sportsnet",
        "Popular on IndieWire",
        "Next Up In Science & Health",
        "Trending",
        "Read next",
        "Lesen Sie auch",
        "À lire aussi",
        "Leia também",
        "Popular posts",
        "Recent comments",
        "Читайте также",
        "関連記事",
    ],
)
def test_a_heading_over_other_stories_or_comments_is_a_section_break(line: str) -> None:
    assert classify(line) == ("section", "")


@pytest.mark.parametrize(
    "line",
    [
        "More from the ministry was expected.",
        "Related charges were dropped on Monday.",
        "Trending sharply lower, the shares closed at a record low.",
    ],
)
def test_a_sentence_that_opens_like_a_section_heading_is_text(line: str) -> None:
    assert classify(line)[0] == "text"


# --------------------------------------------------------------------------- notices


@pytest.mark.parametrize(
    "line",
    [
        # cookie and consent banners, and their buttons
        "We use cookies to improve your experience on our site.",
        "This website uses cookies to improve your experience. We'll assume you're ok with this.",
        "By continuing to browse the site you are agreeing to our use of cookies.",
        "Accept all",
        "Got it",
        # sign-up and comment forms
        "Sign up for our daily newsletter",
        "Get this delivered to your inbox, and more info about our products and services.",
        "Enter your email address",
        "Thanks for signing up!",
        "You must be logged in to post a comment.",
        "Your email address will not be published. Required fields are marked *",
        "Notify me of new comments via email.",
        "3 Comments",
        # paywall prompts and browser warnings
        "Continue reading the main story",
        "To Read the Full Story",
        "We've detected you are on Internet Explorer. Please update to a modern browser.",
        "This slideshow requires JavaScript.",
        # legal and contact lines of a footer
        "© 2019 Example News. All rights reserved.",
        "This material may not be published, broadcast, rewritten, or redistributed.",
        "The Customer Service Center can be contacted with questions: Telephone: *2421",
        "We may earn a commission when you buy through links on our site.",
        "This copy is for your personal, non-commercial use only.",
        "Do you have a Example.com account?",
        "Are you sure you want to delete your Example.com account?",
        "Clique e saiba os horários da TV do GP do Brasil.",
        "Clique na foto e veja as colunas sobre Formula 1 que ele escreve para o site!",
        "ATENÇÃO: Comentários ofensivos não serão aprovados pelo moderador.",
        "Quotes delayed at least 15 minutes. Real-time quotes provided by the exchange.",
    ],
)
def test_banners_forms_prompts_and_legal_lines_are_furniture(line: str) -> None:
    assert classify(line) == ("furniture", "")


@pytest.mark.parametrize(
    "line",
    [
        "The bakery sold 300 cookies on Monday, twice as many as last year.",
        "Officials said they would email every resident before the vote.",
        "The newspaper continued reading the names of the victims aloud.",
        "Subscribers to the service rose by a third in the quarter.",
        "The bank said it would close the account of every customer who had not replied.",
        "Clicking through the photos, the jury saw the damage for the first time.",
    ],
)
def test_prose_that_mentions_cookies_email_or_reading_is_text(line: str) -> None:
    assert classify(line)[0] == "text"


# --------------------------------------------------------------------------- meta lines


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Posted on March 30, 2015 by Admin", "2015-03-30"),
        ("21/06/2014 - Publicado por: Clarissa Borba - Categoria: Saúde", "2014-06-21"),
        ("By Tess Bonn - 11/19/2019 06:56 AM EST", "2019-11-19"),
        ("Von Moritz Bachmann publiziert am 30. Juli 2018", "2018-07-30"),
    ],
)
def test_a_line_with_a_date_and_who_posted_it_gives_the_date(line: str, iso: str) -> None:
    assert classify(line) == ("date", iso)


def test_a_sentence_with_a_date_and_by_is_text() -> None:
    line = "The law was published on March 30, 2015 by the ministry."
    assert classify(line) == ("text", line)


@pytest.mark.parametrize(
    "line", ["Published 22 hours ago", "2 days ago at 07:52 am", "Updated an hour ago"]
)
def test_a_relative_time_stamp_is_a_byline_line(line: str) -> None:
    assert classify(line) == ("byline", "")


def test_a_sentence_that_opens_with_days_ago_is_text() -> None:
    assert classify("Two days ago the council met in the town hall.")[0] == "text"


@pytest.mark.parametrize(
    "line", ["Tanza Loudenback, Business Insider", "Charlie Wood, Business Insider"]
)
def test_a_name_and_an_outlet_is_a_byline(line: str) -> None:
    assert classify(line) == ("byline", "")


@pytest.mark.parametrize(
    "line", ["Royal Self-Indicting Arrogance", "Paris, Texas", "Hiking the Boulder Flat Irons"]
)
def test_a_short_title_case_headline_is_not_a_byline(line: str) -> None:
    assert classify(line)[0] == "text"


# --------------------------------------------------------------------------- captions, crumbs


@pytest.mark.parametrize(
    "line",
    [
        "The road to retiring early isn't easy.Kathrin Ziegler/Getty",
        "Protesters march in the city centre on Monday. Photograph: AFP via Getty",
        "China has warned it will not stand by (Image: GETTY)",
        "Roughly 13,000 troops remain in the country [File: Reuters]",
        "In this Dec. 12, 2006, file photo, made available by NASA, two astronauts work outside.",
        "The minister unveils the plan at the harbour in Kirkwall on Tuesday ... more",
        "The minister unveils the plan at the harbour in Kirkwall on Tuesday, Nov. 19. less",
    ],
)
def test_a_line_ending_in_a_photo_credit_or_shaped_like_a_caption_is_a_caption(
    line: str,
) -> None:
    assert classify(line) == ("caption", "")


def test_a_bare_credit_makes_the_line_above_it_a_caption() -> None:
    classified = classify_lines(
        "Eastern Michigan quarterback Mike Glass III\nAl Goldis, Associated Press\n"
    )
    assert [kind for _, kind, _ in classified] == ["caption", "image"]


@pytest.mark.parametrize(
    "line", ["Home > News > World", "BLOG > Weight Loss > Weight Loss Tips", "Home › Sport › Golf"]
)
def test_a_breadcrumb_trail_is_navigation(line: str) -> None:
    assert classify(line) == ("nav", "")


def test_a_sentence_with_a_greater_than_sign_is_text() -> None:
    line = "Sales in 2019 > sales in 2018, the company said in its report."
    assert classify(line)[0] == "text"


# --------------------------------------------------------------------------- text helpers
# bot.articles.text: the sentence-end test and the word count the line rules use.


@pytest.mark.parametrize(
    "text", ["報道によると、販売されたのはiPhone。", "商標法違反に！？", "Is it over?", "It is."]
)
def test_cjk_and_western_sentence_ends_end_a_sentence(text: str) -> None:
    assert ends_sentence(text)


def test_a_japanese_paragraph_counts_about_one_word_per_two_characters() -> None:
    text = "先日、不正に改造した商品を販売したとして男性が逮捕されました。"
    assert words(text) == len(text.replace("、", "").replace("。", "")) // 2 + 1
    assert words("The harbour reopened on Tuesday.") == 5


def test_a_button_word_that_ends_a_wrapped_sentence_is_text() -> None:
    classified = classify_lines(
        "The council said the harbour would reopen once engineers had filed their\nreport!\n"
    )
    assert [kind for _, kind, _ in classified] == ["text", "text"]
    assert classify_lines("The harbour reopened.\nreport\n")[1][1] == "furniture"


@pytest.mark.parametrize(
    "line",
    [
        "Meg James is a corporate media reporter for the Los Angeles Times.",
        "Dallas Robinson is a freelance writer living in Minneapolis",
    ],
)
def test_an_author_box_is_furniture(line: str) -> None:
    assert classify(line) == ("furniture", "")


@pytest.mark.parametrize(
    "line",
    [
        "Kirkwall is a town of about 10,000 people on the main island.",
        "The inquiry was a long one, the editor of the report said on Monday.",
    ],
)
def test_a_sentence_about_a_town_or_an_editor_is_text(line: str) -> None:
    assert classify(line)[0] == "text"


@pytest.mark.parametrize(
    "line",
    [
        "In this town, more people take the ferry than the bus, the council said.",
        "Prices rose by more than a third last year, and rents by even more.",
    ],
)
def test_prose_with_in_this_or_more_is_text(line: str) -> None:
    assert classify(line)[0] == "text"
