"""Fetching from outside: the address policy, and a transport that checks every hop and
connects only to the address it checked (fetching/)."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

import httpx
import pytest

from fetching.policy import AddressPolicy, IPAddress, Refused, parse_allow
from fetching.transport import describe, guarded_client
from tests.fakes.hostile import Hostile
from tests.fakes.server import free_port, serve
from tests.fakes.youtube import self_signed_cert
from web.settings import SettingError, load

LOOPBACK = AddressPolicy(parse_allow("127.0.0.0/8"))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:5432/", "127.0.0.1 is a loopback address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "is a loopback address"),
        ("http://[64:ff9b::7f00:1]/", "is a loopback address"),  # NAT64 to 127.0.0.1
        ("http://10.1.2.3/feed", "10.1.2.3 is a private address"),
        ("http://192.168.0.10/", "is a private address"),
        ("http://100.64.0.1/", "is a private address"),  # carrier-grade NAT
        ("http://169.254.169.254/latest/meta-data/", "is a link-local address"),
        ("http://[fe80::1]/", "is a link-local address"),
        ("http://0.0.0.0/", "is not a unicast address"),
        ("http://2130706433:5432/", "is a number, not a host name"),
        ("http://0x7f.0.0.1/", "is a number, not a host name"),
        ("http://127.1/", "is a number, not a host name"),
        ("http://user:secret@example.org/feed", "user name or password"),
        ("http://admin@example.org/feed", "user name or password"),
        ("ftp://example.org/feed", "only http and https"),
        ("http://exa%6dple.org/", "is not a host name"),
    ],
)
def test_refused_urls(url: str, why: str) -> None:
    """Loopback, private, link-local, disguised and credential-carrying URLs are refused, saying why."""
    with pytest.raises(Refused) as caught:
        AddressPolicy().check_url(url)
    assert why in caught.value.message


@pytest.mark.parametrize(
    "url",
    ["https://news.example.org/rss", "http://93.184.215.14/feed", "https://[2606:4700::1111]/"],
)
def test_public_urls_pass(url: str) -> None:
    """Names and public addresses pass the static check (names are checked once resolved)."""
    AddressPolicy().check_url(url)


def test_the_allow_list_opens_exactly_its_networks() -> None:
    """METRONOME_FETCH_ALLOW opens the networks it lists (an IPv4-mapped form too), no more;
    disguised hosts stay refused even inside an allowed network."""
    policy = AddressPolicy(parse_allow("127.0.0.0/8, 10.20.0.0/16 ,fd00::/8"))
    for url in ("http://127.0.0.1:8080/", "http://[::ffff:127.0.0.1]/", "http://10.20.3.4/"):
        policy.check_url(url)
    policy.check_url("http://[fd00::5]/")
    for url in ("http://10.21.0.1/", "http://192.168.1.1/", "http://2130706433/"):
        with pytest.raises(Refused):
            policy.check_url(url)


def test_a_bad_allow_list_is_a_setting_error(tmp_path: Path) -> None:
    """A malformed METRONOME_FETCH_ALLOW stops the start with one line naming it."""
    with pytest.raises(SettingError) as caught:
        load({"METRONOME_DATA_DIR": str(tmp_path), "METRONOME_FETCH_ALLOW": "10.0.0.0/8,intranet"})
    assert caught.value.name == "METRONOME_FETCH_ALLOW" and "'intranet'" in str(caught.value)
    settings = load({"METRONOME_DATA_DIR": str(tmp_path), "METRONOME_FETCH_ALLOW": "10.1.2.3"})
    assert settings.fetch_allow == (ipaddress.ip_network("10.1.2.3/32"),)


class Resolver:
    """A DNS of the test's own: each name's answers, and how often each was asked."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        return [ipaddress.ip_address(a) for a in self.answers[host]]


async def test_every_address_a_name_resolves_to_is_checked() -> None:
    """A name with one public and one loopback answer is refused before any connection."""
    resolver = Resolver({"mixed.test": ["93.184.215.14", "127.0.0.1"]})
    async with guarded_client(AddressPolicy(), timeout=5, resolver=resolver) as http:
        with pytest.raises(Refused, match=r"mixed.test \(127.0.0.1\) is a loopback address"):
            await http.get("http://mixed.test/feed")


