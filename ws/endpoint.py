"""GET /ws: authenticate, send the full state, then run commands and stream patches."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from board.commands import BESIDE, Commands
from board.context import Actor
from board.errors import CommandError
from ws import presence, protocol
from ws.direct import connection_for
from ws.hub import BaseConnection, Hub

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403

_ids = itertools.count(1)


@dataclass
class SocketDeps:
    commands: Commands
    hub: Hub
    clock: Any
    rate: float
    authorize: Callable[[WebSocket], Awaitable[Actor | None]]
    origin_ok: Callable[[WebSocket], bool]
    load_state: Callable[[Actor], Awaitable[dict[str, Any]]]
    metrics: Any
    presence: presence.Presence


class BoardSocket:
    def __init__(self, deps: SocketDeps) -> None:
        self.deps = deps

    async def handle(self, websocket: WebSocket) -> None:
        deps = self.deps
        if not deps.origin_ok(websocket):
            await websocket.close(code=CLOSE_FORBIDDEN)
            return
        actor = await deps.authorize(websocket)
        if actor is None:
            await websocket.close(code=CLOSE_UNAUTHORIZED)
            return
        await websocket.accept()
        name = f"{actor.id}-{next(_ids)}"
        conn = connection_for(websocket, self._closer(websocket), name)
        deps.hub.join(conn, actor.id)
        deps.metrics.connections.inc()
        deps.presence.join(conn.name, actor)
        try:
            # Encoded and dropped at once: a dict held for the connection's life costs ~40 KB.
            conn.ready(orjson.dumps(await deps.load_state(actor)))
            await self._serve(websocket, conn, actor)
        except WebSocketDisconnect:
            pass
        finally:
            deps.presence.leave(conn.name)
            deps.metrics.connections.dec()
            await deps.hub.leave(conn)

    @staticmethod
    def _closer(websocket: WebSocket) -> Callable[[int, str], Awaitable[None]]:
        async def close(code: int, reason: str) -> None:
            try:
                await websocket.close(code=code, reason=reason)
            except RuntimeError:
                pass  # already closed

        return close

    async def _serve(self, websocket: WebSocket, conn: BaseConnection, actor: Actor) -> None:
        lanes = Lanes()
        try:
            await self._read(websocket, conn, actor, lanes)
        finally:
            await lanes.drain(everything=True)

    async def _read(
        self, websocket: WebSocket, conn: BaseConnection, actor: Actor, lanes: Lanes
    ) -> None:
        deps = self.deps
        bucket = protocol.TokenBucket(deps.rate, 2 * deps.rate, time.monotonic())

        async def run(command: protocol.Command) -> None:
            conn.push(await self._run(actor, command, conn.name))

        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            # Every frame counts, parsed or not: a flood of garbage costs as much to refuse.
            allowed = bucket.take(time.monotonic())
            command = protocol.parse(data)
            if isinstance(command, protocol.FrameError):
                if allowed:
                    conn.push(protocol.reply_error(command.id, command.code, command.message))
                else:
                    deps.metrics.commands.labels("any", "rate_limited").inc()
                    conn.push(self._flood(command.id))
                continue
            if not allowed:
                deps.metrics.commands.labels("any", "rate_limited").inc()
                conn.push(self._flood(command.id))
                continue
            await lanes.submit(
                deps.commands.lane(command.op, command.args), functools.partial(run, command)
            )

    def _flood(self, command_id: str | None) -> str:
        rate = self.deps.rate
        return protocol.reply_error(
            command_id,
            "rate_limited",
            f"more than {rate:g} frames a second: this one was not run",
            extra={"reason": "too_fast", "params": {"rate": rate}},
        )

    async def _run(self, actor: Actor, command: protocol.Command, conn_name: str) -> str:
        deps = self.deps
        started = time.perf_counter()
        known = command.op in deps.commands.ops or command.op == presence.OP
        op_label = command.op if known else "unknown"
        try:
            if command.op == presence.OP:
                # Presence is this connection's, and ephemeral: not a command of the board's.
                result = await deps.presence.command(conn_name, actor, command.args)
            else:
                now = deps.clock.now()
                result = (await deps.commands.execute(actor, command.op, command.args, now)).result
        except CommandError as exc:
            deps.metrics.commands.labels(op_label, exc.code).inc()
            details = getattr(exc, "details", None)
            return protocol.reply_error(command.id, exc.code, exc.message, details, exc.extra())
        except Exception:
            log.exception("command %s failed", command.op, extra={"action": "ws.command"})
            deps.metrics.commands.labels(op_label, "internal").inc()
            return protocol.reply_error(
                command.id, "internal", "the server failed to run this command; nothing was changed"
            )
        finally:
            deps.metrics.command_seconds.observe(time.perf_counter() - started)
        deps.metrics.commands.labels(op_label, "ok").inc()
        return protocol.reply_ok(command.id, result)


# Commands of one connection that edit one card's own fields run side by side, this many at
# most; any other command waits for those sent before it and runs alone.
MAX_PARALLEL = 8


class Lanes:
    """The commands of one connection under way. A command whose op names a lane (the card
    it edits on its own: board.commands.Op.lane) runs beside others, at most MAX_PARALLEL,
    after any earlier one of the same lane; any other command waits for all before it and
    runs alone. The BESIDE lane (board.commands.BESIDE: a connection check, which changes
    nothing and may wait seconds on a network) runs beside everything, one at a time, and
    nothing waits for it."""

    def __init__(self) -> None:
        self.running: dict[asyncio.Task[None], int | None] = {}

    async def submit(self, key: int | None, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start a command; returns when the next one may be read."""
        if key is None:
            await self.drain()
            await run()
            return
        while True:
            same = [task for task, k in self.running.items() if k == key]
            if not same and len(self.running) < MAX_PARALLEL:
                break
            await asyncio.wait(same or list(self.running), return_when=asyncio.FIRST_COMPLETED)
        task = asyncio.create_task(run())
        self.running[task] = key
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.running.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "a command task failed", exc_info=task.exception(), extra={"action": "ws.command"}
            )

    async def drain(self, everything: bool = False) -> None:
        """Wait for the commands under way (``everything``: those beside the order too)."""
        while waiting := [t for t, k in self.running.items() if everything or k != BESIDE]:
            await asyncio.wait(waiting)
