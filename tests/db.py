"""Real PostgreSQL for tests: one migrated template, one fresh clone per test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import uuid
from collections.abc import AsyncIterator

import asyncpg

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_dsn() -> str:
    return os.environ.get("METRONOME_TEST_PG", DEFAULT_SERVER)


def with_database(dsn: str, name: str) -> str:
    base, _, _ = dsn.rpartition("/")
    query = ""
    if "?" in dsn.rsplit("/", 1)[1]:
        query = "?" + dsn.rsplit("/", 1)[1].split("?", 1)[1]
    return f"{base}/{name}{query}"


def asyncpg_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


async def reachable(dsn: str) -> bool:
    try:
        conn = await asyncio.wait_for(asyncpg.connect(dsn), 5)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def create_database(dsn: str, name: str, template: str | None = None) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        clause = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await conn.close()


async def drop_database(dsn: str, name: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextlib.asynccontextmanager
async def connect(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own to a database named by its app URL (postgresql+asyncpg://)."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        yield conn
    finally:
        await conn.close()


class Janitor:
    """Drops the tests' databases on a thread of its own while the next tests run.

    DROP DATABASE waits for a checkpoint (a few hundred milliseconds on a busy machine); no
    test needs to wait for the one before it to be cleaned away. ``close`` waits for all."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._names: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="db-janitor", daemon=True)
        self._thread.start()

    def drop(self, name: str) -> None:
        self._names.put(name)

    def _run(self) -> None:
        while (name := self._names.get()) is not None:
            asyncio.run(drop_database(self._dsn, name))

    def close(self) -> None:
        self._names.put(None)
        self._thread.join()
