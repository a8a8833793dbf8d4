"""Breaking news: from one board.breaking command to the last publish request, 50 columns.

50 `webhook` columns post to a local sink while 100 WebSocket clients watch the board. One
more client sends `board.breaking {platform_ids: all 50, body, now: true}` 20 times (each run
once the previous one's cards are all recorded); each run's figure is the time from the
command leaving that client to the 50th publish request reaching the sink. Target: p99 under
2 s (issue 15).

    python bench/breaking.py                 # 50 columns, 100 clients, 20 runs: ~1 minute
    python bench/breaking.py --runs 5        # a rough look

As in bench/punctuality.py (whose sink, server start and clients this bench reuses),
`metronome serve` is pinned to core 0 and everything else — the sink, the sender, the
clients' process and the PostgreSQL backends — to core 1, so the server has a core to itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import orjson
import psutil
import websockets
from _loadgen import BenchError, core_busy, percentile
from fanout import login, wait_healthy
from punctuality import (
    BENCH_CORE,
    SERVER_CORE,
    Board,
    Server,
    Sink,
    at,
    database,
    get,
    parse_metrics,
    pin,
    prioritize,
    seed,
    server_cpu,
    start_server,
    stop_server,
)

TARGET_P99 = 2.0
# A run's cards must all be recorded (sent) before the next run starts.
SETTLE_S = 30.0
# Other work's share of the server's core past which the figures get a note.
DISTURBED = 0.15


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Figures:
    columns: int
    clients: int
    runs: list[float] = field(default_factory=list)  # command -> last publish request, s
    first: list[float] = field(default_factory=list)  # command -> first publish request, s
    replies: list[float] = field(default_factory=list)  # command -> its reply, s
    server_cpu: float = math.nan  # share of one core, over the runs
    other_busy: float = math.nan  # other work's share of the server's core, over the runs
    load: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    connected: int = 0
    notes: list[str] = field(default_factory=list)


class Sender:
    """The client that sends the commands: a plain `websockets` connection whose reader only
    looks for replies (it shares the loop with the sink, so it does as little as it can)."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.replies: dict[str, asyncio.Future[tuple[float, dict[str, object]]]] = {}
        self.reader = asyncio.create_task(self._read(), name="sender-reader")

    async def _read(self) -> None:
        async for raw in self.ws:
            if b'"type":"reply"' not in (raw if isinstance(raw, bytes) else raw.encode()):
                continue
            frame = orjson.loads(raw)
            waiting = self.replies.pop(frame["id"], None)
            if waiting is not None and not waiting.done():
                waiting.set_result((time.time(), frame))

    async def command(
        self, op: str, args: dict[str, object]
    ) -> tuple[float, float, dict[str, object]]:
        """Send; returns (sent at, replied at, the reply frame)."""
        command_id = f"b{len(self.replies)}-{time.monotonic_ns()}"
        future = asyncio.get_running_loop().create_future()
        self.replies[command_id] = future
        payload = orjson.dumps({"id": command_id, "op": op, "args": args})
        sent = time.time()
        await self.ws.send(payload.decode())
        replied, frame = await asyncio.wait_for(future, 30.0)
        if not frame.get("ok"):
            raise BenchError(f"expected {op} to succeed, got {frame.get('error')}")
        return sent, replied, frame


@contextlib.asynccontextmanager
async def sender(server: Server, cookie: str) -> AsyncIterator[Sender]:
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{server.port}"}
    async with websockets.connect(
        f"ws://127.0.0.1:{server.port}/ws", additional_headers=headers, max_size=None
    ) as ws:
        client = Sender(ws)
        try:
            yield client
        finally:
            client.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await client.reader


async def armed(server: Server, columns: int, within: float = 60.0) -> None:
    """Every column has its poster (the server's scan found the seeded columns)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if parse_metrics(await get(server.port, "/metrics")).get("metronome_posters", 0) >= columns:
            return
        await asyncio.sleep(0.1)
    raise BenchError(f"expected {columns} posters within {within:g} s")


async def settled(dsn: str, within: float = SETTLE_S) -> None:
    """No card is pending or being sent: the last run is all recorded."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            busy = await conn.fetchval(
                "SELECT count(*) FROM snippets WHERE status IN ('pending', 'sending')"
            )
            if busy == 0:
                return
            await asyncio.sleep(0.05)
        raise BenchError(f"expected every card recorded within {within:g} s, {busy} were not")
    finally:
        await conn.close()


async def run(opts: argparse.Namespace) -> Figures:
    figures = Figures(opts.columns, opts.clients)
    sink = Sink()
    hook = f"http://127.0.0.1:{await sink.start()}/hook"
    try:
        async with database(opts.pg, "breaking") as (dsn, url):
            # The columns: idle webhooks (nothing queued; a card of theirs is an hour away).
            await seed(dsn, [at(time.time())] * opts.columns, 3600, 0, hook)
            pids = [r["id"] for r in await _fetch(dsn, "SELECT id FROM platforms ORDER BY id")]
            with tempfile.TemporaryDirectory(prefix="bench-breaking-") as tmp:
                server = await asyncio.to_thread(start_server, url, Path(tmp))
                try:
                    await measure(server, dsn, pids, sink, figures, opts)
                except BenchError:
                    log(server.tail())
                    raise
                finally:
                    await asyncio.to_thread(stop_server, server)
    finally:
        sink.close()
    return figures


