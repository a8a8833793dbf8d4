"""What alerts reach in the tests: a webhook receiver (which also plays columns that accept,
refuse, reject credentials or hang), a real SMTP server (aiosmtpd) and one that never answers."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import free_port


@dataclass
class Arrival:
    at: float  # wall time (time.time()) on arrival
    body: dict[str, Any]


@dataclass
class Hook:
    """``/alerts``: records alert bodies (``hang``: never answers). ``/column/<mode>``: a
    webhook column's endpoint: ``ok`` (records the card), ``reject`` (400), ``auth`` (401),
    ``hang`` (never answers), ``broken`` (500, for a feed)."""

    alerts: list[Arrival] = field(default_factory=list)
    cards: list[Arrival] = field(default_factory=list)
    hang_alerts: bool = False
    # Alerts answered 503 before the next ones are taken.
    refuse_alerts: int = 0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/alerts", self.alert, methods=["POST"]),
                Route("/column/{mode}", self.column, methods=["GET", "POST"]),
            ]
        )

    async def alert(self, request: Request) -> Response:
        if self.hang_alerts:
            await asyncio.sleep(3600)
        if self.refuse_alerts > 0:
            self.refuse_alerts -= 1
            return Response("busy", status_code=503)
        self.alerts.append(Arrival(time.time(), orjson.loads(await request.body())))
        return JSONResponse({"ok": True})

    async def column(self, request: Request) -> Response:
        mode = request.path_params["mode"]
        if mode == "hang":
            await asyncio.sleep(3600)
        if mode == "reject":
            return JSONResponse({"error": "this text is not allowed here"}, status_code=400)
        if mode == "auth":
            return JSONResponse({"error": "token revoked"}, status_code=401)
        if mode == "broken":
            return Response("down for maintenance", status_code=500)
        body = orjson.loads(await request.body())
        self.cards.append(Arrival(time.time(), body))
        return JSONResponse({"id": f"hook-{body['snippet_id']}"})

    def of(self, event: str) -> list[dict[str, Any]]:
        return [a.body for a in self.alerts if a.body["event"] == event]


class Mailbox:
    """aiosmtpd's handler: every message delivered, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def bodies(self) -> list[str]:
        return [str(m.get_content()) for m in self.messages]


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 (its own thread); yields its mailbox and port."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@contextlib.asynccontextmanager
async def mute_server() -> AsyncIterator[int]:
    """A TCP server that accepts and never says a word (an SMTP server that does not answer)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
