"""The feed poller on bad nights: dripping sources, too many of them, deletes mid-fetch, a lease
that runs out, internal addresses, and the database going away."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from board import feeds
from ingest import poller
from tests.clock import FakeClock
from tests.fakes.hostile import Hostile
from tests.fakes.server import free_port, serve
from tests.support import Client, login, make_user, running_app
from tests.test_db_blip import database_cut


def feed(client: Client, feed_id: int) -> dict[str, Any]:
    found: dict[str, Any] = client.state.get("feeds", {}).get(str(feed_id)) or {}
    return found


async def create(client: Client, url: str) -> int:
    return int((await client.ok("feed.create", {"url": url, "interval_s": 60}))["id"])


async def test_a_dripping_feed_ends_at_its_deadline(
    admin: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source that sends a byte every 0.3 s passes every read timeout, but the fetch ends at its
    total deadline and the feed shows as failing."""
    monkeypatch.setattr(poller, "FETCH_DEADLINE_S", 2.0)
    hostile = Hostile()
    async with serve(hostile.app()) as base:
        fid = await create(admin, f"{base}/drip/slow")
        failing = await admin.wait_for(
            lambda s: feed(admin, fid).get("status") == "failing" and feed(admin, fid), timeout=8
        )
        assert failing["error"] == "no complete answer within 2 s"
        await asyncio.wait_for(hostile.hung_up.wait(), 5)
        assert hostile.dripping == 0


async def test_slow_feeds_leave_the_healthy_ones_room(
    admin: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve dripping sources hold at most SUSPECT_SHARE fetches; a healthy feed asked to poll
    meanwhile is polled at once."""
    monkeypatch.setattr(poller, "FETCH_DEADLINE_S", 30.0)
    hostile = Hostile()
    async with serve(hostile.app()) as base:
        good = await create(admin, f"{base}/feed/good")
        await admin.wait_for(lambda s: feed(admin, good).get("status") == "ok")
        for n in range(12):
            await create(admin, f"{base}/drip/{n}")
        await hostile.until(lambda: hostile.dripping == poller.SUSPECT_SHARE)
        polled = hostile.hits("/feed/good")
        await admin.ok("feed.poll", {"id": good})
        await hostile.until(lambda: hostile.hits("/feed/good") > polled, timeout=3)
        assert hostile.most_dripping == poller.SUSPECT_SHARE


async def test_deleting_a_feed_cancels_its_fetch(admin: Client) -> None:
    """A feed deleted while it is being fetched: the connection is dropped within a tick."""
    hostile = Hostile()
    async with serve(hostile.app()) as base:
        fid = await create(admin, f"{base}/drip/doomed")
        await hostile.until(lambda: hostile.dripping > 0)
        await admin.ok("feed.delete", {"id": fid})
        await asyncio.wait_for(hostile.hung_up.wait(), poller.TICK_S + 3)
        assert hostile.dripping == 0


async def test_a_feed_is_fetched_once_at_a_time(database_url: str) -> None:
    """Even when its lease has run out (the board's clock moved past it), a feed being fetched
    is not fetched again beside itself."""
    clock = FakeClock()
    hostile = Hostile()
    async with running_app(database_url, clock=clock) as app, serve(hostile.app()) as base:
        email = await make_user(database_url, "admin")
        async with Client.connect(app, cookie=await login(app.url, email)) as admin:
            await create(admin, f"{base}/drip/long")
            await hostile.until(lambda: hostile.dripping > 0)
            await clock.advance(feeds.LEASE_S + 1)
            await asyncio.sleep(poller.TICK_S * 2.5)
            assert hostile.hits("/drip/long") == 1


async def failures(
    database_url: str, allow: str, urls: Callable[[str, str], dict[str, str]]
) -> tuple[dict[str, str], Hostile]:
    """The error each feed ends with, for feeds at ``urls(base, port)`` of a hostile source,
    under METRONOME_FETCH_ALLOW=``allow``; and the source."""
    hostile = Hostile()
    async with (
        running_app(database_url, METRONOME_FETCH_ALLOW=allow) as app,
        serve(hostile.app()) as base,
    ):
        email = await make_user(database_url, "admin")
        async with Client.connect(app, cookie=await login(app.url, email)) as admin:
            ids = {
                name: await create(admin, url)
                for name, url in urls(base, base.rsplit(":", 1)[1]).items()
            }
            await admin.wait_for(
                lambda s: all(feed(admin, i).get("status") == "failing" for i in ids.values())
            )
            return {name: feed(admin, i)["error"] for name, i in ids.items()}, hostile


async def test_internal_addresses_are_refused_without_the_allow_list(database_url: str) -> None:
    """With METRONOME_FETCH_ALLOW empty, feeds on loopback (by address or by name), on an
    integer host are refused without a request; PostgreSQL's
    open port and a closed port read the same."""
    errors, hostile = await failures(
        database_url,
        "",
        lambda base, port: {
            "loopback": f"{base}/feed/a",
            "integer": f"http://2130706433:{port}/feed/b",
            "pg": "http://127.0.0.1:5432/",
            "closed": f"http://127.0.0.1:{free_port()}/",
            "localhost": f"http://localhost:{port}/feed/d",
        },
    )
    assert errors["loopback"].startswith("refused: 127.0.0.1 is a loopback address")
    assert "is a number, not a host name" in errors["integer"]
    assert errors["pg"] == errors["closed"]
    assert errors["localhost"].startswith("refused: localhost (")
    assert hostile.requests == []


async def test_a_feed_with_credentials_in_its_url_is_refused_at_once(admin: Client) -> None:
    """A user name or password in a feed's URL is refused when the feed is added (the fetch
    refuses one too: tests/test_fetching.py), naming the argument."""
    reply = await admin.command(
        "feed.create", {"url": "http://editor:secret@127.0.0.1:9/feed/c", "interval_s": 60}
    )
    assert reply["ok"] is False and reply["error"]["code"] == "bad_request", reply
    assert reply["error"].get("field") == "url", reply
    assert "feeds" not in admin.state or not admin.state["feeds"]


async def test_a_redirect_inward_is_refused(database_url: str) -> None:
    """An allowed source that redirects to an address outside the allow list: refused."""
    errors, hostile = await failures(
        database_url,
        "127.0.0.1/32",
        lambda base, port: {"inward": f"{base}/to?url=http://127.0.0.2:{port}/feed/x"},
    )
    assert errors["inward"].startswith("refused: 127.0.0.2 is a loopback address")
    assert hostile.requests == ["/to"]


@pytest.mark.fault
async def test_the_database_going_away_is_one_line_per_retry(
    database_url: str, pg_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """While the database is cut for three seconds, the feeds task says so in a line per retry,
    backing off; no traceback is logged by it or by the pool."""
    hostile = Hostile()
    async with running_app(database_url) as app, serve(hostile.app()) as base:
        email = await make_user(database_url, "admin")
        async with Client.connect(app, cookie=await login(app.url, email)) as admin:
            fid = await create(admin, f"{base}/feed/steady")
            await admin.wait_for(lambda s: feed(admin, fid).get("status") == "ok")
        caplog.clear()
        with caplog.at_level(logging.INFO):
            async with database_cut(pg_server, database_url):
                await asyncio.sleep(3.0)
            await asyncio.sleep(1.0)
        records = [r for r in caplog.records if r.levelno >= logging.WARNING]
        traced = [r.getMessage() for r in records if r.exc_info]
        assert not traced, traced
        retries = [r for r in records if getattr(r, "action", None) == "feed.unreachable"]
        assert 1 <= len(retries) <= 4, [r.getMessage() for r in retries]
