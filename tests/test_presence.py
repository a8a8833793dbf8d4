"""Presence across instances on one database (CONTRACT §12): who has the board open, which card
each edits, and leaving: by a close, by a connection that drops without one, by an instance's
death. Presence is never recorded: no event, no spilled change."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests import db
from tests.live import LiveServer
from tests.support import Client, RawSocket, make_user, running_app, session_cookie

# The keepalive of `metronome serve` (web/cli.py), shortened so a dead client is found in a
# second rather than ten; the test of WS_OPTIONS holds the real values to the 15 s promise.
QUICK_PINGS = {"ws_ping_interval": 0.5, "ws_ping_timeout": 0.5}


def present(client: Client, user_id: int) -> dict[str, Any] | None:
    entry: dict[str, Any] | None = client.state.get("presence", {}).get(str(user_id))
    return entry


async def user(database_url: str, role: str = "editor") -> tuple[int, str]:
    """A user's id and a session cookie."""
    email = await make_user(database_url, role)
    async with db.connect(database_url) as conn:
        user_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
    return user_id, await session_cookie(database_url, email)


async def a_card(running: Any) -> int:
    """A card in a new paused column, made by an admin of its own."""
    _, cookie = await user(running.database_url, "admin")
    async with Client.connect(running, cookie=cookie) as admin:
        pid = (
            await admin.ok(
                "platform.create", {"kind": "log", "name": "p", "interval_s": 3600, "paused": True}
            )
        )["id"]
        return int((await admin.ok("snippet.create", {"platform_id": pid, "body": "x"}))["id"])


async def nothing_recorded(database_url: str) -> None:
    async with db.connect(database_url) as conn:
        assert await conn.fetchval("SELECT count(*) FROM events WHERE op LIKE 'presence%'") == 0
        assert (
            await conn.fetchval("SELECT count(*) FROM changes WHERE payload LIKE '%presence%'") == 0
        )


async def test_join_editing_and_leave_by_close_across_two_instances(database_url: str) -> None:
    """Users on two instances see each other join, see what the other edits, and see one who
    closes the board leave, within a second each; the state over HTTP shows the same."""
    async with running_app(database_url) as one, running_app(database_url) as two:
        ann, ann_cookie = await user(database_url)
        bob, bob_cookie = await user(database_url)
        async with Client.connect(one, cookie=ann_cookie) as a:
            async with Client.connect(two, cookie=bob_cookie) as b:
                await a.wait_for(lambda s: present(a, bob), timeout=1)
                await b.wait_for(lambda s: present(b, ann), timeout=1)
                assert present(b, ann) == {"id": ann, "email": a.state["me"]["email"]}
                async with httpx.AsyncClient(cookies={"metronome_session": bob_cookie}) as http:
                    state = (await http.get(one.url + "/api/state")).json()
                assert {ann, bob} <= {int(k) for k in state["presence"]}
                card = await a_card(one)
                assert await a.ok("presence.editing", {"snippet_id": card}) == {"snippet_id": card}
                await b.wait_for(lambda s: present(b, ann).get("editing") == card, timeout=1)
                await a.wait_for(lambda s: present(a, ann).get("editing") == card, timeout=1)
                await a.ok("presence.editing", {"snippet_id": None})
                await b.wait_for(lambda s: "editing" not in present(b, ann), timeout=1)
                await a.ok("presence.editing", {"snippet_id": card})
                await b.wait_for(lambda s: present(b, ann).get("editing") == card, timeout=1)
            started = time.monotonic()
            await a.wait_for(lambda s: present(a, bob) is None, timeout=1)
            assert time.monotonic() - started < 1
        async with Client.connect(two, cookie=bob_cookie) as b:
            await b.wait_for(lambda s: present(b, ann) is None and present(b, bob), timeout=1)
    await nothing_recorded(database_url)


async def test_a_user_with_two_tabs_stays_until_the_last_closes(database_url: str) -> None:
    """Closing one of two tabs (on two instances) keeps the user present; the editing card of
    the tab that closed is forgotten."""
    async with running_app(database_url) as one, running_app(database_url) as two:
        ann, ann_cookie = await user(database_url)
        _, bob_cookie = await user(database_url)
        async with Client.connect(two, cookie=bob_cookie) as watcher:
            async with Client.connect(one, cookie=ann_cookie):
                card = await a_card(one)
                async with Client.connect(two, cookie=ann_cookie) as tab2:
                    await tab2.ok("presence.editing", {"snippet_id": card})
                    await watcher.wait_for(lambda s: present(watcher, ann).get("editing") == card)
                await watcher.wait_for(lambda s: "editing" not in present(watcher, ann))
                await asyncio.sleep(0.3)
                assert present(watcher, ann) is not None, "one tab is still open"
            await watcher.wait_for(lambda s: present(watcher, ann) is None, timeout=1)


async def test_a_connection_that_drops_without_a_close_leaves(database_url: str) -> None:
    """A client that stops answering pings (a laptop lid shut, a cable pulled) is dropped by
    the keepalive and leaves presence; one whose socket just dies (no close frame) at once."""
    async with (
        running_app(database_url, uvicorn_options=QUICK_PINGS) as one,
        running_app(database_url) as two,
    ):
        ann, ann_cookie = await user(database_url)
        bob, bob_cookie = await user(database_url)
        _, eve_cookie = await user(database_url)
        async with Client.connect(two, cookie=eve_cookie) as watcher:
            silent = await RawSocket.connect(one, ann_cookie)  # never reads, never answers
            try:
                await watcher.wait_for(lambda s: present(watcher, ann), timeout=2)
                started = time.monotonic()
                await watcher.wait_for(lambda s: present(watcher, ann) is None, timeout=5)
                assert time.monotonic() - started < 3
            finally:
                silent.close()
            dying = await RawSocket.connect(one, bob_cookie, rcvbuf=None)
            await watcher.wait_for(lambda s: present(watcher, bob), timeout=2)
            dying.close()  # the TCP connection ends; no WebSocket close frame was sent
            await watcher.wait_for(lambda s: present(watcher, bob) is None, timeout=1)


