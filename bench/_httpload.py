"""A one-thread HTTP/1.1 load generator for bench/clicks.py: keep-alive sockets, one epoll loop.

Each connection has at most one request in flight (no pipelining: browsers do not pipeline).
Requests are prebuilt bytes; a response is cut out of the connection's buffer by its header
block and Content-Length, and only its status is read. Latency runs from the moment a request
was *due*, not from when a connection was free to send it, so a server that falls behind is
charged for the queue it causes (no coordinated omission).
"""

from __future__ import annotations

import math
import select
import socket
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from _loadgen import BenchError

# How long answers to the last requests are awaited after a run: every request sent is
# answered before the next run (a click answered is a click the server counted).
DRAIN_S = 30.0


@dataclass
class Result:
    seconds: float  # the run's length (requests were sent within it)
    sent: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, from due to answered
    statuses: Counter[int] = field(default_factory=Counter)
    late: int = 0  # requests sent more than 1 ms after they were due
    server_cpu: float = 0.0  # the server's CPU seconds over the run (filled by the caller)
    other_busy: float = 0.0  # the share of the server's core other work took meanwhile

    @property
    def cpu_per_request(self) -> float:
        return self.server_cpu / self.done if self.done else math.nan

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


class Conn:
    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.due: float | None = None  # the in-flight request's due time

    def send(self, request: bytes, due: float) -> None:
        self.due = due
        self.sock.sendall(request)  # a few hundred bytes: the socket buffer takes them at once

    def read(self) -> int | None:
        """The status of the response completed by this read, or None (not complete yet)."""
        chunk = self.sock.recv(65536)
        if not chunk:
            raise BenchError("expected an HTTP response, the server closed the connection")
        self.buf += chunk
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buf[:end]).lower()
        length = 0
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop >= 0 else len(head)])
        if len(self.buf) < end + 4 + length:
            return None
        del self.buf[: end + 4 + length]
        if self.buf:
            raise BenchError("expected one response per request, got more bytes")
        return int(head[9:12])


class Load:
    """Connections to one server and the requests to send them, in turn."""

    def __init__(self, host: str, port: int, requests: list[bytes], conns: int) -> None:
        self.requests = requests
        self._address = (host, port)
        self._count = conns
        self.conns: list[Conn] = []
        self._by_fd: dict[int, Conn] = {}
        self._epoll = select.epoll()
        self._next = 0

    def connect(self) -> None:
        """Fresh connections: the server closes those idle for seconds (keep-alive timeout),
        as between two rounds."""
        for conn in self.conns:
            self._epoll.unregister(conn.sock.fileno())
            conn.sock.close()
        self.conns = [Conn(*self._address) for _ in range(self._count)]
        self._by_fd = {c.sock.fileno(): c for c in self.conns}
        for conn in self.conns:
            self._epoll.register(conn.sock.fileno(), select.EPOLLIN)

    def close(self) -> None:
        for conn in self.conns:
            conn.sock.close()
        self._epoll.close()

    def _request(self) -> bytes:
        self._next = (self._next + 1) % len(self.requests)
        return self.requests[self._next]

    def _answers(self, timeout: float, result: Result) -> list[Conn]:
        """Connections whose response completed within ``timeout``; records each."""
        freed = []
        for fd, _ in self._epoll.poll(max(timeout, 0.0)):
            conn = self._by_fd[fd]
            status = conn.read()
            if status is None:
                continue
            assert conn.due is not None
            result.latencies.append(time.monotonic() - conn.due)
            result.statuses[status] += 1
            conn.due = None
            freed.append(conn)
        return freed

    def closed_loop(self, seconds: float, width: int) -> Result:
        """``width`` connections each send their next request as soon as its answer came:
        the most the server answers. None is sent after ``seconds``; late answers count."""
        result = Result(seconds)
        start = time.monotonic()
        end = start + seconds
        for conn in self.conns[:width]:
            conn.send(self._request(), time.monotonic())
            result.sent += 1
        busy = min(width, len(self.conns))
        while busy and time.monotonic() < end + DRAIN_S:
            for conn in self._answers(0.05, result):
                if time.monotonic() < end:
                    conn.send(self._request(), time.monotonic())
                    result.sent += 1
                else:
                    busy -= 1
        result.seconds = time.monotonic() - start if busy else seconds
        return result

    def open_loop(self, rate: float, seconds: float) -> Result:
        """``rate`` requests a second, each due at its time whether or not the server kept
        up; latency counts from the due time."""
        result = Result(seconds)
        total = round(rate * seconds)
        start = time.monotonic() + 0.01
        free = deque(self.conns)
        waiting: deque[float] = deque()
        made = 0
        while time.monotonic() < start + seconds + DRAIN_S:
            now = time.monotonic()
            while made < total and start + made / rate <= now:
                waiting.append(start + made / rate)
                made += 1
            while waiting and free:
                due = waiting.popleft()
                free.popleft().send(self._request(), due)
                result.sent += 1
                if now - due > 0.001:
                    result.late += 1
            if made == total and not waiting and len(free) == len(self.conns):
                break
            wait = start + made / rate - now if made < total else 0.05
            free.extend(self._answers(min(wait, 0.05), result))
        return result
