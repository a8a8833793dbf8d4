"""Which URLs and addresses a fetch from outside may reach (CONTRACT §1 METRONOME_FETCH_ALLOW).

A feed or a material's media URL is typed by someone else: a CMS, an admin, a feed's own
redirects. Left alone, it reaches whatever this host can — the shared PostgreSQL port, a cloud
metadata service, an admin page on the private network. Only public addresses are allowed,
plus the networks the operator lists; the host must be a name or a plain address (no integer
or octal forms that resolvers read as 127.0.0.1), and no user name or password rides along.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A dotted quad as people write it: four decimal parts, 0-255, no leading zeros.
_DOTTED_QUAD = re.compile(
    r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
)
# A label that resolvers (inet_aton) and browsers (WHATWG) read as a number: 2130706433,
# 0x7f, 0177. A host ending in one is an address in disguise unless it is a plain quad.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|\d+)", re.IGNORECASE)
# Letters, digits, hyphens (and underscores, which some real hosts have), dot-separated.
_HOST_NAME = re.compile(
    r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?"
)
# IPv6 prefixes that carry an IPv4 address a gateway may forward to: NAT64 (RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """This URL or address may not be fetched; the message says why."""

    @property
    def message(self) -> str:
        return str(self.args[0])


def parse_allow(raw: str | None) -> tuple[IPNetwork, ...]:
    """METRONOME_FETCH_ALLOW: a comma list of CIDRs (a bare address is a /32 or /128).

    Raises ValueError naming the item that is not one."""
    networks = []
    for item in (raw or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"expected a comma list of CIDRs such as 10.0.0.0/8, got {item!r}"
            ) from None
    return tuple(networks)


@dataclass(frozen=True)
class Target:
    """A checked URL: its scheme, its host as sent (Host header, TLS name) and its port."""

    scheme: str
    host: str
    port: int
    # The host's address when the URL names one (no name to resolve).
    address: IPAddress | None


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, plus the networks in ``allow``."""

    allow: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_setting(cls, raw: str | None) -> AddressPolicy:
        return cls(parse_allow(raw))

    def check_url(self, url: httpx.URL | str) -> Target:
        """The URL's target, or Refused: not http(s), credentials in it, a disguised address,
        an address that is not allowed."""
        try:
            url = httpx.URL(url) if isinstance(url, str) else url
        except httpx.InvalidURL as exc:
            raise Refused(f"not a URL we can fetch: {exc}") from None
        if url.scheme not in ("http", "https"):
            raise Refused(f"only http and https URLs are fetched, not {url.scheme or 'this'}:")
        if url.userinfo:
            raise Refused("a URL with a user name or password in it is not fetched")
        host = url.raw_host.decode("ascii", "replace").lower()
        if not host:
            raise Refused("the URL names no host")
        port = url.port or (443 if url.scheme == "https" else 80)
        address = _literal_address(host)
        if address is not None:
            self.check_address(address, host)
        return Target(url.scheme, host, port, address)

    def check_address(self, address: IPAddress, host: str | None = None) -> None:
        """Refused unless ``address`` is public or allowed; the message names what it is."""
        reason = self.refusal(address)
        if reason is not None:
            named = address if host is None or host == str(address) else f"{host} ({address})"
            raise Refused(f"{named} is {reason}; METRONOME_FETCH_ALLOW does not list it")

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` may not be reached, or None when it may."""
        for candidate in _forms(address):
            if any(candidate in network for network in self.allow):
                return None
        # The IPv4 address an IPv6 one carries says most about where it leads.
        for candidate in reversed(_forms(address)):
            reason = _kind(candidate)
            if reason is not None:
                return reason
        return None


def _literal_address(host: str) -> IPAddress | None:
    """The address a host literally is; None for a name; Refused for a disguised address."""
    if ":" in host:  # httpx keeps IPv6 literals without their brackets
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise Refused(f"{host!r} is not an IPv6 address") from None
    labels = host.rstrip(".").split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        if _DOTTED_QUAD.fullmatch(host.rstrip(".")):
            return ipaddress.IPv4Address(host.rstrip("."))
        raise Refused(
            f"{host!r} is a number, not a host name or a dotted IPv4 address such as 192.0.2.1"
        )
    if not _HOST_NAME.fullmatch(host):
        raise Refused(f"{host!r} is not a host name")
    return None


def _forms(address: IPAddress) -> list[IPAddress]:
    """The address and the IPv4 address it carries, if any (mapped, NAT64, 6to4)."""
    forms: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            forms.append(address.ipv4_mapped)
        elif address in _NAT64:
            forms.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        elif address.sixtofour is not None:
            forms.append(address.sixtofour)
    return forms


def _kind(address: IPAddress) -> str | None:
    """What a non-public address is, in words; None for a public one."""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "not a unicast address"
    if address.is_private or not address.is_global:
        return "a private address"
    return None
