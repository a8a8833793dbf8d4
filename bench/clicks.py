"""Clicks bench: Metronome's tracked-link redirect against a bare Starlette redirect (the ceiling).

For both servers, in the same run on the same machine, each pinned to one core: the most
redirects a second it answers (closed loop), and the latency of a redirect at 1,000 clicks a
second (open loop); for Metronome also the database writes those clicks caused, and a check
that every click it answered was stored. Prints Metronome as a ratio to the ceiling.

    python bench/clicks.py              # ~2.5 minutes
    python bench/clicks.py --quick      # ~1.5 minutes

The servers run on core 0 and this process (the load generator) on core 1. See
bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import orjson
from _httpload import Load, Result
from _loadgen import BenchError, core_busy, percentile
from fanout import (
    DISTURBED,
    HERE,
    SERVER_CORE,
    Target,
    aligned,
    log,
    metronome_server,
    pin_self,
    profiling,
    running,
)

LINKS = 200  # tracked links the clicks spread over
RATE = 1000.0  # clicks a second of the latency figure (issue 19)
ROUNDS = 4  # rounds per figure and server, alternating between the servers (A B B A …)
WIDTH = 16  # connections of the closed loop: enough to keep one core busy
CONNS = 64  # connections of the open loop: a request never waits for one at 1,000/s
WARM_S = 2.0
FLUSH_WAIT_S = 6.5  # one flush interval (web/clickcount.py FLUSH_S) and a little
STATS_SETTLE_S = 11.0  # PostgreSQL 15 reports an idle backend's row counts within 10 s
TARGETS = {"throughput": 0.7, "p99": 1.5}
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
READER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
REFERRERS = ("https://t.me/", "https://www.facebook.com/", "https://vk.com/feed", "")


@dataclass
class Side:
    """One server under test and what its rounds measured."""

    name: str
    target: Target
    load: Load
    throughput: list[Result] = field(default_factory=list)
    latency: list[Result] = field(default_factory=list)
    other_busy: float = 0.0  # the most other work took of the server's core in a round
    answered: int = 0  # 302s over the whole bench (Metronome: clicks it counted)
    statuses: dict[int, int] = field(default_factory=dict)

    def run(self, work: str, seconds: float) -> Result:
        """One round: "max" (closed loop), or RATE for ``seconds`` ("latency", "steady",
        "warm"); its figures are kept by kind."""
        self.load.connect()
        cpu, core, wall = self._cpu(), core_busy(SERVER_CORE), time.monotonic()
        if work == "max":
            result = self.load.closed_loop(seconds, WIDTH)
        else:
            result = self.load.open_loop(RATE, seconds)
        elapsed = time.monotonic() - wall
        used = result.server_cpu = self._cpu() - cpu
        result.other_busy = (core_busy(SERVER_CORE) - core - used) / elapsed
        self.other_busy = max(self.other_busy, result.other_busy)
        for status, n in result.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        self.answered += result.statuses.get(302, 0)
        if work == "max":
            self.throughput.append(result)
        elif work == "latency":
            self.latency.append(result)
        return result

    def _cpu(self) -> float:
        times = self.target.process.cpu_times()
        return times.user + times.system


def make_links() -> dict[str, str]:
    """Codes (as Metronome makes them: 8 letters or digits) and UTM-tagged news URLs."""
    links = {}
    while len(links) < LINKS:
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        n = len(links)
        links[code] = (
            f"https://news.example.org/2026/11/22/story-{n}"
            "?utm_source=telegram&utm_medium=social&utm_campaign=metronome"
        )
    return links


def requests_for(links: dict[str, str], port: int) -> list[bytes]:
    out = []
    for n, code in enumerate(links):
        referrer = REFERRERS[n % len(REFERRERS)]
        lines = [
            f"GET /l/{code} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            f"User-Agent: {READER}",
            "Accept: text/html,application/xhtml+xml,*/*;q=0.8",
            *([f"Referer: {referrer}"] if referrer else []),
        ]
        out.append(("\r\n".join(lines) + "\r\n\r\n").encode())
    return out


def dsn(opts: argparse.Namespace, database: str) -> str:
    return f"{opts.pg.rsplit('/', 1)[0]}/{database}"


async def _seed(url: str, links: dict[str, str]) -> None:
    """A paused `log` column that tracks its links, with one sent card per link."""
    conn = await asyncpg.connect(url)
    try:
        platform_id = await conn.fetchval(
            "INSERT INTO platforms (kind, name, interval_s, paused, settings)"
            " VALUES ('log', 'bench', 3600, true, '{\"track\": true}') RETURNING id"
        )
        ids = await conn.fetchval(
            "WITH s AS (INSERT INTO snippets (platform_id, ord, body, url, status, finished_at,"
            " clicks) SELECT $1, n, 'bench card ' || n, $2[n], 'sent', now(), 0"
            " FROM generate_subscripts($2::text[], 1) AS n RETURNING id) SELECT array_agg(id ORDER BY id) FROM s",
            platform_id,
            list(links.values()),
        )
        await conn.execute(
            "INSERT INTO links (code, snippet_id, target) SELECT * FROM unnest($1::text[], $2::int[], $3::text[])",
            list(links),
            ids,
            list(links.values()),
        )
    finally:
        await conn.close()


async def _scalar(url: str, sql: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql) or 0)
    finally:
        await conn.close()


def rows_written(url: str) -> int:
    """Rows PostgreSQL has inserted, updated or deleted in the bench database so far."""
    return asyncio.run(
        _scalar(url, "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables")
    )


def flushes(port: int) -> int:
    """Flush transactions that stored clicks (GET /metrics)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    for line in text.splitlines():
        if line.startswith('metronome_click_flushes_total{outcome="ok"}'):
            return int(float(line.rsplit(" ", 1)[1]))
    return 0


