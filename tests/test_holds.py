"""board.hold and board.release on a real database and a clock the test moves: what a hold
stops, what it refuses, the no-burst rule on release, timed releases (exactly once, across
two instances and a restart)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from tests import db
from tests.clock import FakeClock
from tests.support import Client
from tests.timed import LEAD_S, Timed, timed_board

INTERVAL = 600


@pytest.fixture
async def board(database_url: str) -> AsyncIterator[Timed]:
    async with timed_board(database_url) as value:
        yield value


async def refused(client: Client, op: str, args: dict[str, Any]) -> str:
    """The message of a bad_request refusal."""
    reply = await client.command(op, args)
    assert not reply["ok"], f"{op} {args} should have been refused"
    assert reply["error"]["code"] == "bad_request", reply
    message: str = reply["error"]["message"]
    return message


def held_columns(client: Client) -> set[int]:
    return {pid for hold in client.state.get("holds", {}).values() for pid in hold["platform_ids"]}


async def test_hold_stops_every_publishing_column_and_release_restarts_them(board: Timed) -> None:
    """No platform_ids: every column that publishes is held (not the drafts inbox); its cards
    lose their etas, the hold is in every client's state with who and why; release brings
    the etas back and the hold leaves the state."""
    editor = await board.client("editor")
    a, b = await board.column("A"), await board.column("B")
    inbox = await board.column("Inbox", kind="drafts")
    card_a, card_b = await board.card(a, "a"), await board.card(b, "b")
    draft = await board.card(inbox, "draft")
    assert board.eta(card_a) and board.eta(card_b)
    result = await editor.ok("board.hold", {"reason": "Breaking: the vote"})
    hold_id = str(result["id"])
    await board.admin.wait_for(lambda s: hold_id in s.get("holds", {}))
    hold = board.admin.state["holds"][hold_id]
    assert hold["reason"] == "Breaking: the vote"
    assert sorted(hold["platform_ids"]) == [a, b]
    assert hold["user_id"] == editor.state["me"]["id"]
    assert hold["user_email"] == editor.state["me"]["email"]
    assert hold["created_at"] == "2026-11-22T10:00:00.000Z"
    assert "until" not in hold  # absent means null
    assert board.eta(card_a) is None and board.eta(card_b) is None
    assert board.status(draft) == "pending"
    await board.clock.advance(2 * INTERVAL)
    await board.settle()
    assert board.status(card_a) == "pending" and board.status(card_b) == "pending"
    await editor.ok("board.release", {"id": int(hold_id)})
    await board.admin.wait_for(lambda s: hold_id not in s.get("holds", {}))
    await board.admin.wait_for(lambda s: board.eta(card_a) is not None)
    await board.wait_status(card_a, "pending")
    assert [e["op"] for e in await _events(board)] == ["board.hold", "board.release"]


async def _events(board: Timed) -> list[Any]:
    async with db.connect(board.running.database_url) as conn:
        return list(
            await conn.fetch(
                "SELECT op, user_id FROM events WHERE op LIKE 'board.%' AND ok ORDER BY id"
            )
        )


async def test_release_keeps_the_no_burst_rule(board: Timed) -> None:
    """On release the next card goes at max(last send + interval, now + lead): released within
    the interval it keeps its slot; released later it waits the lead, and the one after it
    a full interval more. Nothing bursts out."""
    pid = await board.column(interval_s=INTERVAL)
    first = await board.card(pid, "first")
    await board.clock.advance(LEAD_S)
    await board.wait_status(first, "sent")
    sent_at = board.clock.now()
    b, c = await board.card(pid, "b"), await board.card(pid, "c")
    assert board.eta(b) == sent_at + timedelta(seconds=INTERVAL)

    hold = (await board.admin.ok("board.hold", {"reason": "short", "platform_ids": [pid]}))["id"]
    await board.admin.wait_for(lambda s: board.eta(b) is None)
    await board.clock.advance(100)
    await board.admin.ok("board.release", {"id": hold})
    await board.admin.wait_for(lambda s: board.eta(b) is not None)
    assert board.eta(b) == sent_at + timedelta(seconds=INTERVAL)

    hold = (await board.admin.ok("board.hold", {"reason": "long", "platform_ids": [pid]}))["id"]
    await board.admin.wait_for(lambda s: board.eta(b) is None)
    await board.clock.advance(3 * INTERVAL)
    await board.settle()
    assert board.status(b) == "pending"
    released_at = board.clock.now()
    await board.admin.ok("board.release", {"id": hold})
    await board.admin.wait_for(lambda s: board.eta(b) is not None)
    assert board.eta(b) == released_at + timedelta(seconds=LEAD_S)
    assert board.eta(c) == released_at + timedelta(seconds=LEAD_S + INTERVAL)
    await board.clock.advance(LEAD_S - 1)
    await board.settle()
    assert board.status(b) == "pending"
    await board.clock.advance(1)
    await board.wait_status(b, "sent")
    assert board.status(c) == "pending"


async def test_overlapping_holds(board: Timed) -> None:
    """A column covered by two holds runs again only when both have ended."""
    pid = await board.column()
    await board.card(pid, "first")
    sid = await board.card(pid, "waits")
    one = (await board.admin.ok("board.hold", {"reason": "one", "platform_ids": [pid]}))["id"]
    # platform_ids null is the default: every column that publishes.
    two = (await board.admin.ok("board.hold", {"reason": "two", "platform_ids": None}))["id"]
    await board.admin.wait_for(lambda s: len(s.get("holds", {})) == 2)
    assert board.admin.state["holds"][str(two)]["platform_ids"] == [pid]
    await board.admin.ok("board.release", {"id": one})
    await board.admin.wait_for(lambda s: len(s["holds"]) == 1)
    assert board.eta(sid) is None
    # Released twice: the second is a no-op, not an error.
    assert (await board.admin.ok("board.release", {"id": one}))["released"] is False
    await board.admin.ok("board.release", {"id": two})
    await board.admin.wait_for(lambda s: board.eta(sid) is not None)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 201}, "reason"),
        ({"reason": 7}, "reason"),
        ({"reason": "r", "platform_ids": []}, "platform_ids"),
        ({"reason": "r", "platform_ids": [999_999]}, "platform_ids"),
        ({"reason": "r", "platform_ids": "all"}, "platform_ids"),
        ({"reason": "r", "until": "2026-11-22T09:59:59Z"}, "until"),
        ({"reason": "r", "until": "2026-11-22T10:00:00Z"}, "until"),
        ({"reason": "r", "until": "tomorrow morning"}, "until"),
        ({"reason": "r", "until": "2026-11-22T11:00:00"}, "until"),
        ({"reason": "r", "until": 1_800_000_000}, "until"),
    ],
)
async def test_hold_refusals(board: Timed, args: dict[str, Any], field: str) -> None:
    """Bad input is a bad_request naming the field, and changes nothing (the clock is at
    2026-11-22T10:00:00Z)."""
    pid = await board.column()
    await board.card(pid, "first")
    sid = await board.card(pid, "waits")
    message = await refused(board.admin, "board.hold", args)
    assert field in message, message
    assert "holds" in board.admin.state and board.admin.state["holds"] == {}
    assert board.eta(sid) is not None


async def test_hold_refuses_a_drafts_column_and_a_reason_of_200_is_fine(board: Timed) -> None:
    """A drafts inbox publishes nothing, so it cannot be held; 200 characters is the limit."""
    inbox = await board.column("Inbox", kind="drafts")
    pid = await board.column()
    message = await refused(board.admin, "board.hold", {"reason": "r", "platform_ids": [inbox]})
    assert "platform_ids" in message and "drafts" in message
    result = await board.admin.ok("board.hold", {"reason": "y" * 200, "platform_ids": [pid]})
    await board.admin.wait_for(lambda s: str(result["id"]) in s["holds"])


async def test_release_refusals_and_roles(board: Timed) -> None:
    """An unknown hold is not_found; viewers may neither hold nor release, editors may."""
    viewer = await board.client("viewer")
    editor = await board.client("editor")
    await board.column()
    assert await board.admin.fails("board.release", {"id": 424242}) == "not_found"
    assert "id" in await refused(board.admin, "board.release", {})
    assert await viewer.fails("board.hold", {"reason": "no"}) == "forbidden"
    hold = (await editor.ok("board.hold", {"reason": "yes"}))["id"]
    assert await viewer.fails("board.release", {"id": hold}) == "forbidden"
    # Viewers see the hold all the same: everyone must know why nothing goes out.
    await viewer.wait_for(lambda s: str(hold) in s.get("holds", {}))
    await editor.ok("board.release", {"id": hold})
    await viewer.wait_for(lambda s: str(hold) not in s["holds"])


async def test_timed_release(board: Timed) -> None:
    """A hold with `until` ends by itself at that moment, not a second before; the release is
    recorded once, with no user."""
    pid = await board.column()
    await board.card(pid, "first")
    sid = await board.card(pid, "waits")
    hold = (await board.admin.ok("board.hold", {"reason": "until noon", "until": board.at(60)}))[
        "id"
    ]
    await board.admin.wait_for(lambda s: str(hold) in s["holds"])
    assert board.admin.state["holds"][str(hold)]["until"] == "2026-11-22T10:01:00.000Z"
    await board.clock.advance(59)
    await board.settle()
    assert str(hold) in board.admin.state["holds"] and board.eta(sid) is None
    await board.clock.advance(1)
    await board.admin.wait_for(lambda s: str(hold) not in s["holds"])
    await board.admin.wait_for(lambda s: board.eta(sid) is not None)
    releases = await board.events("board.release")
    assert [(r["user_id"], json.loads(r["args"])["id"]) for r in releases] == [(None, hold)]


async def test_two_instances_release_a_timed_hold_exactly_once(database_url: str) -> None:
    """Both instances' timers fire on the same tick; each hold is released by exactly one of
    them (one event, one release counted across both)."""
    clock = FakeClock()
    async with timed_board(database_url, clock) as one, timed_board(database_url, clock) as two:
        watcher = await one.client("editor", two.running)
        await one.column("A")
        await one.column("B")
        ids = [
            (await one.admin.ok("board.hold", {"reason": f"hold {n}", "until": one.at(60)}))["id"]
            for n in range(5)
        ]
        await watcher.wait_for(lambda s: len(s.get("holds", {})) == 5)
        await clock.advance(60)
        await one.admin.wait_for(lambda s: s["holds"] == {})
        await watcher.wait_for(lambda s: s["holds"] == {})
        await one.settle()
        timers = [app.running.services.extras["holds"] for app in (one, two)]
        assert sum(t.released for t in timers) == 5
        releases = await one.events("board.release")
        assert sorted(json.loads(r["args"])["id"] for r in releases) == sorted(ids)
        async with db.connect(database_url) as conn:
            rows = await conn.fetch("SELECT released_at, released_by FROM holds")
        assert all(r["released_at"] == clock.now() and r["released_by"] is None for r in rows)


async def test_a_timed_hold_survives_a_restart(database_url: str) -> None:
    """The hold's end lives in the database: an instance that starts after it is released at
    once; one that starts before it waits for it."""
    clock = FakeClock()
    async with timed_board(database_url, clock) as first:
        pid = await first.column()
        await first.card(pid, "first")
        sid = await first.card(pid, "waits")
        early = (await first.admin.ok("board.hold", {"reason": "early", "until": first.at(60)}))[
            "id"
        ]
        late = (await first.admin.ok("board.hold", {"reason": "late", "until": first.at(600)}))[
            "id"
        ]
        await first.admin.wait_for(lambda s: len(s["holds"]) == 2)
    # Nobody ran while the first hold's time came.
    later = FakeClock(clock.now() + timedelta(seconds=120))
    async with timed_board(database_url, later) as second:
        await second.admin.wait_for(lambda s: list(s["holds"]) == [str(late)])
        assert second.eta(sid) is None
        await later.advance(480)
        await second.admin.wait_for(lambda s: s["holds"] == {})
        await second.admin.wait_for(lambda s: second.eta(sid) is not None)
        releases = await second.events("board.release")
        assert [json.loads(r["args"])["id"] for r in releases] == [early, late]


async def test_hold_and_release_under_concurrent_commands(board: Timed) -> None:
    """Holds and releases racing card moves on the same columns neither deadlock nor leave a
    column held by a hold that ended."""
    editor = await board.client("editor")
    pids = [await board.column(f"C{n}") for n in range(3)]
    cards = [await board.card(pid, f"card {n}") for n, pid in enumerate(pids) for _ in range(2)]

    async def churn() -> None:
        for n in range(20):
            await board.admin.ok("snippet.move", {"id": cards[n % len(cards)], "after_id": None})

    async def holds() -> None:
        for _ in range(5):
            hold = (await editor.ok("board.hold", {"reason": "race"}))["id"]
            await editor.ok("board.release", {"id": hold})

    await asyncio.gather(churn(), holds())
    await board.admin.wait_for(lambda s: s["holds"] == {})
    async with db.connect(board.running.database_url) as conn:
        assert await conn.fetchval("SELECT count(*) FROM platforms WHERE hold_ids <> '{}'") == 0
    assert held_columns(board.admin) == set()
