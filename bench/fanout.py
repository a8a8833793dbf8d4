"""Fanout bench: Metronome's WebSocket against a bare Starlette broadcast server (the ceiling).

For each client count it measures, on the same machine in the same run, for both servers:
the highest command rate whose patches keep reaching every client, the latency from a
command leaving one client to its patch reaching the last one at 20 commands/s, and the
server's memory per connection; then prints Metronome as a ratio to the ceiling.

    python bench/fanout.py                       # 100 and 1,000 clients, a few minutes
    python bench/fanout.py --quick --clients 100

The server runs on core 0 and this process (the load generator) on core 1. See
bench/README.md for what the figures mean and how the maximum rate is found.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import math
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import psutil
from _loadgen import BenchError, Driver, Hub, Sender, Step, percentile

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

SERVER_CORE = 0
LOADGEN_CORE = 1
NICE = -10
RATE = 20.0  # commands/s of the latency figure (issue 2)
WARM_RATE, WARM_S = 100.0, 5.0  # commands before the memory baseline: 500
WARM_CONNS = 20  # clients connected, sent patches and closed before the memory baseline
ROUNDS = 4  # the latency figure's rounds per server, alternating between the servers
GROW = 1.25  # ladder step up; two bisections then narrow the maximum to ~6 %
DISTURBED = 0.15  # other work's share of the server's core past which a step is rerun
RETRIES = 2  # reruns of a disturbed step, at most
TARGETS = {"throughput": 0.6, "p99": 1.5, "memory_kib": 40.0}


@dataclass
class Figures:
    server: str
    clients: int
    p50: float = math.nan
    p99: float = math.nan
    throughput: float = math.nan
    capped: bool = False
    mem_per_conn: float = math.nan  # bytes
    cpu_per_delivery: float = math.nan  # seconds
    cpu_per_command: float = math.nan  # seconds, all its deliveries included
    db_per_command: float = math.nan  # seconds of PostgreSQL CPU
    frame_bytes: float = math.nan
    deflate: bool = False
    notes: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Target:
    """A server under test, up and logged in."""

    name: str
    port: int
    process: psutil.Process
    headers: dict[str, str]  # what every WebSocket client sends: session cookie, Origin
    max_rate: float  # the ladder's ceiling: Metronome refuses floods beyond METRONOME_WS_RATE
    database: str | None = None
    _backends: dict[int, psutil.Process] = field(default_factory=dict)

    def database_cpu(self) -> float:
        """CPU seconds of the PostgreSQL backends serving this server's database so far.

        Each backend found is pinned to the load generator's core: the server process gets
        a core to itself, as the ceiling does, and the database, which in production runs
        elsewhere, takes from the load generator's ample slack instead."""
        if self.database is None:
            return 0.0
        for proc in psutil.process_iter(["cmdline"]):
            title = " ".join(proc.info["cmdline"] or [])
            if proc.pid not in self._backends and title.startswith("postgres:"):
                if f" {self.database} " in title:
                    try:
                        os.sched_setaffinity(proc.pid, {LOADGEN_CORE})
                    except (PermissionError, ProcessLookupError):
                        pass  # not ours to pin (not root): it runs where it runs
                    prioritize(proc.pid)
                    self._backends[proc.pid] = proc
        total = 0.0
        for proc in self._backends.values():
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total


