"""Running real app instances in the test's loop, and a WebSocket client that keeps state."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import itertools
import os
import secrets
import socket
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
import websockets
from websockets.frames import Frame, Opcode

from board import accounts
from board.patch import merge
from tests import db, leakscan
from tests.fakes.server import free_port
from web.app import create_app
from web.cli import WS_OPTIONS, proxy_options
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


def test_env(database_url: str, data_dir: str, **extra: str | None) -> dict[str, str]:
    """The settings of a test's app; an ``extra`` of None leaves that setting at its default."""
    env = {
        "DATABASE_URL": database_url,
        "METRONOME_DATA_DIR": data_dir,
        "METRONOME_SECRET_KEY": "test-secret-key-0123456789",
        "METRONOME_MIN_INTERVAL_S": "1",
        # The suite's fakes listen on 127.0.0.1; tests of refusals set it to "".
        "METRONOME_FETCH_ALLOW": "127.0.0.0/8",
        # Most tests publish at once; tests of the grace period (test_lead.py) use the default.
        "METRONOME_MIN_LEAD_S": "0",
        **extra,
    }
    return {name: value for name, value in env.items() if value is not None}


@contextlib.asynccontextmanager
async def running_app(
    database_url: str,
    *,
    clock: Any = None,
    uvicorn_options: dict[str, Any] | None = None,
    **env: str | None,
) -> AsyncIterator[Running]:
    """A full app (lifespan, WebSocket, listener) served by uvicorn on a free port, with the
    WebSocket settings of `metronome serve` unless ``uvicorn_options`` says otherwise."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load(test_env(database_url, data_dir, **env), cwd=Path(data_dir))
        app = create_app(settings, database_url, clock=clock)
        port = free_port()
        # DEBUG like the rest of the suite (tests/leakscan.py): uvicorn's websockets log handshakes and
        # frames. No log_config: its records go to the root logger, where the log scan reads them.
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="debug",
            log_config=None,
            **{**WS_OPTIONS, **proxy_options(settings), **(uvicorn_options or {})},
        )
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


class RawSocket:
    """A WebSocket spoken by hand: it reads only when told (a stuck browser tab), sends masked
    frames, and parses the server's frames byte for byte, whatever follows a close."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""

    @classmethod
    async def connect(
        cls, running: Running, cookie: str, *, rcvbuf: int | None = 4096
    ) -> RawSocket:
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setblocking(False)
        if rcvbuf is not None:  # a small window: the server's writes back up in its own buffer
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        port = int(running.url.rsplit(":", 1)[1])
        await loop.sock_connect(sock, ("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        await loop.sock_sendall(
            sock,
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {running.url}\r\n"
            f"Cookie: metronome_session={cookie}\r\n\r\n".encode(),
        )
        raw = cls(sock)
        head = await raw._read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return raw

    async def _fill(self) -> bool:
        chunk = await asyncio.get_running_loop().sock_recv(self.sock, 65536)
        self._buffer += chunk
        return bool(chunk)

    async def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            if not await self._fill():
                raise AssertionError("connection closed during the handshake")
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    async def _read_exactly(self, n: int) -> bytes | None:
        while len(self._buffer) < n:
            if not await self._fill():
                return None
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    async def frame(self) -> tuple[int, bytes] | None:
        """The next frame as (opcode, payload); None at the end of the stream."""
        head = await self._read_exactly(2)
        if head is None:
            return None
        assert head[0] & 0x80 and not head[1] & 0x80, (
            f"expected a final, unmasked frame, got {head!r}"
        )
        length = head[1] & 0x7F
        if length == 126:
            length = int.from_bytes(await self._read_exactly(2) or b"", "big")
        elif length == 127:
            length = int.from_bytes(await self._read_exactly(8) or b"", "big")
        payload = await self._read_exactly(length)
        assert payload is not None, "the stream ended inside a frame"
        return head[0] & 0x0F, payload

    async def frames_until_eof(self, timeout: float = 15.0) -> list[tuple[int, bytes]]:
        async def read() -> list[tuple[int, bytes]]:
            frames = []
            while (frame := await self.frame()) is not None:
                frames.append(frame)
            return frames

        return await asyncio.wait_for(read(), timeout)

    async def send_frame(self, opcode: int, payload: bytes) -> None:
        await asyncio.get_running_loop().sock_sendall(self.sock, self.frame_bytes(opcode, payload))

    @staticmethod
    def frame_bytes(opcode: int, payload: bytes) -> bytes:
        """A final frame, masked as every client frame must be (RFC 6455 §5.1)."""
        return Frame(Opcode(opcode), payload).serialize(mask=True)

    def close(self) -> None:
        self.sock.close()


@functools.cache
def _password_hash() -> str:
    # Hashed once for the session: an argon2id hash costs tens of milliseconds by design, and
    # nearly every test makes a user (accounts.create_user's own hashing is tested in test_cli).
    return accounts.hash_password(PASSWORD)


async def make_user(database_url: str, role: str = "admin", email: str | None = None) -> str:
    """A user whose password is PASSWORD."""
    email = email or f"{role}-{secrets.token_hex(3)}@example.org"
    async with db.connect(database_url) as conn:
        await accounts.insert_user(conn, email, _password_hash(), role)
    return email


async def session_cookie(database_url: str, email: str) -> str:
    """A signed-in browser's session cookie for ``email``, without the sign-in form (whose
    password check costs tens of milliseconds; tests of signing in use ``login``)."""
    async with db.connect(database_url) as conn:
        user_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
        cookie = await accounts.start_session(conn, user_id, datetime.now(UTC))
    leakscan.register(cookie, "session cookie")
    return cookie


async def make_token(database_url: str, email: str) -> str:
    async with db.connect(database_url) as conn:
        token = await accounts.create_token(conn, email, "test")
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


def board_frames(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Frames but the patches that only say who is on the board (presence comes and goes as
    clients join and leave, at times a test does not choose)."""
    return [f for f in frames if f.get("type") != "patch" or set(f["patch"]) != {"presence"}]


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
    async def connect(
        cls,
        running: Running,
        *,
        cookie: str | None = None,
        token: str | None = None,
        origin: str | None = "same",
        compression: str | None = None,
    ) -> AsyncIterator[Client]:
        headers = {}
        if cookie:
            headers["Cookie"] = f"metronome_session={cookie}"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if origin == "same":
            origin = running.url
        if origin:
            headers["Origin"] = origin
        async with websockets.connect(
            running.ws_url, additional_headers=headers, max_size=None, compression=compression
        ) as ws:
            client = cls(ws)
            client._reader = asyncio.create_task(client._read(), name="test-client-reader")
            try:
                await client.wait_for(lambda s: "me" in s)
                # Its own arrival on the board (CONTRACT §12) has reached it: a test starts
                # from a connection whose presence patch is behind it.
                await client.wait_for(lambda s: str(s["me"]["id"]) in s.get("presence", {}))
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
                    assert self.seq is None or frame["seq"] == self.seq + 1, (
                        f"seq gap: {self.seq} -> {frame['seq']}"
                    )
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

    async def command(
        self, op: str, args: dict[str, Any] | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        return await asyncio.wait_for(await self.send_command(op, args), timeout)

    async def send_command(
        self, op: str, args: dict[str, Any] | None = None
    ) -> asyncio.Future[dict[str, Any]]:
        """Send a command now; its reply comes in the returned future."""
        command_id = f"c{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[command_id] = future
        secrets = args.get("secrets") if isinstance(args, dict) else None
        for name, value in secrets.items() if isinstance(secrets, dict) else ():
            leakscan.register(value, f"{op} secret {name}")
        await self.ws.send(orjson.dumps({"id": command_id, "op": op, "args": args or {}}).decode())
        return future

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

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], Any], timeout: float = 5.0
    ) -> Any:
        async def check() -> Any:
            async with self._changed:
                while True:
                    # A row the predicate names may not be here yet: the reply to the command
                    # that made it can come before its patch (patches close together compose).
                    try:
                        value = predicate(self.state)
                    except KeyError:
                        value = None
                    if value:
                        return value
                    if self.closed.is_set():
                        raise AssertionError("connection closed while waiting")
                    await self._changed.wait()

        return await asyncio.wait_for(check(), timeout)

    def queue(self, platform_id: int) -> list[int]:
        """Pending card ids of a column in ord order, from this client's state."""
        cards = [
            s
            for s in self.state.get("snippets", {}).values()
            if s["platform_id"] == platform_id and s["status"] == "pending"
        ]
        return [s["id"] for s in sorted(cards, key=lambda s: (s["ord"], s["id"]))]

    def card(self, snippet_id: int) -> dict[str, Any] | None:
        card: dict[str, Any] | None = self.state.get("snippets", {}).get(str(snippet_id))
        return card
