"""The direct frame writer: each frame written straight to the client's socket.

Why a second writer beside ws/hub.py's queued ``Connection``: going through ASGI ``send``
costs, per frame and client, a wakeup of the connection's sender task and the whole of
Starlette's and uvicorn's send stack. Measured in one uvicorn process with real sockets
(docs/architecture.md, "Fanout"), CPU per connection and ~200-byte patch, medians: queued
12.8 µs at 100 clients and 20.5 µs at 1,000; this writer 6.6 and 8.1. In bench/fanout.py it
took CPU per delivery at 1,000 clients from 53-58 µs to 23-25 µs.

Why our own framing (RFC 6455 §5.2: FIN, opcode 1, unmasked, 7/16/64-bit length) rather than
websockets' sans-I/O ``send_text()`` + ``data_to_send()``: the frames are byte for byte the
same, but websockets builds a ``Frame`` per connection and call (1.25 µs against 0.22 µs for
``patch_frame``), which made the same measurement 8.1 µs at 100 clients and 10.1 µs at
1,000, a fifth more, and would still need uvicorn's private objects for the socket. Here the
part of a patch frame that every connection shares is built once per patch; per connection
it is a seq, one concatenation and one write.

The socket comes from ``FrameSocket``, the only interface this writer has to the server;
ws/uvicorn_socket.py, the only module that knows uvicorn's internals, provides it under
uvicorn's websockets-sansio. The transport's write buffer is the client's queue: no task,
event or deque per connection. A client whose buffer holds more than MAX_BACKLOG bytes of
frames written after its full state is dropped exactly as in ws/hub.py. Closing still goes
through ASGI, so uvicorn sends the close frame, runs its close timer and knows the
connection is closing.
"""

from __future__ import annotations

import logging
import struct
from typing import Any, Protocol

from starlette.websockets import WebSocket

from ws.hub import CLOSE_TOO_SLOW, MAX_BACKLOG, BaseConnection, Close, Connection, Encoded
from ws.protocol import PATCH_CLOSE, PATCH_MIDDLE, PATCH_OPEN
from ws.uvicorn_socket import socket_of

log = logging.getLogger(__name__)

# Where RawSend (below) keeps the server's own ``send`` in a WebSocket scope.
RAW_SEND = "metronome.raw_send"

_FIN_TEXT = 0x81
_LEN16 = struct.Struct("!BBH").pack
_LEN64 = struct.Struct("!BBQ").pack


class FrameSocket(Protocol):
    """What the direct writer needs of a client's socket."""

    def send(self, frame: bytes, /) -> int | None:
        """Write ``frame`` after everything written before it, without blocking, and return
        the bytes the kernel has not taken yet; None, writing nothing, once a close was sent
        or received or the socket is going away."""

    def buffered(self) -> int:
        """Bytes written that the kernel has not taken yet."""

    def abort(self) -> None:
        """Close the socket at once, dropping what it still buffers."""


def frame_header(length: int) -> bytes:
    """The header of a final, unmasked text frame of ``length`` payload bytes (RFC 6455 §5.2)."""
    if length < 126:
        return bytes((_FIN_TEXT, length))
    if length < 65536:
        return _LEN16(_FIN_TEXT, 126, length)
    return _LEN64(_FIN_TEXT, 127, length)


def patch_frame(patch: Encoded, seq: bytes) -> bytes:
    """The whole frame (header included) of ``patch`` at ``seq``, in one piece for one write.

    What does not depend on the connection is built once per patch and kept in
    ``patch.frames``: under 0 the part after the seq, under n the header and the frame's
    opening for a seq of n digits (the header holds the length, which the width changes).
    """
    parts = patch.frames
    head = parts.get(len(seq))
    if head is None:
        tail = parts.get(0)
        if tail is None:
            tail = parts[0] = PATCH_MIDDLE + patch.data + PATCH_CLOSE
        head = parts[len(seq)] = frame_header(len(PATCH_OPEN) + len(seq) + len(tail)) + PATCH_OPEN
    return head + seq + parts[0]


class RawSend:
    """ASGI middleware: keeps the server's ``send`` of a WebSocket in its scope.

    Starlette wraps ``send`` in closures on the way to an endpoint; ``connection_for`` needs
    the server's own callable to find the socket behind it.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


def connection_for(websocket: WebSocket, close: Close, name: str) -> BaseConnection:
    """The writer for an accepted client: direct when its socket can be reached, the queued
    ``Connection`` otherwise (another server or implementation, an extension negotiated)."""
    sock = socket_of(websocket.scope.get(RAW_SEND))
    if sock is None:
        return Connection(websocket.send_text, close, name)
    return DirectConnection(sock, close, name)


class DirectConnection(BaseConnection):
    """One client written to straight through its socket.

    ``_after_state`` counts the bytes written since the full state frame: the socket's
    buffer is the tail of everything written, so the part of it that counts against the
    backlog is ``min(buffered, _after_state)``. A large full state still in the buffer does
    not make a client that just joined look behind, and once it has left the buffer every
    buffered byte counts again.
    """

    __slots__ = ("socket", "_after_state")

    def __init__(self, sock: FrameSocket, close: Close, name: str) -> None:
        super().__init__(close, name)
        self.socket = sock
        self._after_state = 0

    @property
    def backlog(self) -> int:
        """Bytes of frames written after the full state that the socket has not taken yet."""
        if self.closed:
            return 0
        return min(self.socket.buffered(), self._after_state)

    def _ended(self) -> None:
        """The connection is ending without us (the client closed, or the server did): leave
        the fanout; the endpoint sees the disconnect and cleans up."""
        self.closed = True
        if self.on_drop is not None:
            self.on_drop(self)

    def _write(self, frame: bytes) -> None:
        buffered = self.socket.send(frame)
        if buffered is None:
            self._ended()
            return
        self._after_state += len(frame)
        if buffered > MAX_BACKLOG and min(buffered, self._after_state) > MAX_BACKLOG:
            self.drop(CLOSE_TOO_SLOW, "too far behind: reconnect to resync")

    def push(self, frame: str) -> None:
        if self.closed:
            return
        payload = frame.encode()
        self._write(frame_header(len(payload)) + payload)

    def push_patch(self, patch: Encoded) -> None:
        if not self._ready:
            self._pending.append(patch)
            return
        if self.closed:
            return
        self.seq += 1
        self._write(patch_frame(patch, b"%d" % self.seq))

    def _send_state(self, encoded_state: bytes) -> None:
        if self.closed:
            return
        if self.socket.send(patch_frame(Encoded(encoded_state), b"1")) is None:
            self._ended()
            return
        self._after_state = 0  # the full state of a large board is not a client falling behind

    async def _close_in_time(self, code: int, reason: str) -> None:
        try:
            await super()._close_in_time(code, reason)
        except TimeoutError:
            # uvicorn writes the close frame only once the buffer drains below its low-water
            # mark: a client that took nothing for CLOSE_TIMEOUT never will, and only an abort
            # frees the buffer it holds.
            log.info(
                "connection %s did not take its close frame: aborted",
                self.name,
                extra={"action": "ws.abort"},
            )
            self.socket.abort()