async def _fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def measure(
    server: Server,
    dsn: str,
    pids: list[int],
    sink: Sink,
    figures: Figures,
    opts: argparse.Namespace,
) -> None:
    await asyncio.to_thread(wait_healthy, server.port, server.process, 60.0, server.log_path)
    cookie = await asyncio.to_thread(login, server.port, server.email, server.password)
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{server.port}"}
    await armed(server, len(pids))
    # The watchers: opts.clients in all, the sender being one of them.
    board = Board(server.port, headers, opts.clients - 1, dsn.rsplit("/", 1)[1], 3600.0)
    try:
        await board.ready()
        process = psutil.Process(server.process.pid)
        async with sender(server, cookie) as client:
            # One run first, not counted: the adapters' client and the code paths warm up.
            await one_run(client, dsn, pids, sink, 0, None)
            cpu, core, wall = server_cpu(process), core_busy(SERVER_CORE), time.monotonic()
            for n in range(1, opts.runs + 1):
                await one_run(client, dsn, pids, sink, n, figures)
                log(
                    f"  run {n:2d}: last request {figures.runs[-1] * 1e3:7.1f} ms,"
                    f" first {figures.first[-1] * 1e3:6.1f} ms, reply {figures.replies[-1] * 1e3:6.1f} ms"
                )
                await asyncio.sleep(opts.pause)
            elapsed = time.monotonic() - wall
            figures.server_cpu = (server_cpu(process) - cpu) / elapsed
            figures.other_busy = (core_busy(SERVER_CORE) - core) / elapsed - figures.server_cpu
        figures.load = os.getloadavg()
        figures.connected = int((await board.finish()).get("clients", 0)) + 1
    finally:
        board.close()
    if figures.other_busy > DISTURBED:
        figures.notes.append(
            f"other work took {figures.other_busy:.0%} of the server's core: rerun on a quiet machine"
        )


async def one_run(
    client: Sender, dsn: str, pids: list[int], sink: Sink, n: int, figures: Figures | None
) -> None:
    before = len(sink.arrivals)
    sink.expected = before + len(pids)
    sink.all_in = asyncio.Event()
    sent, replied, frame = await client.command(
        "board.breaking",
        {"platform_ids": pids, "body": f"Breaking news, run {n}", "now": True},
    )
    ids = set(frame["result"]["ids"].values())  # type: ignore[index, union-attr]
    await asyncio.wait_for(sink.all_in.wait(), SETTLE_S)
    arrived = sink.arrivals[before:]
    if {snippet_id for _, snippet_id in arrived} != ids or len(arrived) != len(pids):
        raise BenchError(f"expected one publish request per new card, got {len(arrived)}")
    await settled(dsn)
    if figures is not None:
        figures.runs.append(max(t for t, _ in arrived) - sent)
        figures.first.append(min(t for t, _ in arrived) - sent)
        figures.replies.append(replied - sent)


def report(figures: Figures) -> bool:
    p50, p99 = percentile(figures.runs, 50), percentile(figures.runs, 99)
    ok = p99 < TARGET_P99
    print(
        f"breaking news: {figures.columns} webhook columns, {figures.connected} WebSocket clients,"
        f" {len(figures.runs)} runs"
    )
    print(
        f"  command -> last publish request   p50 {p50 * 1e3:7.1f} ms   p99 {p99 * 1e3:7.1f} ms"
        f"   target p99 < {TARGET_P99 * 1e3:.0f} ms: {'met' if ok else 'MISSED'}"
    )
    print(
        f"  command -> first publish request  p50 {percentile(figures.first, 50) * 1e3:7.1f} ms"
        f"   p99 {percentile(figures.first, 99) * 1e3:7.1f} ms"
    )
    print(
        f"  command -> its reply              p50 {percentile(figures.replies, 50) * 1e3:7.1f} ms"
        f"   p99 {percentile(figures.replies, 99) * 1e3:7.1f} ms"
    )
    print(
        f"  server CPU {figures.server_cpu:.0%} of its core over the runs; other work on that core"
        f" {figures.other_busy:.0%}; load average {figures.load[0]:.2f} {figures.load[1]:.2f}"
        f" {figures.load[2]:.2f} on {os.cpu_count()} cores"
    )
    for note in figures.notes:
        print(f"  note: {note}")
    return ok


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL the bench may create databases on",
    )
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--pause", type=float, default=1.0, help="seconds between a run's end and the next"
    )
    return parser.parse_args()


async def main_async(opts: argparse.Namespace) -> bool:
    pin(0, BENCH_CORE)
    prioritize(0)
    log(f"breaking news: {opts.columns} columns, {opts.clients} clients, {opts.runs} runs")
    return report(await run(opts))


def main() -> int:
    return 0 if asyncio.run(main_async(options())) else 1


if __name__ == "__main__":
    sys.exit(main())
