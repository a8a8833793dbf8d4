"""Backups: `metronome backup FILE`, `metronome restore FILE`, and a nightly one.

A backup is pg_dump's custom format (compressed, restorable table by table). The tools are the
embedded package's own (the same PostgreSQL version as its server) or, with DATABASE_URL, the
server's client tools on PATH. A restore replaces the whole schema in one transaction: it either
brings back exactly the board that was saved, or changes nothing.

The nightly backup goes to <data dir>/backups/metronome-YYYY-MM-DD.dump at METRONOME_BACKUP_AT
(UTC), keeping the newest METRONOME_BACKUP_KEEP; by default for the embedded database only
(a server of one's own has its own backups).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from web.database import asyncpg_dsn

log = logging.getLogger(__name__)

NIGHTLY_NAME = re.compile(r"metronome-\d{4}-\d{2}-\d{2}\.dump")
# The nightly loop looks at the clock at least this often (a clock that jumps, a suspend).
LOOK_EVERY_S = 600.0
# A dump or restore that takes longer than this is stuck (a lock, a hung server).
TOOL_TIMEOUT_S = 3600.0


class BackupError(Exception):
    """A backup or restore did not happen; the message says why (in a line or two)."""


@dataclass(frozen=True)
class Tools:
    """Where pg_dump, pg_restore and psql are: the embedded package's, or None for PATH."""

    bin_dir: Path | None = None

    def path(self, name: str) -> str:
        if self.bin_dir is not None:
            return str(self.bin_dir / name)
        found = shutil.which(name)
        if found is None:
            raise BackupError(
                f"{name} is not installed: install PostgreSQL's client tools "
                "(the same major version as the server, or newer)"
            )
        return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The database URL as libpq reads it, without its password, and the environment that
    carries the password instead (a command line is visible to every user of the machine)."""
    parsed = make_url(asyncpg_dsn(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], **kwargs: Any) -> None:
    try:
        subprocess.run(
            command, check=True, capture_output=True, timeout=TOOL_TIMEOUT_S, env=env, **kwargs
        )
    except subprocess.CalledProcessError as exc:
        raise BackupError(_tool_error(command[0], exc.stderr)) from None
    except subprocess.TimeoutExpired:
        raise BackupError(
            f"{Path(command[0]).name} took longer than {TOOL_TIMEOUT_S:g} s"
        ) from None


def _tool_error(tool: str, stderr: bytes | None) -> str:
    lines = [line for line in (stderr or b"").decode(errors="replace").splitlines() if line]
    return f"{Path(tool).name} failed: " + (" / ".join(lines[-3:]) or "no message")


def backup(url: str, tools: Tools, target: Path) -> int:
    """Dump the database to ``target`` (written whole or not at all); returns its size."""
    target = target.expanduser().resolve()
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    partial = target.with_name(f".{target.name}.partial")
    dsn, env = _libpq(url)
    try:
        _run(
            [
                tools.path("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={partial}",
                f"--dbname={dsn}",
            ],
            env,
        )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


async def other_connections(url: str) -> int:
    """Sessions on the database besides ours: a running `metronome serve` has several."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return count
    finally:
        await conn.close()


def restore(url: str, tools: Tools, source: Path) -> None:
    """Replace the database's schema and data with the backup's, in one transaction."""
    source = source.expanduser().resolve()
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    others = asyncio.run(other_connections(url))
    if others:
        raise BackupError(
            f"{others} other sessions are connected to the database: stop metronome serve "
            "(every instance) before restoring"
        )
    # pg_restore writes the backup as SQL; psql runs it after emptying the schema, all in one
    # transaction (tables a newer version added go too, so the migrations that follow apply).
    dsn, env = _libpq(url)
    script = subprocess.Popen(
        [tools.path("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert script.stdout is not None
    try:
        _run(
            [
                tools.path("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--command=DROP SCHEMA IF EXISTS public CASCADE",
                "--command=CREATE SCHEMA public",
                "--file=-",
                f"--dbname={dsn}",
            ],
            env,
            stdin=script.stdout,
        )
    finally:
        script.stdout.close()
        _, stderr = script.communicate(timeout=TOOL_TIMEOUT_S)
    if script.returncode:
        raise BackupError(_tool_error("pg_restore", stderr))


def next_run(now: datetime, at: time) -> datetime:
    """The first moment after ``now`` (UTC) whose time of day is ``at``."""
    today = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)


def prune(directory: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` nightly backups; returns the removed ones."""
    nightly = sorted(p for p in directory.iterdir() if NIGHTLY_NAME.fullmatch(p.name))
    removed = nightly[: max(0, len(nightly) - keep)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def nightly_once(url: str, tools: Tools, directory: Path, keep: int, now: datetime) -> Path:
    """Tonight's backup (unless another process sharing the data directory made it), then the
    old ones pruned."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"metronome-{now:%Y-%m-%d}.dump"
    if not target.exists():
        backup(url, tools, target)
    prune(directory, keep)
    return target


async def nightly(url: str, tools: Tools, directory: Path, at: time, keep: int, clock: Any) -> None:
    """Until cancelled: a backup at ``at`` (UTC) every day, on the injected clock."""
    while True:
        due = next_run(clock.now(), at)
        while (wait := (due - clock.now()).total_seconds()) > 0:
            await clock.sleep(min(wait, LOOK_EVERY_S))
        try:
            path = await asyncio.to_thread(nightly_once, url, tools, directory, keep, due)
        except (BackupError, OSError) as exc:
            log.error("nightly backup failed: %s", exc, extra={"action": "backup.failed"})
        else:
            log.info("nightly backup: %s", path, extra={"action": "backup.done"})
