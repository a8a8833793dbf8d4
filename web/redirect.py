"""GET /l/<code>: a tracked link's redirect (CONTRACT §11), served from memory.

A code's target never changes (board/links.py), so once read it is kept: the redirect then
asks nothing of the database, and a click costs a dictionary increment (web/clickcount.py).
A code not yet known here is read once, however many clicks on it arrive meanwhile; one
that does not exist is remembered for a while too, so a flood of guesses reaches the
database once per code.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from board import links
from board.clock import Clock
from board.db import Database, is_connection_error
from web import bots
from web.clickcount import ClickCounter

# Codes kept in memory (~400 bytes each with its target); the oldest read go first. A
# newsroom's links of the last days fit many times over.
MAX_LINKS = 50_000
# Unknown codes remembered, and for how long (a guess asked again within it is answered
# from memory).
MAX_UNKNOWN = 10_000
UNKNOWN_S = 60.0

# The pages (a 404, a 503) are not kept by browsers or proxies, nor indexed. (A 302 without
# freshness headers is never cached: each click on the redirect reaches us to be counted.)
_HEADERS = {"cache-control": "private, no-store", "x-robots-tag": "noindex"}

# User-visible text of the pages here, in one place.
TEXT = {
    "unknown_title": "Link not found",
    "unknown": "This link is not known here. It may have been mistyped or cut short.",
    "unavailable_title": "Try again in a moment",
    "unavailable": "The link could not be looked up just now. Please try again in a moment.",
}

_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<meta name="robots" content="noindex"><title>{title}</title>'
    # A stylesheet, not a <style>: the pages' CSP allows no inline style (web/headers.py).
    '<link rel="stylesheet" href="/static/css/link.css"></head>'
    "<body><h1>{title}</h1><p>{text}</p></body></html>"
)


def page(title: str, text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    body = _PAGE.format(title=title, text=text)
    return HTMLResponse(body, status_code=status, headers={**_HEADERS, **(headers or {})})


@dataclass(frozen=True)
class Kept:
    """A code as kept in memory: its card, and its 302's headers, built once."""

    snippet_id: int
    headers: list[tuple[bytes, bytes]]

    @classmethod
    def of(cls, link: links.Link) -> Kept:
        # Quoted as Starlette's RedirectResponse does: a target with non-ASCII characters is
        # sent percent-encoded.
        location = quote(link.target, safe=":/%#?=@[]!$&'()*+,;").encode("latin-1")
        return cls(link.snippet_id, [(b"location", location), (b"content-length", b"0")])


class LinkCache:
    """Codes read from the database, kept; unknown codes remembered for UNKNOWN_S."""

    def __init__(self, database: Database, *, max_links: int = MAX_LINKS) -> None:
        self._database = database
        self._max = max_links
        self._links: dict[str, Kept] = {}
        self._unknown: dict[str, float] = {}  # code -> when to forget it (monotonic)
        self._loading: dict[str, asyncio.Future[Kept | None]] = {}

    def cached(self, code: str) -> Kept | None:
        return self._links.get(code)

    async def get(self, code: str) -> Kept | None:
        """The code's link, or None when there is no such code. Raises a connection error
        when it is not in memory and the database cannot be asked."""
        kept = self._links.get(code)
        if kept is not None:
            return kept
        if not links.well_formed(code):
            return None
        forget_at = self._unknown.get(code)
        if forget_at is not None:
            if forget_at > time.monotonic():
                return None
            del self._unknown[code]
        loading = self._loading.get(code)
        if loading is not None:
            try:
                return await asyncio.shield(loading)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if loading.cancelled() and task is not None and not task.cancelling():
                    return await self.get(code)  # the request reading it went away, not us
                raise
        future: asyncio.Future[Kept | None] = asyncio.get_running_loop().create_future()
        self._loading[code] = future
        try:
            async with self._database.connect() as db:
                link = await links.resolve(db, code)
            kept = Kept.of(link) if link is not None else None
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: only the waiters (if any) raise it
            raise
        else:
            future.set_result(kept)
            self._keep(code, kept)
            return kept
        finally:
            del self._loading[code]

    def _keep(self, code: str, link: Kept | None) -> None:
        if link is None:
            if len(self._unknown) >= MAX_UNKNOWN:
                del self._unknown[next(iter(self._unknown))]
            self._unknown[code] = time.monotonic() + UNKNOWN_S
            return
        if len(self._links) >= self._max:
            del self._links[next(iter(self._links))]
        self._links[code] = link


class Redirects:
    """The redirect as one app serves it: its codes, its counter, its clock, its metrics."""

    def __init__(self, cache: LinkCache, counter: ClickCounter, clock: Clock, metrics: Any) -> None:
        self.cache = cache
        self.counter = counter
        self.clock = clock
        outcomes = metrics.link_redirects
        self._counted = outcomes.labels("counted")
        self._not_counted = outcomes.labels("not_counted")
        self._unknown = outcomes.labels("unknown")
        self._unavailable = outcomes.labels("unavailable")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """302 to the code's target, counting the click unless a bot, a HEAD or a prefetch
        asked; 404 for an unknown code; 503 when it is not in memory and the database is out
        of reach. Plain ASGI: a Request and a Response object were a sixth of a redirect's
        CPU, and the headers of a code's 302 are built once."""
        code: str = scope["path_params"]["code"]
        kept = self.cache.cached(code)
        if kept is None:
            try:
                kept = await self.cache.get(code)
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                self._unavailable.inc()
                unavailable = page(
                    TEXT["unavailable_title"], TEXT["unavailable"], 503, {"retry-after": "5"}
                )
                await unavailable(scope, receive, send)
                return
            if kept is None:
                self._unknown.inc()
                await page(TEXT["unknown_title"], TEXT["unknown"], 404)(scope, receive, send)
                return
        referrer = bots.click(scope["method"], scope["headers"])
        if referrer is None:
            self._not_counted.inc()
        else:
            self.counter.add(kept.snippet_id, self.clock.now(), referrer)
            self._counted.inc()
        await send({"type": "http.response.start", "status": 302, "headers": kept.headers})
        await send({"type": "http.response.body", "body": b""})


class Endpoint:
    """The route's ASGI app (GET /l/<code>): the request goes to the app's Redirects, which
    its lifespan builds."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        redirects: Redirects = scope["app"].state.services.redirects
        await redirects(scope, receive, send)
