"""The poster's decisions under a clock the test moves: when each card goes, and what stops it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from tests.clock import FakeClock
from tests.support import Client, login, make_user, running_app

INTERVAL = 600  # the column's interval, seconds


@contextlib.asynccontextmanager
async def board(database_url: str) -> AsyncIterator[tuple[Client, FakeClock, int]]:
    clock = FakeClock()
    async with running_app(database_url, clock=clock, METRONOME_WS_RATE="10000") as running:
        email = await make_user(database_url, "admin")
        async with Client.connect(running, cookie=await login(running.url, email)) as client:
            pid = (
                await client.ok(
                    "platform.create", {"kind": "log", "name": "timed", "interval_s": INTERVAL}
                )
            )["id"]
            await running.services.registry.armed.wait()
            await client.wait_for(lambda s: str(pid) in s["platforms"])
            yield client, clock, pid


async def add(client: Client, pid: int, body: str, **extra: object) -> int:
    sid = int(
        (await client.ok("snippet.create", {"platform_id": pid, "body": body, **extra}))["id"]
    )
    await client.wait_for(lambda s: str(sid) in s["snippets"])  # the patch may trail the reply
    return sid


def status(client: Client, sid: int) -> str | None:
    card = client.card(sid)
    return card["status"] if card else None


async def sent(client: Client, sid: int) -> None:
    await client.wait_for(lambda s: status(client, sid) == "sent", timeout=5)


async def still_pending(client: Client, clock: FakeClock, sid: int) -> None:
    for _ in range(20):
        await clock.advance(0)
    assert status(client, sid) == "pending"


@pytest.fixture
async def timed(database_url: str) -> AsyncIterator[tuple[Client, FakeClock, int]]:
    async with board(database_url) as value:
        yield value


async def test_head_goes_at_its_eta_not_before(timed: tuple[Client, FakeClock, int]) -> None:
    """The first card goes at once, the next exactly one interval later, not a second before."""
    client, clock, pid = timed
    a = await add(client, pid, "a")
    await sent(client, a)
    b = await add(client, pid, "b")
    await clock.advance(INTERVAL - 1)
    await still_pending(client, clock, b)
    await clock.advance(1)
    await sent(client, b)


async def test_interval_card_changes_rhythm(timed: tuple[Client, FakeClock, int]) -> None:
    """An interval card at the head is applied without a slot; the next card keeps the new interval."""
    client, clock, pid = timed
    a = await add(client, pid, "a")
    await sent(client, a)
    await client.ok("marker.create", {"platform_id": pid, "interval_s": 2 * INTERVAL})
    b = await add(client, pid, "b")
    await client.wait_for(lambda s: s["platforms"][str(pid)]["interval_s"] == 2 * INTERVAL)
    await clock.advance(INTERVAL)
    await still_pending(client, clock, b)
    await clock.advance(INTERVAL)
    await sent(client, b)


async def test_pause_during_a_wait(timed: tuple[Client, FakeClock, int]) -> None:
    """A column paused while its poster waits publishes nothing; resumed, the overdue head goes."""
    client, clock, pid = timed
    a = await add(client, pid, "a")
    await sent(client, a)
    b = await add(client, pid, "b")
    await client.ok("platform.pause", {"id": pid})
    await clock.advance(2 * INTERVAL)
    await still_pending(client, clock, b)
    await client.ok("platform.resume", {"id": pid})
    await sent(client, b)


async def test_move_changes_the_head(timed: tuple[Client, FakeClock, int]) -> None:
    """A card moved to the top takes the head's slot."""
    client, clock, pid = timed
    a = await add(client, pid, "a")
    await sent(client, a)
    b, c = await add(client, pid, "b"), await add(client, pid, "c")
    await client.ok("snippet.move", {"id": c, "after_id": None})
    await clock.advance(INTERVAL)
    await sent(client, c)
    assert status(client, b) == "pending"


async def test_retime_rearms(timed: tuple[Client, FakeClock, int]) -> None:
    """A shorter interval re-arms the poster at once."""
    client, clock, pid = timed
    a = await add(client, pid, "a")
    await sent(client, a)
    b = await add(client, pid, "b")
    await client.ok("platform.update", {"id": pid, "interval_s": 60})
    await clock.advance(60)
    await sent(client, b)


async def test_clear_stops_the_queue(timed: tuple[Client, FakeClock, int]) -> None:
    """Cleared cards never go out; restored, they do."""
    client, clock, pid = timed
    a = await add(client, pid, "a")
    await sent(client, a)
    b = await add(client, pid, "b")
    cleared = (await client.ok("platform.clear", {"id": pid}))["cleared"]
    assert cleared == [b]
    await client.wait_for(lambda s: client.card(b) is None)  # the patch may trail the reply
    await clock.advance(2 * INTERVAL)
    for _ in range(20):
        await clock.advance(0)
    assert client.card(b) is None
    await client.ok("platform.restore", {"id": pid, "ids": cleared})
    await sent(client, b)


async def test_send_now(timed: tuple[Client, FakeClock, int]) -> None:
    """Send now publishes at once, out of turn; the next card waits a full interval after it."""
    client, clock, pid = timed
    a = await add(client, pid, "a")
    await sent(client, a)
    b, c = await add(client, pid, "b"), await add(client, pid, "c")
    await clock.advance(100)
    await client.ok("snippet.send_now", {"id": c})
    await sent(client, c)
    await clock.advance(INTERVAL - 1)
    await still_pending(client, clock, b)
    await clock.advance(1)
    await sent(client, b)