def prioritize(pid: int) -> None:
    """Run a bench process at nice -10 (when allowed), so a test suite that happens to run
    on the same machine takes less from the figures."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, NICE)
    except (PermissionError, ProcessLookupError):
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_call(
    port: int, method: str, path: str, body: bytes | None = None
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def wait_healthy(
    port: int, process: subprocess.Popen[bytes], seconds: float, log_path: Path
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise BenchError(
                f"expected the server to start, it exited {process.returncode}:\n{tail}"
            )
        try:
            if http_call(port, "GET", "/api/health").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"expected GET /api/health = 200 within {seconds:g} s, got none")


def login(port: int, email: str, password: str) -> str:
    body = orjson.dumps({"email": email, "password": password})
    response = http_call(port, "POST", "/api/login", body)
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("metronome_session="):
            return value.split(";", 1)[0]
    raise BenchError(f"POST /api/login: expected a metronome_session cookie, got {response.status}")


@contextmanager
def running(
    name: str,
    argv: list[str],
    env: dict[str, str],
    core: int,
    max_rate: float,
    start_s: float,
    database: str | None = None,
) -> Iterator[Target]:
    """Start a server pinned to `core`, log in, and stop it (and its sockets) after."""
    port = free_port()
    email, password = "bench@metronome.invalid", secrets.token_urlsafe(12)
    env = {
        **os.environ,
        **env,
        "METRONOME_ADMIN_EMAIL": email,
        "METRONOME_ADMIN_PASSWORD": password,
    }
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        log_path = Path(tmp) / "server.log"
        env["METRONOME_DATA_DIR"] = tmp
        with open(log_path, "wb") as out:
            process = subprocess.Popen(
                [*argv, "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Pinned before exec, so every thread the server starts stays on its core.
                preexec_fn=lambda: (os.sched_setaffinity(0, {core}), prioritize(0)),
            )
        try:
            wait_healthy(port, process, start_s, log_path)
            cookie = login(port, email, password)
            headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
            yield Target(name, port, psutil.Process(process.pid), headers, max_rate, database)
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def ceiling_server(core: int, opts: argparse.Namespace) -> Iterator[Target]:
    argv = [sys.executable, str(HERE / "ceiling.py"), "--ws", opts.ceiling_ws]
    with running("ceiling", argv, {}, core, 5000.0, 20.0) as target:
        yield target


def metronome_available() -> bool:
    return (REPO / "web" / "cli.py").is_file() and (REPO / "web" / "app.py").is_file()


async def _admin_sql(dsn: str, sql: str) -> None:
    import asyncpg  # only the Metronome side needs it

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


WS_RATE = 1000.0  # METRONOME_WS_RATE for the bench: the sender alone sends all commands


@contextmanager
def metronome_server(core: int, opts: argparse.Namespace) -> Iterator[Target]:
    """`metronome serve` on a database of its own, created here and dropped after."""
    pg = opts.pg
    database = f"metronome_bench_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin_sql(pg, f'CREATE DATABASE "{database}"'))
    base = pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    env = {
        "DATABASE_URL": f"{base}/{database}",
        "METRONOME_SECRET_KEY": secrets.token_urlsafe(32),
        "METRONOME_MIN_INTERVAL_S": "1",
        "METRONOME_MIN_LEAD_S": "0",  # as before the 30 s default: the bench's runs stay comparable
        "METRONOME_WS_RATE": f"{WS_RATE:g}",
    }
    # The module, not the console script: the checkout being benched, installed or not.
    argv = [sys.executable, "-c", "import sys; from web.cli import main; sys.exit(main())", "serve"]
    try:
        with running("metronome", argv, env, core, 0.9 * WS_RATE, 90.0, database) as target:
            yield target
    finally:
        asyncio.run(_admin_sql(pg, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


@dataclass
class Ladder:
    """What the rate search found."""

    best: float = 0.0  # the highest sustained rate
    fail: float = math.inf  # the lowest rate not sustained
    fail_other: float = 0.0  # other work's share of the server's core during that step
    busiest: float = 0.0  # the load generator's highest share of its core

    @property
    def capped(self) -> bool:
        return self.best > 0 and self.fail == math.inf


def find_max(
    driver: Driver, start: float, cap: float, opts: argparse.Namespace, p50_limit: float
) -> Ladder:
    """Step the offered rate up by GROW until a step is not sustained, then bisect twice."""
    ladder, steps = Ladder(), opts.steps

    def attempt(rate: float) -> bool:
        nonlocal steps
        steps -= 1
        step = run_undisturbed(driver, rate, opts.step, lambda s: s.failure(p50_limit) is None)
        ladder.busiest = max(ladder.busiest, step.loadgen_busy)
        failure = step.failure(p50_limit)
        done = step.delivered
        log(
            f"    {rate:7.1f}/s: p50 {percentile(done, 50) * 1e3:6.1f} ms,"
            f" p99 {percentile(done, 99) * 1e3:6.1f} ms, busy: server {step.server_busy:4.0%},"
            f" other {step.other_busy:4.0%}, load generator {step.loadgen_busy:4.0%}:"
            f" {failure or 'sustained'}"
        )
        if failure is None:
            ladder.best = max(ladder.best, rate)
        elif rate < ladder.fail:
            ladder.fail, ladder.fail_other = rate, step.other_busy
        return failure is None

    rate = min(start, cap)
    while steps > 0 and attempt(rate) and rate < cap:
        rate = min(rate * GROW, cap)
    while steps > 0 and ladder.best == 0 and rate > 1:
        rate /= 2
        attempt(rate)
    for _ in range(2):
        if steps > 0 and ladder.best and ladder.fail < math.inf:
            attempt(math.sqrt(ladder.best * ladder.fail))
    return ladder


def connect_all(hub: Hub, clients: int) -> None:
    for n in range(clients):
        hub.connect()
        if n % 50 == 49:
            hub.poll(0)  # read the state frames as we go, as a browser would
    if not hub.pump_until(lambda: all(c.frames for c in hub.conns.values()), 30.0):
        raise BenchError("expected the full state on every connection within 30 s")


@contextmanager
def profiling(target: Target, clients: int, opts: argparse.Namespace) -> Iterator[None]:
    """With --profile DIR: py-spy samples the server meanwhile (collapsed stacks)."""
    if not opts.profile:
        yield
        return
    out = Path(opts.profile) / f"{target.name}-{clients}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        "py-spy",
        "record",
        "--pid",
        str(target.process.pid),
        "--format",
        "raw",
        "--nonblocking",
    ]
    argv += ["--rate", "200", "--output", str(out)]
    spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        spy.wait(30)
        log(f"  profile: {out}")


def run_undisturbed(
    driver: Driver, rate: float, seconds: float, passed: Callable[[Step], bool]
) -> Step:
    """Run a step; while other work took more than DISTURBED of the server's core and the
    step did not pass, run it again (RETRIES times at most). The least disturbed counts."""
    steps: list[Step] = []
    for _ in range(1 + RETRIES):
        step = driver.run(rate, seconds)
        if passed(step):
            return step
        steps.append(step)
        if step.other_busy < DISTURBED:
            break
        log(f"    (other work took {step.other_busy:.0%} of the server's core: once more)")
    return min(steps, key=lambda s: s.other_busy)


@dataclass
class Session:
    """One server under test with its clients connected, between the latency rounds."""

    target: Target
    clients: int
    hub: Hub
    sender: Sender
    driver: Driver
    rss: int  # the server's RSS before the receivers connected
    steps: list[Step] = field(default_factory=list)  # its latency rounds


def open_session(target: Target, clients: int) -> Session:
    """Log in, set the column up, warm the code paths, then connect the receivers."""
    hub = Hub("127.0.0.1", target.port, target.headers)
    try:
        sender = hub.connect(sender=True)
        assert isinstance(sender, Sender)
        if not hub.pump_until(lambda: sender.frames > 0, 10.0):
            raise BenchError("expected the full state as the first frame, got nothing")
        driver = Driver(hub, sender, target.process, SERVER_CORE)
        driver.database_cpu = target.database_cpu
        driver.setup()
        # Warm the server before the memory baseline: its code paths, and the caches and
        # allocator arenas a few hundred commands grow (~0.3 MiB for Metronome), and those
        # the first connections grow (~1 MiB for Metronome: the full state's queries, the
        # session lookup). Both are paid once, not per connection; at 100 clients they
        # would otherwise count as 7-10 KiB per connection.
        driver.run(WARM_RATE, WARM_S)
        warm = Hub("127.0.0.1", target.port, target.headers)
        try:
            connect_all(warm, WARM_CONNS)
            hub.idle = [warm]
            driver.run(RATE, 1.0)
            warm.pump(0.2)
        finally:
            hub.idle = []
            warm.close()
        hub.pump(1.0)
        rss = target.process.memory_info().rss
        connect_all(hub, clients - 1)
        driver.run(RATE, 1.0)
        sender.patch_bytes.clear()
    except BaseException:
        hub.close()
        raise
    return Session(target, clients, hub, sender, driver, rss)


def latency_rounds(sessions: list[Session], opts: argparse.Namespace) -> None:
    """The latency figure: RATE commands/s, --duration seconds per server, in ROUNDS rounds
    that alternate between the servers (A B B A A B B A), all of them up and connected
    throughout. The host's load drifts over minutes; measured this way, both servers meet
    the same drift, and their ratio says what the server adds, not when it happened to run.
    """
    seconds = opts.duration / ROUNDS
    with ExitStack() as stack:
        for session in sessions:
            stack.enter_context(profiling(session.target, session.clients, opts))
        for n in range(ROUNDS):
            for session in sessions if n % 2 == 0 else reversed(sessions):
                step = run_undisturbed(session.driver, RATE, seconds, lambda _: False)
                session.steps.append(step)


def pooled(steps: list[Step]) -> Step:
    """The latency rounds of one server as one step: latencies pooled, costs summed."""
    step = Step(rate=RATE, count=sum(s.count for s in steps))
    for s in steps:
        step.sent += s.sent
        step.latencies += s.latencies
        step.errors += s.errors
        step.lost += s.lost
        step.server_cpu += s.server_cpu
        step.database_cpu += s.database_cpu
    step.achieved = min(s.achieved for s in steps)
    step.server_busy = sum(s.server_busy for s in steps) / len(steps)
    step.other_busy = max(s.other_busy for s in steps)
    step.loadgen_busy = max(s.loadgen_busy for s in steps)
    return step


def latency_figures(session: Session) -> Figures:
    """The figures of one server's pooled latency rounds, and its memory per connection."""
    target, clients, sender = session.target, session.clients, session.sender
    figures = Figures(server=target.name, clients=clients, deflate=sender.deflate)
    step = pooled(session.steps)
    # Taken after traffic, not just after the handshakes: send buffers count too.
    figures.mem_per_conn = (target.process.memory_info().rss - session.rss) / (clients - 1)
    done = step.delivered
    figures.p50, figures.p99 = percentile(done, 50), percentile(done, 99)
    figures.cpu_per_delivery = step.server_cpu / max(1, step.sent * clients)
    figures.cpu_per_command = step.server_cpu / max(1, step.sent)
    if target.database is not None:
        figures.db_per_command = step.database_cpu / max(1, step.sent)
    figures.frame_bytes = sum(sender.patch_bytes) / max(1, len(sender.patch_bytes))
    failure = step.failure(math.inf)
    if failure:
        figures.notes.append(f"at {RATE:g}/s: {failure}")
    if step.other_busy > DISTURBED:
        figures.notes.append(
            f"other work took {step.other_busy:.0%} of the server's core at {RATE:g}/s"
        )
    rounds = ", ".join(f"{percentile(s.delivered, 99) * 1e3:.1f}" for s in session.steps)
    log(
        f"  {target.name}, {clients} clients: p50 {figures.p50 * 1e3:.1f} ms,"
        f" p99 {figures.p99 * 1e3:.1f} ms (rounds' p99: {rounds}),"
        f" {figures.mem_per_conn / 1024:.1f} KiB/conn,"
        f" {figures.cpu_per_delivery * 1e6:.1f} µs CPU/delivery, busy: server"
        f" {step.server_busy:.0%}, other {step.other_busy:.0%}"
    )
    return figures


