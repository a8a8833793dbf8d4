"""An httpx client that reaches only what the address policy allows, on every hop.

Each request (the first and every redirect: httpx sends each hop through the transport)
has its URL checked, its host resolved once, every address checked, and the connection made
to the checked address itself — the name is not resolved again on the way, so a name that
answers a public address to the check and 127.0.0.1 to the connect (DNS rebinding) gets
nowhere. The request still carries the name: in the Host header and as the TLS server name,
so virtual hosts and certificates work as they would without us.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable

import httpx

from fetching.policy import AddressPolicy, IPAddress, Refused, Target

# host, port -> the addresses the host resolves to.
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class Unresolvable(httpx.ConnectError):
    """The host name does not resolve."""


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The system resolver's answers for ``host`` (getaddrinfo, off the loop)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Unresolvable(f"cannot resolve {host}") from None
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


class GuardedTransport(httpx.AsyncBaseTransport):
    """Checks each request against the policy, then sends it to the checked address."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        verify: ssl.SSLContext | bool = True,
        resolver: Resolver = resolve,
    ) -> None:
        self._policy = policy
        self._resolve = resolver
        # No keep-alive: a pooled connection is keyed by the address, and one kept for a name
        # must not carry a request for another name on the same address (its TLS was checked
        # for the first). Feeds and media are fetched minutes apart; a new connection is cheap.
        self._inner = httpx.AsyncHTTPTransport(
            verify=verify, trust_env=False, limits=httpx.Limits(max_keepalive_connections=0)
        )

    async def addresses_for(self, url: httpx.URL) -> tuple[Target, list[IPAddress]]:
        """The URL's target and the addresses its request may go to, all checked; Refused
        otherwise."""
        target = self._policy.check_url(url)
        if target.address is not None:
            return target, [target.address]
        addresses = await self._resolve(target.host, target.port)
        if not addresses:
            raise Unresolvable(f"cannot resolve {target.host}")
        # Every answer is checked, not only the one we use: a name that mixes public and
        # private answers is not a public name.
        for address in addresses:
            self._policy.check_address(address, target.host)
        return target, addresses

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target, addresses = await self.addresses_for(request.url)
        extensions = dict(request.extensions)
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host  # the certificate names the host
        failure: httpx.ConnectError | None = None
        # In the resolver's order; the next only when one cannot be connected to (nothing was
        # sent then), as a browser falls back from IPv6 to IPv4.
        for address in addresses:
            # A new request for the inner transport: the caller's keeps its URL, which httpx
            # resolves relative redirects against and builds the next hop's Host header from.
            pinned = httpx.Request(
                request.method,
                request.url.copy_with(host=str(address)),
                headers=request.headers,  # Host: the name, as the caller's client set it
                stream=request.stream,
                extensions=extensions,
            )
            try:
                return await self._inner.handle_async_request(pinned)
            except httpx.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def aclose(self) -> None:
        await self._inner.aclose()


def guarded_client(
    policy: AddressPolicy,
    *,
    timeout: httpx.Timeout | float,
    max_redirects: int = 5,
    headers: dict[str, str] | None = None,
    verify: ssl.SSLContext | bool = True,
    resolver: Resolver = resolve,
) -> httpx.AsyncClient:
    """An httpx client for fetching from outside: redirects followed, each hop checked.

    The environment's proxy settings are ignored: through a proxy, the address we checked
    would not be the one reached."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy, verify=verify, resolver=resolver),
        follow_redirects=True,
        max_redirects=max_redirects,
        timeout=timeout,
        headers=headers,
        trust_env=False,
    )


def describe(exc: BaseException) -> str:
    """A fetch failure in words that never tell an open port from a closed one: whether the
    connection was refused, reset, or answered with something that is not HTTP, it reads the
    same, so a fetch cannot be used to map the network behind us."""
    if isinstance(exc, Refused):
        return f"refused: {exc.message}"
    if isinstance(exc, Unresolvable):
        return str(exc)
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, httpx.TransportError):  # connect, read, write, protocol, timeouts
        return "no HTTP answer"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "not a URL we can fetch"
    return f"cannot fetch: {type(exc).__name__}"
