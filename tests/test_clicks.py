"""Tracked links and clicks (CONTRACT §11), against running apps on a real database: the
redirect, the 404, what is not counted, counts kept in memory and stored by flushes, two
instances counting into one total, and the board's live `clicks`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests import db
from tests.fakes.server import serve
from tests.fakes.webhook import Receiver
from tests.support import Client, Running, make_user, running_app, session_cookie
from tests.test_clicks_rules import BOTS

PUBLIC = "https://go.example.org"
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0 Safari/537.36"
)
STORY = "https://news.example.org/2026/11/story?id=7"
TAGGED = STORY + "&utm_source=webhook&utm_medium=social&utm_campaign=night"


@contextlib.asynccontextmanager
async def tracked_column(
    admin: Client, *, track: bool = True
) -> AsyncIterator[tuple[Receiver, int]]:
    """A webhook column that tracks its links, posting to a local receiver."""
    receiver = Receiver()
    async with serve(receiver.app()) as base:
        settings = {"url": base + "/hook", "utm": {"campaign": "night"}, "track": track}
        pid = (
            await admin.ok(
                "platform.create",
                {"kind": "webhook", "name": "hook", "interval_s": 1, "settings": settings},
            )
        )["id"]
        yield receiver, pid


async def send_card(admin: Client, receiver: Receiver, pid: int, url: str = STORY) -> int:
    sid = int(
        (await admin.ok("snippet.create", {"platform_id": pid, "body": "B", "url": url}))["id"]
    )
    await admin.wait_for(lambda s: s["snippets"][str(sid)]["status"] == "sent", timeout=10)
    return sid


def code_of(receiver: Receiver, sid: int) -> str:
    body = next(r.body for r in receiver.received if r.body["snippet_id"] == sid)
    assert body["url"].startswith(PUBLIC + "/l/"), body
    assert body["text"] == f"B\n\n{body['url']}"
    return str(body["url"].rsplit("/", 1)[1])


async def click(
    app: Running, code: str, *, method: str = "GET", agent: str | None = BROWSER, **headers: str
) -> httpx.Response:
    if agent is not None:
        headers["User-Agent"] = agent
    async with httpx.AsyncClient(base_url=app.url, headers=headers) as http:
        if agent is None:
            http.headers.pop("User-Agent")
        return await http.request(method, f"/l/{code}")


async def stored(app: Running, sid: int) -> int:
    async with db.connect(app.database_url) as conn:
        return int(await conn.fetchval("SELECT clicks FROM snippets WHERE id = $1", sid))


@pytest.fixture
async def tracked(database_url: str) -> AsyncIterator[Running]:
    async with running_app(
        database_url, METRONOME_PUBLIC_URL=PUBLIC + "/", METRONOME_WS_RATE="100000"
    ) as running:
        yield running


@pytest.fixture
async def boss(tracked: Running) -> AsyncIterator[Client]:
    email = await make_user(tracked.database_url, "admin")
    async with Client.connect(
        tracked, cookie=await session_cookie(tracked.database_url, email)
    ) as client:
        yield client


async def test_a_tracked_link_redirects_to_the_tagged_url(tracked: Running, boss: Client) -> None:
    """The post carries PUBLIC_URL/l/<code>; the code answers 302 to the UTM-tagged URL."""
    async with tracked_column(boss) as (receiver, pid):
        sid = await send_card(boss, receiver, pid)
    code = code_of(receiver, sid)
    assert len(code) >= 6 and code.isalnum()
    response = await click(tracked, code)
    assert response.status_code == 302
    assert response.headers["location"] == TAGGED
    assert "set-cookie" not in response.headers
    assert (await click(tracked, code, method="HEAD")).status_code == 302
    assert boss.card(sid)["clicks"] == 0


async def test_unknown_codes_get_a_small_404_page(tracked: Running) -> None:
    """An unknown code, or one that is no code at all, answers a short HTML 404."""
    for code in ("ZZZZZZZZ", "x", "abc-def-gh", "a" * 40):
        response = await click(tracked, code)
        assert response.status_code == 404, code
        assert response.headers["content-type"].startswith("text/html")
        assert "Link not found" in response.text and len(response.text) < 2000
    assert tracked.services.clicks.pending == 0


async def test_a_column_that_does_not_track_publishes_plain_links(
    tracked: Running, boss: Client
) -> None:
    """`track` false: the tagged URL itself goes out, and the card counts no clicks."""
    async with tracked_column(boss, track=False) as (receiver, pid):
        sid = await send_card(boss, receiver, pid)
    assert receiver.received[0].body["url"] == TAGGED
    assert "clicks" not in boss.card(sid)


async def test_without_a_public_url_nothing_is_tracked(server: Running, admin: Client) -> None:
    """`track` true on a server that has no METRONOME_PUBLIC_URL: plain tagged links."""
    async with tracked_column(admin) as (receiver, pid):
        sid = await send_card(admin, receiver, pid)
    assert receiver.received[0].body["url"] == TAGGED
    assert "clicks" not in admin.card(sid)


async def test_bots_heads_and_prefetches_are_not_counted(tracked: Running, boss: Client) -> None:
    """Each preview fetcher and crawler, a HEAD, a prefetch and a request with no User-Agent
    are redirected but not counted; readers are, with their referrer's domain."""
    async with tracked_column(boss) as (receiver, pid):
        sid = await send_card(boss, receiver, pid)
    code = code_of(receiver, sid)
    for agent in [*BOTS, "NewsAggregatorBot/3.1"]:
        response = await click(tracked, code, agent=agent)
        assert response.status_code == 302, agent
        assert tracked.services.clicks.pending == 0, f"{agent} was counted"
    await click(tracked, code, method="HEAD")
    await click(tracked, code, agent=None)
    await click(tracked, code, **{"Sec-Purpose": "prefetch;prerender"})
    assert tracked.services.clicks.pending == 0
    await click(tracked, code, Referer="https://t.me/channel/12")
    await click(tracked, code, Referer="https://www.t.me/")
    await click(tracked, code)
    assert tracked.services.clicks.pending == 3
    assert await tracked.services.clicks.flush()  # now rather than within 5 s
    await boss.wait_for(lambda s: s["snippets"][str(sid)]["clicks"] == 3, timeout=10)
    async with db.connect(tracked.database_url) as conn:
        rows = await conn.fetch("SELECT referrer, count FROM clicks WHERE snippet_id = $1", sid)
    assert sorted((r["referrer"], r["count"]) for r in rows) == [("", 1), ("t.me", 2)]


