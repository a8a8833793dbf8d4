"""A board on a clock the test moves: one app (or several on one database), signed-in clients,
and shorthands for columns, cards and their times. Used by the holds, breaking and expiry
tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests import db
from tests.clock import FakeClock
from tests.support import Client, Running, make_user, running_app, session_cookie

# Every test board: a change makes a card due no sooner than this (CONTRACT §4's lead).
LEAD_S = 30


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@dataclass
class Timed:
    running: Running
    clock: FakeClock
    admin: Client
    stack: contextlib.AsyncExitStack
    others: list[Client] = field(default_factory=list)

    def at(self, seconds: float) -> str:
        """The ISO time ``seconds`` from the clock's now."""
        return iso(self.clock.now() + timedelta(seconds=seconds))

    async def client(self, role: str, running: Running | None = None) -> Client:
        """Another signed-in client (on ``running``, default this board's app)."""
        running = running or self.running
        email = await make_user(running.database_url, role)
        cookie = await session_cookie(running.database_url, email)
        client = await self.stack.enter_async_context(Client.connect(running, cookie=cookie))
        self.others.append(client)
        return client

    async def column(
        self, name: str = "Log", kind: str = "log", interval_s: int = 600, **extra: Any
    ) -> int:
        result = await self.admin.ok(
            "platform.create",
            {"kind": kind, "name": name, "interval_s": interval_s, "settings": {}, **extra},
        )
        pid = int(result["id"])
        await self.admin.wait_for(lambda s: str(pid) in s["platforms"])
        return pid

    async def card(self, pid: int, body: str, **extra: Any) -> int:
        sid = int(
            (await self.admin.ok("snippet.create", {"platform_id": pid, "body": body, **extra}))[
                "id"
            ]
        )
        await self.admin.wait_for(lambda s: str(sid) in s["snippets"])
        return sid

    def eta(self, sid: int) -> datetime | None:
        card = self.admin.card(sid)
        assert card is not None, f"card {sid} is not in the state"
        return parse(card.get("eta"))

    def status(self, sid: int) -> str | None:
        card = self.admin.card(sid)
        return card["status"] if card else None

    async def wait_status(self, sid: int, status: str, timeout: float = 5.0) -> None:
        await self.admin.wait_for(lambda s: self.status(sid) == status, timeout=timeout)

    async def settle(self) -> None:
        """Let the posters and timers act on the clock as it is (nothing more is due)."""
        for _ in range(20):
            await self.clock.advance(0)

    async def events(self, op: str) -> list[Any]:
        async with db.connect(self.running.database_url) as conn:
            return list(
                await conn.fetch(
                    "SELECT user_id, args FROM events WHERE op = $1 AND ok ORDER BY id", op
                )
            )


@contextlib.asynccontextmanager
async def timed_board(
    database_url: str, clock: FakeClock | None = None, **env: str
) -> AsyncIterator[Timed]:
    """An app on ``clock`` (a new FakeClock by default), its posters armed, an admin signed in."""
    clock = clock or FakeClock()
    settings = {"METRONOME_WS_RATE": "10000", "METRONOME_MIN_LEAD_S": str(LEAD_S), **env}
    async with contextlib.AsyncExitStack() as stack:
        running = await stack.enter_async_context(
            running_app(database_url, clock=clock, **settings)
        )
        email = await make_user(database_url, "admin")
        cookie = await session_cookie(running.database_url, email)
        admin = await stack.enter_async_context(Client.connect(running, cookie=cookie))
        await running.services.registry.armed.wait()
        yield Timed(running, clock, admin, stack)
