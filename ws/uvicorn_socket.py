"""The socket behind a WebSocket served by uvicorn's websockets-sansio implementation.

The one module that knows uvicorn's internals: uvicorn offers no public way to write to a
WebSocket's socket. The ASGI ``send`` it hands the app is a bound method of its protocol
object (``WebSocketsSansIOProtocol``), whose ``transport`` (the asyncio socket transport),
``conn`` (websockets' ``ServerProtocol``) and ``close_sent`` are not uvicorn's API. So
pyproject.toml pins uvicorn to the releases this was tested on, and
tests/test_ws_direct.py fails if an upgrade breaks the detection, rather than every
connection quietly taking the queued path.
"""

from __future__ import annotations

import asyncio

from websockets.protocol import State

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - uvicorn is a dependency; another server may serve us
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]


_OPEN = State.OPEN


class SansIOSocket:
    """``ws.direct.FrameSocket`` on uvicorn's protocol object: frames go to its transport."""

    __slots__ = ("protocol", "transport", "_ws")

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self.protocol = protocol
        self.transport: asyncio.Transport = protocol.transport
        self._ws = protocol.conn  # websockets' ServerProtocol: its state says if a close passed

    def send(self, frame: bytes, /) -> int | None:
        """Write ``frame`` and return the bytes the kernel has not taken yet; None, writing
        nothing, once uvicorn sent or received a close or the socket is going away."""
        # The fanout's inner loop: one call, the checks inline.
        transport = self.transport
        if self.protocol.close_sent or transport.is_closing() or self._ws.state is not _OPEN:
            return None
        transport.write(frame)
        return transport.get_write_buffer_size()

    def buffered(self) -> int:
        return self.transport.get_write_buffer_size()

    def abort(self) -> None:
        self.transport.abort()


def socket_of(send: object) -> SansIOSocket | None:
    """The socket behind uvicorn's own ASGI ``send`` of a WebSocket, when frames may bypass ASGI.

    None when another server or implementation serves it, or when an extension (such as
    permessage-deflate) was negotiated: plain frames would still be legal under RFC 7692,
    but such connections are rare and the queued path is the safe one.
    """
    protocol = getattr(send, "__self__", None)
    if WebSocketsSansIOProtocol is None or not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    if protocol.conn.extensions or protocol.transport is None:
        return None
    return SansIOSocket(protocol)
