"""The posters' punctuality: how long after its eta a card reaches the network, under load.

1,000 `webhook` columns with 10-second intervals (100 publishes a second) publish to a local
sink for 60 s while 100 WebSocket clients watch the board; then, on a database of its own,
how long a server takes to arm 10,000 idle columns at start (issue 3, item 5).

`metronome serve` is pinned to core 0. The bench runs on core 1: the sink in this process
(nothing else runs on its event loop, so an arrival is timed when it comes) and the WebSocket
clients in a child process (bench/_loadgen.py), with the PostgreSQL backends that serve the
bench's database, so the server has a core to itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import psutil
from _loadgen import BenchError, Hub, core_busy, percentile
from fanout import Target, connect_all, free_port, login, prioritize, wait_healthy

REPO = Path(__file__).resolve().parent.parent
SERVER_CORE = 0
BENCH_CORE = 1
INTERVAL_S = 10
# Targets (issue 3): lateness after eta, and the arming of 10,000 idle columns.
P99_TARGET = 0.050
MAX_TARGET = 0.250
ARM_TARGET = 2.0
# The sink must see at least this share of the offered rate for it to count as sustained.
RATE_SHARE = 0.95
# Other work's share of the server's core past which the figures get a note.
DISTURBED = 0.15
# After the window, cards still due (a column drifts later by each publish's duration) get
# one more interval plus this to arrive.
DRAIN_S = 5.0
# SIGTERM lets in-flight publishes finish (poster/registry.py DRAIN_TIMEOUT, and the lifespan's
# own waits): well over a minute is a hang, and the server is killed.
STOP_S = 90.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pin(pid: int, core: int) -> None:
    """Pin a process to one core, when the machine has it (a 1-core machine runs unpinned)."""
    if core < (os.cpu_count() or 1):
        os.sched_setaffinity(pid, {core})


def at(wall: float) -> datetime:
    return datetime.fromtimestamp(wall, UTC)


# --- the database: one per measurement, created, migrated, seeded with SQL, dropped --------


async def admin_sql(pg: str, sql: str) -> None:
    conn = await asyncpg.connect(pg)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def migrate(url: str) -> None:
    argv = [
        sys.executable,
        "-c",
        "import sys; from web.cli import main; sys.exit(main())",
        "migrate",
    ]
    done = subprocess.run(
        argv, cwd=REPO, env={**os.environ, "DATABASE_URL": url}, capture_output=True, timeout=120
    )
    if done.returncode:
        tail = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
        raise BenchError(f"expected `metronome migrate` to exit 0, got {done.returncode}:\n{tail}")


@asynccontextmanager
async def database(pg: str, label: str) -> AsyncIterator[tuple[str, str]]:
    """A fresh migrated database: yields its asyncpg DSN and its DATABASE_URL."""
    name = f"metronome_bench_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    await admin_sql(pg, f'CREATE DATABASE "{name}"')
    dsn = f"{pg.rsplit('/', 1)[0]}/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        await asyncio.to_thread(migrate, url)
        yield dsn, url
    finally:
        await admin_sql(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Card:
    id: int
    platform_id: int
    eta: datetime


async def seed(
    dsn: str, lasts: list[datetime], interval_s: int, cards: int, hook: str
) -> list[Card]:
    """Webhook columns with these last sends, each with `cards` posts timed by CONTRACT §4's
    walk (eta_k = last_sent_at + k × interval), as the server itself would store them."""
    settings = orjson.dumps({"url": hook, "utm": False}).decode()
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            columns = await conn.fetch(
                "INSERT INTO platforms (kind, name, position, interval_s, last_sent_at, settings)"
                " SELECT 'webhook', 'bench ' || n, n, $1, last, $2::jsonb"
                " FROM unnest($3::timestamptz[]) WITH ORDINALITY AS t(last, n)"
                " RETURNING id, last_sent_at",
                interval_s,
                settings,
                lasts,
            )
            step = timedelta(seconds=interval_s)
            pids = [c["id"] for c in columns for _ in range(cards)]
            ords = [float(k) for _ in columns for k in range(1, cards + 1)]
            etas = [c["last_sent_at"] + k * step for c in columns for k in range(1, cards + 1)]
            rows = await conn.fetch(
                "INSERT INTO snippets (platform_id, ord, kind, status, body, eta)"
                " SELECT p, o, 'post', 'pending', 'Punctuality bench: column ' || p || ', card ' || o, e"
                " FROM unnest($1::integer[], $2::float8[], $3::timestamptz[]) AS t(p, o, e)"
                " RETURNING id, platform_id, eta",
                pids,
                ords,
                etas,
            )
    finally:
        await conn.close()
    return [Card(r["id"], r["platform_id"], r["eta"]) for r in rows]


async def transactions(dsn: str) -> int:
    """Transactions the database has run so far (committed or rolled back), all clients'."""
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database"
                " WHERE datname = current_database()"
            )
        )
    finally:
        await conn.close()


