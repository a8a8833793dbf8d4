"""The ceiling for bench/fanout.py: a bare Starlette broadcast server with no database.

It speaks just the part of Metronome's protocol (CONTRACT §2, §3) that the bench uses — any
cookie is accepted, the first frame is the full state, every command gets a reply and
every change is one patch frame of the same shape Metronome sends — and does the least
work a Python server can do for it: encode the patch once, then send it to every
connection in a plain loop. No queues, no tasks per client: that is what makes it the
ceiling, not a design to copy (one slow client delays everyone here).

    python bench/ceiling.py --port 8765
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

Row = dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Board:
    """The in-memory state and the connections; one per app, built by `build_app`."""

    def __init__(self) -> None:
        self.clients: list[WebSocket] = []
        self.platforms: dict[str, Row] = {}
        self.snippets: dict[str, Row] = {}
        self.seq = 1  # the full state is seq 1 on every connection
        self._next_id = 1

    def state_frame(self) -> str:
        state = {
            "me": {"id": 1, "email": "admin@bench.invalid", "role": "admin"},
            "platforms": self.platforms,
            "snippets": self.snippets,
        }
        return orjson.dumps({"type": "patch", "seq": 1, "patch": state}).decode()

    def apply(self, command: Row) -> tuple[Row, Row | None]:
        """The reply's result and the patch a command causes (None: nothing changed)."""
        op = command.get("op")
        args = command.get("args") or {}
        if op == "platform.create":
            row = self._platform(args)
            self.platforms[str(row["id"])] = row
            return {"id": row["id"]}, {"platforms": {str(row["id"]): row}}
        if op == "snippet.create":
            row = self._snippet(args)
            self.snippets[str(row["id"])] = row
            return {"id": row["id"], "version": 1}, {"snippets": {str(row["id"]): row}}
        if op == "snippet.update":
            row = self.snippets[str(args["id"])]
            # Like Metronome's: only what changed, the new version and when.
            change = {key: args[key] for key in ("body", "url") if key in args}
            change["version"] = row["version"] + 1
            change["updated_at"] = _now()
            row.update(change)
            return {"id": row["id"], "version": row["version"]}, {
                "snippets": {str(row["id"]): change}
            }
        return {}, None

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _platform(self, args: Row) -> Row:
        return {
            "id": self._new_id(),
            "kind": args.get("kind", "log"),
            "name": args.get("name", ""),
            "position": len(self.platforms) + 1,
            "interval_s": args.get("interval_s", 3600),
            "paused": False,
            "status": "ok",
            "settings": args.get("settings", {}),
        }

    def _snippet(self, args: Row) -> Row:
        # The fields (and so the frame size) of a Metronome card, eta included.
        eta = datetime.now(UTC) + timedelta(hours=len(self.snippets))
        return {
            "id": self._new_id(),
            "platform_id": args.get("platform_id"),
            "ord": float(len(self.snippets) + 1),
            "kind": "post",
            "status": "pending",
            "body": args.get("body", ""),
            "url": args.get("url"),
            "material_id": None,
            "eta": eta.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "user_id": 1,
            "version": 1,
            "meta": {},
        }

    async def broadcast(self, patch: Row) -> None:
        self.seq += 1
        frame = orjson.dumps({"type": "patch", "seq": self.seq, "patch": patch}).decode()
        # A plain loop: asyncio.gather over the clients was measured slower.
        for client in list(self.clients):
            try:
                await client.send_text(frame)
            except Exception:  # noqa: BLE001 - a gone client just leaves the loop
                self._drop(client)

    def _drop(self, client: WebSocket) -> None:
        if client in self.clients:
            self.clients.remove(client)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "db": "ok"})


async def login(request: Request) -> Response:
    response = JSONResponse({"ok": True})
    response.set_cookie("metronome_session", "ceiling", httponly=True, samesite="lax")
    return response


# What the benches' harness asks of any server it starts (bench/fanout.py `running`).
HARNESS = [Route("/api/health", health), Route("/api/login", login, methods=["POST"])]


def build_app() -> Starlette:
    board = Board()

    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(board.state_frame())
        board.clients.append(websocket)
        try:
            while True:
                command = orjson.loads(await websocket.receive_text())
                result, patch = board.apply(command)
                reply = {"type": "reply", "id": command.get("id"), "ok": True, "result": result}
                await websocket.send_text(orjson.dumps(reply).decode())
                if patch is not None:
                    await board.broadcast(patch)
        except WebSocketDisconnect:
            pass
        finally:
            board._drop(websocket)

    return Starlette(routes=[*HARNESS, WebSocketRoute("/ws", ws)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--ws",
        default="websockets-sansio",
        # What uvicorn's "auto" picks, so what Metronome runs on; "websockets" (the legacy
        # implementation) was measured ~45 % more CPU and ~8 KiB more per connection.
        help="uvicorn's WebSocket implementation (default websockets-sansio)",
    )
    args = parser.parse_args()
    uvicorn.run(
        build_app(),
        host=args.host,
        port=args.port,
        ws=args.ws,
        # uvicorn's default is on: +45 % CPU and +40 KB per connection for ~300-byte frames.
        ws_per_message_deflate=False,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