def find_throughput(session: Session, figures: Figures, opts: argparse.Namespace) -> None:
    """The maximum rate of one server, while the other servers' clients wait."""
    target = session.target
    log(f"  {target.name}, {session.clients} clients, the maximum rate:")
    # Start the ladder below what the CPU per command at 20/s predicts it can do.
    start = max(5.0, 0.7 / figures.cpu_per_command if figures.cpu_per_command else 100.0)
    # Latency within a few times its low-rate value; past that it is queueing.
    p50_limit = max(4 * figures.p50, figures.p50 + 0.05)
    ladder = find_max(session.driver, start, target.max_rate, opts, p50_limit)
    figures.throughput, figures.capped = ladder.best or math.nan, ladder.capped
    if ladder.busiest > 0.85:
        figures.notes.append(
            f"the load generator was {ladder.busiest:.0%} busy: the maximum may be its own"
        )
    if ladder.fail_other > DISTURBED:
        figures.notes.append(
            f"other work took {ladder.fail_other:.0%} of the server's core at"
            f" {ladder.fail:.1f}/s: the maximum may be higher"
        )


def ratio(metronome: float, ceiling: float) -> float:
    return metronome / ceiling if ceiling and not math.isnan(ceiling) else math.nan


Row = tuple[str, float, float, str, str, bool | None]