async def test_the_connection_goes_to_the_checked_address_under_the_name() -> None:
    """Resolved once per request and connected to that address (the system resolver does not
    know the name, so nothing resolved it again); the name is kept in the Host header."""
    hostile = Hostile()
    async with serve(hostile.app()) as base:
        port = int(base.rsplit(":", 1)[1])
        resolver = Resolver({"feeds.test": ["127.0.0.1"]})
        async with guarded_client(LOOPBACK, timeout=5, resolver=resolver) as http:
            answer = (await http.get(f"http://feeds.test:{port}/echo")).json()
    assert answer == {"host": f"feeds.test:{port}", "path": "/echo"}
    assert resolver.asked == ["feeds.test"]


async def test_an_address_that_does_not_connect_falls_back_to_the_next() -> None:
    """A name with two (checked) answers: the first refuses the connection, the second serves."""
    async with serve(Hostile().app()) as base:
        port = int(base.rsplit(":", 1)[1])
        resolver = Resolver({"feeds.test": ["127.0.0.3", "127.0.0.1"]})  # nothing on .3
        async with guarded_client(LOOPBACK, timeout=5, resolver=resolver) as http:
            answer = (await http.get(f"http://feeds.test:{port}/echo")).json()
    assert answer["host"] == f"feeds.test:{port}"


async def test_tls_is_checked_against_the_name_not_the_address(tmp_path: Path) -> None:
    """Over https the pinned connection sends the name as SNI and verifies the certificate for
    it: a certificate for feeds.test passes for feeds.test and fails for the bare address."""
    cert, key = self_signed_cert(tmp_path, dns_name="feeds.test")
    trust = ssl.create_default_context(cafile=cert)
    async with serve(Hostile().app(), ssl_certfile=cert, ssl_keyfile=key) as base:
        port = int(base.rsplit(":", 1)[1])
        resolver = Resolver({"feeds.test": ["127.0.0.1"]})
        async with guarded_client(LOOPBACK, timeout=5, verify=trust, resolver=resolver) as http:
            answer = (await http.get(f"https://feeds.test:{port}/echo")).json()
            assert answer["host"] == f"feeds.test:{port}"
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await http.get(f"https://127.0.0.1:{port}/echo")


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.2:{port}/echo", "http://[::1]:{port}/echo", "http://2130706433:{port}/echo"],
)
async def test_every_redirect_is_checked(target: str) -> None:
    """A redirect from an allowed host to one that is not allowed is refused, not followed."""
    hostile = Hostile()
    policy = AddressPolicy(parse_allow("127.0.0.1/32"))
    async with serve(hostile.app()) as base, guarded_client(policy, timeout=5) as http:
        port = base.rsplit(":", 1)[1]
        allowed = await http.get(f"{base}/to", params={"url": f"{base}/echo"})
        assert allowed.json()["path"] == "/echo"
        with pytest.raises(Refused):
            await http.get(f"{base}/to", params={"url": target.format(port=port)})
    assert hostile.requests == ["/to", "/echo", "/to"]


async def _failure(policy: AddressPolicy, url: str) -> str:
    async with guarded_client(policy, timeout=5) as http:
        try:
            await http.get(url)
        except (Refused, httpx.HTTPError) as exc:
            return describe(exc)
    raise AssertionError(f"{url} answered")


@pytest.mark.parametrize("policy", [AddressPolicy(), LOOPBACK], ids=["refused", "allowed"])
async def test_an_open_port_and_a_closed_one_read_the_same(
    policy: AddressPolicy, pg_server: str
) -> None:
    """PostgreSQL's open port and a closed one give the same error text, whether the policy
    refuses them before connecting or lets the connection be tried."""
    pg_port = httpx.URL(pg_server.replace("postgresql://", "http://", 1)).port or 5432
    opened = await _failure(policy, f"http://127.0.0.1:{pg_port}/")
    closed = await _failure(policy, f"http://127.0.0.1:{free_port()}/")
    assert opened == closed
    assert (opened.startswith("refused:")) == (policy is not LOOPBACK)
