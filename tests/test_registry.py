"""The poster registry: one poster per column, started with the column, restarted when it dies."""

from __future__ import annotations

import asyncio

from tests.support import Client, Running


async def column_with_poster(server: Running, admin: Client, interval_s: int = 60) -> int:
    """A paused log column, once the registry runs its poster."""
    registry = server.services.registry
    pid = int(
        (
            await admin.ok(
                "platform.create",
                {"kind": "log", "name": "r", "interval_s": interval_s, "paused": True},
            )
        )["id"]
    )
    for _ in range(100):
        if pid in registry.posters and pid in registry.tasks:
            return pid
        await asyncio.sleep(0.05)
    raise AssertionError(f"no poster for column {pid}")


async def test_ensure_returns_the_running_poster(server: Running, admin: Client) -> None:
    """Starting a poster that runs returns the running one."""
    registry = server.services.registry
    pid = await column_with_poster(server, admin)
    first = registry.posters[pid]
    assert registry.ensure(pid) is first
    assert registry.ensure(pid) is first


async def test_dead_poster_is_restarted(server: Running, admin: Client) -> None:
    """A poster task that dies is started again by the supervisor, and still publishes."""
    registry = server.services.registry
    pid = await column_with_poster(server, admin, interval_s=1)
    dead = registry.tasks[pid]
    dead.cancel()
    for _ in range(100):
        task = registry.tasks.get(pid)
        if task is not None and task is not dead and not task.done():
            break
        registry.wake([])  # nudge the supervisor rather than wait for its scan
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the poster was not restarted")
    sid = (await admin.ok("snippet.create", {"platform_id": pid, "body": "after a restart"}))["id"]
    await admin.ok("platform.resume", {"id": pid})
    await admin.wait_for(
        lambda s: s["snippets"].get(str(sid), {}).get("status") == "sent", timeout=10
    )


async def test_deleted_column_stops_its_poster(server: Running, admin: Client) -> None:
    """A deleted column's poster stops and its lock is released."""
    registry = server.services.registry
    pid = await column_with_poster(server, admin)
    await admin.ok("platform.delete", {"id": pid})
    for _ in range(100):
        if pid not in registry.posters and pid not in registry.leadership.held:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the deleted column's poster still runs")


async def test_a_burst_of_due_cards_takes_turns_at_the_pool(server: Running, admin: Client) -> None:
    """Forty columns whose cards fall due at the same instant: the posters take turns at the
    database, leaving connections (poster/registry.py POOL_RESERVE) to editors' commands and
    page loads, and every card still goes out, once."""
    from tests import db

    registry = server.services.registry
    database = server.services.database
    columns = 40
    async with db.connect(server.database_url) as conn:
        due = await conn.fetchval("SELECT now() + interval '1.5 seconds'")
        pids = [
            r["id"]
            for r in await conn.fetch(
                "INSERT INTO platforms (kind, name, position, interval_s, last_sent_at, settings)"
                " SELECT 'log', 'burst ' || n, n, 60, $1::timestamptz - interval '60 seconds', '{}'::jsonb"
                " FROM generate_series(1, $2) AS n RETURNING id",
                due,
                columns,
            )
        ]
        cards = [
            r["id"]
            for r in await conn.fetch(
                "INSERT INTO snippets (platform_id, ord, kind, status, body, eta)"
                " SELECT p, 1, 'post', 'pending', 'burst card', $1::timestamptz FROM unnest($2::integer[]) AS p"
                " RETURNING id",
                due,
                pids,
            )
        ]
    busiest = 0

    async def watch_pool() -> None:
        nonlocal busiest
        while True:
            busiest = max(busiest, database.in_use)
            await asyncio.sleep(0.001)

    watching = asyncio.create_task(watch_pool())
    try:
        registry.wake(pids)
        await admin.wait_for(
            lambda s: all(s["snippets"].get(str(c), {}).get("status") == "sent" for c in cards),
            timeout=15,
        )
    finally:
        watching.cancel()
    assert busiest > 1, "the posters never used the pool side by side"
    # The reserve is the posters'; the scan and the feed poller may hold one each meanwhile.
    assert busiest < database.size, (
        f"all {database.size} pooled connections were in use: none left for editors"
    )
