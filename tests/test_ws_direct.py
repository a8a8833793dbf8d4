"""Frames written straight to the socket (ws/direct.py), and the generic path it falls back to.

Everything runs on the real stack: the app under uvicorn in this loop, real sockets. The test
reaches into the hub only to find the server side of a connection and to publish patches and
push frames in an order it controls.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import orjson
import pytest
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from tests.support import Client, RawSocket, Running, login, make_user, running_app
from web.cli import WS_OPTIONS
from ws.direct import DirectConnection
from ws.hub import CLOSE_TIMEOUT, CLOSE_TOO_SLOW, MAX_BACKLOG, Connection

# uvicorn's legacy implementation: its send is not websockets-sansio's, so the generic path.
# It and the websockets.legacy module under it warn that they are deprecated.
LEGACY = {"ws": "websockets"}
LEGACY_MARKS = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::uvicorn.config.UvicornDeprecationWarning"),
]

OPCODE_TEXT, OPCODE_CLOSE = 0x1, 0x8


async def joined(running: Running, before: set[Any]) -> Any:
    """The server side of the one connection that joined since ``before`` was taken."""
    hub = running.services.hub
    for _ in range(500):
        new = hub.connections - before
        if new:
            assert len(new) == 1
            return new.pop()
        await asyncio.sleep(0.01)
    raise AssertionError("no connection joined the hub")


@contextlib.asynccontextmanager
async def connected(
    running: Running, role: str = "admin", **options: Any
) -> AsyncIterator[tuple[Client, Any]]:
    """A client and the server's side of its connection."""
    cookie = await login(running.url, await make_user(running.database_url, role))
    before = set(running.services.hub.connections)
    async with Client.connect(running, cookie=cookie, **options) as client:
        yield client, await joined(running, before)


@contextlib.contextmanager
def before_first_frame(running: Running, hook: Callable[[], None]) -> Iterator[None]:
    """Runs ``hook`` whenever a joining client's full state has been read, before it is sent."""
    deps = running.services.socket.deps
    load_state = deps.load_state

    async def load_then_hook(actor: Any) -> dict[str, Any]:
        state = await load_state(actor)
        hook()
        return state

    deps.load_state = load_then_hook
    try:
        yield
    finally:
        deps.load_state = load_state


def small_kernel_buffers(running: Running) -> Callable[[], None]:
    """A hook that gives joining connections a small kernel send buffer. On loopback the
    kernel's grows to megabytes for a client that does not read; with a small one, what the
    client does not take waits in the transport's buffer, where the backlog is measured."""

    def shrink() -> None:
        for conn in running.services.hub.connections:
            if conn.seq == 0:  # joined, its first frame not yet written
                sock = conn.protocol.transport.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)

    return shrink


