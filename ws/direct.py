"""Frames written straight to the socket under uvicorn's websockets-sansio implementation.

Going through ASGI ``send`` costs, per frame and client, a task wakeup (the sender task)
and uvicorn's and Starlette's whole send stack. Under websockets-sansio the protocol object
behind ``send`` owns the socket's asyncio transport, so a connection here frames each text
frame itself (RFC 6455: FIN, opcode 1, unmasked) and makes one ``transport.write`` per frame,
in the order of the calls: patches, replies and errors never overtake each other.

The transport's write buffer is the client's queue: no task, event or deque per connection.
A client whose buffer holds more than MAX_BACKLOG bytes of frames written after its full
state is dropped exactly as in ws/hub.py. Closing still goes through ASGI, so uvicorn sends
the close frame, runs its close timer and knows the connection is closing.

Anything else (another server or implementation, a compression extension negotiated) gets
the generic ``ws.hub.Connection``.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Mapping
from typing import Any

from websockets.protocol import State

from ws.hub import CLOSE_TOO_SLOW, MAX_BACKLOG, BaseConnection, Close, Encoded
from ws.protocol import PATCH_CLOSE, PATCH_MIDDLE, PATCH_OPEN

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - uvicorn is a dependency; another server may serve us
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]

log = logging.getLogger(__name__)

# Where RawSend (below) keeps the server's own ``send`` in a WebSocket scope.
RAW_SEND = "metronome.raw_send"

_FIN_TEXT = 0x81
_LEN16 = struct.Struct("!BBH").pack
_LEN64 = struct.Struct("!BBQ").pack


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

    Starlette wraps ``send`` in closures on the way to an endpoint; the endpoint needs the
    server's own callable to find the protocol object behind it.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


def sansio_protocol(scope: Mapping[str, Any]) -> Any | None:
    """The websockets-sansio protocol behind this WebSocket scope, if frames may bypass ASGI.

    None when another server or implementation serves it, or when an extension (such as
    permessage-deflate) was negotiated: plain frames would still be legal under RFC 7692,
    but such connections are rare and the generic path is the safe one.
    """
    send = scope.get(RAW_SEND)
    protocol = getattr(send, "__self__", None)
    if WebSocketsSansIOProtocol is None or not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    if protocol.conn.extensions or protocol.transport is None:
        return None
    return protocol


class DirectConnection(BaseConnection):
    """One client written to straight through its protocol's transport.

    ``_after_state`` counts the bytes written since the full state frame: the transport's
    buffer is the tail of everything written, so the part of it that counts against the
    backlog is ``min(buffered, _after_state)``. A large full state still in the buffer does
    not make a client that just joined look behind, and once it has left the buffer every
    buffered byte counts again.
    """

    __slots__ = ("protocol", "_transport", "_ws", "_after_state")

    def __init__(self, protocol: Any, close: Close, name: str) -> None:
        super().__init__(close, name)
        self.protocol = protocol
        self._transport: asyncio.WriteTransport = protocol.transport
        self._ws = protocol.conn  # websockets' ServerProtocol: its state says if a close passed
        self._after_state = 0

    @property
    def backlog(self) -> int:
        """Bytes of frames written after the full state that the socket has not taken yet."""
        if self.closed:
            return 0
        return min(self._transport.get_write_buffer_size(), self._after_state)

    def _writable(self) -> bool:
        """False once a close was sent or received, or the socket is going away."""
        if self.closed:
            return False
        if (
            self.protocol.close_sent
            or self._transport.is_closing()
            or self._ws.state is not State.OPEN
        ):
            # The connection is ending without us (the client closed, or uvicorn did): leave
            # the fanout; the endpoint sees the disconnect and cleans up.
            self.closed = True
            if self.on_drop is not None:
                self.on_drop(self)
            return False
        return True

    def _write(self, frame: bytes) -> None:
        self._transport.write(frame)
        self._after_state += len(frame)
        buffered = self._transport.get_write_buffer_size()
        if buffered > MAX_BACKLOG and min(buffered, self._after_state) > MAX_BACKLOG:
            self.drop(CLOSE_TOO_SLOW, "too far behind: reconnect to resync")

    def push(self, frame: str) -> None:
        if not self._writable():
            return
        payload = frame.encode()
        self._write(frame_header(len(payload)) + payload)

    def push_patch(self, patch: Encoded) -> None:
        if not self._ready:
            self._pending.append(patch)
            return
        if not self._writable():
            return
        self.seq += 1
        self._write(patch_frame(patch, b"%d" % self.seq))

    def _send_state(self, encoded_state: bytes) -> None:
        if not self._writable():
            return
        self._transport.write(patch_frame(Encoded(encoded_state), b"1"))
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
            self._transport.abort()