async def outcomes(dsn: str, ids: list[int]) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(
            await conn.fetch(
                "SELECT id, platform_id, status, finished_at FROM snippets WHERE id = ANY($1::integer[])"
                " ORDER BY platform_id, ord, id",
                ids,
            )
        )
    finally:
        await conn.close()


def due_times(cards: list[Card], rows: list[asyncpg.Record]) -> dict[int, float]:
    """The eta each card had when it was taken. The first of a column is the seeded one; after
    a publish the server re-walks the queue from its end (last_sent_at = finished_at), so the
    next eta is the previous card's finished_at + interval."""
    seeded = {c.id: c.eta for c in cards}
    due: dict[int, float] = {}
    previous: asyncpg.Record | None = None
    for row in rows:
        if previous is None or previous["platform_id"] != row["platform_id"]:
            due[row["id"]] = seeded[row["id"]].timestamp()
        elif previous["finished_at"] is not None:
            due[row["id"]] = previous["finished_at"].timestamp() + INTERVAL_S
        previous = row
    return due


# --- the network: a sink that answers every POST at once and notes when it came ----------

_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


class Sink:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, int]] = []  # (wall time, snippet_id)
        self.bad = 0
        self.expected = 0
        self.all_in = asyncio.Event()  # set once `expected` requests have come
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _SinkProtocol(self), "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def close(self) -> None:
        if self._server is not None:
            self._server.close()


class _SinkProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, just enough for httpx's POSTs."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.time()  # first: the request is complete now, whatever parsing costs
        self.buf += data
        while (head := self.buf.find(b"\r\n\r\n")) >= 0:
            match = _LENGTH.search(self.buf, 0, head + 2)
            end = head + 4 + (int(match.group(1)) if match else 0)
            if len(self.buf) < end:
                return
            body = bytes(self.buf[head + 4 : end])
            del self.buf[:end]
            self._answer(now, body)

    def _answer(self, now: float, body: bytes) -> None:
        assert self.transport is not None
        try:
            snippet_id = int(orjson.loads(body)["snippet_id"])
        except (ValueError, KeyError, TypeError):
            self.sink.bad += 1
            self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        self.sink.arrivals.append((now, snippet_id))
        if len(self.sink.arrivals) >= self.sink.expected:
            self.sink.all_in.set()
        answer = b'{"id":"sink-%d"}' % snippet_id
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (len(answer), answer)
        )


# --- the board's watchers: WebSocket clients in a child process -----------------------


class EtaWatch:
    """One client parses its frames: the eta the server announced for each card it took."""

    def __init__(self) -> None:
        self.eta: dict[str, str | None] = {}
        self.taken: dict[int, str | None] = {}

    def on_payload(self, buf: bytes | bytearray, start: int, end: int, now: float) -> None:
        frame = orjson.loads(bytes(buf[start:end]))
        cards = frame.get("patch", {}).get("snippets") if frame.get("type") == "patch" else None
        for key, card in (cards or {}).items():
            if not isinstance(card, dict):
                continue
            if "eta" in card:
                self.eta[key] = card["eta"]
            if card.get("status") == "sending":
                self.taken[int(key)] = self.eta.get(key)