def alternate(sides: list[Side], work: str, seconds: float) -> None:
    for n in range(ROUNDS):
        for side in sides if n % 2 == 0 else reversed(sides):
            result = side.run(work, seconds)
            done = result.latencies
            log(
                f"  {side.name:9} {work:7}: {result.rate:6.0f}/s answered, p50"
                f" {percentile(done, 50) * 1e3:6.2f} ms, p99 {percentile(done, 99) * 1e3:6.2f} ms,"
                f" {result.cpu_per_request * 1e6:4.0f} us CPU each, other work on its core"
                f" {result.other_busy:4.0%}"
            )


def median(values: list[float]) -> float:
    return percentile(values, 50) if values else math.nan


def pooled(results: list[Result]) -> list[float]:
    return [x for r in results for x in r.latencies]


@dataclass
class Writes:
    transactions_per_s: float
    rows_per_s: float
    rows_per_1000: float
    stored: int
    answered: int


def database_writes(side: Side, url: str, opts: argparse.Namespace) -> Writes:
    """What Metronome alone at RATE for --steady seconds wrote: flush transactions (its
    /metrics) and rows (PostgreSQL's counts, once they have settled), and the check that
    every click it answered in the whole bench is stored."""
    side.target.database_cpu()  # pins backends opened since to the load generator's core
    time.sleep(FLUSH_WAIT_S + STATS_SETTLE_S)
    rows_before, flushes_before = rows_written(url), flushes(side.target.port)
    log(f"Metronome alone at {RATE:,.0f} clicks a second for {opts.steady:g} s:")
    result = side.run("steady", opts.steady)
    time.sleep(FLUSH_WAIT_S + STATS_SETTLE_S)
    rows = rows_written(url) - rows_before
    return Writes(
        transactions_per_s=(flushes(side.target.port) - flushes_before) / result.seconds,
        rows_per_s=rows / result.seconds,
        rows_per_1000=rows / max(1, result.done) * 1000,
        stored=asyncio.run(_scalar(url, "SELECT sum(clicks) FROM snippets")),
        answered=side.answered,
    )