async def eventually(check: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


def reply_of(size: int, command_id: str = "pad") -> bytes:
    """A reply frame of exactly ``size`` bytes, padded with two-byte characters (and one x)."""
    empty = len(orjson.dumps({"type": "reply", "id": command_id, "ok": True, "result": ""}))
    pad = "é" * ((size - empty) // 2) + "x" * ((size - empty) % 2)
    frame = orjson.dumps({"type": "reply", "id": command_id, "ok": True, "result": pad})
    assert len(frame) == size
    return frame


def patch_of(size: int, seq: int) -> dict[str, Any]:
    """A patch whose frame at ``seq`` is exactly ``size`` bytes."""
    empty = len(b'{"type":"patch","seq":%d,"patch":{"pad":""}}' % seq)
    pad = "é" * ((size - empty) // 2) + "x" * ((size - empty) % 2)
    return {"pad": pad}


async def test_direct_path_under_serve_settings(server: Running) -> None:
    """Under `metronome serve`'s uvicorn settings, frames bypass ASGI. If an upgrade of uvicorn
    breaks the detection, this fails rather than every connection quietly taking the slow path."""
    assert WS_OPTIONS["ws"] == "websockets-sansio"
    async with connected(server) as (client, conn):
        assert isinstance(conn, DirectConnection), (
            f"expected the direct writer, got {type(conn).__name__}"
        )
        assert isinstance(conn.protocol, WebSocketsSansIOProtocol)
        assert client.seq == 1 and "me" in client.state
        created = await client.ok(
            "platform.create", {"kind": "log", "name": "direct", "interval_s": 60}
        )
        await client.wait_for(lambda s: str(created["id"]) in s["platforms"])


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("legacy", marks=LEGACY_MARKS),
        "deflate",
    ],
)
async def test_fallback_path(database_url: str, path: str) -> None:
    """Another uvicorn implementation, or permessage-deflate negotiated: the queued Connection
    serves the client, with the same frames."""
    options, compression = (
        (LEGACY, None) if path == "legacy" else ({"ws_per_message_deflate": True}, "deflate")
    )
    async with running_app(
        database_url, uvicorn_options=options, METRONOME_WS_RATE="100000"
    ) as running:
        async with (
            connected(running, compression=compression) as (one, conn),
            connected(running, "viewer", compression=compression) as (two, _),
        ):
            assert type(conn) is Connection
            replies = await asyncio.gather(
                *[
                    one.command(
                        "platform.create", {"kind": "log", "name": f"f{i}", "interval_s": 60}
                    )
                    for i in range(10)
                ]
            )
            assert all(r["ok"] for r in replies)
            ids = {str(r["result"]["id"]) for r in replies}
            for client in (one, two):
                await client.wait_for(lambda s: ids <= set(s["platforms"]))
                seqs = [f["seq"] for f in client.frames if f["type"] == "patch"]
                assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.parametrize("path", ["direct", pytest.param("legacy", marks=LEGACY_MARKS)])
async def test_patches_while_the_state_is_read_follow_it(database_url: str, path: str) -> None:
    """A patch published while a joining client's full state is being read reaches it after
    that state, as seq 2."""
    options = LEGACY if path == "legacy" else None
    async with running_app(database_url, uvicorn_options=options) as running:

        def change() -> None:
            running.services.hub.publish({"probe": "while the state was read"})

        with before_first_frame(running, change):
            async with connected(running) as (client, _):
                await client.wait_for(lambda s: "probe" in s)
                assert [(f["seq"], "probe" in f["patch"]) for f in client.frames] == [
                    (1, False),
                    (2, True),
                ]


async def test_seq_and_order_with_replies(server: Running) -> None:
    """seq grows by exactly 1 per patch on each connection, and frames leave in the order
    they were written: replies never overtake patches or the other way round."""
    async with connected(server) as (one, conn), connected(server, "viewer") as (two, conn_two):
        hub = server.services.hub
        start_one, start_two, seq = len(one.frames), len(two.frames), conn.seq
        expected = []
        for i in range(40):
            conn.push(
                orjson.dumps({"type": "reply", "id": f"r{i}", "ok": True, "result": {}}).decode()
            )
            expected.append(("reply", f"r{i}"))
            for part in ("a", "b")[: 1 + i % 2]:
                hub.publish({"probe": {part: i}})
                seq += 1
                expected.append(("patch", seq))
        await one.wait_for(lambda s: s.get("probe") == {"a": 39, "b": 39})
        got = [
            ("reply", f["id"]) if f["type"] == "reply" else ("patch", f["seq"])
            for f in one.frames[start_one:]
        ]
        assert got == expected
        await two.wait_for(lambda s: s.get("probe") == {"a": 39, "b": 39})
        assert [f["type"] for f in two.frames[start_two:]] == ["patch"] * 60, (
            "replies go to their connection only"
        )
        assert [f["seq"] for f in two.frames] == list(range(1, conn_two.seq + 1))

        # Real commands, many in flight: each gets its reply; patches stay gapless on both.
        replies = await asyncio.gather(
            *[
                one.command("platform.create", {"kind": "log", "name": f"c{i}", "interval_s": 60})
                for i in range(20)
            ]
        )
        ids = {str(r["result"]["id"]) for r in replies}
        for client, server_side in ((one, conn), (two, conn_two)):
            await client.wait_for(lambda s: ids <= set(s["platforms"]))
            seqs = [f["seq"] for f in client.frames if f["type"] == "patch"]
            assert seqs == list(range(1, server_side.seq + 1))


async def test_frame_lengths(server: Running) -> None:
    """Frames at and around the 7-bit, 16-bit and 64-bit length boundaries arrive whole,
    as read by the websockets client library."""
    sizes = [125, 126, 127, 65535, 65536, 65537, 300_000]
    async with connected(server) as (client, conn):
        hub = server.services.hub
        start = len(client.frames)
        sent = []
        for size in sizes:
            frame = reply_of(size, f"r{size}")
            conn.push(frame.decode())
            sent.append(frame)
            patch = patch_of(size, conn.seq + 1)
            hub.publish(patch)
            sent.append(b'{"type":"patch","seq":%d,"patch":%s}' % (conn.seq, orjson.dumps(patch)))
            assert len(sent[-1]) == size
        await client.wait_for(lambda s: len(client.frames) >= start + len(sent))
        assert [orjson.dumps(f) for f in client.frames[start:]] == sent


async def test_nothing_is_written_after_a_drop(server: Running) -> None:
    """Once the server drops a client, nothing but the close frame reaches it."""
    cookie = await login(server.url, await make_user(server.database_url, "viewer"))
    hub = server.services.hub
    raw = await RawSocket.connect(server, cookie, rcvbuf=None)
    try:
        conn = await joined(server, set())
        first = await raw.frame()
        assert first is not None and first[0] == OPCODE_TEXT and orjson.loads(first[1])["seq"] == 1
        conn.drop(CLOSE_TOO_SLOW, "a test")
        hub.publish({"after": "the drop"})
        conn.push('{"type":"error","error":{"code":"after","message":"the drop"}}')
        close = await raw.frame()
        assert (
            close is not None
            and close[0] == OPCODE_CLOSE
            and int.from_bytes(close[1][:2], "big") == CLOSE_TOO_SLOW
        )
        await raw.send_frame(OPCODE_CLOSE, close[1][:2])
        assert await raw.frames_until_eof() == []
        assert conn not in hub.connections
    finally:
        raw.close()


async def test_nothing_is_written_after_the_client_closes(server: Running, admin: Client) -> None:
    """A client closes while its command is still running and frames still wait in its
    buffer: after the close frame uvicorn answers with, nothing more is written, neither the
    patches published meanwhile nor the command's reply."""
    hub = server.services.hub
    pid = (await admin.ok("platform.create", {"kind": "log", "name": "held", "interval_s": 60}))[
        "id"
    ]
    cookie = await login(server.url, await make_user(server.database_url, "editor"))
    before = set(hub.connections)
    with before_first_frame(server, small_kernel_buffers(server)):
        raw = await RawSocket.connect(server, cookie)  # reads nothing until told: frames back up
        conn = await joined(server, before)
        await eventually(lambda: conn.seq == 1)
    try:
        for i in range(100):  # until some of its frames wait in the server's own buffer
            if conn.protocol.transport.get_write_buffer_size():
                break
            hub.publish({"fill": f"{i:03d}" + "x" * 20_000})
        assert conn.protocol.transport.get_write_buffer_size() > 0
        async with server.services.database.connect() as db:
            lock = db.transaction()
            await lock.start()
            # The command will wait on this lock, so the endpoint cannot see the close yet.
            await db.execute("SELECT id FROM platforms WHERE id = $1 FOR UPDATE", pid)
            command = orjson.dumps({"id": "held", "op": "platform.pause", "args": {"id": pid}})
            # One write: uvicorn reads the close along with the command.
            await asyncio.get_running_loop().sock_sendall(
                raw.sock,
                raw.frame_bytes(OPCODE_TEXT, command)
                + raw.frame_bytes(OPCODE_CLOSE, (1000).to_bytes(2, "big")),
            )
            await eventually(lambda: conn.protocol.conn.state is not State.OPEN)
            assert not conn.closed and conn in hub.connections  # only the protocol knows yet
            hub.publish({"after": "the close"})
            conn.push('{"type":"error","error":{"code":"after","message":"the close"}}')
            assert conn.closed and conn not in hub.connections
            await lock.rollback()
        frames = await raw.frames_until_eof()
        assert frames[-1][0] == OPCODE_CLOSE, "the close frame must be the last"
        written = [orjson.loads(payload) for opcode, payload in frames if opcode == OPCODE_TEXT]
        assert not [
            f
            for f in written
            if f.get("id") == "held"
            or "after" in f.get("patch", {})
            or f.get("error", {}).get("code") == "after"
        ]
        await admin.wait_for(lambda s: s["platforms"][str(pid)]["paused"])  # the command did run
    finally:
        raw.close()


async def test_joining_a_big_board_then_falling_behind(server: Running, admin: Client) -> None:
    """A client that never reads: its full state, larger than the limit, does not count; the
    patches after it do, and past MAX_BACKLOG of them it is dropped while the others keep
    up. Its socket, which never takes the close frame, is aborted after CLOSE_TIMEOUT."""
    hub = server.services.hub
    pid = (
        await admin.ok(
            "platform.create", {"kind": "log", "name": "big", "interval_s": 60, "paused": True}
        )
    )["id"]
    for start in range(0, 130, 10):
        await asyncio.gather(
            *[
                admin.ok("snippet.create", {"platform_id": pid, "body": f"{i:03d}" + "b" * 9_990})
                for i in range(start, start + 10)
            ]
        )
    sid = (await admin.ok("snippet.create", {"platform_id": pid, "body": "small"}))["id"]
    version = 1
    cookie = await login(server.url, await make_user(server.database_url, "viewer"))
    before = set(hub.connections)
    with before_first_frame(server, small_kernel_buffers(server)):
        stuck = await RawSocket.connect(server, cookie)
        conn = await joined(server, before)
        await eventually(lambda: conn.seq == 1)
    try:
        assert conn.protocol.transport.get_write_buffer_size() > MAX_BACKLOG, (
            "the state should wait in our buffer"
        )

        async def update(body: str) -> None:
            nonlocal version
            version = (
                await admin.ok("snippet.update", {"id": sid, "version": version, "body": body})
            )["version"]
            await admin.wait_for(lambda s: s["snippets"][str(sid)]["body"] == body, timeout=1.0)

        start = len(admin.frames)
        for i in range(3):
            await update(f"small {i}")
        assert conn in hub.connections and 0 < conn.backlog < MAX_BACKLOG
        for i in range(200):
            await update(f"{i:03d}" + "y" * 9_000)
            if conn not in hub.connections:
                break
        assert conn not in hub.connections and conn.closed, (
            "the stuck client should have been dropped"
        )
        # The stuck client was written the same patches as this one (but for seq's digits):
        # dropped by the first that took it past the limit.
        written = sum(len(orjson.dumps(f)) for f in admin.frames[start:] if f["type"] == "patch")
        assert MAX_BACKLOG - 500 < written <= MAX_BACKLOG + 10_000, written
        await eventually(lambda: conn.protocol.disconnected, timeout=CLOSE_TIMEOUT + 5)
    finally:
        stuck.close()


async def test_notified_patches_are_not_encoded_again(server: Running, admin: Client) -> None:
    """What the unit of work notifies is the form the listener cuts the patch from
    (board/notify.py): if it changes, this says so (the fallback, encoding again, would be
    silent)."""
    listener = server.services.listener
    on_change = listener._on_change
    seen: list[tuple[dict[str, Any], bytes | None]] = []

    def record(patch: dict[str, Any], wake: list[int], encoded: bytes | None) -> None:
        seen.append((patch, encoded))
        on_change(patch, wake, encoded)

    listener._on_change = record
    try:
        created = await admin.ok(
            "platform.create", {"kind": "log", "name": "cut", "interval_s": 60}
        )
        await admin.wait_for(lambda s: str(created["id"]) in s["platforms"])
    finally:
        listener._on_change = on_change
    assert seen and all(
        encoded is not None and orjson.loads(encoded) == patch for patch, encoded in seen
    )
