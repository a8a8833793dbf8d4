"""Cards that expire, on a real database and a clock the test moves: expires_at on create and
update, no slot for a turn that comes too late, `expired` at its time (the poster wakes for
it), in paused and held columns too, never published late, and snippet.retry."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from tests.support import Client, make_user, session_cookie
from tests.test_holds import refused
from tests.timed import LEAD_S, Timed, timed_board

INTERVAL = 600


@pytest.fixture
async def board(database_url: str) -> AsyncIterator[Timed]:
    async with timed_board(database_url) as value:
        yield value


async def column_after_a_send(board: Timed) -> int:
    """A column whose first card went out now: the next card's slot is one interval away."""
    pid = await board.column(interval_s=INTERVAL)
    first = await board.card(pid, "first")
    await board.clock.advance(LEAD_S)
    await board.wait_status(first, "sent")
    return pid


async def test_expires_at_on_create_and_update(board: Timed) -> None:
    """expires_at is set by snippet.create, changed and cleared (null) by snippet.update, and
    shown in the state as a UTC time."""
    pid = await board.column()
    sid = await board.card(pid, "live blog", expires_at="2026-11-22T14:00:00+03:00")
    assert board.admin.card(sid)["expires_at"] == "2026-11-22T11:00:00.000Z"
    await board.admin.ok("snippet.update", {"id": sid, "version": 1, "expires_at": board.at(7200)})
    await board.admin.wait_for(
        lambda s: s["snippets"][str(sid)].get("expires_at") == "2026-11-22T12:00:00.000Z"
    )
    await board.admin.ok("snippet.update", {"id": sid, "version": 2, "expires_at": None})
    await board.admin.wait_for(lambda s: "expires_at" not in s["snippets"][str(sid)])


@pytest.mark.parametrize(
    "value",
    ["soon", "2026-11-22T12:00:00", "2026-13-01T00:00:00Z", 1_800_000_000, "2026-11-22T09:59:00Z"],
)
async def test_expires_at_refusals(board: Timed, value: object) -> None:
    """A malformed, zone-less or past expires_at is a bad_request naming it; nothing changes."""
    pid = await board.column()
    sid = await board.card(pid, "text")
    before = dict(board.admin.state["snippets"])
    for op, args in (
        ("snippet.create", {"platform_id": pid, "body": "x", "expires_at": value}),
        ("snippet.update", {"id": sid, "version": 1, "expires_at": value}),
    ):
        assert "expires_at" in await refused(board.admin, op, args)
    assert board.admin.state["snippets"] == before


async def test_interval_cards_do_not_expire(board: Timed) -> None:
    pid = await board.column()
    # Paused, so the poster does not consume the marker at the head before the update.
    await board.admin.ok("platform.pause", {"id": pid})
    marker = (await board.admin.ok("marker.create", {"platform_id": pid, "interval_s": 60}))["id"]
    message = await refused(
        board.admin, "snippet.update", {"id": marker, "version": 1, "expires_at": board.at(60)}
    )
    assert "expires_at" in message


async def test_a_card_that_would_expire_takes_no_slot_and_expires_at_its_time(
    board: Timed,
) -> None:
    """Its turn would come after its expiry: no eta, the card behind takes the slot; at the
    moment of expiry (not a second before) the poster makes it `expired`; the other goes at
    its time."""
    pid = await column_after_a_send(board)
    start = board.clock.now()
    doomed = await board.card(pid, "doomed", expires_at=board.at(300))
    after = await board.card(pid, "after")
    assert board.eta(doomed) is None
    assert board.eta(after) == start + timedelta(seconds=INTERVAL)
    await board.clock.advance(299)
    await board.settle()
    assert board.status(doomed) == "pending"
    await board.clock.advance(1)
    await board.wait_status(doomed, "expired")
    card = board.admin.card(doomed)
    assert card["finished_at"] == "2026-11-22T10:05:30.000Z" and "eta" not in card
    assert board.admin.queue(pid) == [after]
    await board.clock.advance(INTERVAL - 300)
    await board.wait_status(after, "sent")
    (event,) = await board.events("poster.expire")
    assert json.loads(event["args"]) == {"platform_id": pid, "ids": [doomed]}


