"""Fanout of patches to every connection of this instance.

The hub never awaits a client: it hands each patch, encoded once, to every connection in a
plain loop. A connection is one of two frame writers behind ``BaseConnection``: under
uvicorn's websockets-sansio, ws/direct.py's writes the frame straight to the client's socket,
whose write buffer is the client's queue (it costs less than half the CPU per client and
patch: the figures are in its docstring); anywhere else, this module's ``Connection``
queues it for its own sender task, which writes through ASGI ``send`` at that client's pace.
A client more than MAX_BACKLOG bytes behind is closed (4008): it must reconnect and resync.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ws.protocol import patch_frame

log = logging.getLogger(__name__)

# Bytes a client may fall behind (beyond what the kernel buffers) before it is dropped: far
# above any burst editors cause (a clear of a long column is one ~20 KB frame), and a hard
# bound on the memory one stuck tab can hold.
MAX_BACKLOG = 1024 * 1024
CLOSE_TOO_SLOW = 4008
# A close frame a client does not take within this time is given up on.
CLOSE_TIMEOUT = 5.0

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


class Encoded:
    """A patch encoded once for every connection: bytes for direct writers, text on demand."""

    __slots__ = ("data", "_text", "frames")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._text: str | None = None
        # Pieces of the frame that every connection shares, built by the first that needs
        # them (ws/direct.py): per-connection work is then a seq and one concatenation.
        self.frames: dict[int, bytes] = {}

    @property
    def text(self) -> str:
        if self._text is None:  # decoded at most once per patch, only if a Connection needs it
            self._text = self.data.decode()
        return self._text


class BaseConnection(abc.ABC):
    """What every kind of connection shares: a seq counter, the patches that wait until its
    full state is out, and how it is dropped."""

    __slots__ = ("name", "seq", "closed", "on_drop", "_close", "_ready", "_pending", "_closing")

    def __init__(self, close: Close, name: str) -> None:
        self.name = name
        self.seq = 0
        self.closed = False
        # Set by the hub: a dropped connection leaves the fanout at once, even if its
        # socket takes long to close (a stuck client may never read our close frame).
        self.on_drop: Callable[[BaseConnection], None] | None = None
        self._close = close
        self._ready = False  # until the full state is out, patches wait in _pending
        self._pending: list[Encoded] = []
        self._closing: asyncio.Task[None] | None = None

    @property
    @abc.abstractmethod
    def backlog(self) -> int:
        """How far behind the client is, in bytes (the full state frame not counted)."""

    def start(self) -> None:
        """Start what the connection runs on its own (the queued kind's sender task)."""

    @abc.abstractmethod
    def push(self, frame: str) -> None:
        """Send a raw frame (a reply, an error) after everything sent before it."""

    @abc.abstractmethod
    def push_patch(self, patch: Encoded) -> None:
        """Send a patch frame with this connection's next seq (held until the full state)."""

    @abc.abstractmethod
    def _send_state(self, encoded_state: bytes) -> None:
        """Send the full state frame, seq 1."""

    def _forget(self) -> None:
        """Let go of frames not yet out (the connection is being dropped)."""

    def ready(self, encoded_state: bytes) -> None:
        """Send the full state as seq 1, then the patches that arrived while it was read.

        Replaying them is safe: each sets absolute values, applied in commit order.
        """
        self._ready = True
        self.seq = 1
        pending, self._pending = self._pending, []
        self._send_state(encoded_state)
        for patch in pending:
            self.push_patch(patch)

    def drop(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._pending = []
        self._forget()
        if self.on_drop is not None:
            self.on_drop(self)
        log.info("closing connection %s: %s", self.name, reason, extra={"action": "ws.drop"})
        self._closing = asyncio.get_running_loop().create_task(
            self._close_in_time(code, reason), name=f"ws-close-{self.name}"
        )
        self._closing.add_done_callback(ignore_result)

    async def _close_in_time(self, code: int, reason: str) -> None:
        await asyncio.wait_for(self._close(code, reason), CLOSE_TIMEOUT)

    async def aclose(self) -> None:
        self.closed = True
        self._pending = []


class Connection(BaseConnection):
    """One client through the ASGI send stack: a bounded queue and the task that drains it.

    Works under any ASGI server; used where the direct writer of ws/direct.py cannot be (the
    tests run the protocol's tests under uvicorn's wsproto implementation for it)."""

    def __init__(self, send: Send, close: Close, name: str) -> None:
        super().__init__(close, name)
        self._send = send
        self._queue: collections.deque[str] = collections.deque()
        self._backlog = 0  # bytes (characters) queued
        self._wakeup = asyncio.Event()
        self._state_queued = False
        self.task: asyncio.Task[None] | None = None

    @property
    def backlog(self) -> int:
        return self._backlog

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"ws-sender-{self.name}")

    def push(self, frame: str, *, counted: bool = True) -> None:
        """Queue a raw frame (a reply, an error)."""
        if self.closed:
            return
        self._queue.append(frame)
        if counted:
            self._backlog += len(frame)
        if self._backlog > MAX_BACKLOG:
            self.drop(CLOSE_TOO_SLOW, "too far behind: reconnect to resync")
            return
        self._wakeup.set()

    def push_patch(self, patch: Encoded) -> None:
        if not self._ready:
            self._pending.append(patch)
            return
        self.seq += 1
        self.push(patch_frame(self.seq, patch.text))

    def _send_state(self, encoded_state: bytes) -> None:
        self._state_queued = True
        # The full state of a large board is one big frame, not a client falling behind.
        self.push(patch_frame(1, encoded_state.decode()), counted=False)

    def _forget(self) -> None:
        self._queue.clear()
        self._backlog = 0
        self._wakeup.set()

    async def _run(self) -> None:
        queue = self._queue
        while not self.closed:
            if not queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            frame = queue.popleft()
            if self._state_queued:  # the first frame, the full state, was not counted
                self._state_queued = False
            else:
                self._backlog -= len(frame)
            try:
                await self._send(frame)
            except Exception:  # the client went away; the endpoint cleans up
                self.closed = True
                return

    async def aclose(self) -> None:
        await super().aclose()
        self._wakeup.set()
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass


def ignore_result(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()  # a close that timed out or failed: the client is gone either way


class Hub:
    """All connections of this instance."""

    def __init__(self, on_fanout: Callable[[float, int], None] | None = None) -> None:
        self.connections: set[BaseConnection] = set()
        # Whose board each connection is, so a user's boards can be closed at once.
        self.users: dict[BaseConnection, int] = {}
        self._on_fanout = on_fanout

    def join(self, conn: BaseConnection, user_id: int | None = None) -> None:
        conn.on_drop = self._dropped
        self.connections.add(conn)
        if user_id is not None:
            self.users[conn] = user_id
        conn.start()

    def _dropped(self, conn: BaseConnection) -> None:
        self.connections.discard(conn)
        self.users.pop(conn, None)

    async def leave(self, conn: BaseConnection) -> None:
        self._dropped(conn)
        await conn.aclose()

    def close_user(self, user_id: int, code: int, reason: str) -> int:
        """Close every board this user has open here (disabled: 4401; a new role: 4000, the
        page reconnects at once with it). Returns how many were closed."""
        closing = [conn for conn, uid in self.users.items() if uid == user_id]
        for conn in closing:
            conn.drop(code, reason)
        return len(closing)

    def user_ids(self) -> set[int]:
        return set(self.users.values())

    def publish(self, patch: dict[str, Any], encoded: bytes | None = None) -> None:
        """Send one patch to every connection, encoded once.

        ``encoded``, when given, is ``patch`` already encoded as JSON (the listener keeps the
        bytes it received), so it is not encoded again.
        """
        if not patch:
            return
        started = time.perf_counter()
        item = Encoded(orjson.dumps(patch) if encoded is None else encoded)
        for conn in list(self.connections):
            conn.push_patch(item)
        if self._on_fanout is not None:
            self._on_fanout(time.perf_counter() - started, len(self.connections))

    def resync(self, shared_state: dict[str, Any]) -> None:
        """After missed notifications: every client's state is replaced by a fresh one."""
        self.publish({key: None for key in shared_state})
        self.publish(shared_state)

    async def close_all(self, code: int = 1001, reason: str = "server shutting down") -> None:
        for conn in list(self.connections):
            conn.drop(code, reason)
        for conn in list(self.connections):
            await self.leave(conn)
