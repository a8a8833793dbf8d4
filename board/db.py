"""The one way to the database: SQL on asyncpg, from one pool, read as attribute rows.

The schema is declared with SQLAlchemy Core (board/tables.py) for alembic alone; at run time
every statement is SQL on an asyncpg connection. A statement through Core cost ~300 µs of
this process's CPU against ~100 µs on asyncpg, and a command runs four to eight of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

# How long a caller waits for a pooled connection before giving up (unavailable).
ACQUIRE_TIMEOUT = 10.0

# Every connection a function here takes or hands out: a connection of its own (the CLI, the
# tests) or a pooled one (asyncpg's proxy of a Connection, with the same methods).
Db: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

# Errors that mean the connection (or the server) is gone, not that a statement was wrong.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, crash shutdown
    asyncpg.exceptions.CannotConnectNowError,  # the server is starting or stopping
)


# Refusals of a new connection by a server that is up: "too many connections", and a database
# closed to connections (ALTER DATABASE … ALLOW_CONNECTIONS false, as during maintenance). A
# pooled connection is reopened inside ``acquire``, so callers meet these without knowing they
# were connecting. The latter's class (55000) has subclasses that statements raise (55P03, a
# lock not available): only the class itself is a refusal.
_REFUSED = (
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ObjectNotInPrerequisiteStateError,
)


# asyncpg's protocol refusing a statement on a connection the server dropped but that is not
# closed yet: it was mid-error (state 2, consuming an error that ends in no ReadyForQuery) or
# cancelled (3) when the server went away, and the pool handed it out again before the lost
# socket was noticed (seen in tests/test_outage.py). The messages of asyncpg/protocol's
# coreproto.pyx; any other InternalClientError stays a bug.
_DEAD_PROTOCOL = (
    "not connected",
    'protocol is in the "failed" state',
    "another operation (2) is in progress",
    "another operation (3) is in progress",
)


def is_connection_error(exc: BaseException, *, connecting: bool = False) -> bool:
    """Whether ``exc`` says the database is out of reach (try again later), not that a
    statement was wrong (a bug, or a constraint the caller broke). While ``connecting``, any
    refusal by the server (too many connections, a database being created) counts too."""
    if connecting and isinstance(exc, asyncpg.PostgresError):
        return True
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        return str(exc).endswith(_DEAD_PROTOCOL)
    return isinstance(exc, CONNECTION_ERRORS) or type(exc) in _REFUSED


class Row(asyncpg.Record):
    """A record read by attribute as well as by key: ``row.id``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


async def fetch(db: Db, sql: str, *args: Any) -> list[Row]:
    return await db.fetch(sql, *args, record_class=Row)


async def fetchrow(db: Db, sql: str, *args: Any) -> Row | None:
    return await db.fetchrow(sql, *args, record_class=Row)


# The array types the board's statements bind (ids, ords, etas, statuses, names).
_ARRAY_TYPES = ("int4", "int8", "float8", "timestamptz", "text")
_WARM_ARRAYS = "SELECT 1 FROM (SELECT {}) t".format(
    ", ".join(f"${i}::{name}[]" for i, name in enumerate(_ARRAY_TYPES, start=1))
)


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


async def _init(conn: asyncpg.Connection) -> None:
    """Each new connection: JSON as Python values, and the array types learned at once.

    asyncpg learns an array type the first time a statement binds one, with an introspection
    query of ~11 ms per connection and type; learned lazily, that fell on the first publishes
    after a start (every column's first card falling due at once) and made them 200 ms late.
    """
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=_json_text, decoder=orjson.loads, schema="pg_catalog"
        )
    await conn.fetchval(_WARM_ARRAYS, *([] for _ in _ARRAY_TYPES))


async def _reset(conn: asyncpg.Connection) -> None:
    """On the way back to the pool. asyncpg's default reset costs a round trip per release
    (unlisten, unlock, reset all); pooled connections never listen or lock, and end their
    transactions themselves — unless cancelled mid-way."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class Database:
    """The pool every part of one app shares. Made by ``open`` in the app's lifespan."""

    # A pool that grew on demand opened connections at the first burst of work, the worst
    # moment (~5 ms of CPU and several round trips each, while more work queued for more of
    # them): every connection is opened at start and kept.
    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self._pool = pool
        self.size = size

    @classmethod
    async def open(
        cls, dsn: str, *, size: int = 10, application_name: str = "metronome"
    ) -> Database:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=size,
            max_size=size,
            # Connections are not recycled by age or use: a reconnect mid-burst is a stall.
            max_queries=2**62,
            max_inactive_connection_lifetime=0,
            init=_init,
            reset=_reset,
            record_class=Row,
            command_timeout=30,
            server_settings={"application_name": application_name},
        )
        return cls(pool, size)

    @property
    def in_use(self) -> int:
        """Connections handed out now."""
        return self._pool.get_size() - self._pool.get_idle_size()

    async def close(self) -> None:
        """Wait for connections in use to come back, then close them all."""
        await self._pool.close()

    @asynccontextmanager
    async def connect(self, timeout: float = ACQUIRE_TIMEOUT) -> AsyncIterator[Db]:
        """A pooled connection outside any transaction: for reads.

        A connection the server closed (a restart) is replaced by the pool as it is handed
        out; one that breaks in use raises a connection error (``is_connection_error``)."""
        # A deadline on this task, not the pool's own timeout, which makes a task per acquire.
        async with asyncio.timeout(timeout):
            conn = await self._pool.acquire()
        try:
            yield conn
        finally:
            # Shielded by asyncpg: the connection goes back even if this task is cancelled.
            await self._pool.release(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Db]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        async with self.connect() as conn, conn.transaction():
            yield conn


def set_clause(values: dict[str, Any], first: int) -> tuple[str, list[Any]]:
    """``name = $n, …`` for these column values (numbered from ``first``), and the values."""
    return ", ".join(f"{name} = ${i}" for i, name in enumerate(values, start=first)), list(
        values.values()
    )
