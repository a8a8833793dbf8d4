"""A source that misbehaves as slow and hostile ones do: it drips bytes, redirects inward,
echoes what it was asked, and counts who is connected right now."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.feeds import rss


@dataclass
class Hostile:
    # Seconds between two dripped bytes.
    drip_every: float = 0.3
    # Paths of every request, in order, and how many drips are being served now.
    requests: list[str] = field(default_factory=list)
    dripping: int = 0
    most_dripping: int = 0
    # Set when a drip's client went away (the server noticed the disconnect).
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)
    _tick: asyncio.Event = field(default_factory=asyncio.Event)

    def hits(self, path: str) -> int:
        return sum(1 for p in self.requests if p == path)

    def _changed(self) -> None:
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    async def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (checked at each request and each drip's end)."""
        async with asyncio.timeout(timeout):
            while not predicate():
                await self._tick.wait()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/drip/{name}", self.drip),
                Route("/feed/{name}", self.feed),
                Route("/echo", self.echo),
                Route("/to", self.redirect),
            ]
        )

    async def drip(self, request: Request) -> Response:
        """An RSS document that never ends: a byte every ``drip_every`` seconds."""
        self.requests.append(request.url.path)

        async def body() -> AsyncIterator[bytes]:
            self.dripping += 1
            self.most_dripping = max(self.most_dripping, self.dripping)
            self._changed()
            try:
                yield b'<?xml version="1.0"?><rss version="2.0"><channel>'
                while True:
                    await asyncio.sleep(self.drip_every)
                    yield b" "
            finally:
                self.dripping -= 1
                self.hung_up.set()
                self._changed()

        return StreamingResponse(body(), media_type="application/rss+xml")

    async def feed(self, request: Request) -> Response:
        self.requests.append(request.url.path)
        self._changed()
        return Response(rss(2, guid=request.path_params["name"]), media_type="application/rss+xml")

    async def echo(self, request: Request) -> Response:
        """What the request looked like when it arrived."""
        self.requests.append(request.url.path)
        return JSONResponse({"host": request.headers.get("host"), "path": request.url.path})

    async def redirect(self, request: Request) -> Response:
        """A redirect to wherever ``?url=`` says."""
        self.requests.append(request.url.path)
        return RedirectResponse(request.query_params["url"], status_code=302)
