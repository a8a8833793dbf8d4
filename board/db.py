"""A board transaction on the driver's own connection: the hot statements skip SQLAlchemy.

A command runs four to eight statements. Through SQLAlchemy Core each costs ~300 µs of
this process's CPU (statement building, cache keys, result processing, a greenlet hop);
through asyncpg directly ~100 µs. Commands and posters therefore run their frequent
statements as SQL on the asyncpg connection (``Ctx.db``), while the rarer ones keep
SQLAlchemy (``Ctx.conn``) — both on the same connection, in the same transaction: the
SQLAlchemy side is opened only when first used and switched to autocommit, so it never
issues BEGIN or COMMIT of its own, and this module owns the transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import greenlet_spawn

T = TypeVar("T")

# Errors that mean the connection (or the server) is gone, not that a statement was wrong.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, crash shutdown
    asyncpg.exceptions.CannotConnectNowError,
)


class Row(asyncpg.Record):
    """A record read by attribute, as SQLAlchemy rows are, so both kinds flow through one code."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> Row:
        return self


async def fetch(db: asyncpg.Connection, sql: str, *args: Any) -> list[Row]:
    return await db.fetch(sql, *args, record_class=Row)


async def fetchrow(db: asyncpg.Connection, sql: str, *args: Any) -> Row | None:
    return await db.fetchrow(sql, *args, record_class=Row)


async def checkout(engine: AsyncEngine) -> Any:
    """A connection from the engine's pool, without a SQLAlchemy Connection around it.

    SQLAlchemy's Connection costs ~110 µs of CPU to open and close (an object graph, a
    greenlet hop each way, a task to shield the close); the pool's own checkout ~40 µs. The
    pool's events (the idle ping, web/database.py) run as usual. Returned with ``checkin``:
    no transaction of SQLAlchemy's was begun on it, so that does no I/O."""
    return await greenlet_spawn(engine.sync_engine.pool.connect)


async def to_completion(aw: Awaitable[T]) -> T:
    """Run a clean-up to its end even when the caller is cancelled meanwhile, then raise the
    cancellation: a connection half returned, or returned after the engine is disposed (the
    app stopping mid-command), would be left for the garbage collector to terminate.
    (SQLAlchemy's ``async with`` does the same with a private helper, which we do not import.)"""
    task = asyncio.ensure_future(aw)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            result = await asyncio.shield(task)
            break
        except asyncio.CancelledError as exc:
            if task.done():  # the clean-up itself was cancelled (the loop closing)
                raise
            cancelled = exc
    if cancelled is not None:
        raise cancelled
    return result


async def checkin(record: Any, broken: bool) -> None:
    await to_completion(_return(record, broken))


async def _return(record: Any, broken: bool) -> None:
    if broken:
        await greenlet_spawn(record.invalidate)
    await greenlet_spawn(record.close)


@asynccontextmanager
async def connect(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection outside any transaction: for single reads."""
    record = await checkout(engine)
    raw = record.driver_connection
    try:
        yield raw
    finally:
        await checkin(record, raw.is_closed())


class SqlConn:
    """``Ctx.conn``: SQLAlchemy Core on the transaction's own connection, opened on first use.

    Most commands and every poster step run only SQL on asyncpg (``Ctx.db``); those that use
    Core pay for a SQLAlchemy Connection then, not all of them up front. It is switched to
    autocommit, so SQLAlchemy issues no BEGIN or COMMIT of its own: the transaction is
    ``transaction()``'s."""

    def __init__(self, engine: AsyncEngine, record: Any) -> None:
        self._engine = engine
        self._record = record
        self.opened: AsyncConnection | None = None

    async def _conn(self) -> AsyncConnection:
        if self.opened is None:
            # Kept before the await: from here on the Connection owns the record (see _release).
            self.opened = AsyncConnection(self._engine, Connection(self._engine.sync_engine, self._record))
            await self.opened.execution_options(isolation_level="AUTOCOMMIT")
        return self.opened

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return await (await self._conn()).execute(statement, *args, **kwargs)

    async def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return await (await self._conn()).scalar(statement, *args, **kwargs)

    async def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return await (await self._conn()).scalars(statement, *args, **kwargs)


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[tuple[SqlConn, asyncpg.Connection]]:
    """One transaction: yields SQLAlchemy Core (opened on first use) and the asyncpg
    connection under it.

    Commits when the block ends (unless the block committed itself, see ``commit_with``),
    rolls back when it raises. A connection that broke on the way is invalidated, so the
    pool never hands it out again.
    """
    record = await checkout(engine)
    raw = record.driver_connection
    sql = SqlConn(engine, record)
    try:
        await raw.execute("BEGIN")
        try:
            yield sql, raw
        except BaseException:
            if raw.is_in_transaction():
                # A failed rollback: the original error tells more; the connection is dropped below.
                with contextlib.suppress(*CONNECTION_ERRORS, asyncpg.PostgresError):
                    await raw.execute("ROLLBACK")
            raise
        if raw.is_in_transaction():
            await raw.execute("COMMIT")
    finally:
        await to_completion(_release(sql, record, broken=raw.is_closed() or raw.is_in_transaction()))


async def _release(sql: SqlConn, record: Any, broken: bool) -> None:
    if sql.opened is None:
        await _return(record, broken)
        return
    # SQLAlchemy's Connection owns the record now, and returns it.
    if broken:
        await sql.opened.invalidate()
    await sql.opened.close()


async def commit_with(db: asyncpg.Connection, *statements: str) -> None:
    """Run the transaction's last statements and COMMIT in one round trip.

    They go as one simple query, which takes no parameters: values are spelled with
    ``literal``. On an error the rest is skipped and the transaction is rolled back as usual.
    """
    if db.get_settings().standard_conforming_strings != "on":
        raise RuntimeError("standard_conforming_strings is off on this connection: literals would be unsafe")
    await db.execute("; ".join((*statements, "COMMIT")))


def literal(value: Any) -> str:
    """A value as an SQL literal, for ``commit_with``.

    Strings are quoted by doubling their quotes, which is the whole rule when
    standard_conforming_strings is on: every pooled connection sets it (web/database.py),
    and ``commit_with`` refuses a connection where it is not.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"({int(value)})"  # parenthesized: -2147483648::int is -(2147483648::int)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a timestamp literal needs a time zone")
        return f"'{value.isoformat()}'::timestamptz"
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("PostgreSQL text cannot hold NUL characters")
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")