async def test_no_database_write_per_click(tracked: Running, boss: Client) -> None:
    """Clicks wait in memory for the next flush, which stores them at once and patches the
    card once; the redirect of a cached code does not wait for a pool connection."""
    async with tracked_column(boss) as (receiver, pid):
        sid = await send_card(boss, receiver, pid)
    code = code_of(receiver, sid)
    await click(tracked, code)
    assert await tracked.services.clicks.flush()  # now rather than within 5 s
    await boss.wait_for(lambda s: s["snippets"][str(sid)]["clicks"] == 1, timeout=10)
    database = tracked.services.database
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(database.size):  # every pooled connection taken: the database "busy"
            await stack.enter_async_context(database.connect())
        started = time.monotonic()
        for _ in range(40):
            assert (await click(tracked, code)).status_code == 302
        assert time.monotonic() - started < 5
        assert await stored(tracked, sid) == 1
        assert tracked.services.clicks.pending == 40
    frames = len(boss.frames)
    await boss.wait_for(lambda s: s["snippets"][str(sid)]["clicks"] == 41, timeout=10)
    assert await stored(tracked, sid) == 41
    # Stored by the flushes of the 5 s loop: one, or two when a tick fell among the clicks.
    clicks_patches = [f for f in boss.frames[frames:] if "clicks" in str(f.get("patch"))]
    assert 1 <= len(clicks_patches) <= 2