async def test_a_card_keeps_its_slot_when_it_comes_in_time(board: Timed) -> None:
    pid = await column_after_a_send(board)
    sid = await board.card(pid, "in time", expires_at=board.at(INTERVAL + 1))
    assert board.eta(sid) == board.clock.now() + timedelta(seconds=INTERVAL)
    await board.clock.advance(INTERVAL)
    await board.wait_status(sid, "sent")


async def test_a_late_poster_expires_rather_than_publishes(board: Timed) -> None:
    """Due and past its expiry when the poster next looks (the clock jumped past both): it
    expires; it never goes out after its expires_at."""
    pid = await column_after_a_send(board)
    sid = await board.card(pid, "slot then expiry", expires_at=board.at(INTERVAL + 60))
    assert board.eta(sid) is not None
    await board.clock.advance(INTERVAL + 120)
    await board.wait_status(sid, "expired")
    assert board.admin.card(sid).get("meta", {}).get("remote_id") is None


@pytest.mark.parametrize("stop", ["pause", "hold"])
async def test_cards_expire_in_paused_and_held_columns(board: Timed, stop: str) -> None:
    """A column that publishes nothing still expires its cards at their time."""
    pid = await board.column()
    sid = await board.card(pid, "waits", expires_at=board.at(120))
    if stop == "pause":
        await board.admin.ok("platform.pause", {"id": pid})
    else:
        await board.admin.ok("board.hold", {"reason": "story", "platform_ids": [pid]})
    await board.admin.wait_for(lambda s: board.eta(sid) is None)
    await board.clock.advance(120)
    await board.wait_status(sid, "expired")


async def test_retry_puts_an_expired_card_back_without_its_expiry(board: Timed) -> None:
    """snippet.retry: back at the top of the queue, expiry cleared, a slot again, and out."""
    pid = await column_after_a_send(board)
    sid = await board.card(pid, "expires", expires_at=board.at(60))
    other = await board.card(pid, "other")
    await board.clock.advance(60)
    await board.wait_status(sid, "expired")
    await board.admin.ok("snippet.retry", {"id": sid})
    await board.wait_status(sid, "pending")
    card = board.admin.card(sid)
    assert "expires_at" not in card and "finished_at" not in card
    assert board.admin.queue(pid) == [sid, other]
    await board.admin.wait_for(lambda s: board.eta(sid) is not None)
    await board.clock.advance(INTERVAL)
    await board.wait_status(sid, "sent")


async def test_expired_cards_are_in_the_history(board: Timed) -> None:
    """A new connection's full state (and GET /api/state) carries expired cards; an editor may
    delete one."""
    pid = await board.column()
    sid = await board.card(pid, "expires", expires_at=board.at(10))
    await board.clock.advance(10)
    await board.wait_status(sid, "expired")
    viewer = await make_user(board.running.database_url, "viewer")
    cookie = await session_cookie(board.running.database_url, viewer)
    async with Client.connect(board.running, cookie=cookie) as late:
        assert late.card(sid)["status"] == "expired"
    async with httpx.AsyncClient(
        base_url=board.running.url, cookies={"metronome_session": cookie}
    ) as http:
        state = (await http.get("/api/state")).json()
    assert state["snippets"][str(sid)]["status"] == "expired"
    await board.admin.ok("snippet.delete", {"id": sid})
    await board.admin.wait_for(lambda s: str(sid) not in s["snippets"])


async def test_a_drafts_card_expires_where_it_would_publish(board: Timed) -> None:
    """The drafts inbox has no poster and publishes nothing: a card there keeps its expiry and
    expires as soon as it is moved to a column that publishes."""
    inbox = await board.column("Inbox", kind="drafts")
    pid = await board.column()
    sid = await board.card(inbox, "draft", expires_at=board.at(60))
    await board.clock.advance(120)
    await board.settle()
    assert board.status(sid) == "pending"
    await board.admin.ok("snippet.move", {"id": sid, "platform_id": pid, "after_id": None})
    await board.wait_status(sid, "expired")
