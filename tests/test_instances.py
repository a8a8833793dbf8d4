"""Several instances on one database: changes reach every instance's clients; a lost LISTEN resyncs."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.support import Client, login, make_user, running_app


async def test_two_instances_fan_out_to_each_other(database_url: str) -> None:
    """A command through one instance reaches the clients of the other."""
    async with running_app(database_url) as one, running_app(database_url) as two:
        email = await make_user(database_url, "admin")
        async with (
            Client.connect(one, cookie=await login(one.url, email)) as a,
            Client.connect(two, cookie=await login(two.url, email)) as b,
        ):
            pid = (
                await a.ok(
                    "platform.create",
                    {"kind": "log", "name": "shared", "interval_s": 60, "paused": True},
                )
            )["id"]
            await b.wait_for(lambda s: str(pid) in s["platforms"])
            sid = (await b.ok("snippet.create", {"platform_id": pid, "body": "via two"}))["id"]
            await a.wait_for(lambda s: str(sid) in s["snippets"])
            await a.ok("snippet.update", {"id": sid, "version": 1, "body": "edited via one"})
            await b.wait_for(lambda s: s["snippets"][str(sid)]["body"] == "edited via one")


async def test_big_patch_goes_through_the_changes_table(database_url: str) -> None:
    """A clear of a long column (a patch over the NOTIFY limit) still reaches the other instance."""
    async with (
        running_app(database_url, METRONOME_WS_RATE="100000") as one,
        running_app(database_url) as two,
    ):
        email = await make_user(database_url, "admin")
        async with (
            Client.connect(one, cookie=await login(one.url, email)) as a,
            Client.connect(two, cookie=await login(two.url, email)) as b,
        ):
            pid = (
                await a.ok(
                    "platform.create",
                    {"kind": "log", "name": "long", "interval_s": 60, "paused": True},
                )
            )["id"]
            for i in range(400):
                await a.ok("snippet.create", {"platform_id": pid, "body": f"card {i}"})
            await b.wait_for(lambda s: len(b.queue(pid)) == 400, timeout=20)
            await a.ok("platform.clear", {"id": pid})
            await b.wait_for(lambda s: b.queue(pid) == [], timeout=10)


@pytest.mark.fault
async def test_lost_listen_connection_resyncs_clients(database_url: str, pg_server: str) -> None:
    """When the LISTEN connection drops, it reconnects and clients get a fresh full state."""
    async with running_app(database_url) as running:
        email = await make_user(database_url, "admin")
        async with Client.connect(running, cookie=await login(running.url, email)) as client:
            pid = (
                await client.ok("platform.create", {"kind": "log", "name": "x", "interval_s": 60})
            )["id"]
            await client.wait_for(lambda s: str(pid) in s["platforms"])
            name = running.database_url.rsplit("/", 1)[1]
            conn = await asyncpg.connect(pg_server)
            try:
                # Keep the listener out while a change is made: only a resync can bring it.
                await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                killed = await conn.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'metronome-listen' AND datname = $1",
                    name,
                )
                assert killed == 1
                await client.ok("platform.update", {"id": pid, "name": "renamed while deaf"})
                await asyncio.sleep(0.5)
                assert client.state["platforms"][str(pid)]["name"] == "x"
            finally:
                await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                await conn.close()
            await client.wait_for(
                lambda s: (
                    s.get("platforms", {}).get(str(pid), {}).get("name") == "renamed while deaf"
                ),
                timeout=15,
            )
            assert running.services.listener.reconnects == 1
