"""The database: which server (embedded or DATABASE_URL), the engine, migrations, checks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import migrations
from web.settings import SettingError

MIGRATIONS_DIR = Path(migrations.__file__).parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def migrate(url: str) -> None:
    """Apply pending migrations (blocking; from async code call it in a thread)."""
    command.upgrade(alembic_config(url), "head")


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # A command waits at most this long for a connection before failing cleanly.
        pool_timeout=10,
        connect_args={"command_timeout": 30, "server_settings": {"application_name": "metronome"}},
    )


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
