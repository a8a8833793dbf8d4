"""The grace before going out (METRONOME_MIN_LEAD_S, default 30 s), under a clock the test moves:
a new card in an idle column waits it, a card passing through a due column is not published
there, and "send now" does not wait."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from tests.clock import FakeClock
from tests.support import Client, login, make_user, running_app
from web.settings import load

INTERVAL = 600


def test_the_default_is_thirty_seconds(tmp_path: Path) -> None:
    """Without METRONOME_MIN_LEAD_S the grace is 30 s."""
    settings = load(
        {"METRONOME_DATA_DIR": str(tmp_path), "METRONOME_SECRET_KEY": "x" * 20}, cwd=tmp_path
    )
    assert settings.min_lead_s == 30


@contextlib.asynccontextmanager
async def default_board(database_url: str) -> AsyncIterator[tuple[Client, FakeClock]]:
    """An app with the default grace (the tests' own 0 left out) on a clock the test moves."""
    clock = FakeClock()
    async with running_app(database_url, clock=clock, METRONOME_MIN_LEAD_S=None) as running:
        assert running.services.config.min_lead == timedelta(seconds=30)
        email = await make_user(database_url, "admin")
        async with Client.connect(running, cookie=await login(running.url, email)) as client:
            await running.services.registry.armed.wait()
            yield client, clock


async def column(client: Client, name: str, *, paused: bool = False) -> int:
    pid = int(
        (
            await client.ok(
                "platform.create",
                {"kind": "log", "name": name, "interval_s": INTERVAL, "paused": paused},
            )
        )["id"]
    )
    await client.wait_for(lambda s: str(pid) in s["platforms"])
    return pid


async def add(client: Client, pid: int, body: str) -> int:
    sid = int((await client.ok("snippet.create", {"platform_id": pid, "body": body}))["id"])
    await client.wait_for(lambda s: str(sid) in s["snippets"])
    return sid


def status(client: Client, sid: int) -> str | None:
    card = client.card(sid)
    return card["status"] if card else None


async def settle(clock: FakeClock) -> None:
    """Let the posters act on the time as it is (several loop turns, no time passing)."""
    for _ in range(20):
        await clock.advance(0)


async def test_a_card_in_an_idle_column_waits_thirty_seconds(database_url: str) -> None:
    """The first card of a new column (and of one that has been quiet for long) goes out 30 s
    after it was added, not at once, and not a second early."""
    async with default_board(database_url) as (client, clock):
        pid = await column(client, "idle")
        sid = await add(client, pid, "first")
        card = client.card(sid)
        assert card is not None and card["eta"] is not None
        await clock.advance(29)
        await settle(clock)
        assert status(client, sid) == "pending"
        await clock.advance(1)
        await client.wait_for(lambda s: status(client, sid) == "sent", timeout=5)
        # Quiet for an hour, the column is due again: the next card still waits the grace.
        await clock.advance(3600)
        later = await add(client, pid, "an hour later")
        await clock.advance(29.5)
        await settle(clock)
        assert status(client, later) == "pending"
        await clock.advance(0.5)
        await client.wait_for(lambda s: status(client, later) == "sent", timeout=5)


async def test_a_card_passing_through_a_due_column_is_not_published_there(
    database_url: str,
) -> None:
    """Alt+← twice, 450 ms apart: from a paused column to the top of a due one, then on to the
    next; the due column never publishes it."""
    async with default_board(database_url) as (client, clock):
        held = await column(client, "held", paused=True)
        due = await column(client, "due")
        beyond = await column(client, "beyond", paused=True)
        sid = await add(client, held, "passing through")
        await client.ok("snippet.move", {"id": sid, "platform_id": due, "after_id": None})
        await client.wait_for(lambda s: client.card(sid)["platform_id"] == due)
        await settle(clock)
        assert status(client, sid) == "pending", "it waits in the due column"
        await clock.advance(0.45)
        await client.ok("snippet.move", {"id": sid, "platform_id": beyond, "after_id": None})
        await client.wait_for(lambda s: client.card(sid)["platform_id"] == beyond)
        await clock.advance(INTERVAL)
        await settle(clock)
        assert status(client, sid) == "pending" and client.card(sid)["platform_id"] == beyond
        assert not [
            s
            for s in client.state["snippets"].values()
            if s["platform_id"] == due and s["status"] != "pending"
        ]


async def test_send_now_does_not_wait(database_url: str) -> None:
    """ "Send now" goes at once, grace or not."""
    async with default_board(database_url) as (client, clock):
        pid = await column(client, "urgent")
        sid = await add(client, pid, "now")
        await client.ok("snippet.send_now", {"id": sid})
        await client.wait_for(lambda s: status(client, sid) == "sent", timeout=5)