def judge(met: bool, *figures: float) -> bool | None:
    """Whether a target is met; None when a figure it needs is missing."""
    return None if any(math.isnan(x) for x in figures) else met


def figure_rows(c: Figures, m: Figures) -> list[Row]:
    """(figure, ceiling, metronome, format, target, met?) for one client count."""
    throughput = ratio(m.throughput, c.throughput)
    p99 = ratio(m.p99, c.p99)
    memory = m.mem_per_conn / 1024
    ms, us = 1e3, 1e6
    return [
        ("max commands/s", c.throughput, m.throughput, ".1f", ">= 0.6x",
         judge(throughput >= TARGETS["throughput"], throughput)),
        ("p50 latency ms", c.p50 * ms, m.p50 * ms, ".2f", "", None),
        ("p99 latency ms", c.p99 * ms, m.p99 * ms, ".2f", "<= 1.5x",
         judge(p99 <= TARGETS["p99"], p99)),
        ("memory KiB/conn", c.mem_per_conn / 1024, memory, ".1f", "<= 40",
         judge(memory <= TARGETS["memory_kib"], memory)),
        ("CPU us/delivery", c.cpu_per_delivery * us, m.cpu_per_delivery * us, ".1f", "", None),
        ("1 / CPU per command", 1 / c.cpu_per_command, 1 / m.cpu_per_command, ".1f", "", None),
        ("PostgreSQL CPU us/cmd", c.db_per_command * us, m.db_per_command * us, ".0f", "", None),
        ("patch frame bytes", c.frame_bytes, m.frame_bytes, ".0f", "", None),
    ]  # fmt: skip


