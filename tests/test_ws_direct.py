"""The frame writers: straight to the socket (ws/direct.py) and the queued one it falls back to.

Tests marked EACH_WRITER run under both (tests/writers.py). Most run on the real stack: the
app under uvicorn in this loop, real sockets; they reach into the hub only to find the server
side of a connection and to publish patches and push frames in an order they control. The
direct writer's own rules are also tested on an in-memory socket, and its frames are read
back with websockets' sans-I/O client.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol as WebSocketsProtocol
from websockets.protocol import Side, State

from tests.support import (
    Client,
    RawSocket,
    Running,
    board_frames,
    login,
    make_user,
    running_app,
)
from tests.writers import EACH_WRITER, taking
from web.cli import WS_OPTIONS
from ws import hub as ws_hub
from ws.direct import DirectConnection, frame_header
from ws.hub import CLOSE_TIMEOUT, CLOSE_TOO_SLOW, MAX_BACKLOG, Connection, Encoded
from ws.uvicorn_socket import SansIOSocket, socket_of

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
                sock = conn.socket.transport.get_extra_info("socket")
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
        assert isinstance(conn.socket, SansIOSocket)
        assert isinstance(conn.socket.protocol, WebSocketsSansIOProtocol)
        assert client.frames[0]["seq"] == 1 and "me" in client.state
        created = await client.ok(
            "platform.create", {"kind": "log", "name": "direct", "interval_s": 60}
        )
        await client.wait_for(lambda s: str(created["id"]) in s["platforms"])


class MemorySocket:
    """A FrameSocket in memory: what was written, and how much of it the kernel took (all of
    it at once when ``drains``)."""

    def __init__(self, *, drains: bool = False) -> None:
        self.data = bytearray()
        self.taken = 0
        self.drains = drains
        self.open = True
        self.aborted = False

    def send(self, frame: bytes, /) -> int | None:
        assert not self.aborted, "written after an abort"
        if not self.open:
            return None
        self.data += frame
        if self.drains:
            self.taken = len(self.data)
        return self.buffered()

    def buffered(self) -> int:
        return len(self.data) - self.taken

    def abort(self) -> None:
        self.aborted = True

    def frames(self) -> list[dict[str, Any]]:
        """What a client reads from it: websockets' own sans-I/O client parses the bytes."""
        client = WebSocketsProtocol(Side.CLIENT, max_size=None)
        client.receive_data(bytes(self.data))
        assert client.parser_exc is None, client.parser_exc
        events = client.events_received()
        assert all(e.opcode is Opcode.TEXT and e.fin for e in events)
        return [orjson.loads(e.data) for e in events]


class Closes:
    """A connection's ASGI close, recorded; ``hang`` makes it wait as for a client that never
    takes the close frame."""

    def __init__(self, *, hang: bool = False) -> None:
        self.codes: list[int] = []
        self.hang = hang

    async def __call__(self, code: int, reason: str) -> None:
        self.codes.append(code)
        if self.hang:
            await asyncio.Event().wait()


@given(st.one_of(st.integers(0, 70_000), st.sampled_from([125, 126, 65_535, 65_536, 300_000])))
def test_frame_header_is_websockets_own(length: int) -> None:
    """Our header and websockets' serializer make the same final, unmasked text frame."""
    payload = b"x" * length
    assert frame_header(length) + payload == Frame(Opcode.TEXT, payload).serialize(mask=False)


async def test_direct_frames_read_back_by_websockets() -> None:
    """On an in-memory socket: a patch sent before the full state follows it; patch frames
    across seq widths and the 16- and 64-bit length boundaries, with replies between them,
    are read whole and in order by websockets' client."""
    sock = MemorySocket(drains=True)
    conn = DirectConnection(sock, Closes(), "memory")
    conn.push_patch(Encoded(b'{"early":true}'))
    assert not sock.data, "nothing before the full state"
    conn.ready(orjson.dumps({"me": {"id": 1}}))
    expected: list[dict[str, Any]] = [
        {"type": "patch", "seq": 1, "patch": {"me": {"id": 1}}},
        {"type": "patch", "seq": 2, "patch": {"early": True}},
    ]
    sizes = [10, 125, 126, 127, 65_535, 65_536, 65_537, 200_000]
    for i in range(120):  # seq 3 to 122: one, two and three digits
        patch = patch_of(sizes[i % len(sizes)] + 60, conn.seq + 1) if i % 9 == 0 else {"n": i}
        conn.push_patch(Encoded(orjson.dumps(patch)))
        expected.append({"type": "patch", "seq": conn.seq, "patch": patch})
        if i % 7 == 0:
            reply = orjson.loads(reply_of(sizes[i % len(sizes)] + 60, f"r{i}"))
            conn.push(orjson.dumps(reply).decode())
            expected.append(reply)
    assert sock.frames() == expected


