"""The database: which server (embedded or DATABASE_URL), the engine, migrations, checks."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import migrations
from board.db import checkin, checkout, to_completion
from web.settings import SettingError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(migrations.__file__).parent


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def newest_revision() -> str:
    """The head revision, read off the migration files' names (``NNNN_what.py``; a test
    checks that it is alembic's own head)."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))


async def current_revision(url: str) -> str | None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await conn.fetchval("SELECT version_num FROM alembic_version")
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()


def migrate(url: str) -> None:
    """Apply pending migrations (blocking; from async code call it in a thread).

    A database already at the newest revision is left alone without loading alembic, whose
    imports are a third of the service's start-up time."""
    if asyncio.run(current_revision(url)) == newest_revision():
        return
    from alembic import command

    command.upgrade(alembic_config(url), "head")


# A pooled connection idle longer than this is pinged before use (one round trip). One in
# steady use is not: pinging every checkout cost three round trips per command, and a
# connection that breaks mid-use is invalidated and its command answered `unavailable`.
IDLE_PING_S = 2.0


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # The most recently returned connection first: at an ordinary load one or two stay
        # busy, warm (statement caches, the server's own caches) and the rest idle, instead
        # of every pooled connection building the same caches in turn.
        pool_use_lifo=True,
        # A command waits at most this long for a connection before failing cleanly.
        pool_timeout=10,
        connect_args={
            "command_timeout": 30,
            # standard_conforming_strings: board/db.py literal() relies on it.
            "server_settings": {"application_name": "metronome", "standard_conforming_strings": "on"},
        },
    )
    _ping_when_idle(engine)
    _warm_array_codecs(engine)
    return engine


# The array types the board's statements bind (ids, ords, etas, statuses, names).
_ARRAY_TYPES = ("int4", "int8", "float8", "timestamptz", "text")
_WARM_ARRAYS = "SELECT 1 FROM (SELECT {}) t".format(
    ", ".join(f"${i}::{name}[]" for i, name in enumerate(_ARRAY_TYPES, start=1))
)


def _warm_array_codecs(engine: AsyncEngine) -> None:
    """Teach each new connection the array types at once, in one query.

    asyncpg learns an array type the first time a statement binds one, with an introspection
    query of ~11 ms, per connection and per type. Learned lazily, that cost fell on the
    first publishes after a start (several per cold connection, while every column's first
    card fell due) and made them late by 200 ms and more."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.run_async(lambda conn: conn.fetchval(_WARM_ARRAYS, *([] for _ in _ARRAY_TYPES)))


async def fill_pool(engine: AsyncEngine) -> None:
    """Open the pool's connections now, side by side.

    A pool that grows on demand opens its connections at the first burst of work, the worst
    moment: a new connection costs ~5 ms of this process's CPU and several round trips, and
    while it opens more work queues up and asks for more of them. After a restart on a busy
    board, that burst is the first cards of every column falling due."""
    pool = engine.sync_engine.pool
    size: int = pool.size()  # type: ignore[attr-defined]
    # All checked out before any goes back, so each is a connection of its own.
    opening = [asyncio.ensure_future(checkout(engine)) for _ in range(size)]
    try:
        await asyncio.wait(opening)
    finally:
        # Also when the app stops meanwhile (a quick restart): a connection left checked out
        # would be found by the garbage collector later, terminated, and warned about.
        await to_completion(_return_all(opening))
    failed = [t.exception() for t in opening if not t.cancelled() and t.exception() is not None]
    if failed:
        log.warning("could not open %d of %d pooled connections ahead: %r", len(failed), size, failed[0],
                    extra={"action": "db.fill_pool"})


async def _return_all(opening: list[asyncio.Future[Any]]) -> None:
    # A checkout cancelled mid-way closes what it opened on its way out, and one may
    # complete before its cancellation lands: all are waited for, then what they got returned.
    for task in opening:
        task.cancel()
    await asyncio.wait(opening)
    for task in opening:
        if not task.cancelled() and task.exception() is None:
            await checkin(task.result(), broken=False)


def _ping_when_idle(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checkin(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            # The pool drops this connection and tries another (SQLAlchemy's documented recipe).
            raise DisconnectionError(str(exc)) from exc


def asyncpg_dsn(url: str) -> str:
    """The same URL for a raw asyncpg connection (the LISTEN connection, leases)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def check_reachable(url: str, timeout: float = 10.0) -> None:
    """Fail fast with a SettingError naming DATABASE_URL when the server can't be reached."""
    try:
        conn = await asyncio.wait_for(asyncpg.connect(asyncpg_dsn(url)), timeout)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        reason = str(exc) or type(exc).__name__
        raise SettingError("DATABASE_URL", f"cannot connect to the database: {reason}") from None
    await conn.close()
