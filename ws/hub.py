"""Fanout of patches to every connection of this instance, each through its own queue.

The hub never awaits a client: it appends a frame to each connection's queue in a plain
loop, and each connection's sender task writes at that client's pace. A client whose queue
holds more than MAX_BACKLOG bytes is closed (4008): it must reconnect and resync.
"""

from __future__ import annotations

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
CLOSE_RESYNC_FAILED = 1011

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


class Connection:
    """One client: a seq counter, a bounded queue and the task that drains it."""

    def __init__(self, send: Send, close: Close, name: str) -> None:
        self._send = send
        self._close = close
        self.name = name
        self.seq = 0
        self._queue: collections.deque[str] = collections.deque()
        self.backlog = 0  # bytes (characters) queued
        self._wakeup = asyncio.Event()
        self._ready = False  # until the full state is queued, patches wait in _pending
        self._pending: list[str] = []
        self._state_queued = False
        self.closed = False
        self.task: asyncio.Task[None] | None = None
        # Set by the hub: a dropped connection leaves the fanout at once, even if its
        # socket takes long to close (a stuck client may never read our close frame).
        self.on_drop: Callable[[Connection], None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"ws-sender-{self.name}")

    def push(self, frame: str, *, counted: bool = True) -> None:
        """Queue a raw frame (a reply, an error)."""
        if self.closed:
            return
        self._queue.append(frame)
        if counted:
            self.backlog += len(frame)
        if self.backlog > MAX_BACKLOG:
            self.drop(CLOSE_TOO_SLOW, "too far behind: reconnect to resync")
            return
        self._wakeup.set()

    def push_patch(self, encoded_patch: str) -> None:
        if not self._ready:
            self._pending.append(encoded_patch)
            return
        self.seq += 1
        self.push(patch_frame(self.seq, encoded_patch))

    def ready(self, encoded_state: str) -> None:
        """Send the full state as seq 1, then the patches that arrived while it was read.

        Replaying them is safe: each sets absolute values, applied in commit order.
        """
        self._ready = True
        self._state_queued = True
        self.seq = 1
        # The full state of a large board is one big frame, not a client falling behind.
        self.push(patch_frame(1, encoded_state), counted=False)
        pending, self._pending = self._pending, []
        for encoded in pending:
            self.push_patch(encoded)

    def drop(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._queue.clear()
        self.backlog = 0
        self._wakeup.set()
        if self.on_drop is not None:
            self.on_drop(self)
        log.info("closing connection %s: %s", self.name, reason, extra={"action": "ws.drop"})
        self._closing = asyncio.get_running_loop().create_task(
            asyncio.wait_for(self._close(code, reason), CLOSE_TIMEOUT), name=f"ws-close-{self.name}"
        )
        self._closing.add_done_callback(_ignore_result)

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
                self.backlog -= len(frame)
            try:
                await self._send(frame)
            except Exception:  # the client went away; the endpoint cleans up
                self.closed = True
                return

    async def aclose(self) -> None:
        self.closed = True
        self._wakeup.set()
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass


def _ignore_result(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()  # a close that timed out or failed: the client is gone either way


class Hub:
    """All connections of this instance."""

    def __init__(self, on_fanout: Callable[[float, int], None] | None = None) -> None:
        self.connections: set[Connection] = set()
        self._on_fanout = on_fanout

    def join(self, conn: Connection) -> None:
        conn.on_drop = self.connections.discard
        self.connections.add(conn)
        conn.start()

    async def leave(self, conn: Connection) -> None:
        self.connections.discard(conn)
        await conn.aclose()

    def publish(self, patch: dict[str, Any]) -> None:
        """Send one patch to every connection, encoded once."""
        if not patch:
            return
        started = time.perf_counter()
        encoded = orjson.dumps(patch).decode()
        for conn in list(self.connections):
            conn.push_patch(encoded)
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
