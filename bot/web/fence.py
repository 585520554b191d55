"""The address policy for everything digestbot fetches (SSRF fence); pure, no I/O.

A link a user sends must not become a way into the server's own network. This module
decides, without touching the network, whether a URL and each address it resolves to
may be contacted; :mod:`bot.web.fetch` asks it before every connection and for every
address DNS returns.

* :meth:`Fence.check_url` -- only ``http``/``https``, a port in ``allow_ports``, no user
  info, a well-formed host. A host that is an address literal is parsed the way the C
  library does (``socket.inet_aton``: ``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``
  are all 127.0.0.1) and checked at once; its canonical spelling is what gets connected
  to. A host that only looks numeric but is no valid address is refused rather than
  handed to DNS.
* :meth:`Fence.refusal` -- why an address may not be contacted, or None. Refused:
  loopback, private (RFC 1918, unique local), link-local (169.254/16 with the cloud
  metadata address, fe80::/10), carrier-grade NAT 100.64/10, multicast, broadcast,
  documentation/benchmarking/reserved ranges, the unspecified address, IPv6 outside
  2000::/3, and IPv6 that embeds a refused IPv4 address (IPv4-mapped, IPv4-compatible,
  IPv4-translated, NAT64 64:ff9b::/96, 6to4 2002::/16) or is a Teredo tunnel. Networks in
  ``allow_networks`` are exempt (an operator's intranet, or the tests' 127.0.0.1/32).

A refusal a config key can lift names the key (``RefusedAddress.allow``): "port 18080 is
not allowed (allowed: 80, 443; add it to [fetch] allow_ports)".
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from yarl import URL

from bot.errors import InvalidURL, RefusedAddress
from bot.locales import N_, Phrase

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("http", "https")
DEFAULT_ALLOW_PORTS = (80, 443)

# What an operator changes to allow a refused port or address: every refusal a config
# key can lift names that key.
ALLOW_NETWORK = Phrase.of(N_("to allow it, add its network to {key}"), key="[fetch] allow_networks")

# (network, what it is). Checked in order; the first match names the refusal.
_IPV4_REFUSED: tuple[tuple[Network, str], ...] = tuple(
    (ipaddress.ip_network(net), what)
    for net, what in (
        ("0.0.0.0/8", N_("an unspecified address")),
        ("10.0.0.0/8", N_("a private address")),
        ("100.64.0.0/10", N_("a carrier-grade NAT address")),
        ("127.0.0.0/8", N_("a loopback address")),
        ("169.254.0.0/16", N_("a link-local address")),
        ("172.16.0.0/12", N_("a private address")),
        ("192.0.0.0/24", N_("a reserved address")),
        ("192.0.2.0/24", N_("a reserved (documentation) address")),
        ("192.88.99.0/24", N_("a reserved (6to4 relay) address")),
        ("192.168.0.0/16", N_("a private address")),
        ("198.18.0.0/15", N_("a reserved (benchmarking) address")),
        ("198.51.100.0/24", N_("a reserved (documentation) address")),
        ("203.0.113.0/24", N_("a reserved (documentation) address")),
        ("224.0.0.0/4", N_("a multicast address")),
        ("255.255.255.255/32", N_("a broadcast address")),
        ("240.0.0.0/4", N_("a reserved address")),
    )
)
_IPV6_REFUSED: tuple[tuple[Network, str], ...] = tuple(
    (ipaddress.ip_network(net), what)
    for net, what in (
        ("::/128", N_("an unspecified address")),
        ("::1/128", N_("a loopback address")),
        ("64:ff9b:1::/48", N_("a local-use NAT64 address")),
        ("2001::/32", N_("a Teredo tunnel address")),
        ("2001:2::/48", N_("a reserved (benchmarking) address")),
        ("2001:10::/28", N_("a reserved (ORCHID) address")),
        ("2001:20::/28", N_("a reserved (ORCHID) address")),
        ("2001:db8::/32", N_("a reserved (documentation) address")),
        ("3fff::/20", N_("a reserved (documentation) address")),
        ("fc00::/7", N_("a private (unique local) address")),
        ("fe80::/10", N_("a link-local address")),
        ("fec0::/10", N_("a site-local address")),
        ("ff00::/8", N_("a multicast address")),
    )
)
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT IPv4-translated
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible

# A host name: LDH labels (and "_", which some real hosts have), at most 253 characters.
_HOSTNAME = re.compile(r"(?=.{1,253}\.?$)[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*\.?")
# Labels that make a host an IPv4 literal attempt (WHATWG URL: "ends in a number").
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)")


@dataclass(frozen=True, slots=True)
class Target:
    """A URL that passed :meth:`Fence.check_url`.

    ``url`` is what to request: the original, except that an address literal is
    rewritten to its canonical spelling (``http://0x7f.1/`` becomes ``http://127.0.0.1/``).
    ``address`` is that literal, or None for a host name (checked when resolved).
    """

    url: URL
    host: str
    port: int
    address: Address | None


def parse_host(host: str) -> Address | str:
    """The address a URL host denotes, or the host name itself (lower-cased).

    IPv6 literals (without brackets) and every IPv4 spelling ``inet_aton`` accepts
    become addresses; IPv4-mapped and IPv4-translated IPv6 become their IPv4 address.
    Raises ValueError for something that is neither a valid literal nor a host name.
    """
    host = host.lower()
    if ":" in host:
        if "%" in host:
            raise ValueError("an IPv6 zone index is not allowed")
        return _unmap(ipaddress.IPv6Address(host))  # raises ValueError if malformed
    bare = host[:-1] if host.endswith(".") else host
    if not _HOSTNAME.fullmatch(host) or not bare:
        raise ValueError(f"not a valid host name: {host!r}")
    if _NUMERIC_LABEL.fullmatch(bare.rsplit(".", 1)[-1]):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            raise ValueError(f"not a valid IPv4 address: {host!r}") from None
    return host


def _unmap(address: ipaddress.IPv6Address) -> Address:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _TRANSLATED:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _TRANSLATED:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _COMPATIBLE and int(address) > 1:  # not :: and ::1
        return ipaddress.IPv4Address(int(address))
    return None


def policy_refusal(address: Address) -> Phrase | None:
    """What kind of non-public address this is, or None for a public one (no exemptions)."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = policy_refusal(inner)
        if reason is not None:
            return Phrase.of(
                N_("an address embedding {inner}, {reason}"), inner=inner, reason=reason
            )
        if address in _COMPATIBLE:
            return Phrase.of(N_("a reserved (IPv4-compatible) address"))
        return None
    if isinstance(address, ipaddress.IPv4Address):
        table = _IPV4_REFUSED
    else:
        table = _IPV6_REFUSED
        if not any(address in net for net, _ in table) and address not in _GLOBAL_UNICAST:
            return Phrase.of(N_("a reserved address"))
    for net, what in table:
        if address in net:
            return Phrase.of(what)
    if not address.is_global:  # ranges Python knows that the tables above do not list
        return Phrase.of(N_("not a public address"))
    return None


class Fence:
    """The policy: allowed ports, exempt networks; everything else per :func:`policy_refusal`."""

    def __init__(
        self,
        allow_networks: Iterable[str | Network] = (),
        allow_ports: Iterable[int] = DEFAULT_ALLOW_PORTS,
    ) -> None:
        self.allow_networks = tuple(ipaddress.ip_network(n) for n in allow_networks)
        self.allow_ports = frozenset(allow_ports)

    def exempt(self, address: Address) -> bool:
        """True if the operator allowed this address (or the IPv4 address it embeds)."""
        inner = embedded_ipv4(address)
        return any(
            a in net
            for net in self.allow_networks
            for a in (address, inner)
            if a is not None and a.version == net.version
        )

    def classify(self, address: Address) -> Phrase | None:
        """What refused kind of address this is ("a loopback address"), or None if allowed."""
        return None if self.exempt(address) else policy_refusal(address)

    def refusal(self, address: Address) -> Phrase | None:
        """Why ``address`` may not be contacted ("127.0.0.2 is a loopback address"), or None."""
        what = self.classify(address)
        return (
            None
            if what is None
            else Phrase.of(N_("{address} is {what}"), address=address, what=what)
        )

    def check_address(self, address: Address, url: str = "") -> None:
        """Raise RefusedAddress if ``address`` may not be contacted."""
        reason = self.refusal(address)
        if reason is not None:
            raise RefusedAddress(url, reason, ALLOW_NETWORK)

    def check_url(self, url: str | URL) -> Target:
        """Check everything about ``url`` that needs no DNS; raise InvalidURL or RefusedAddress."""
        text = str(url)
        try:
            parsed = url if isinstance(url, URL) else URL(url.strip())
            host = parsed.raw_host
            port = parsed.port
        except (ValueError, TypeError) as exc:
            raise InvalidURL(text, str(exc) or "malformed") from None
        if parsed.scheme and parsed.scheme not in SCHEMES:
            raise RefusedAddress(text, Phrase.of(N_("only http and https links are allowed")))
        if not parsed.is_absolute() or not host or not parsed.scheme:
            raise InvalidURL(text, Phrase.of(N_("not an absolute http(s) link with a host")))
        if (
            parsed.raw_user is not None
            or parsed.raw_password is not None
            or "@" in (parsed.raw_authority)
        ):
            raise RefusedAddress(
                text, Phrase.of(N_("links with a user name or password are not allowed"))
            )
        if port is None or port not in self.allow_ports:
            allowed = ", ".join(str(p) for p in sorted(self.allow_ports))
            raise RefusedAddress(
                text,
                Phrase.of(N_("port {port} is not allowed"), port=port),
                Phrase.of(
                    N_("allowed: {ports}; add it to {key}"),
                    ports=allowed,
                    key="[fetch] allow_ports",
                ),
            )
        try:
            parsed_host = parse_host(host)
        except ValueError as exc:
            raise InvalidURL(text, str(exc)) from None
        if isinstance(parsed_host, str):
            return Target(parsed, parsed_host, port, None)
        self.check_address(parsed_host, text)
        canonical = str(parsed_host)
        if canonical != host:
            parsed = parsed.with_host(canonical)
        return Target(parsed, canonical, port, parsed_host)
