"""The database: which server (embedded or DATABASE_URL), the pool, migrations, checks."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
from sqlalchemy.engine import make_url

import migrations
from board.db import Database, is_connection_error
from web.settings import SettingError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(migrations.__file__).parent


class OutageInOneLine(logging.Filter):
    """asyncpg's pool logs a traceback each time it fails to reopen a connection; while the
    database is down that is a screenful per retry. The failure becomes part of the line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_connection_error(exc):
            record.msg = f"{record.getMessage()} ({exc!r})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


_OUTAGE_IN_ONE_LINE = OutageInOneLine()


def quiet_pool_outages() -> None:
    """Install the filter on asyncpg's pool logger (once per process; harmless to repeat)."""
    logging.getLogger("asyncpg.pool").addFilter(_OUTAGE_IN_ONE_LINE)


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


async def open_database(url: str, *, size: int = 10) -> Database:
    """The app's pool (board/db.py), every connection opened now."""
    try:
        return await Database.open(asyncpg_dsn(url), size=size)
    except Exception as exc:
        if not is_connection_error(exc, connecting=True):
            raise
        reason = str(exc) or type(exc).__name__
        raise SettingError("DATABASE_URL", f"cannot connect to the database: {reason}") from None


def asyncpg_dsn(url: str) -> str:
    """The same URL for a raw asyncpg connection (the LISTEN connection, leases)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def check_reachable(url: str, timeout: float = 10.0) -> None:
    """Fail fast with a SettingError naming DATABASE_URL when the server can't be reached."""
    try:
        conn = await asyncio.wait_for(asyncpg.connect(asyncpg_dsn(url)), timeout)
    except Exception as exc:
        if not is_connection_error(exc, connecting=True):
            raise
        reason = str(exc) or type(exc).__name__
        raise SettingError("DATABASE_URL", f"cannot connect to the database: {reason}") from None
    await conn.close()
