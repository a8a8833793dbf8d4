"""A database blip of a second: an in-flight publish finishes and its outcome is recorded."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests import db
from tests.support import Client, Running
from tests.test_poster_webhook import hook

pytestmark = pytest.mark.fault


@contextlib.asynccontextmanager
async def database_cut(pg_server: str, database_url: str) -> AsyncIterator[int]:
    """Every connection to the test's database ended, and no new one let in, for the block."""
    name = database_url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(pg_server)
    try:
        await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        killed = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
            name,
        )
        yield int(killed)
    finally:
        await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await conn.close()


async def test_publish_in_flight_survives_a_blip(
    server: Running, admin: Client, pg_server: str
) -> None:
    """The network accepts a card while the database is cut for a second: the card ends `sent`
    (not needs_check), posted once."""
    await server.services.registry.armed.wait()
    async with hook(admin) as (receiver, pid):
        receiver.delay = 2.0  # the network answers two seconds after the request
        sid = (await admin.ok("snippet.create", {"platform_id": pid, "body": "breaking"}))["id"]
        await admin.ok("snippet.send_now", {"id": sid})
        await asyncio.wait_for(receiver.arrived.wait(), 10)
        async with database_cut(pg_server, server.database_url) as killed:
            assert killed >= 3  # the pool, the listener, the leadership connection
            await asyncio.sleep(1.0)
        async with db.connect(server.database_url) as conn:
            for _ in range(300):
                status = await conn.fetchval("SELECT status FROM snippets WHERE id = $1", sid)
                if status not in ("pending", "sending"):
                    break
                await asyncio.sleep(0.1)
            row = await conn.fetchrow("SELECT status, meta FROM snippets WHERE id = $1", sid)
        assert row["status"] == "sent", row
        assert receiver.ids() == [sid]
        await admin.wait_for(lambda s: s["snippets"][str(sid)]["status"] == "sent", timeout=15)


async def test_a_column_led_elsewhere_meanwhile_is_not_recorded_over(
    server: Running, admin: Client, pg_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """If another instance took the column during the blip (its epoch moved), the finished
    publish is not recorded by us: the column's leader reconciles the card (needs_check for a
    webhook), and nothing is sent twice."""
    await server.services.registry.armed.wait()
    async with hook(admin) as (receiver, pid):
        receiver.delay = 2.0
        sid = (await admin.ok("snippet.create", {"platform_id": pid, "body": "contested"}))["id"]
        await admin.ok("snippet.send_now", {"id": sid})
        await asyncio.wait_for(receiver.arrived.wait(), 10)
        async with db.connect(server.database_url) as conn:  # as another instance's claim does
            await conn.execute(
                "UPDATE column_leaders SET owner = 'another-instance', epoch = epoch + 1"
                " WHERE platform_id = $1",
                pid,
            )
        async with database_cut(pg_server, server.database_url):
            await asyncio.sleep(1.0)
        card = await admin.wait_for(
            lambda s: (
                s["snippets"][str(sid)]["status"] not in ("pending", "sending")
                and s["snippets"][str(sid)]
            ),
            timeout=20,
        )
        assert card["status"] == "needs_check", card
        assert "outcome unknown" in card["meta"]["error"]
        await asyncio.sleep(1.5)  # a second interval: still nothing more went out
        assert receiver.ids() == [sid]
        assert [r for r in caplog.records if getattr(r, "action", None) == "poster.fenced"]