def table(ceiling: Side, metronome: Side, writes: Writes) -> tuple[str, bool]:
    c_max = median([r.rate for r in ceiling.throughput])
    m_max = median([r.rate for r in metronome.throughput])
    c_lat, m_lat = pooled(ceiling.latency), pooled(metronome.latency)
    ms = 1e3

    def cpu(results: list[Result]) -> float:
        return median([r.cpu_per_request for r in results]) * 1e6

    rows: list[tuple[str, float, float, str, str, bool | None]] = [
        ("max redirects/s", c_max, m_max, ".0f", f">= {TARGETS['throughput']}x",
         m_max / c_max >= TARGETS["throughput"]),
        ("p50 at 1,000/s ms", percentile(c_lat, 50) * ms, percentile(m_lat, 50) * ms, ".2f", "", None),
        ("p99 at 1,000/s ms", percentile(c_lat, 99) * ms, percentile(m_lat, 99) * ms, ".2f",
         f"<= {TARGETS['p99']}x", percentile(m_lat, 99) <= TARGETS["p99"] * percentile(c_lat, 99)),
        ("max at 1,000/s ms", max(c_lat) * ms, max(m_lat) * ms, ".1f", "", None),
        ("CPU us/redirect at max", cpu(ceiling.throughput), cpu(metronome.throughput), ".0f", "", None),
        ("CPU us/redirect at 1,000/s", cpu(ceiling.latency), cpu(metronome.latency), ".0f", "", None),
        ("db write tx/s", 0.0, writes.transactions_per_s, ".2f", "", None),
        ("db rows written/s", 0.0, writes.rows_per_s, ".1f", "", None),
        ("db rows per 1,000 clicks", 0.0, writes.rows_per_1000, ".2f", "", None),
    ]  # fmt: skip
    lines = [("figure", "ceiling", "metronome", "ratio", "target", "ok?")]
    missed = False
    for name, cv, mv, fmt, target, ok in rows:
        ratio = mv / cv if cv else math.nan
        missed = missed or ok is False
        verdict = "-" if ok is None else ("ok" if ok else "MISSED")
        lines.append((name, format(cv, fmt), format(mv, fmt),
                      "-" if math.isnan(ratio) else f"{ratio:.2f}x", target, verdict))  # fmt: skip
    return aligned(lines, 1), missed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=float, help="seconds per throughput round (default 4)")
    parser.add_argument(
        "--duration",
        type=float,
        help="seconds per server at 1,000 clicks/s, in 4 alternating rounds (default 20)",
    )
    parser.add_argument(
        "--steady",
        type=float,
        help="seconds of Metronome alone at 1,000 clicks/s for the database writes (default 15)",
    )
    parser.add_argument("--quick", action="store_true", help="--step 2 --duration 8 --steady 10")
    parser.add_argument(
        "--profile", metavar="DIR", help="py-spy the servers during the throughput rounds into DIR"
    )
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL database to create and drop Metronome's from",
    )
    opts = parser.parse_args(argv)
    step, duration, steady = (2.0, 8.0, 10.0) if opts.quick else (4.0, 20.0, 15.0)
    opts.step = opts.step or step
    opts.duration = opts.duration or duration
    opts.steady = opts.steady or steady
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    pin_self()
    log(f"load average {os.getloadavg()[0]:.2f}: other work on this machine skews the figures")
    links = make_links()
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-clicks-") as tmp:
        path = Path(tmp) / "links.json"
        path.write_bytes(orjson.dumps(links))
        argv_ceiling = [sys.executable, str(HERE / "redirect_ceiling.py"), "--links", str(path)]
        ceiling = stack.enter_context(running("ceiling", argv_ceiling, {}, SERVER_CORE, 0, 20.0))
        metronome = stack.enter_context(metronome_server(SERVER_CORE, opts))
        assert metronome.database is not None
        url = dsn(opts, metronome.database)
        asyncio.run(_seed(url, links))
        sides = []
        for target in (ceiling, metronome):
            load = Load("127.0.0.1", target.port, requests_for(links, target.port), CONNS)
            stack.callback(load.close)
            sides.append(Side(target.name, target, load))
        metronome.database_cpu()  # pins the database's backends to the load generator's core
        log("warming up (Metronome reads each code once)")
        for side in sides:
            side.run("warm", WARM_S)
        log(f"most redirects a second ({WIDTH} connections, {opts.step:g} s rounds):")
        with ExitStack() as spies:
            for side in sides:  # --profile DIR: py-spy samples both servers meanwhile
                spies.enter_context(profiling(side.target, WIDTH, opts))
            alternate(sides, "max", opts.step)
        log(f"at {RATE:,.0f} clicks a second ({opts.duration / ROUNDS:g} s rounds):")
        alternate(sides, "latency", opts.duration / ROUNDS)
        m = sides[1]
        writes = database_writes(m, url, opts)
        text, missed = table(sides[0], m, writes)
    print(text)
    ok = writes.stored == writes.answered
    print(
        f"clicks stored: {writes.stored:,} of the {writes.answered:,} Metronome answered"
        f" ({'all' if ok else 'MISMATCH'}); the database writes are over {opts.steady:g} s of"
        f" Metronome alone at {RATE:,.0f} clicks/s"
    )
    for side in sides:
        if set(side.statuses) != {302}:
            print(f"note: {side.name} answered {side.statuses}")
            missed = True
        if side.other_busy > DISTURBED:
            print(f"note: other work took up to {side.other_busy:.0%} of {side.name}'s core")
    log(f"load average {os.getloadavg()[0]:.2f}")
    return 1 if missed or not ok else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(2)
