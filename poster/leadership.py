"""Which instance publishes which column: PostgreSQL advisory locks on one dedicated connection.

The locks live as long as that connection's session. If the connection drops, PostgreSQL
releases them and another instance takes the columns over; this instance notices on its
next use or probe and stops its posters. The `sending` transition runs on this same
connection (``transaction``), which is the fence: a poster whose session lost its locks
cannot mark a card `sending`, so it can never publish.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

# The advisory lock namespace (first key) of column leadership.
LOCK_NS = 7315002


class LeadershipLost(Exception):
    """The leadership connection is gone: every column lock it held is released."""


class Leadership:
    def __init__(self, database_url: str) -> None:
        self._engine: AsyncEngine = create_async_engine(
            database_url, poolclass=NullPool,
            connect_args={"server_settings": {"application_name": "metronome-leader"}},
        )
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self.held: set[int] = set()

    async def connect(self) -> None:
        self.held.clear()
        self._conn = await self._engine.connect()
        await self._conn.commit()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        self.held.clear()
        if conn is not None:
            try:
                await conn.close()
            except Exception:  # the session is gone already; its locks with it
                await conn.invalidate()
        await self._engine.dispose()

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[AsyncConnection]:
        async with self._lock:
            if self._conn is None:
                raise LeadershipLost("not connected")
            try:
                yield self._conn
            except (TimeoutError, OSError) as exc:
                raise LeadershipLost(str(exc)) from exc
            except Exception as exc:
                if _connection_error(exc):
                    raise LeadershipLost(str(exc)) from exc
                raise

    async def acquire(self, column_ids: Iterable[int]) -> list[int]:
        """Try to take the columns; returns the ones now held (in one round trip)."""
        wanted = [c for c in column_ids if c not in self.held]
        if not wanted:
            return []
        async with self._use() as conn:
            result = await conn.execute(
                text("SELECT id FROM unnest(CAST(:ids AS integer[])) AS id WHERE pg_try_advisory_lock(:ns, id)"),
                {"ids": wanted, "ns": LOCK_NS},
            )
            got = [row.id for row in result]
            await conn.commit()
        self.held.update(got)
        return got

    async def release(self, column_id: int) -> None:
        if column_id not in self.held:
            return
        self.held.discard(column_id)
        async with self._use() as conn:
            await conn.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": LOCK_NS, "id": column_id})
            await conn.commit()

    async def probe(self) -> None:
        async with self._use() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 5)
            await conn.commit()

    @asynccontextmanager
    async def transaction(self, column_id: int) -> AsyncIterator[AsyncConnection]:
        """A transaction on the leadership session, for a column this session holds."""
        if column_id not in self.held:
            raise LeadershipLost(f"column {column_id} is not held by this instance")
        async with self._use() as conn:
            async with conn.begin():
                yield conn


def _connection_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, (InterfaceError, OperationalError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"