def table(results: dict[tuple[str, int], Figures], clients: list[int]) -> tuple[str, bool]:
    """The figures, Metronome's ratio to the ceiling and whether each target is met."""
    rows = [("clients", "figure", "ceiling", "metronome", "ratio", "target", "ok?")]
    missed = False
    for n in clients:
        c = results.get(("ceiling", n), Figures("ceiling", n))
        m = results.get(("metronome", n), Figures("metronome", n))
        for name, cv, mv, fmt, target, ok in figure_rows(c, m):
            r = ratio(mv, cv)
            missed = missed or ok is False
            cells = [format(x, fmt) if not math.isnan(x) else "n/a" for x in (cv, mv)]
            verdict = "-" if ok is None else ("ok" if ok else "MISSED")
            rows.append(
                (str(n), name, *cells, "-" if math.isnan(r) else f"{r:.2f}x", target, verdict)
            )
    return aligned(rows, 2), missed


def aligned(rows: list[tuple[str, ...]], left: int) -> str:
    """Rows as a text table under a rule: the first ``left`` columns flush left, the rest
    (figures) flush right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--clients", default="100,1000", help="comma list (default 100,1000)")
    add("--servers", default="ceiling,metronome", help="comma list (default both)")
    add(
        "--duration",
        type=float,
        help="seconds per server at 20 commands/s for the latency figure, in 4 rounds"
        " that alternate between the servers (default 20)",
    )
    add(
        "--step",
        type=float,
        help="seconds per rate step when finding the maximum (default 3)",
    )
    add("--steps", type=int, help="rate steps at most (default 8)")
    add(
        "--quick",
        action="store_true",
        help="a rough look: defaults --duration 8 --step 1.5 --steps 6",
    )
    add("--profile", metavar="DIR", help="py-spy the server during the 20/s rounds into DIR")
    add(
        "--ceiling-ws",
        default="websockets-sansio",
        help="uvicorn's WebSocket implementation for the ceiling (default: websockets-sansio, "
        "the one uvicorn picks for Metronome)",
    )
    add(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL database to create and drop Metronome's from",
    )
    opts = parser.parse_args(argv)
    defaults = (8.0, 1.5, 6) if opts.quick else (20.0, 3.0, 8)
    for name, default in zip(("duration", "step", "steps"), defaults, strict=True):
        if getattr(opts, name) is None:
            setattr(opts, name, default)
    opts.clients = [int(x) for x in opts.clients.split(",") if x]
    opts.servers = [x for x in opts.servers.split(",") if x]
    return opts


def pin_self() -> None:
    """The load generator gets its own core, so its work never steals the server's."""
    if len(os.sched_getaffinity(0)) >= 2:
        os.sched_setaffinity(0, {LOADGEN_CORE})
    prioritize(0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1,000 sockets each side


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    pin_self()
    if "metronome" in opts.servers and not metronome_available():
        log("metronome: web/app.py or web/cli.py is not there yet; measuring the ceiling only")
        opts.servers.remove("metronome")
    log(f"load average {os.getloadavg()[0]:.2f}: other work on this machine skews the figures")
    results: dict[tuple[str, int], Figures] = {}
    for clients in opts.clients:
        # Every server up and connected at once, the idle one costing nothing, so that
        # their latency rounds can alternate.
        with ExitStack() as stack:
            sessions = []
            for server in opts.servers:
                launch = ceiling_server if server == "ceiling" else metronome_server
                session = open_session(stack.enter_context(launch(SERVER_CORE, opts)), clients)
                stack.callback(session.hub.close)
                sessions.append(session)
            for session in sessions:
                session.hub.idle = [other.hub for other in sessions if other is not session]
            latency_rounds(sessions, opts)
            figures = [latency_figures(session) for session in sessions]
            for session, these in zip(sessions, figures, strict=True):
                find_throughput(session, these, opts)
                results[(session.target.name, clients)] = these
    text, missed = table(results, opts.clients)
    print(text)
    for figures in results.values():
        notes = list(figures.notes)
        if figures.deflate:
            notes.append("permessage-deflate was negotiated (a browser would get it too)")
        if figures.capped:
            notes.append("the rate cap was reached: the maximum is at least that")
        for note in notes:
            print(f"note: {figures.server}, {figures.clients} clients: {note}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