async def test_two_instances_count_into_one_total(database_url: str) -> None:
    """Clicks counted by two instances on one database add up; both boards show the total."""
    env = {"METRONOME_PUBLIC_URL": PUBLIC}
    async with running_app(database_url, **env) as one, running_app(database_url, **env) as two:
        email = await make_user(database_url, "admin")
        async with (
            Client.connect(one, cookie=await session_cookie(database_url, email)) as a,
            Client.connect(two, cookie=await session_cookie(database_url, email)) as b,
        ):
            async with tracked_column(a) as (receiver, pid):
                sid = await send_card(a, receiver, pid)
            code = code_of(receiver, sid)
            await asyncio.gather(
                *(click(one, code) for _ in range(7)), *(click(two, code) for _ in range(5))
            )
            for client in (a, b):
                await client.wait_for(lambda s: s["snippets"][str(sid)]["clicks"] == 12, timeout=10)
            await asyncio.gather(*(click(two, code) for _ in range(3)))
            await a.wait_for(lambda s: s["snippets"][str(sid)]["clicks"] == 15, timeout=10)
    async with db.connect(database_url) as conn:
        assert await conn.fetchval("SELECT sum(count) FROM clicks WHERE snippet_id = $1", sid) == 15


async def test_a_flush_stored_twice_counts_once(tracked: Running, boss: Client) -> None:
    """A flush sent again under its id (its commit was never confirmed) is not added again."""
    async with tracked_column(boss) as (receiver, pid):
        sid = await send_card(boss, receiver, pid)
    from board import clicks
    from board.unit import unit_of_work
    from web.app import CLICKS

    services = tracked.services
    hour = services.clock.now().replace(minute=0, second=0, microsecond=0)
    outcomes = []
    for _ in range(2):
        async with unit_of_work(
            services.database, CLICKS, services.clock.now(), services.config
        ) as ctx:
            outcomes.append(await clicks.record(ctx, "test-1", {(sid, hour, ""): 4}))
    assert outcomes == [True, False]
    assert await stored(tracked, sid) == 4