def watch_board(
    port: int,
    headers: dict[str, str],
    clients: int,
    database: str,
    pipe: Connection,
    limit_s: float,
) -> None:
    """Connect the clients, read everything until told to stop, then report what came, and
    whether a client that connects after the run still gets its full state.

    Once a second it also pins the PostgreSQL backends serving `database` to this core: the
    server opens pool connections as load grows, and each must leave the server's core."""
    pin(0, BENCH_CORE)
    prioritize(0)
    backends = Target("postgres", port, psutil.Process(), {}, 0.0, database)
    try:
        hub = Hub("127.0.0.1", port, headers)
        watch = EtaWatch()
        hub.connect().on_payload = watch.on_payload  # type: ignore[method-assign]
        connect_all(hub, clients - 1)
        pipe.send(("ready", len(hub.conns)))
        deadline = time.monotonic() + limit_s
        pinned = 0.0
        while time.monotonic() < deadline and not pipe.poll():
            hub.poll(0.05)
            if time.monotonic() - pinned > 1.0:
                backends.database_cpu()
                pinned = time.monotonic()
        conns = list(hub.conns.values())
        figures = {
            "clients": len(conns),
            "lost": hub.lost_count,
            "taken": watch.taken,
            "frames": sum(c.frames for c in conns),
            "bytes": sum(c.bytes for c in conns),
        }
        started = time.monotonic()
        late = hub.connect()
        hub.pump_until(lambda: late.frames > 0 or late.closed, 30.0)
        figures["late_state"] = late.bytes if late.frames else -1
        figures["late_seconds"] = time.monotonic() - started
        pipe.send(("done", figures))
        hub.close()
    except (BenchError, OSError) as exc:
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))


