"""Running real app instances in the test's loop, and a WebSocket client that keeps state."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
import websockets
from sqlalchemy.ext.asyncio import create_async_engine

from board import accounts
from board.patch import merge
from tests import leakscan
from tests.fakes.server import free_port
from web.app import create_app
from web.settings import load

PASSWORD = "correct horse battery"


@dataclass
class Running:
    url: str
    app: Any
    database_url: str

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

    @property
    def services(self) -> Any:
        return self.app.state.services


def test_env(database_url: str, data_dir: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "METRONOME_DATA_DIR": data_dir,
        "METRONOME_SECRET_KEY": "test-secret-key-0123456789",
        "METRONOME_MIN_INTERVAL_S": "1",
        **extra,
    }


@contextlib.asynccontextmanager
async def running_app(database_url: str, *, clock: Any = None, **env: str) -> AsyncIterator[Running]:
    """A full app (lifespan, WebSocket, listener) served by uvicorn on a free port."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load(test_env(database_url, data_dir, **env), cwd=Path(data_dir))
        app = create_app(settings, database_url, clock=clock)
        port = free_port()
        # DEBUG like the rest of the suite (tests/leakscan.py): uvicorn's websockets log handshakes and
        # frames. No log_config: its records go to the root logger, where the log scan reads them.
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="debug", log_config=None,
                                ws_per_message_deflate=False, ws_max_size=1024 * 1024)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(), name=f"app-{port}")
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server stopped before starting")
            await asyncio.sleep(0.02)
        try:
            yield Running(f"http://127.0.0.1:{port}", app, database_url)
        finally:
            server.should_exit = True
            await task


async def make_user(database_url: str, role: str = "admin", email: str | None = None) -> str:
    email = email or f"{role}-{secrets.token_hex(3)}@example.org"
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await accounts.create_user(conn, email, PASSWORD, role)
    finally:
        await engine.dispose()
    return email


async def make_token(database_url: str, email: str) -> str:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            token = await accounts.create_token(conn, email, "test")
    finally:
        await engine.dispose()
    leakscan.register(token, "API token")
    return token


async def login(base_url: str, email: str, password: str = PASSWORD) -> str:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/login", json={"email": email, "password": password})
        response.raise_for_status()
        cookie: str = response.cookies["metronome_session"]
        leakscan.register(cookie, "session cookie")
        return cookie


class CommandFailed(AssertionError):
    def __init__(self, reply: dict[str, Any]) -> None:
        super().__init__(f"{reply['error']['code']}: {reply['error']['message']}")
        self.code = reply["error"]["code"]
        self.reply = reply


@dataclass
class Client:
    """A WebSocket client that applies patches to its state and checks seq has no gaps."""

    ws: Any
    state: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None
    frames: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    _replies: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _reader: asyncio.Task[None] | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, running: Running, *, cookie: str | None = None, token: str | None = None,
                      origin: str | None = "same") -> AsyncIterator[Client]:
        headers = {}
        if cookie:
            headers["Cookie"] = f"metronome_session={cookie}"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if origin == "same":
            origin = running.url
        if origin:
            headers["Origin"] = origin
        async with websockets.connect(running.ws_url, additional_headers=headers, max_size=None,
                                      compression=None) as ws:
            client = cls(ws)
            client._reader = asyncio.create_task(client._read(), name="test-client-reader")
            try:
                await client.wait_for(lambda s: "me" in s)
                yield client
            finally:
                client._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await client._reader

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                leakscan.check(raw, "a WebSocket frame")
                frame = orjson.loads(raw)
                self.frames.append(frame)
                if frame["type"] == "patch":
                    assert self.seq is None or frame["seq"] == self.seq + 1, f"seq gap: {self.seq} -> {frame['seq']}"
                    self.seq = frame["seq"]
                    self.state = merge(self.state, frame["patch"])
                elif frame["type"] == "reply":
                    future = self._replies.pop(frame["id"], None)
                    if future is not None and not future.done():
                        future.set_result(frame)
                else:
                    self.errors.append(frame)
                async with self._changed:
                    self._changed.notify_all()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            async with self._changed:
                self._changed.notify_all()

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send(data)

    async def command(self, op: str, args: dict[str, Any] | None = None, timeout: float = 10) -> dict[str, Any]:
        command_id = f"c{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[command_id] = future
        secrets = args.get("secrets") if isinstance(args, dict) else None
        for name, value in (secrets.items() if isinstance(secrets, dict) else ()):
            leakscan.register(value, f"{op} secret {name}")
        await self.ws.send(orjson.dumps({"id": command_id, "op": op, "args": args or {}}).decode())
        return await asyncio.wait_for(future, timeout)

    async def ok(self, op: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = await self.command(op, args)
        if not reply["ok"]:
            raise CommandFailed(reply)
        result: dict[str, Any] = reply["result"]
        return result

    async def fails(self, op: str, args: dict[str, Any] | None = None) -> str:
        reply = await self.command(op, args)
        assert not reply["ok"], f"{op} should have failed: {reply}"
        code: str = reply["error"]["code"]
        return code

    async def wait_for(self, predicate: Callable[[dict[str, Any]], Any], timeout: float = 5.0) -> Any:
        async def check() -> Any:
            async with self._changed:
                while True:
                    value = predicate(self.state)
                    if value:
                        return value
                    if self.closed.is_set():
                        raise AssertionError("connection closed while waiting")
                    await self._changed.wait()

        return await asyncio.wait_for(check(), timeout)

    def queue(self, platform_id: int) -> list[int]:
        """Pending card ids of a column in ord order, from this client's state."""
        cards = [s for s in self.state.get("snippets", {}).values()
                 if s["platform_id"] == platform_id and s["status"] == "pending"]
        return [s["id"] for s in sorted(cards, key=lambda s: (s["ord"], s["id"]))]

    def card(self, snippet_id: int) -> dict[str, Any] | None:
        card: dict[str, Any] | None = self.state.get("snippets", {}).get(str(snippet_id))
        return card
