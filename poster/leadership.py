"""Which instance publishes which column: PostgreSQL advisory locks on one dedicated connection.

The locks live as long as that connection's session. If the connection drops, PostgreSQL
releases them and another instance takes the columns over; this instance notices on its
next use or probe and stops its posters.

Fencing: taking a column bumps its epoch in `column_leaders` (after the lock is held). The
`sending` transition (board.publishing.take) and the recording of an outcome
(board.publishing.finish) lock the column's `column_leaders` row FOR SHARE and require this
instance's epoch, so once another instance has taken the column over, a stale poster can no
longer mark anything `sending`, and so can never publish, nor record over the new leader's
reconciling; and the new leader's bump waits for a step in flight, so it sees that card and
reconciles it instead of sending it again. The steps run on pooled connections, so posters
take cards in parallel. A column this instance takes back after losing its connection keeps
its epoch when nobody else held it meanwhile (see ``_CLAIM``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import asyncpg

from board.db import is_connection_error

# The advisory lock namespace (first key) of column leadership.
LOCK_NS = 7315002


# Taking columns: each one's epoch is bumped, unless this instance was the last to hold it.
# Then nobody else has held it since (their claim would have written their owner), and a
# publish this instance had in flight when its connection dropped may still record its
# outcome under the epoch it took the card with (poster/worker.py, a database blip).
_CLAIM = (
    "INSERT INTO column_leaders (platform_id, owner, epoch)"
    " SELECT id, $2, 1 FROM unnest($1::integer[]) AS id ON CONFLICT (platform_id) DO UPDATE"
    " SET owner = EXCLUDED.owner, since = now(), epoch = column_leaders.epoch"
    " + CASE WHEN column_leaders.owner = EXCLUDED.owner THEN 0 ELSE 1 END"
    " RETURNING platform_id, epoch"
)


class LeadershipLost(Exception):
    """The leadership connection is gone: every column lock it held is released."""


class Leadership:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self.held: set[int] = set()
        # This instance's name in column_leaders, and the epoch of each column it holds.
        self.owner = uuid.uuid4().hex
        self.epochs: dict[int, int] = {}

    async def connect(self) -> None:
        self.held.clear()
        self.epochs.clear()
        self._conn = await asyncpg.connect(
            self._dsn, server_settings={"application_name": "metronome-leader"}
        )

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        self.held.clear()
        self.epochs.clear()
        if conn is not None:
            try:
                await asyncio.wait_for(conn.close(), 5)
            except Exception:  # the session is gone already; its locks with it
                conn.terminate()

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._lock:
            if self._conn is None:
                raise LeadershipLost("not connected")
            try:
                yield self._conn
            except Exception as exc:
                # A connection that broke mid-statement may raise other errors than a
                # connection error (asyncpg: "cannot switch to state …"); closed is closed.
                if is_connection_error(exc) or self._conn.is_closed():
                    raise LeadershipLost(describe(exc)) from exc
                raise

    async def acquire(self, column_ids: Iterable[int]) -> list[int]:
        """Try to take the columns; returns the ones now held (in one round trip)."""
        wanted = [c for c in column_ids if c not in self.held]
        if not wanted:
            return []
        async with self._use() as conn:
            got = [
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM unnest($1::integer[]) AS id WHERE pg_try_advisory_lock($2, id)",
                    wanted,
                    LOCK_NS,
                )
            ]
            if got:
                bumped = await conn.fetch(_CLAIM, got, self.owner)
                self.epochs.update({r["platform_id"]: r["epoch"] for r in bumped})
        self.held.update(got)
        return got

    def fence(self, column_id: int) -> tuple[str, int]:
        """(owner, epoch) a `sending` step must present; LeadershipLost if not held."""
        epoch = self.epochs.get(column_id)
        if epoch is None or column_id not in self.held:
            raise LeadershipLost(f"column {column_id} is not held by this instance")
        return self.owner, epoch

    async def release(self, column_id: int) -> None:
        if column_id not in self.held:
            return
        self.held.discard(column_id)
        self.epochs.pop(column_id, None)
        async with self._use() as conn:
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_NS, column_id)

    async def probe(self) -> None:
        async with self._use() as conn:
            await conn.execute("SELECT 1", timeout=5)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