# --- the server -----------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    started: float  # time.monotonic() just before the process was started
    log_path: Path
    email: str
    password: str

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def start_server(url: str, tmp: Path) -> Server:
    port = free_port()
    email, password = "bench@metronome.invalid", secrets.token_urlsafe(12)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "METRONOME_DATA_DIR": str(tmp),
        "METRONOME_SECRET_KEY": secrets.token_urlsafe(32),
        "METRONOME_MIN_INTERVAL_S": "1",
        # The bench's cards are due as they are made; the 30 s grace would only delay the run.
        "METRONOME_MIN_LEAD_S": "0",
        "METRONOME_ADMIN_EMAIL": email,
        "METRONOME_ADMIN_PASSWORD": password,
    }
    argv = [
        sys.executable,
        "-c",
        "import sys; from web.cli import main; sys.exit(main())",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log_path = tmp / "server.log"
    with open(log_path, "wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Pinned before exec, so every thread the server starts stays on its core.
            preexec_fn=lambda: (pin(0, SERVER_CORE), prioritize(0)),
        )
    return Server(process, port, started, log_path, email, password)


def stop_server(server: Server, keep: str | None = None) -> float:
    """SIGTERM, and the seconds the server took to drain and exit (inf: it was killed after
    STOP_S). Its log goes to `keep` (a path) when given."""
    stopping = time.monotonic()
    server.process.terminate()
    try:
        server.process.wait(STOP_S)
        took = time.monotonic() - stopping
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        took = math.inf
    if keep:
        Path(keep).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(server.log_path, keep)
        log(f"  server log: {keep}")
    return took


async def get(port: int, path: str, within: float = 5.0) -> bytes:
    """A GET on the event loop (a blocking client would stall the sink's timing)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), within)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        data = await asyncio.wait_for(reader.read(), within)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise BenchError(f"GET {path}: expected 200, got {head[:40]!r}")
    return body


def parse_metrics(text: bytes) -> dict[str, float]:
    values = {}
    for line in text.decode().splitlines():
        name, _, value = line.rpartition(" ")
        if name and not line.startswith("#"):
            values[name] = float(value)
    return values


def bucket_quantile(values: dict[str, float], name: str, q: float) -> float:
    """The upper bound of the histogram bucket that holds quantile q (Prometheus buckets)."""
    count = values.get(f"{name}_count", 0.0)
    bounds = sorted(
        (float(key.split('le="')[1].rstrip('"}')), cumulative)
        for key, cumulative in values.items()
        if key.startswith(f"{name}_bucket{{")
    )
    return next((le for le, cumulative in bounds if count and cumulative >= q * count), math.nan)


# --- punctuality ----------------------------------------------------------------------


@dataclass
class Punctuality:
    columns: int
    seconds: float
    clients: int
    lateness: list[float] = field(default_factory=list)
    rate: float = math.nan
    slowest_second: int = 0
    cpu: float = math.nan  # share of one core over the window
    rss: int = 0  # the most seen over the window, bytes
    database_cpu: float = math.nan
    other_busy: float = math.nan
    expected: int = 0
    once: int = 0
    duplicates: int = 0
    missing: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    server_p50: float = math.nan
    server_p99: float = math.nan
    server_mean: float = math.nan
    ws: dict[str, Any] = field(default_factory=dict)
    eta_checked: int = 0
    eta_agree: int = 0
    pickup: float = math.nan  # columns added to a running server -> all armed
    live_claim: float = math.nan
    dropped: int = 0  # clients the server closed as too far behind
    xacts_per_publish: float = math.nan
    stop_seconds: float = math.nan  # SIGTERM -> exit (inf: killed)
    notes: list[str] = field(default_factory=list)


async def punctuality(opts: argparse.Namespace) -> Punctuality:
    figures = Punctuality(opts.columns, opts.seconds, opts.clients)
    sink = Sink()
    hook = f"http://127.0.0.1:{await sink.start()}/hook"
    try:
        async with database(opts.pg, "punct") as (dsn, url):
            with tempfile.TemporaryDirectory(prefix="bench-punctuality-") as tmp:
                server = await asyncio.to_thread(start_server, url, Path(tmp))
                try:
                    cards = await run_window(server, dsn, hook, sink, figures, opts)
                except BenchError:
                    log(server.tail())
                    raise
                finally:
                    figures.stop_seconds = await asyncio.to_thread(
                        stop_server, server, kept(opts, "punctuality")
                    )
                figures.dropped = server.log_path.read_text(errors="replace").count(
                    "too far behind"
                )
            await judge(dsn, sink, cards, figures, opts.dump)
    finally:
        sink.close()
    return figures


async def run_window(
    server: Server, dsn: str, hook: str, sink: Sink, figures: Punctuality, opts: argparse.Namespace
) -> list[Card]:
    """Clients on an empty board first, then the columns, found by the running server's scan.

    Clients connect before the columns exist because a full state of 1,000 columns and their
    cards is over ws/hub.py's MAX_BACKLOG (1 MiB): the server drops such a client before its
    first frame. They see every patch all the same: a patch goes to every connection."""
    await asyncio.to_thread(wait_healthy, server.port, server.process, 60.0, server.log_path)
    cookie = await asyncio.to_thread(login, server.port, server.email, server.password)
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{server.port}"}
    database_name = dsn.rsplit("/", 1)[1]
    limit = opts.lead + opts.seconds + 60.0
    board = Board(server.port, headers, opts.clients, database_name, limit)
    try:
        await board.ready()
        process = psutil.Process(server.process.pid)
        target = Target("metronome", server.port, process, headers, 0.0, database_name)
        cards, t0 = await seed_queue(server, dsn, hook, sink, figures, opts)
        spy = profile(process.pid, opts, "punctuality")
        await observe(dsn, process, target, sink, t0, figures, opts)
        await asyncio.to_thread(stop_profile, spy)
        figures.ws = await board.finish()
        values = parse_metrics(await get(server.port, "/metrics"))
    finally:
        board.close()
    name = "metronome_publish_lateness_seconds"
    figures.server_p50 = bucket_quantile(values, name, 0.50)
    figures.server_p99 = bucket_quantile(values, name, 0.99)
    count = values.get(f"{name}_count", 0.0)
    figures.server_mean = values.get(f"{name}_sum", math.nan) / count if count else math.nan
    return cards


async def seed_queue(
    server: Server, dsn: str, hook: str, sink: Sink, figures: Punctuality, opts: argparse.Namespace
) -> tuple[list[Card], float]:
    """The columns and their cards, first due at t0; returns once the server has armed them."""
    # Due one after another, evenly over one interval from t0: column i's last send was at
    # t0 + i·I/N − I, so its cards fall due at t0 + i·I/N + k·I.
    t0 = time.time() + opts.lead
    step = INTERVAL_S / opts.columns
    lasts = [at(t0 + i * step - INTERVAL_S) for i in range(opts.columns)]
    per_column = max(1, math.ceil(opts.seconds / INTERVAL_S))
    cards = await seed(dsn, lasts, INTERVAL_S, per_column, hook)
    figures.expected = sink.expected = len(cards)
    seeded = time.monotonic()
    while time.time() < t0 - 0.5:
        values = parse_metrics(await get(server.port, "/metrics"))
        if values.get("metronome_posters", 0.0) >= opts.columns:
            figures.pickup = time.monotonic() - seeded
            figures.live_claim = values.get("metronome_poster_claim_seconds", math.nan)
            log(f"  {opts.columns} columns armed {figures.pickup:.1f} s after they were added")
            return cards, t0
        await asyncio.sleep(0.05)
    raise BenchError(f"expected {opts.columns} posters before the first card is due: raise --lead")


class Board:
    """The WebSocket clients, in a child process (watch_board) so that reading their frames
    never delays the sink's clock."""

    def __init__(
        self, port: int, headers: dict[str, str], clients: int, database: str, limit_s: float
    ) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._pipe, theirs = spawn.Pipe()
        args = (port, headers, clients, database, theirs, limit_s)
        self._process = spawn.Process(target=watch_board, args=args, daemon=True)
        self._process.start()

    async def _answer(self, seconds: float) -> Any:
        if not await asyncio.to_thread(self._pipe.poll, seconds):
            raise BenchError(f"expected an answer from the WebSocket clients within {seconds:g} s")
        kind, detail = self._pipe.recv()
        if kind == "error":
            raise BenchError(f"WebSocket clients: {detail}")
        return detail

    async def ready(self) -> None:
        log(f"  {await self._answer(120.0)} WebSocket clients connected")

    async def finish(self) -> dict[str, Any]:
        self._pipe.send("stop")
        detail: dict[str, Any] = await self._answer(60.0)
        return detail

    def close(self) -> None:
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()


def profile(pid: int, opts: argparse.Namespace, name: str) -> subprocess.Popen[bytes] | None:
    """With --profile DIR: py-spy samples the server (collapsed stacks, `stack count` lines)."""
    if not opts.profile:
        return None
    out = Path(opts.profile) / f"{name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        "py-spy",
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--rate",
        "100",
        "--nonblocking",
    ]
    log(f"  profile: {out}")
    return subprocess.Popen(
        [*argv, "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: pin(0, BENCH_CORE),
    )


def kept(opts: argparse.Namespace, name: str) -> str | None:
    """Where the server's log is kept: beside the profile, with --profile DIR."""
    return str(Path(opts.profile) / f"{name}-server.log") if opts.profile else None


def stop_profile(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        spy.wait(60)


def server_cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def observe(
    dsn: str,
    process: psutil.Process,
    target: Target,
    sink: Sink,
    t0: float,
    figures: Punctuality,
    opts: argparse.Namespace,
) -> None:
    """The window: CPU and RSS of the server from t0 for --seconds, then the late arrivals."""
    # Scanning for PostgreSQL backends takes milliseconds: done before t0 and after the last
    # card, never while an arrival could wait for it.
    database_cpu, database_wall = await asyncio.to_thread(target.database_cpu), time.monotonic()
    xacts = await transactions(dsn)
    await asyncio.sleep(max(0.0, t0 - time.time()))
    cpu, core, wall = server_cpu(process), core_busy(SERVER_CORE), time.monotonic()
    end = t0 + opts.seconds
    while (left := end - time.time()) > 0:
        figures.rss = max(figures.rss, process.memory_info().rss)
        await asyncio.sleep(min(1.0, left))
    elapsed = time.monotonic() - wall
    figures.cpu = (server_cpu(process) - cpu) / elapsed
    figures.other_busy = (core_busy(SERVER_CORE) - core) / elapsed - figures.cpu
    figures.rss = max(figures.rss, process.memory_info().rss)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sink.all_in.wait(), end + INTERVAL_S + DRAIN_S - time.time())
    used = await asyncio.to_thread(target.database_cpu) - database_cpu
    figures.database_cpu = used / (time.monotonic() - database_wall)
    await asyncio.sleep(1.0)  # backends report their counts to pg_stat_database within ~1 s
    figures.xacts_per_publish = (await transactions(dsn) - xacts) / max(1, len(sink.arrivals))
    if figures.other_busy > DISTURBED:
        figures.notes.append(
            f"other work took {figures.other_busy:.0%} of the server's core: rerun on a quiet machine"
        )
    in_window = [t for t, _ in sink.arrivals if t0 <= t < end]
    figures.rate = len(in_window) / opts.seconds
    per_second = Counter(int(t - t0) for t in in_window)
    figures.slowest_second = min(
        (per_second.get(s, 0) for s in range(int(opts.seconds))), default=0
    )


async def judge(
    dsn: str, sink: Sink, cards: list[Card], figures: Punctuality, dump: str | None = None
) -> None:
    """Exactly once, and how late: each card's first arrival against the eta it had."""
    rows = await outcomes(dsn, [c.id for c in cards])
    figures.statuses = dict(Counter(r["status"] for r in rows))
    due = due_times(cards, rows)
    seen = Counter(snippet_id for _, snippet_id in sink.arrivals)
    expected = {c.id for c in cards}
    figures.once = sum(1 for i in expected if seen[i] == 1)
    figures.duplicates = sum(n - 1 for n in seen.values() if n > 1) + sum(
        n for i, n in seen.items() if i not in expected
    )
    figures.missing = sum(1 for i in expected if not seen[i])
    first: dict[int, float] = {}
    for arrived, snippet_id in sink.arrivals:
        first.setdefault(snippet_id, arrived)
    figures.lateness = [first[i] - due[i] for i in expected if i in first and i in due]
    if dump:
        lines = (
            f"{i} {due[i]:.6f} {first[i]:.6f}\n"
            for i in sorted(expected & first.keys() & due.keys(), key=due.__getitem__)
        )
        await asyncio.to_thread(Path(dump).write_text, "".join(lines))
    for snippet_id, announced in figures.ws.get("taken", {}).items():
        if announced is None or snippet_id not in due:
            continue
        figures.eta_checked += 1
        # The WebSocket shows etas to the millisecond, cut (not rounded).
        delta = due[snippet_id] - datetime.fromisoformat(announced).timestamp()
        figures.eta_agree += int(-1e-6 <= delta < 1e-3 + 1e-6)


# --- arming ---------------------------------------------------------------------------


@dataclass
class Arm:
    columns: int
    up: float = math.nan  # process start -> first answer on /metrics
    armed: float = math.nan  # process start -> metronome_posters = columns
    claim: float = math.nan  # metronome_poster_claim_seconds
    slowest_answer: float = 0.0  # the longest /metrics answer while arming: a stalled loop


async def arm(opts: argparse.Namespace) -> Arm:
    figures = Arm(opts.arm_columns)
    async with database(opts.pg, "arm") as (dsn, url):
        # Idle: each column's one card is an hour away.
        await seed(dsn, [at(time.time())] * opts.arm_columns, 3600, 1, "http://127.0.0.1:9/hook")
        with tempfile.TemporaryDirectory(prefix="bench-arm-") as tmp:
            server = await asyncio.to_thread(start_server, url, Path(tmp))
            spy = profile(server.process.pid, opts, "arm")
            try:
                await watch_arming(server, figures)
            except BenchError:
                log(server.tail())
                raise
            finally:
                await asyncio.to_thread(stop_profile, spy)
                await asyncio.to_thread(stop_server, server, kept(opts, "arm"))
    return figures


async def watch_arming(server: Server, figures: Arm) -> None:
    """Poll /metrics every 10 ms from the process start until every column has its poster."""
    deadline = server.started + 60.0
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"expected the server to start, it exited {server.process.returncode}")
        asked = time.monotonic()
        try:
            values = parse_metrics(await get(server.port, "/metrics", 10.0))
        except (OSError, BenchError, TimeoutError):
            await asyncio.sleep(0.01)
            continue
        answered = time.monotonic()
        if math.isnan(figures.up):
            figures.up = answered - server.started
        else:
            figures.slowest_answer = max(figures.slowest_answer, answered - asked)
        if values.get("metronome_posters", 0.0) >= figures.columns:
            figures.armed = answered - server.started
            figures.claim = values.get("metronome_poster_claim_seconds", math.nan)
            return
        await asyncio.sleep(0.01)
    raise BenchError(f"expected metronome_posters = {figures.columns} within 60 s of the start")