def json_of(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def test_stats_per_card_and_per_hour(tracked: Running, boss: Client) -> None:
    """GET /api/stats: clicks per card and per hour, the referrers, and the CSV export."""
    async with tracked_column(boss) as (receiver, pid):
        first = await send_card(boss, receiver, pid)
        second = await send_card(boss, receiver, pid, url="https://news.example.org/other")
    for _ in range(3):
        await click(tracked, code_of(receiver, first), Referer="https://t.me/x")
    await click(tracked, code_of(receiver, second))
    assert await tracked.services.clicks.flush()  # now rather than within 5 s
    await boss.wait_for(lambda s: s["snippets"][str(first)]["clicks"] == 3, timeout=10)
    # Clicks of an earlier hour, as an earlier flush stored them.
    async with db.connect(tracked.database_url) as conn:
        await conn.execute(
            "INSERT INTO clicks (snippet_id, hour, referrer, count)"
            " VALUES ($1, date_trunc('hour', now()) - interval '3 hours', '', 2)",
            first,
        )
        await conn.execute("UPDATE snippets SET clicks = clicks + 2 WHERE id = $1", first)
    viewer = await session_cookie(
        tracked.database_url, await make_user(tracked.database_url, "viewer")
    )
    cookie = {"metronome_session": viewer}
    async with httpx.AsyncClient(base_url=tracked.url, cookies=cookie) as http:
        body = json_of(await http.get("/api/stats", params={"platform_id": pid}))
        assert body["platform_id"] == pid and body["total"] == 6
        hours = body["hours"]
        assert len(hours) == 25 and [h["clicks"] for h in hours if h["clicks"]] == [2, 4]
        assert hours[-1]["clicks"] == 4 and hours[-4]["clicks"] == 2
        assert hours[-1]["hour"].endswith(":00:00.000Z") and body["until"] > hours[-1]["hour"]
        assert [c["id"] for c in body["cards"]] == [first, second]
        top = body["cards"][0]
        assert top["clicks"] == 5 and top["clicks_in_range"] == 5 and top["url"] == STORY
        assert top["link"] == f"{PUBLIC}/l/{code_of(receiver, first)}"
        assert top["hours"] == [
            {"hour": hours[-4]["hour"], "clicks": 2},
            {"hour": hours[-1]["hour"], "clicks": 3},
        ]
        assert body["referrers"] == [{"domain": None, "clicks": 3}, {"domain": "t.me", "clicks": 3}]
        everywhere = json_of(await http.get("/api/stats"))
        assert everywhere["platform_id"] is None and everywhere["total"] == 6
        recent = json_of(await http.get("/api/stats", params={"since": hours[-2]["hour"]}))
        assert recent["total"] == 4 and len(recent["hours"]) == 2
        assert recent["cards"][0]["clicks_in_range"] == 3 and recent["cards"][0]["clicks"] == 5
        csv = await http.get("/api/stats", params={"platform_id": pid, "format": "csv"})
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv.headers["content-disposition"]
        lines = csv.text.strip().split("\r\n")
        assert lines[0] == "hour,platform_id,platform,snippet_id,text,url,referrer,clicks"
        cells = [line.split(",") for line in lines[1:]]
        assert [(c[3], c[6], c[7]) for c in cells] == [
            (str(first), "", "2"),
            (str(first), "t.me", "3"),
            (str(second), "", "1"),
        ]
        for params, field in (
            ({"since": "yesterday"}, "since"),
            ({"since": "2999-01-01T00:00:00Z"}, "since"),
            ({"since": "2001-01-01T00:00:00Z"}, "since"),
            ({"platform_id": "x"}, "platform_id"),
            ({"format": "xml"}, "format"),
        ):
            response = await http.get("/api/stats", params=params)
            assert response.status_code == 400, params
            error = response.json()["error"]
            assert error["code"] == "bad_request" and error["message"].startswith(field), error
        assert (await http.get("/api/stats", params={"platform_id": 999999})).status_code == 404
    async with httpx.AsyncClient(base_url=tracked.url) as http:
        assert (await http.get("/api/stats")).status_code == 401


async def test_track_must_be_a_boolean(boss: Client) -> None:
    """settings.track other than true or false is refused, naming the field."""
    reply = await boss.command(
        "platform.create",
        {"kind": "log", "name": "x", "interval_s": 60, "settings": {"track": "yes"}},
    )
    assert reply["error"]["code"] == "bad_request"
    assert "settings.track" in reply["error"]["message"]


async def test_readers_are_not_in_the_access_log(
    tracked: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """The board's requests are logged as uvicorn logged them; a tracked link's never is."""
    with caplog.at_level(logging.INFO, logger="web.access"):
        await click(tracked, "ZZZZZZZZ")
        async with httpx.AsyncClient(base_url=tracked.url) as http:
            assert (await http.get("/api/health")).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "web.access"]
    assert any('"GET /api/health HTTP/1.1" 200' in line for line in lines), lines
    assert not any("/l/" in line for line in lines), lines


async def test_a_code_is_read_once_however_many_ask(
    tracked: Running, boss: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clicks on a code this instance has not read yet wait for one read of it; an unknown
    code is remembered, so asking again costs no read."""
    async with tracked_column(boss) as (receiver, pid):
        sid = await send_card(boss, receiver, pid)
    code = code_of(receiver, sid)
    from board import links

    reads: list[str] = []
    resolve = links.resolve

    async def counted(db: Any, wanted: str) -> Any:
        reads.append(wanted)
        await asyncio.sleep(0.2)  # the others arrive meanwhile
        return await resolve(db, wanted)

    monkeypatch.setattr(links, "resolve", counted)
    answers = await asyncio.gather(*(click(tracked, code) for _ in range(20)))
    assert [r.status_code for r in answers] == [302] * 20
    assert reads == [code]
    for _ in range(3):
        assert (await click(tracked, "Unknown1")).status_code == 404
    assert reads == [code, "Unknown1"]
    assert tracked.services.clicks.pending == 20
