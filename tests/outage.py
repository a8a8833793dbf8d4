"""Killing the embedded PostgreSQL of a `metronome serve` process, once or for a while."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from board.patch import merge
from tests.live import LiveServer
from web.embedded import is_postmaster


def postmaster(pgdata: Path) -> psutil.Process | None:
    """The live postmaster of ``pgdata``: not a zombie left by an earlier kill, nor whatever
    process got a stale postmaster.pid's pid since (one of our own threads, say)."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        return psutil.Process(pid) if is_postmaster(pid, pgdata.resolve()) else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def kill(pgdata: Path) -> bool:
    """SIGKILL the postmaster and every process it started; True if there was one."""
    process = postmaster(pgdata)
    if process is None:
        return False
    with contextlib.suppress(psutil.Error):
        family = [process, *process.children(recursive=True)]
        for member in family:
            with contextlib.suppress(psutil.Error):
                member.kill()
    return True


@contextlib.contextmanager
def kept_down(pgdata: Path, seconds: float) -> Iterator[None]:
    """Kill the server, and every server started in ``pgdata``, for ``seconds`` from the
    block's start (a crash loop); the block's end waits for that time to be up."""

    def loop() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            kill(pgdata)
            time.sleep(0.05)

    thread = threading.Thread(target=loop, name="postgres-killer", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def health(server: LiveServer) -> int:
    try:
        return httpx.get(server.url + "/api/health", timeout=5).status_code
    except httpx.HTTPError:
        return 0


def wait_healthy(server: LiveServer, timeout: float = 30) -> float:
    """Seconds until the health check answers 200."""
    started = time.monotonic()
    while health(server) != 200:
        if time.monotonic() - started > timeout:
            lines = [line for line in server.log().splitlines() if " DEBUG " not in line]
            raise AssertionError(f"not healthy within {timeout} s:\n" + "\n".join(lines[-40:]))
        time.sleep(0.1)
    return time.monotonic() - started


class Board:
    """A signed-in WebSocket on a live server, read by a thread of its own: it applies every
    patch (checking that seq has no gaps), counts resyncs, and returns command replies."""

    def __init__(self, server: LiveServer) -> None:
        headers = {"Cookie": f"metronome_session={server.cookie()}", "Origin": server.url}
        self._stack = contextlib.ExitStack()
        self._ws = self._stack.enter_context(
            connect(
                server.url.replace("http", "ws") + "/ws", additional_headers=headers, max_size=None
            )
        )
        self.state: dict[str, Any] = {}
        self.seq = 0
        self.gaps: list[tuple[int, int]] = []
        # Patches that replaced the whole board (a resync nulls "snippets", then sends it).
        self.resyncs = 0
        self._replies: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="board-reader", daemon=True)
        self._reader.start()
        self.wait_for(lambda s: "me" in s)

    def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            for raw in self._ws:
                frame = orjson.loads(raw)
                with self._changed:
                    if frame["type"] == "patch":
                        if frame["seq"] != self.seq + 1:
                            self.gaps.append((self.seq, frame["seq"]))
                        self.seq = frame["seq"]
                        if "snippets" in frame["patch"] and frame["patch"]["snippets"] is None:
                            self.resyncs += 1
                        self.state = merge(self.state, frame["patch"])
                    elif frame["type"] == "reply":
                        self._replies[frame["id"]] = frame
                    self._changed.notify_all()

    def wait_for(self, predicate: Callable[[dict[str, Any]], Any], timeout: float = 30) -> Any:
        with self._changed:
            found = self._changed.wait_for(lambda: predicate(self.state), timeout)
        assert found, f"not seen within {timeout} s"
        return found

    def command(self, op: str, args: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        """The reply frame of one command, ok or not."""
        command_id = f"b{next(self._ids)}"
        self._ws.send(orjson.dumps({"id": command_id, "op": op, "args": args}).decode())
        with self._changed:
            assert self._changed.wait_for(lambda: command_id in self._replies, timeout)
            return self._replies.pop(command_id)

    def ok(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        frame = self.command(op, args)
        assert frame["ok"], frame
        result: dict[str, Any] = frame["result"]
        return result

    def close(self) -> None:
        self._stack.close()
        self._reader.join(10)