# --- the report -----------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def upto(bound: float) -> str:
    """A histogram quantile: the bucket bound it falls under."""
    return "over the top bucket" if math.isinf(bound) else f"<= {ms(bound)}"


Row = tuple[str, str, str, "bool | None"]


def punctuality_rows(p: Punctuality) -> list[Row]:
    late, offered, ws = p.lateness, p.columns / INTERVAL_S, p.ws
    p99, worst = percentile(late, 99), max(late, default=math.inf)
    first = min(late, default=-1.0)
    statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(p.statuses.items()))
    late_state = ws.get("late_state", -1)
    joined = f"{late_state / 2**20:.2f} MiB" if late_state >= 0 else "none: closed"
    stopped = f"killed at {STOP_S:g} s" if math.isinf(p.stop_seconds) else f"{p.stop_seconds:.1f} s"
    return [
        ("lateness after eta, p50", ms(percentile(late, 50)), "", None),
        ("lateness after eta, p99", ms(p99), f"< {P99_TARGET * 1e3:g} ms", p99 < P99_TARGET),
        ("lateness after eta, max", ms(worst), f"< {MAX_TARGET * 1e3:g} ms", worst < MAX_TARGET),
        ("lateness after eta, min (never early)", ms(first), ">= 0", first >= 0),
        (
            "publishes/s sustained (slowest second)",
            f"{p.rate:.1f} ({p.slowest_second})",
            f">= {RATE_SHARE * offered:g}",
            p.rate >= RATE_SHARE * offered,
        ),
        (
            "cards published exactly once",
            f"{p.once:,} / {p.expected:,}",
            "all",
            p.once == p.expected and not p.duplicates,
        ),
        ("  duplicates / missing at the sink", f"{p.duplicates} / {p.missing}", "", None),
        ("  statuses in the database", statuses, "", None),
        ("server CPU, % of one core", f"{p.cpu:.0%}", "", None),
        ("server memory (RSS, peak)", f"{p.rss / 2**20:.0f} MiB", "", None),
        ("PostgreSQL backends' CPU, % of one core", f"{p.database_cpu:.0%}", "", None),
        ("database transactions per publish", f"{p.xacts_per_publish:,.1f}", "", None),
        (
            "/metrics lateness (taken - eta): p50, p99",
            f"{upto(p.server_p50)}, {upto(p.server_p99)}",
            "",
            None,
        ),
        ("  its mean", ms(p.server_mean), "", None),
        (
            "columns added live: armed after, claim took",
            f"{p.pickup:.2f} s, {p.live_claim:.3f} s",
            "",
            None,
        ),
        (
            "WebSocket clients at the end, lost",
            f"{ws.get('clients', 0)}, {ws.get('lost')}",
            "",
            None,
        ),
        ("  frames per client", f"{ws.get('frames', 0) / max(1, p.clients):,.0f}", "", None),
        (
            "  etas they were told that match the walk",
            f"{p.eta_agree:,} / {p.eta_checked:,}",
            "",
            None,
        ),
        ("a client joining after the run: full state", joined, "", None),
        ("  clients dropped as too far behind (log)", f"{p.dropped}", "", None),
        ("SIGTERM after the run: the server exited in", stopped, "", None),
    ]


