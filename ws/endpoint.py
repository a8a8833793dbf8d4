"""GET /ws: authenticate, send the full state, then run commands and stream patches."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from board.commands import execute
from board.context import Actor, BoardConfig
from board.errors import CommandError
from ws import protocol
from ws.direct import DirectConnection, sansio_protocol
from ws.hub import BaseConnection, Connection, Hub

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403

_ids = itertools.count(1)


@dataclass
class SocketDeps:
    engine: Any
    hub: Hub
    config: BoardConfig
    clock: Any
    rate: float
    authorize: Callable[[WebSocket], Awaitable[Actor | None]]
    origin_ok: Callable[[WebSocket], bool]
    load_state: Callable[[Actor], Awaitable[dict[str, Any]]]
    metrics: Any


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
        sansio = sansio_protocol(websocket.scope)
        conn: BaseConnection
        if sansio is not None:
            conn = DirectConnection(sansio, self._closer(websocket), name)
        else:
            conn = Connection(websocket.send_text, self._closer(websocket), name)
        deps.hub.join(conn, actor.id)
        deps.metrics.connections.inc()
        try:
            # Encoded and dropped at once: a dict held for the connection's life costs ~40 KB.
            conn.ready(orjson.dumps(await deps.load_state(actor)))
            await self._serve(websocket, conn, actor)
        except WebSocketDisconnect:
            pass
        finally:
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

    async def _read(self, websocket: WebSocket, conn: BaseConnection, actor: Actor, lanes: Lanes) -> None:
        deps = self.deps
        bucket = protocol.TokenBucket(deps.rate, 2 * deps.rate, time.monotonic())

        async def run(command: protocol.Command) -> None:
            conn.push(await self._run(actor, command))

        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            command = protocol.parse(data)
            if isinstance(command, protocol.FrameError):
                conn.push(protocol.reply_error(command.id, command.code, command.message))
                continue
            if not bucket.take(time.monotonic()):
                deps.metrics.commands.labels("any", "rate_limited").inc()
                conn.push(protocol.reply_error(
                    command.id, "rate_limited",
                    f"more than {deps.rate:g} commands a second: this one was not run",
                ))
                continue
            await lanes.submit(lane(command), lambda command=command: run(command))

    async def _run(self, actor: Actor, command: protocol.Command) -> str:
        deps = self.deps
        started = time.perf_counter()
        op_label = command.op if command.op in _known_ops() else "unknown"
        try:
            outcome = await execute(deps.engine, deps.config, actor, command.op, command.args, deps.clock.now())
        except CommandError as exc:
            deps.metrics.commands.labels(op_label, exc.code).inc()
            details = getattr(exc, "details", None)
            return protocol.reply_error(command.id, exc.code, exc.message, details)
        except Exception:
            log.exception("command %s failed", command.op, extra={"action": "ws.command"})
            deps.metrics.commands.labels(op_label, "internal").inc()
            return protocol.reply_error(command.id, "internal", "the server failed to run this command; nothing was changed")
        finally:
            deps.metrics.command_seconds.observe(time.perf_counter() - started)
        deps.metrics.commands.labels(op_label, "ok").inc()
        return protocol.reply_ok(command.id, outcome.result)


# Commands of one connection that edit one card's own fields run side by side, this many at
# most; any other command waits for those sent before it and runs alone.
MAX_PARALLEL = 8
# The lane of commands that change nothing and that no other command waits for.
BESIDE = "beside"


def lane(command: protocol.Command) -> Hashable | None:
    """The card a command edits on its own, when it may run beside others; None: alone.

    Only snippet.update without interval_s: it locks just its card (board.cards.update_), and
    it changes no order or time, so two on different cards commute. Two on the same card run
    in the order sent. A connection check changes nothing and may wait on a network for
    seconds: it runs beside everything, nothing waits for it, and one runs at a time."""
    if command.op == "platform.check":
        return BESIDE
    if command.op != "snippet.update" or not isinstance(command.args, dict) or "interval_s" in command.args:
        return None
    card = command.args.get("id")
    return card if isinstance(card, int) and not isinstance(card, bool) else None


class Lanes:
    """The commands of one connection under way, and the order rule of ``lane``."""

    def __init__(self) -> None:
        self.running: dict[asyncio.Task[None], Hashable | None] = {}

    async def submit(self, key: Hashable | None, run: Callable[[], Awaitable[None]]) -> None:
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
            log.error("a command task failed", exc_info=task.exception(), extra={"action": "ws.command"})

    async def drain(self, everything: bool = False) -> None:
        """Wait for the commands under way (``everything``: those beside the order too)."""
        while waiting := [t for t, k in self.running.items() if everything or k != BESIDE]:
            await asyncio.wait(waiting)


def _known_ops() -> dict[str, Any]:
    from board.commands import OPS

    return OPS
