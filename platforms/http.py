"""Mapping HTTP outcomes onto the typed errors, shared by the httpx-based adapters."""

from __future__ import annotations

import asyncio
import email.utils
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from platforms.base import AuthRejected, OutcomeUnknown, RateLimited, Rejected, Transient

# Default timeouts for a publish request: connecting fails fast (safe to retry), reading an
# answer may take a while on a busy network, but not so long that the queue stalls.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)


_tls: asyncio.Future[ssl.SSLContext] | None = None


async def tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the process, built off the event loop.

    Loading the CA bundle takes ~90 ms of CPU; done once in a thread, it neither delays the
    start nor stalls the posters being armed meanwhile.
    """
    global _tls
    if _tls is None or _tls.get_loop() is not asyncio.get_running_loop():
        _tls = asyncio.ensure_future(asyncio.to_thread(httpx.create_ssl_context))
    return await asyncio.shield(_tls)


def retry_after_seconds(value: str | None, default: float = 60.0) -> float:
    """Parse a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return default
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


async def send(request: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """Run one request, turning transport failures into typed errors.

    A failure before the request left (connect errors) is Transient: nothing was posted.
    A failure after it left (read/write timeouts, a dropped connection) is OutcomeUnknown.
    """
    try:
        return await request()
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise Transient(f"could not connect: {exc!r}") from exc
    except (
        httpx.TimeoutException,
        httpx.RemoteProtocolError,
        httpx.ReadError,
        httpx.WriteError,
    ) as exc:
        raise OutcomeUnknown(f"no answer after the request was sent: {exc!r}") from exc
    except httpx.TransportError as exc:
        raise Transient(f"network error: {exc!r}") from exc


def raise_for_status(response: httpx.Response, detail: Any = None) -> None:
    """Map an HTTP error status onto the typed errors; return on 2xx."""
    status = response.status_code
    if 200 <= status < 300:
        return
    message = f"HTTP {status}: {detail if detail is not None else short_body(response)}"
    if status == 429:
        raise RateLimited(retry_after_seconds(response.headers.get("retry-after")), message)
    if status in (401, 403):
        raise AuthRejected(message)
    if status >= 500:
        raise Transient(message)
    raise Rejected(message)


def short_body(response: httpx.Response, limit: int = 300) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")
