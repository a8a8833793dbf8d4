"""Watchers against each network's fake (CONTRACT §9, issue 16 must-show 1): a post made by
hand appears once, our own post never appears as external, the next card keeps its spacing from
the hand-made post, and a rate limit backs the watcher off. One driver per network
(tests/watch_drivers.py); a network joins with one entry there."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from platforms import load_class
from tests import db
from tests.clock import FakeClock
from tests.mediafiles import JPEG, upload, video
from tests.support import Client, login, make_user, running_app
from tests.watch_drivers import DRIVERS, Driver

INTERVAL = 600  # the column's interval, seconds
WATCH_S = 5  # the column looks this often (the smallest allowed)
PUBLIC = "https://board.example.org"

pytestmark = pytest.mark.parametrize("kind", sorted(DRIVERS))


@pytest.fixture
async def driver(kind: str) -> AsyncIterator[Driver]:
    await load_class(kind)  # a client library's first import (seconds) is not a command's wait
    async with DRIVERS[kind]() as value:
        yield value


def real_now() -> datetime:
    # The fakes stamp our own posts with the wall clock: the board's clock starts there too.
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Board:
    client: Client
    running: Any
    pid: int
    cookie: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.client, self.running, self.pid))


@contextlib.asynccontextmanager
async def board(
    database_url: str, driver: Driver, clock: FakeClock, pid: int | None = None
) -> AsyncIterator[Board]:
    # A public address: Instagram fetches a card's image by URL (the fake only reads the URL).
    async with running_app(database_url, clock=clock, METRONOME_PUBLIC_URL=PUBLIC) as running:
        email = await make_user(database_url, "admin")
        cookie = await login(running.url, email)
        async with Client.connect(running, cookie=cookie) as client:
            if pid is None:
                created = await client.ok(
                    "platform.create",
                    {
                        "kind": driver.kind,
                        "name": f"watched {driver.kind}",
                        "interval_s": INTERVAL,
                        "settings": {**driver.settings, "watch_s": WATCH_S},
                        "secrets": driver.secrets,
                    },
                )
                pid = int(created["id"])
            await running.services.registry.armed.wait()
            await client.wait_for(lambda s: str(pid) in s["platforms"])
            yield Board(client, running, pid, cookie)


async def until(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Wait (real time: the network's answer is real) until ``predicate`` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := predicate()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)
    return value


async def look(client: Client, clock: FakeClock, driver: Driver) -> None:
    """Let one more look happen, and its outcome reach the board."""
    before = driver.listings()
    await clock.advance(WATCH_S)
    await until(lambda: driver.listings() > before)
    await settle(client)


async def settle(client: Client) -> None:
    # A round trip through the server: the look's unit (if any) has been applied by then.
    for _ in range(3):
        await asyncio.sleep(0.05)
        await client.ok("materials.search", {"q": "settle"})


async def card_of_ours(on: Board, driver: Driver, body: str) -> int:
    """A card of ours for the column: with the image or video its network needs."""
    media_ids = []
    if driver.media is not None:
        data, name = (JPEG, "photo.jpg") if driver.media == "image" else (video(), "clip.mp4")
        item = (await upload(on.running.url, data, name, cookie=on.cookie)).json()
        media_ids = [item["id"]]
    client, pid = on.client, on.pid
    created = await client.ok(
        "snippet.create", {"platform_id": pid, "body": body, "media_ids": media_ids}
    )
    return int(created["id"])


def externals(client: Client, pid: int) -> list[dict[str, Any]]:
    return [
        s
        for s in client.state["snippets"].values()
        if s["platform_id"] == pid and s.get("origin") == "external"
    ]


async def stored_externals(database_url: str, remote_id: str) -> int:
    async with db.connect(database_url) as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM snippets WHERE origin = 'external' AND meta->>'remote_id' = $1",
            remote_id,
        )
        return count


async def test_a_hand_made_post_appears_once(database_url: str, driver: Driver) -> None:
    """A post made on the network appears in the column's history once: as sent, external,
    with its text, link and time; again looks and a restart add nothing."""
    clock = FakeClock(real_now())
    posted = clock.now() - timedelta(hours=2)  # before the column existed: within the day
    remote_id = driver.post_by_hand("Posted by hand, in the app", posted)
    driver.post_by_hand("Too old to count", clock.now() - timedelta(days=2))
    async with board(database_url, driver, clock) as (client, _, pid):
        [card] = await client.wait_for(lambda s: externals(client, pid), timeout=20)
        assert card["status"] == "sent"
        assert card["body"] == "Posted by hand, in the app"
        assert card["meta"]["remote_id"] == remote_id
        assert card["meta"]["remote_url"].startswith(("https://", "http://127.0.0.1"))
        assert card["finished_at"] == posted.isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        )
        assert client.state["platforms"][str(pid)]["last_sent_at"] == card["finished_at"]
        await look(client, clock, driver)
        await look(client, clock, driver)
        assert len(externals(client, pid)) == 1
    clock = FakeClock(real_now() + timedelta(seconds=30))
    listed = driver.listings()
    async with board(database_url, driver, clock, pid) as (client, _, _):
        await until(lambda: driver.listings() > listed)
        await look(client, clock, driver)
        assert len(externals(client, pid)) == 1
    assert await stored_externals(database_url, remote_id) == 1


async def test_our_own_post_is_never_external_and_the_queue_keeps_its_spacing(
    database_url: str, driver: Driver
) -> None:
    """Our published card is recognised by its remote id; a later hand-made post moves
    last_sent_at, and the next card's eta is one interval after it."""
    clock = FakeClock(real_now())
    async with board(database_url, driver, clock) as on:
        client, pid = on.client, on.pid
        first = await card_of_ours(on, driver, "Ours, first")
        sent = await client.wait_for(
            lambda s: (c := client.card(first)) and c["status"] == "sent" and c, timeout=20
        )
        ours = sent["meta"]["remote_id"]
        await look(client, clock, driver)
        await look(client, clock, driver)
        assert externals(client, pid) == []
        assert await stored_externals(database_url, ours) == 0
        second = await card_of_ours(on, driver, "Ours, next")
        await client.wait_for(lambda s: (c := client.card(second)) and c.get("eta"))
        await clock.advance(100)
        by_hand = clock.now()
        remote_id = driver.post_by_hand("Breaking, by hand", by_hand)
        # The advance may have started a look before the post was made: one more look.
        await look(client, clock, driver)
        [card] = await client.wait_for(lambda s: externals(client, pid), timeout=20)
        assert card["meta"]["remote_id"] == remote_id != ours
        expected = (by_hand + timedelta(seconds=INTERVAL)).isoformat(timespec="milliseconds")
        await client.wait_for(
            lambda s: client.card(second)["eta"] == expected.replace("+00:00", "Z")
        )
        assert client.card(second)["status"] == "pending"


async def test_a_rate_limit_backs_the_watcher_off(database_url: str, driver: Driver) -> None:
    """After the network's rate-limit answer, the watcher does not ask again before the time
    the network named; then it does, and finds what was posted meanwhile."""
    clock = FakeClock(real_now())
    async with board(database_url, driver, clock) as (client, _, pid):
        await until(lambda: driver.listings() >= 1)
        wait = driver.rate_limit()
        await look(client, clock, driver)  # the look that is refused
        refused = driver.listings()
        remote_id = driver.post_by_hand("Posted while we waited", clock.now())
        await clock.advance(wait - driver.slack - 1)
        for _ in range(5):
            await clock.advance(0)
            await asyncio.sleep(0.05)
        assert driver.listings() == refused
        await clock.advance(2 * driver.slack + 2)
        await until(lambda: driver.listings() > refused)
        [card] = await client.wait_for(lambda s: externals(client, pid), timeout=20)
        assert card["meta"]["remote_id"] == remote_id
