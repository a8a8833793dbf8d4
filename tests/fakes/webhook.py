"""A webhook receiver on 127.0.0.1: records every POST with its arrival time; answers as told."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Received:
    at: float  # time.monotonic() on arrival
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Receiver:
    received: list[Received] = field(default_factory=list)
    # Answers to give, in order; when empty, 200 with {"id": …}. Each: (status, headers, body)
    # or "hang" (never answer).
    script: deque[Any] = field(default_factory=deque)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    # Seconds each answer takes (a receiver that is slow but answers).
    delay: float = 0.0

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        self.received.append(Received(time.monotonic(), body, dict(request.headers)))
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self.script.popleft() if self.script else None
        if answer == "hang":
            await asyncio.sleep(3600)
        if answer is None:
            return JSONResponse(
                {
                    "id": f"hook-{body['snippet_id']}",
                    "url": f"https://hooks.example/{body['snippet_id']}",
                }
            )
        status, headers, payload = answer
        return JSONResponse(payload, status_code=status, headers=headers)

    def ids(self) -> list[int]:
        return [r.body["snippet_id"] for r in self.received]
