"""A board transaction on the driver's own connection: the hot statements skip SQLAlchemy.

A command runs four to eight statements. Through SQLAlchemy Core each costs ~300 µs of
this process's CPU (statement building, cache keys, result processing, a greenlet hop);
through asyncpg directly ~100 µs. Commands and posters therefore run their frequent
statements as SQL on the asyncpg connection (``Ctx.db``), while the rarer ones keep
SQLAlchemy (``Ctx.conn``) — both on the same connection, in the same transaction: the
SQLAlchemy side is switched to autocommit, so it never issues BEGIN or COMMIT of its own,
and this module owns the transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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


@asynccontextmanager
async def connect(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection outside any transaction: for single reads."""
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        try:
            yield raw
        finally:
            if raw.is_closed():
                await conn.invalidate()


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[tuple[AsyncConnection, asyncpg.Connection]]:
    """One transaction: yields the SQLAlchemy connection and the asyncpg one under it.

    Commits when the block ends (unless the block committed itself, see ``commit_with``),
    rolls back when it raises. A connection that broke on the way is invalidated, so the
    pool never hands it out again.
    """
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        raw = (await conn.get_raw_connection()).driver_connection
        try:
            await raw.execute("BEGIN")
            try:
                yield conn, raw
            except BaseException:
                if raw.is_in_transaction():
                    try:
                        await raw.execute("ROLLBACK")
                    except (*CONNECTION_ERRORS, asyncpg.PostgresError):
                        pass  # the original error tells more; the connection is dropped below
                raise
            if raw.is_in_transaction():
                await raw.execute("COMMIT")
        finally:
            if raw.is_closed() or raw.is_in_transaction():
                await conn.invalidate()


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

