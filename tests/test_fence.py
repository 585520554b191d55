"""bot.web.fence: which URLs and addresses may be contacted, decided without the network."""

from __future__ import annotations

import ipaddress
import re

import pytest

from bot.errors import InvalidURL, RefusedAddress
from bot.web.fence import Fence, embedded_ipv4, parse_host, policy_refusal

ip = ipaddress.ip_address


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "127.0.0.1."],
)
def test_every_legacy_spelling_of_loopback_parses_to_127_0_0_1(host: str) -> None:
    assert parse_host(host) == ip("127.0.0.1")


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("::ffff:7f00:1", "127.0.0.1"),  # IPv4-mapped: the IPv4 address itself
        ("::ffff:0:7f00:1", "127.0.0.1"),  # IPv4-translated
        ("::1", "::1"),
        ("2606:4700::1111", "2606:4700::1111"),
    ],
)
def test_ipv6_literals_parse_and_mapped_ones_become_ipv4(host: str, address: str) -> None:
    assert parse_host(host) == ip(address)


@pytest.mark.parametrize("host", ["example.org", "news.example.org.", "xn--bcher-kva.example"])
def test_host_names_stay_names(host: str) -> None:
    assert parse_host(host) == host


@pytest.mark.parametrize(
    "host",
    ["1.2.3.4.5", "256.0.0.1", "08.0.0.1", "example.123", "exa%6dple.com", "a b", "::1%eth0", ""],
)
def test_numeric_looking_or_malformed_hosts_are_errors_not_names(host: str) -> None:
    with pytest.raises(ValueError):
        parse_host(host)


@pytest.mark.parametrize(
    ("address", "what"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.255.0.9", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("100.127.255.254", "a carrier-grade NAT address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a broadcast address"),
        ("0.0.0.0", "an unspecified address"),
        ("192.0.2.1", "a reserved (documentation) address"),
        ("198.18.0.1", "a reserved (benchmarking) address"),
        ("::", "an unspecified address"),
        ("::1", "a loopback address"),
        ("fe80::1", "a link-local address"),
        ("fd00::1", "a private (unique local) address"),
        ("fec0::1", "a site-local address"),
        ("ff02::1", "a multicast address"),
        ("2001:db8::1", "a reserved (documentation) address"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "a Teredo tunnel address"),
        ("100::1", "a reserved address"),
        ("64:ff9b:1::1", "a local-use NAT64 address"),
        ("::ffff:10.0.0.1", "an address embedding 10.0.0.1, a private address"),
        ("::127.0.0.1", "an address embedding 127.0.0.1, a loopback address"),
        ("64:ff9b::a9fe:a9fe", "an address embedding 169.254.169.254, a link-local address"),
        ("2002:c0a8:101::1", "an address embedding 192.168.1.1, a private address"),
        ("::8.8.8.8", "a reserved (IPv4-compatible) address"),
    ],
)
def test_non_public_addresses_are_refused_with_what_they_are(address: str, what: str) -> None:
    assert str(policy_refusal(ip(address))) == what


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"],
)
def test_public_addresses_pass(address: str) -> None:
    assert policy_refusal(ip(address)) is None


def test_embedded_ipv4_is_found_in_every_embedding() -> None:
    expected = ip("192.168.1.1")
    for address in ("::ffff:192.168.1.1", "::192.168.1.1", "64:ff9b::c0a8:101", "2002:c0a8:101::"):
        assert embedded_ipv4(ip(address)) == expected
    assert embedded_ipv4(ip("2606:4700::1111")) is None
    assert embedded_ipv4(ip("192.168.1.1")) is None


def test_allow_networks_exempt_exactly_what_they_name() -> None:
    fence = Fence(allow_networks=["127.0.0.1/32", "10.1.2.0/24"])
    assert fence.refusal(ip("127.0.0.1")) is None
    assert fence.refusal(ip("::ffff:127.0.0.1")) is None
    assert fence.refusal(ip("10.1.2.200")) is None
    assert str(fence.refusal(ip("127.0.0.2"))) == "127.0.0.2 is a loopback address"
    assert str(fence.refusal(ip("10.1.3.1"))) == "10.1.3.1 is a private address"


def test_by_default_nothing_local_is_exempt() -> None:
    fence = Fence()
    assert str(fence.refusal(ip("127.0.0.1"))) == "127.0.0.1 is a loopback address"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://100.64.0.1/",
        "http://0/",
    ],
)
def test_refused_literals_are_refused_by_check_url(url: str) -> None:
    with pytest.raises(RefusedAddress):
        Fence().check_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("http://user@example.org/", "user name or password"),
        ("http://user:pw@example.org/", "user name or password"),
        (
            "http://example.org:8080/",
            "port 8080 is not allowed (allowed: 80, 443; add it to [fetch] allow_ports)",
        ),
        ("https://example.org:22/", "port 22 is not allowed"),
    ],
)
def test_scheme_user_info_and_port_are_checked(url: str, reason: str) -> None:
    with pytest.raises(RefusedAddress, match=re.escape(reason)):
        Fence().check_url(url)


def test_a_refused_port_names_the_key_that_allows_it() -> None:
    with pytest.raises(RefusedAddress) as caught:
        Fence(allow_ports=[443]).check_url("http://example.org:18080/")
    assert caught.value.detail == (
        "port 18080 is not allowed (allowed: 443; add it to [fetch] allow_ports)"
    )
    assert caught.value.user_message == (
        "I will not open that link: port 18080 is not allowed"
        " (allowed: 443; add it to [fetch] allow_ports)."
    )


def test_a_refused_address_names_the_key_that_allows_it() -> None:
    with pytest.raises(RefusedAddress) as caught:
        Fence().check_url("http://10.1.2.3/intranet")
    assert caught.value.reason == "10.1.2.3 is a private address"
    assert caught.value.detail == (
        "10.1.2.3 is a private address (to allow it, add its network to [fetch] allow_networks)"
    )


def test_refusals_no_config_key_can_lift_name_none() -> None:
    for url in ("ftp://example.org/", "http://user@example.org/"):
        with pytest.raises(RefusedAddress) as caught:
            Fence().check_url(url)
        assert caught.value.allow is None
        assert "[fetch]" not in caught.value.detail


@pytest.mark.parametrize(
    "url", ["not a url", "http://", "/relative/path", "http://[::1", "http://ex ample.org/"]
)
def test_unusable_urls_are_invalid(url: str) -> None:
    with pytest.raises(InvalidURL):
        Fence().check_url(url)


def test_allowed_ports_and_networks_let_a_url_through_with_a_canonical_host() -> None:
    fence = Fence(allow_networks=["127.0.0.1/32"], allow_ports=[8080])
    target = fence.check_url("http://0x7f.1:8080/a?b=c")
    assert str(target.url) == "http://127.0.0.1:8080/a?b=c"
    assert target.address == ip("127.0.0.1") and target.port == 8080


def test_host_names_pass_unresolved() -> None:
    target = Fence().check_url("https://News.Example.org/story")
    assert (target.host, target.port, target.address) == ("news.example.org", 443, None)
