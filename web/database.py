"""The database: which server (embedded or DATABASE_URL), the engine, migrations, checks."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import migrations
from web.settings import SettingError

if TYPE_CHECKING:
    from alembic.config import Config

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
        # A command waits at most this long for a connection before failing cleanly.
        pool_timeout=10,
        connect_args={"command_timeout": 30, "server_settings": {"application_name": "metronome"}},
    )
    _ping_when_idle(engine)
    return engine


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
