"""board/db.py: values spelled as SQL literals, and statements committed in one round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from board.db import commit_with, literal, transaction
from web.database import asyncpg_dsn, create_engine

# Text as editors type it, quotes, backslashes and all; PostgreSQL text has no NUL.
TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=200)


@pytest.fixture
async def pg(database_url: str):  # type: ignore[no-untyped-def]
    conn = await asyncpg.connect(asyncpg_dsn(database_url), server_settings={"standard_conforming_strings": "on"})
    yield conn
    await conn.close()


@pytest.mark.parametrize(
    "value",
    ["", "it's", "''", "\\", "\\'", "'; DROP TABLE events; --", "$$", "$tag$", "e'\\n'", "tab\there", "é — 🗞"],
)
async def test_literal_round_trips_awkward_strings(pg: asyncpg.Connection, value: str) -> None:
    assert await pg.fetchval(f"SELECT {literal(value)}::text") == value


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(value=TEXT)
async def test_literal_round_trips_any_text(pg: asyncpg.Connection, value: str) -> None:
    assert await pg.fetchval(f"SELECT {literal(value)}::text") == value


async def test_literal_other_values(pg: asyncpg.Connection) -> None:
    when = datetime(2026, 11, 22, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=3)))
    assert await pg.fetchval(f"SELECT {literal(when)}") == when.astimezone(UTC)
    assert await pg.fetchval(f"SELECT {literal(-(2**31))}::int") == -(2**31)
    assert await pg.fetchval(f"SELECT {literal(None)}::int") is None
    assert await pg.fetchval(f"SELECT {literal(True)}") is True
    with pytest.raises(ValueError):
        literal("nul\x00")
    with pytest.raises(ValueError):
        literal(datetime(2026, 1, 1))  # no time zone: which instant?
    with pytest.raises(TypeError):
        literal(1.5)


async def test_commit_with_is_all_or_nothing(database_url: str, pg: asyncpg.Connection) -> None:
    """The last statements and the COMMIT go together: all of it lands, or (on an error in any
    of them) none of the transaction does."""
    engine = create_engine(database_url, pool_size=1)
    insert = "INSERT INTO events (op, args, ok) VALUES ({}, '{{}}', true)"
    try:
        async with transaction(engine) as (_conn, db):
            await db.execute("INSERT INTO events (op, args, ok) VALUES ('first', '{}', true)")
            await commit_with(db, insert.format(literal("second")))
        assert await pg.fetchval("SELECT array_agg(op ORDER BY id) FROM events") == ["first", "second"]

        with pytest.raises(asyncpg.PostgresError):
            async with transaction(engine) as (_conn, db):
                await db.execute("INSERT INTO events (op, args, ok) VALUES ('third', '{}', true)")
                await commit_with(db, insert.format(literal("fourth")), "SELECT 1 / 0")
        assert await pg.fetchval("SELECT count(*) FROM events") == 2

        # The pooled connection came back clean: a new transaction works on it.
        async with transaction(engine) as (_conn, db):
            await db.execute("INSERT INTO events (op, args, ok) VALUES ('fifth', '{}', true)")
        assert await pg.fetchval("SELECT count(*) FROM events") == 3
    finally:
        await engine.dispose()


async def test_commit_with_refuses_nonconforming_strings(database_url: str) -> None:
    """Doubling quotes is the whole quoting rule only with standard_conforming_strings on."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url), server_settings={"standard_conforming_strings": "off"})
    try:
        await conn.execute("BEGIN")
        with pytest.raises(RuntimeError, match="standard_conforming_strings"):
            await commit_with(conn, "SELECT 1")
        await conn.execute("ROLLBACK")
    finally:
        await conn.close()