def test_metronome_serve_drops_a_silent_client_within_the_presence_promise() -> None:
    """`metronome serve` pings every client and drops one that does not answer, soon enough
    that a user whose connection died leaves presence within 15 s (CONTRACT §12)."""
    from web.cli import WS_OPTIONS

    interval, timeout = WS_OPTIONS["ws_ping_interval"], WS_OPTIONS["ws_ping_timeout"]
    assert interval and timeout and interval + timeout <= 10


async def test_presence_editing_refusals(database_url: str) -> None:
    """Bad arguments are refused naming the field; a card that is not there is not_found; a
    viewer edits nothing; nothing of it reaches the events table."""
    async with running_app(database_url) as one:
        _, editor_cookie = await user(database_url)
        viewer, viewer_cookie = await user(database_url, "viewer")
        async with (
            Client.connect(one, cookie=editor_cookie) as editor,
            Client.connect(one, cookie=viewer_cookie) as watcher,
        ):
            card = await a_card(one)
            for args in ({}, {"snippet_id": "seven"}, {"snippet_id": 0}, {"snippet_id": 2**40}):
                reply = await editor.command("presence.editing", args)
                assert reply["error"]["code"] == "bad_request", reply
                assert "snippet_id" in reply["error"]["message"]
            assert (
                await editor.fails("presence.editing", {"snippet_id": card + 1000}) == "not_found"
            )
            await editor.ok("snippet.delete", {"id": card})
            assert await editor.fails("presence.editing", {"snippet_id": card}) == "not_found"
            assert await watcher.fails("presence.editing", {"snippet_id": card}) == "forbidden"
            assert await watcher.ok("presence.editing", {"snippet_id": None}) == {
                "snippet_id": None
            }
            await watcher.wait_for(lambda s: present(watcher, viewer))
    await nothing_recorded(database_url)


@contextlib.asynccontextmanager
async def live_instance(database_url: str) -> AsyncIterator[LiveServer]:
    """`metronome serve` as a process of its own on this database."""
    with tempfile.TemporaryDirectory() as data_dir:
        server = LiveServer(database_url, Path(data_dir))
        await asyncio.to_thread(server.start)
        try:
            yield server
        finally:
            await asyncio.to_thread(server.stop)


@pytest.mark.slow
async def test_the_users_of_an_instance_that_dies_leave_within_15_s(database_url: str) -> None:
    """kill -9 of an instance: it says no goodbye, its leases run out, and its users leave
    the other instance's presence within 15 s."""
    async with (
        running_app(database_url) as survivor,
        live_instance(database_url) as doomed,
    ):
        ann, ann_cookie = await user(database_url)
        _, bob_cookie = await user(database_url)
        async with Client.connect(survivor, cookie=bob_cookie) as watcher:
            doomed_site: Any = type(
                "Site", (), {"url": doomed.url, "ws_url": doomed.url.replace("http", "ws") + "/ws"}
            )
            async with Client.connect(doomed_site, cookie=ann_cookie) as victim:
                await watcher.wait_for(lambda s: present(watcher, ann), timeout=2)
                assert doomed.process is not None
                doomed.process.send_signal(signal.SIGKILL)
                started = time.monotonic()
                await victim.closed.wait()
                await watcher.wait_for(lambda s: present(watcher, ann) is None, timeout=16)
                took = time.monotonic() - started
        assert 3 < took <= 15, f"left after {took:.1f} s"


@pytest.mark.fault
async def test_presence_comes_back_after_a_lost_listen_connection(
    database_url: str, pg_server: str
) -> None:
    """An instance deaf to notifications for a while misses who came and went; once its LISTEN
    connection is back it asks the others, and its clients see the board's people again."""
    async with running_app(database_url) as one, running_app(database_url) as two:
        ann, ann_cookie = await user(database_url)
        bob, bob_cookie = await user(database_url)
        async with Client.connect(one, cookie=ann_cookie) as a:
            name = database_url.rsplit("/", 1)[1]
            admin = await asyncpg.connect(pg_server)
            try:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                pids = await admin.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = 'metronome-listen'"
                    " AND datname = $1",
                    name,
                )
                # The listener of instance one: the one whose terminating leaves two's alone.
                listener_pid = await one.services.listener._conn.fetchval("SELECT pg_backend_pid()")
                assert listener_pid in {r["pid"] for r in pids}
                await admin.execute("SELECT pg_terminate_backend($1)", listener_pid)
                async with Client.connect(two, cookie=bob_cookie):
                    await asyncio.sleep(0.5)
                    assert present(a, bob) is None, "one is deaf: it cannot know yet"
                    await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                    listener = one.services.listener
                    for _ in range(300):  # its reconnect backs off: up to 10 s
                        if listener.reconnects and listener.connected.is_set():
                            break
                        await asyncio.sleep(0.05)
                    # Asked, two answers at once, not at its next heartbeat (5 s).
                    await a.wait_for(lambda s: present(a, bob), timeout=2)
                    assert present(a, ann)
            finally:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                await admin.close()