def arm_rows(a: Arm) -> list[Row]:
    return [
        (
            f"arm {a.columns:,} idle columns: start -> posters",
            f"{a.armed:.2f} s",
            f"< {ARM_TARGET:g} s",
            a.armed < ARM_TARGET,
        ),
        ("  start -> first /metrics answer", f"{a.up:.2f} s", "", None),
        ("  metronome_poster_claim_seconds", f"{a.claim:.3f} s", "", None),
        ("  slowest /metrics answer while arming", ms(a.slowest_answer), "", None),
    ]


def report(p: Punctuality | None, a: Arm | None) -> bool:
    """Print the table; True when every target is met."""
    rows: list[Row] = []
    if p is not None:
        print(
            f"\nPunctuality: {p.columns:,} webhook columns every {INTERVAL_S} s"
            f" ({p.columns / INTERVAL_S:g} publishes/s), {p.clients} WebSocket clients,"
            f" {p.seconds:g} s; then arming"
        )
        rows += punctuality_rows(p)
    if a is not None:
        rows += arm_rows(a)
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'figure':<{width}}{'value':>26}  {'target':<11}ok?")
    for label, value, target, ok in rows:
        verdict = "" if ok is None else "yes" if ok else "NO"
        print(f"{label:<{width}}{value:>26}  {target:<11}{verdict}")
    for note in p.notes if p else []:
        print(f"note: {note}")
    return all(ok for *_, ok in rows if ok is not None)


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL the bench may create databases on",
    )
    parser.add_argument("--columns", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--arm-columns", type=int, default=10_000)
    parser.add_argument(
        "--lead",
        type=float,
        default=6.0,
        help="seconds from adding the columns to the first card: the server's scan finds them",
    )
    parser.add_argument(
        "--dump", metavar="FILE", help="write each card's id, eta and arrival (unix seconds) there"
    )
    parser.add_argument("--only", choices=["punctuality", "arm"], help="run one of the two")
    parser.add_argument("--quick", action="store_true", help="200 columns for 20 s: a rough look")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="py-spy samples the server (the window, the arming); its logs are kept there too",
    )
    opts = parser.parse_args()
    if opts.quick:
        opts.columns, opts.seconds = 200, 20.0
    return opts


async def main_async(opts: argparse.Namespace) -> bool:
    pin(0, BENCH_CORE)
    prioritize(0)
    p = a = None
    if opts.only != "arm":
        log(f"punctuality: {opts.columns} columns, {opts.seconds:g} s")
        p = await punctuality(opts)
    if opts.only != "punctuality":
        log(f"arming: {opts.arm_columns} idle columns")
        a = await arm(opts)
    return report(p, a)


def main() -> int:
    return 0 if asyncio.run(main_async(options())) else 1


if __name__ == "__main__":
    sys.exit(main())
