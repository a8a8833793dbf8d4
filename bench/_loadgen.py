"""A one-thread WebSocket load generator for bench/fanout.py: raw sockets and epoll.

The `websockets` library costs more Python per received frame than the server spends
sending it, so with 1,000 clients the load generator, not the server, would be measured.
Here every client is a bare socket in one epoll loop (~15 µs per frame on this machine): the upgrade handshake is written by hand (RFC 6455 §4), server
frames (never masked) are cut out of a per-connection buffer, and a receiver never parses
JSON — it looks for the bench's marker (`@@` + 8 digits) in the frame's bytes.

Like a browser, every client offers permessage-deflate, so a server that forgets to turn it
off is measured with the cost it would have in production (and reported: `deflate`).
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import select
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
import psutil

MARKER = b"@@"
MARKER_DIGITS = 8
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
_DEFLATE_TAIL = b"\x00\x00\xff\xff"  # RFC 7692 §7.2.2: stripped by the sender
POOL = 32  # cards updated in turn: a card takes one update at a time (its version)
FILLER = "Metronome fanout bench: a card body of the length of a typical social post."
DRAIN_S = 1.0  # a patch not at every client this long after the last send is backlog
IDLE_POLL_S = 1.0  # how often a hub reads its idle companions (Hub.idle); pings come every 20 s


class BenchError(Exception):
    """The server did not answer the bench as the contract says."""


def marker(index: int) -> str:
    """The text a command carries so receivers can spot its patch without parsing JSON."""
    return f"@@{index:0{MARKER_DIGITS}d}"


@dataclass
class Tracker:
    """Which connections have seen which marker, and when the last one did."""

    sent_at: dict[int, float] = field(default_factory=dict)
    done_at: dict[int, float] = field(default_factory=dict)
    # In flight only: a marker leaves these once every connection has seen it, so a late
    # copy (a full-state frame, a patch that re-sends the card) is ignored cheaply.
    _seen: dict[int, bytearray] = field(default_factory=dict)
    _left: dict[int, int] = field(default_factory=dict)
    _next: int = 1

    def new(self, connections: int, now: float) -> int:
        index = self._next
        self._next += 1
        self.sent_at[index] = now
        self._seen[index] = bytearray(connections)
        self._left[index] = connections
        return index

    def seen(self, index: int, conn_id: int, now: float) -> None:
        flags = self._seen.get(index)
        if flags is None or conn_id >= len(flags) or flags[conn_id]:
            return
        flags[conn_id] = 1
        left = self._left[index] - 1
        self._left[index] = left
        if left == 0:
            self.done_at[index] = now
            del self._seen[index], self._left[index]

    def forget(self) -> None:
        """Stop waiting for what is still in flight (a step is over)."""
        self._seen.clear()
        self._left.clear()

    @property
    def in_flight(self) -> int:
        return len(self._left)

    def latency(self, index: int) -> float | None:
        done = self.done_at.get(index)
        return None if done is None else done - self.sent_at[index]


def _mask(payload: bytes, key: bytes) -> bytes:
    """XOR with the 4-byte key (RFC 6455 §5.3), done on one big int: fast for small frames."""
    n = len(payload)
    if n == 0:
        return payload
    keystream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")).to_bytes(n, "big")


def client_frame(payload: bytes, opcode: int = 1) -> bytes:
    """A masked, unfragmented client frame (clients must mask, RFC 6455 §5.1)."""
    n = len(payload)
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    key = os.urandom(4)
    return header + key + _mask(payload, key)


def _handshake(
    host: str, port: int, path: str, headers: dict[str, str], timeout: float
) -> tuple[socket.socket, bytes, str]:
    """Open the socket and upgrade it; returns it, bytes read past the response, extensions."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        # What Chromium offers; see the module docstring.
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise BenchError(f"expected a 101 upgrade from {path}, got a closed connection")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status, *header_lines = head.decode("latin-1").split("\r\n")
    if " 101 " not in f"{status} ":
        sock.close()
        raise BenchError(f"expected a 101 upgrade from {path}, got {status!r}")
    response = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        response[name.strip().lower()] = value.strip()
    accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
    if response.get("sec-websocket-accept") != accept:
        sock.close()
        raise BenchError("expected a matching Sec-WebSocket-Accept, got another")
    sock.settimeout(None)  # blocking, but only read when epoll says readable
    return sock, rest, response.get("sec-websocket-extensions", "")