async def test_direct_backlog_and_drop(monkeypatch: pytest.MonkeyPatch) -> None:
    """On an in-memory socket: the full state never counts against the backlog, what follows
    it counts while the kernel has not taken it; past MAX_BACKLOG the client is dropped at
    once, leaves the fanout, is written nothing more, and its socket is aborted when the
    close does not go out within CLOSE_TIMEOUT."""
    monkeypatch.setattr(ws_hub, "CLOSE_TIMEOUT", 0.05)
    sock, closes = MemorySocket(), Closes(hang=True)
    conn = DirectConnection(sock, closes, "memory")
    dropped: list[Any] = []
    conn.on_drop = dropped.append
    conn.ready(orjson.dumps({"big": "s" * (2 * MAX_BACKLOG)}))
    assert sock.buffered() > 2 * MAX_BACKLOG and conn.backlog == 0
    patch = Encoded(orjson.dumps({"pad": "p" * 1000}))
    state_size = len(sock.data)
    conn.push_patch(patch)
    frame_size = len(sock.data) - state_size
    assert conn.backlog == frame_size > 1000
    sock.taken = len(sock.data)  # the kernel took all of it
    assert conn.backlog == 0
    while not conn.closed:
        before = len(sock.data)
        conn.push_patch(patch)
        last = len(sock.data) - before
    # Dropped by the frame that took it past the limit, not sooner.
    assert sock.buffered() - last <= MAX_BACKLOG < sock.buffered()
    assert dropped == [conn]
    written = len(sock.data)
    conn.push_patch(patch)
    conn.push('{"type":"error"}')
    assert len(sock.data) == written and conn.backlog == 0
    await asyncio.sleep(0.3)
    assert closes.codes == [CLOSE_TOO_SLOW] and sock.aborted


async def test_direct_writer_stops_when_the_socket_closes() -> None:
    """Once the server's socket says it is closing (the client closed, or the server did),
    nothing more is written and the connection leaves the fanout without a close of ours."""
    sock, closes = MemorySocket(), Closes()
    conn = DirectConnection(sock, closes, "memory")
    dropped: list[Any] = []
    conn.on_drop = dropped.append
    conn.ready(b"{}")
    sock.open = False
    written = len(sock.data)
    conn.push_patch(Encoded(b'{"a":1}'))
    conn.push('{"type":"error"}')
    assert len(sock.data) == written and conn.closed and dropped == [conn] and closes.codes == []


def test_only_uvicorns_sansio_send_has_a_socket() -> None:
    """Anything but the bound send of uvicorn's websockets-sansio protocol gets the queued
    writer (the real servers are tested above)."""

    async def send(message: dict[str, Any]) -> None:
        pass

    assert socket_of(None) is None and socket_of(send) is None


async def test_compressed_connections_take_the_queued_writer(database_url: str) -> None:
    """permessage-deflate negotiated under websockets-sansio: the queued Connection serves the
    client (plain frames would be legal, but the direct writer does not go there)."""
    options = {"ws_per_message_deflate": True}
    async with running_app(
        database_url, uvicorn_options=options, METRONOME_WS_RATE="100000"
    ) as running:
        with taking(running, "queued", required=True):
            async with (
                connected(running, compression="deflate") as (one, conn),
                connected(running, "viewer", compression="deflate") as (two, _),
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


@EACH_WRITER
async def test_patches_while_the_state_is_read_follow_it(server: Running) -> None:
    """A patch published while a joining client's full state is being read reaches it after
    that state, as seq 2."""

    def change() -> None:
        server.services.hub.publish({"probe": "while the state was read"})

    with before_first_frame(server, change):
        async with connected(server) as (client, _):
            await client.wait_for(lambda s: "probe" in s)
            # Its own arrival (a presence patch) may come before or after the probe.
            frames = board_frames(client.frames)
            assert [(f["seq"], "probe" in f["patch"]) for f in frames] == [
                (1, False),
                (frames[1]["seq"], True),
            ]
            assert [f["seq"] for f in client.frames] == [1, 2, 3]


@EACH_WRITER
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
            for f in board_frames(one.frames[start_one:])
        ]
        assert got == expected
        await two.wait_for(lambda s: s.get("probe") == {"a": 39, "b": 39})
        assert [f["type"] for f in board_frames(two.frames[start_two:])] == ["patch"] * 60, (
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


@EACH_WRITER
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
        await client.wait_for(lambda s: len(board_frames(client.frames[start:])) >= len(sent))
        assert [orjson.dumps(f) for f in board_frames(client.frames[start:])] == sent


@EACH_WRITER
async def test_nothing_is_written_after_a_drop(server: Running) -> None:
    """Once the server drops a client, nothing but the close frame reaches it."""
    cookie = await login(server.url, await make_user(server.database_url, "viewer"))
    hub = server.services.hub
    raw = await RawSocket.connect(server, cookie, rcvbuf=None)
    try:
        conn = await joined(server, set())
        first = await raw.frame()
        assert first is not None and first[0] == OPCODE_TEXT and orjson.loads(first[1])["seq"] == 1
        await eventually(lambda: conn.seq == 2)  # its own arrival on the board, written
        second = await raw.frame()
        assert second is not None and "presence" in orjson.loads(second[1])["patch"]
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
        await eventually(lambda: conn.seq >= 1)  # then its presence patch, at seq 2
    try:
        for i in range(100):  # until some of its frames wait in the server's own buffer
            if conn.socket.buffered():
                break
            hub.publish({"fill": f"{i:03d}" + "x" * 20_000})
        assert conn.socket.buffered() > 0
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
            await eventually(lambda: conn.socket.protocol.conn.state is not State.OPEN)
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


@pytest.mark.slow
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
        await eventually(lambda: conn.seq >= 1)  # then its presence patch, at seq 2
    try:
        assert conn.socket.buffered() > MAX_BACKLOG, "the state should wait in our buffer"

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
        await eventually(lambda: conn.socket.protocol.disconnected, timeout=CLOSE_TIMEOUT + 5)
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
