"""bot.web.urls: one spelling per page, and the first link in a message."""

from __future__ import annotations

import pytest

from bot.web.urls import canonical_url, first_link


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Example.COM/a/B", "https://example.com/a/B"),
        ("http://example.com:80/x", "http://example.com/x"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("http://example.com:443/x", "http://example.com:443/x"),
        ("https://example.com/x#section-2", "https://example.com/x"),
        ("https://example.com", "https://example.com/"),
        (
            "https://example.com/a?utm_source=tg&id=7&UTM_Medium=x&fbclid=abc&gclid=1&b=2",
            "https://example.com/a?id=7&b=2",
        ),
        ("https://example.com/a?utm_source=tg&fbclid=abc", "https://example.com/a"),
        ("https://example.com/a?z=1&a=2&z=3", "https://example.com/a?z=1&a=2&z=3"),
        ("https://example.com/a?q=caf%C3%A9&utm_x", "https://example.com/a?q=caf%C3%A9"),
        ("https://example.com/a?utmost=1", "https://example.com/a?utmost=1"),
        ("http://[2001:DB8::1]:80/", "http://[2001:db8::1]/"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("HTTP://Ex.org:80/p?utm_a=1&k=v#f")
    assert canonical_url(once) == once


@pytest.mark.parametrize("url", ["example.com/a", "/path", "http://example.com:99999/"])
def test_canonical_url_of_a_non_url_is_an_error(url: str) -> None:
    with pytest.raises(ValueError):
        canonical_url(url)


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("look https://example.org/a?b=1 now", "https://example.org/a?b=1"),
        ("first http://a.example/x then https://b.example/y", "http://a.example/x"),
        ("Read this: https://example.org/story.", "https://example.org/story"),
        ("(see https://example.org/story)", "https://example.org/story"),
        (
            "wiki https://en.wikipedia.org/wiki/Foo_(bar), ok",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
        ),
        ("<https://example.org/x>", "https://example.org/x"),
        ('"https://example.org/q"', "https://example.org/q"),
        ("HTTPS://EXAMPLE.org/Up!", "HTTPS://EXAMPLE.org/Up"),
        ("«https://example.fr/article»", "https://example.fr/article"),
        ("line one\nhttps://example.org/two\n", "https://example.org/two"),
    ],
)
def test_first_link_finds_the_link_without_trailing_punctuation(text: str, link: str) -> None:
    assert first_link(text) == link


@pytest.mark.parametrize(
    "text", ["no links here", "ftp://example.org/file", "example.org/page", "https://", ""]
)
def test_first_link_is_none_without_an_http_link(text: str) -> None:
    assert first_link(text) is None