class Conn:
    """One client: cuts frames out of its buffer, answers pings, hands on text payloads."""

    def __init__(
        self, conn_id: int, sock: socket.socket, rest: bytes, extensions: str, hub: Hub
    ) -> None:
        self.id = conn_id
        self.sock = sock
        self.hub = hub
        self.buf = bytearray(rest)
        self.frames = 0
        self.bytes = 0
        self.closed = False
        self.deflate = "permessage-deflate" in extensions
        self._reset_inflater = "server_no_context_takeover" in extensions
        self._inflater = zlib.decompressobj(-15) if self.deflate else None

    def send_text(self, payload: bytes) -> None:
        self.sock.sendall(client_frame(payload))

    def readable(self) -> None:
        # recv_into one shared buffer: recv(n) allocates n bytes per call, and above
        # malloc's mmap threshold that is an mmap/munmap pair per frame (~40 µs here).
        scratch = self.hub.scratch
        try:
            n = self.sock.recv_into(scratch)
        except OSError:
            n = 0
        if not n:
            self.hub.lost(self)
            return
        now = time.monotonic()
        if self.buf:  # a frame was cut in two: join it, then parse the joined copy
            self.buf += memoryview(scratch)[:n]
            used = self._cut(self.buf, len(self.buf), now)
            del self.buf[:used]
        else:
            used = self._cut(scratch, n, now)
            if used < n:
                self.buf += memoryview(scratch)[used:n]

    def _cut(self, buf: bytearray, size: int, now: float) -> int:
        """Handle every whole frame in buf[:size]; returns how many bytes they took."""
        pos = 0
        while size - pos >= 2 and not self.closed:
            b0 = buf[pos]
            length = buf[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                start = pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            end = start + length
            if end > size:
                break
            opcode = b0 & 0x0F
            if opcode <= 2:  # continuation, text, binary
                self.frames += 1
                self.bytes += end - pos
                if b0 & 0x40:  # RSV1: a compressed message
                    self._inflated(bytes(buf[start:end]), now)
                else:
                    self.on_payload(buf, start, end, now)
            elif opcode == 9:  # ping: answer or the server drops us after its timeout
                self.sock.sendall(client_frame(bytes(buf[start:end]), opcode=10))
            elif opcode == 8:
                self.hub.lost(self)
            pos = end
        return pos

    def _inflated(self, payload: bytes, now: float) -> None:
        assert self._inflater is not None
        data = self._inflater.decompress(payload + _DEFLATE_TAIL)
        if self._reset_inflater:
            self._inflater = zlib.decompressobj(-15)
        self.on_payload(data, 0, len(data), now)

    def on_payload(self, buf: bytes | bytearray, start: int, end: int, now: float) -> None:
        """A receiver only records the markers it sees."""
        find = buf.find
        seen = self.hub.tracker.seen
        i = find(MARKER, start, end)
        while i != -1:
            digits = buf[i + 2 : i + 2 + MARKER_DIGITS]
            if digits.isdigit():
                seen(int(digits), self.id, now)
            i = find(MARKER, i + 2, end)


Reply = dict[str, object]


class Sender(Conn):
    """The one client that sends commands: it also reads its replies."""

    def __init__(
        self, conn_id: int, sock: socket.socket, rest: bytes, extensions: str, hub: Hub
    ) -> None:
        super().__init__(conn_id, sock, rest, extensions, hub)
        self.replies: dict[str, Reply] = {}
        self.on_reply: Callable[[str, Reply], None] | None = None
        self.patch_bytes: list[int] = []

    def on_payload(self, buf: bytes | bytearray, start: int, end: int, now: float) -> None:
        super().on_payload(buf, start, end, now)
        head = bytes(buf[start : min(end, start + 40)])
        if b'"reply"' in head:
            reply = orjson.loads(bytes(buf[start:end]))
            command_id = str(reply.get("id"))
            if self.on_reply is not None:
                self.on_reply(command_id, reply)
            else:
                self.replies[command_id] = reply
        elif b'"patch"' in head and len(self.patch_bytes) < 100_000:
            self.patch_bytes.append(end - start)


class Hub:
    """Every connection of one bench run, and the epoll loop that reads them."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host = host
        self.port = port
        self.headers = headers
        self.tracker = Tracker()
        self.conns: dict[int, Conn] = {}
        self.lost_count = 0
        self.scratch = bytearray(1 << 20)
        # Hubs of other servers whose clients wait meanwhile: read now and then, so their
        # pings are answered and the server keeps them.
        self.idle: list[Hub] = []
        self._idle_due = 0.0
        self._next_id = 0
        self._epoll = select.epoll()

    def connect(self, path: str = "/ws", *, sender: bool = False, timeout: float = 30.0) -> Conn:
        sock, rest, extensions = _handshake(self.host, self.port, path, self.headers, timeout)
        kind = Sender if sender else Conn
        conn = kind(self._next_id, sock, rest, extensions, self)
        self._next_id += 1
        self.conns[sock.fileno()] = conn
        self._epoll.register(sock.fileno(), select.EPOLLIN)
        if rest:
            used = conn._cut(conn.buf, len(conn.buf), time.monotonic())
            del conn.buf[:used]
        return conn

    def lost(self, conn: Conn) -> None:
        if conn.closed:
            return
        conn.closed = True
        self.lost_count += 1
        fd = conn.sock.fileno()
        self._epoll.unregister(fd)
        del self.conns[fd]
        conn.sock.close()

    def poll(self, timeout: float) -> int:
        """Read whatever arrives within `timeout` seconds (returns after one batch)."""
        conns = self.conns
        events = self._epoll.poll(max(timeout, 0.0))
        for fd, _ in events:
            conn = conns.get(fd)
            if conn is not None:
                conn.readable()
        if self.idle and (now := time.monotonic()) > self._idle_due:
            self._idle_due = now + IDLE_POLL_S
            for hub in self.idle:
                hub.poll(0)
        return len(events)

    def pump_quiet(self, quiet: float, seconds: float) -> bool:
        """Read until nothing has arrived for `quiet` seconds: the server is idle again."""
        deadline = time.monotonic() + seconds
        while (now := time.monotonic()) < deadline:
            if not self.poll(min(quiet, deadline - now)):
                return True
        return False

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.poll(left)

    def pump_until(self, done: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.poll(min(left, 0.05))
        return True

    def close(self) -> None:
        for conn in list(self.conns.values()):
            try:
                conn.sock.sendall(client_frame(b"\x03\xe8", opcode=8))
            except OSError:
                pass
            conn.sock.close()
        self.conns.clear()
        self._epoll.close()


@dataclass
class Card:
    id: int
    version: int


@dataclass
class Step:
    """One stretch of commands at a fixed offered rate, and what came of it."""

    rate: float
    count: int
    sent: int = 0
    achieved: float = 0.0
    latencies: list[float | None] = field(default_factory=list)
    errors: int = 0
    lost: int = 0
    server_cpu: float = 0.0
    database_cpu: float = 0.0
    server_busy: float = 0.0  # of one core, over the step and its drain
    other_busy: float = 0.0  # the rest of the server's core: other processes, interrupts
    loadgen_busy: float = 0.0

    @property
    def delivered(self) -> list[float]:
        return [x for x in self.latencies if x is not None]

    def failure(self, p50_limit: float) -> str | None:
        """Why this rate was not sustained, or None when it was.

        Backlog grows without bound past the server's capacity, so a rate counts as
        sustained only while latency stays near its low-rate value and stops climbing."""
        done = self.delivered
        if self.errors or self.lost:
            return f"{self.errors} error replies, {self.lost} connections lost"
        if self.sent < self.count or self.achieved < 0.95 * self.rate:
            return f"the sender fell behind ({self.achieved:.1f}/s sent)"
        if len(done) < self.count:
            return f"{self.count - len(done)} patches not at every client {DRAIN_S:g} s after"
        if percentile(done, 50) > p50_limit:
            return f"p50 above {p50_limit * 1e3:.0f} ms"
        third = len(done) // 3
        if third >= 3:
            first, last = percentile(done[:third], 50), percentile(done[-third:], 50)
            if last > 2 * first + 0.025:
                return f"latency climbing ({first * 1e3:.0f} -> {last * 1e3:.0f} ms)"
        return None


def core_busy(core: int) -> float:
    """CPU seconds the core has spent on anything but idling."""
    times = psutil.cpu_times(percpu=True)[core]
    # guest time is already in user time; steal is the hypervisor's, not this machine's.
    return times.user + times.nice + times.system + times.irq + times.softirq


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Driver:
    """The sender's side of the bench: set-up commands, then snippet.update at a fixed rate."""

    def __init__(self, hub: Hub, sender: Sender, server: psutil.Process, core: int) -> None:
        self.hub = hub
        self.sender = sender
        self.server = server
        self.core = core  # the server's
        self.cards: list[Card] = []
        # CPU seconds so far of the database serving the server, when there is one.
        self.database_cpu: Callable[[], float] = lambda: 0.0
        self._ids = 0

    def _command(self, op: str, args: dict[str, object]) -> str:
        self._ids += 1
        command_id = f"b{self._ids}"
        self.sender.send_text(orjson.dumps({"id": command_id, "op": op, "args": args}))
        return command_id

    def request(self, op: str, args: dict[str, object]) -> dict[str, object]:
        command_id = self._command(op, args)
        replies = self.sender.replies
        if not self.hub.pump_until(lambda: command_id in replies, 15.0):
            raise BenchError(f"{op}: expected a reply within 15 s, got none")
        reply = replies.pop(command_id)
        if not reply.get("ok"):
            raise BenchError(f"{op}: expected ok, got {reply.get('error')}")
        result = reply.get("result")
        return result if isinstance(result, dict) else {}

    def setup(self) -> None:
        """One column and its cards. The head card may be published by the column's poster
        at once (no last send: its eta is now), so it is left alone; the rest wait hours."""
        column = {"kind": "log", "name": "bench", "interval_s": 3600, "settings": {}}
        platform_id = self.request("platform.create", column)["id"]
        self.request("snippet.create", {"platform_id": platform_id, "body": "bench head"})
        for n in range(POOL):
            body = f"bench card {n}"
            result = self.request("snippet.create", {"platform_id": platform_id, "body": body})
            self.cards.append(Card(int(str(result["id"])), int(str(result.get("version", 1)))))

    def run(self, rate: float, seconds: float) -> Step:
        """Offer `rate` commands/s for `seconds`, then wait DRAIN_S for the patches."""
        step = Step(rate=rate, count=max(1, round(rate * seconds)))
        free = list(self.cards)
        in_flight: dict[str, Card] = {}
        markers: list[int] = []

        def on_reply(command_id: str, reply: dict[str, object]) -> None:
            card = in_flight.pop(command_id, None)
            if card is None:
                return
            result = reply.get("result")
            if reply.get("ok") and isinstance(result, dict):
                card.version = int(str(result.get("version", card.version + 1)))
            else:
                step.errors += 1
            free.append(card)

        self.sender.on_reply = on_reply
        lost = self.hub.lost_count
        cpu, core, db = self._server_cpu(), core_busy(self.core), self.database_cpu()
        wall, busy = time.monotonic(), time.process_time()
        start = wall + 0.005
        first = last = start
        for k in range(step.count):
            due = start + k / rate
            while (now := time.monotonic()) < due:
                self.hub.poll(due - now)
            if not free and not self.hub.pump_until(lambda: bool(free), 2.0):
                break  # replies stopped coming: the server is far behind
            card = free.pop(0)
            index = self.hub.tracker.new(len(self.hub.conns), time.monotonic())
            args = {"id": card.id, "version": card.version, "body": f"{marker(index)} {FILLER}"}
            in_flight[self._command("snippet.update", args)] = card
            markers.append(index)
            last = time.monotonic()
            if k == 0:
                first = last
        step.sent = len(markers)
        step.achieved = (step.sent - 1) / (last - first) if step.sent > 1 else rate
        tracker = self.hub.tracker
        self.hub.pump_until(lambda: tracker.in_flight == 0, DRAIN_S)
        step.latencies = [tracker.latency(m) for m in markers]
        step.server_cpu = self._server_cpu() - cpu
        step.database_cpu = self.database_cpu() - db
        elapsed = time.monotonic() - wall
        step.server_busy = step.server_cpu / elapsed
        step.other_busy = (core_busy(self.core) - core) / elapsed - step.server_busy
        step.loadgen_busy = (time.process_time() - busy) / elapsed
        step.lost = self.hub.lost_count - lost
        # Let a backlog finish before the next step, so steps do not overlap.
        self.hub.pump_until(lambda: not in_flight, 15.0)
        tracker.forget()
        self.sender.on_reply = None
        self.hub.pump_quiet(0.3, 15.0)
        return step

    def _server_cpu(self) -> float:
        times = self.server.cpu_times()
        return times.user + times.system
